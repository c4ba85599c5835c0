"""Statements drafted from the incident's facts: sandboxed templates, versions and approvals.

Templates are Jinja2 files in playbooks/templates/{en,zh}/ (a firm's own directory is searched
first). They run in a sandbox with StrictUndefined; facts people typed are values, never
template source, so `{{ 7*7 }}` in a title stays exactly that.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound
from jinja2 import TemplateSyntaxError as JinjaSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from sqlmodel import Session, col, select

from bot.chat import Mention, Message, Text
from bot.errors import UserError
from bot.incident import timeline
from bot.incident.incidents import ref, require_open
from bot.incident.playbook import Playbook
from bot.statements import gaps as draft_gaps
from bot.text.facts import covered_by
from bot.text.i18n import line
from bot.text.i18n import text as t
from storage.models import Draft, DraftVersion, Incident

PACKAGE_TEMPLATES = Path(__file__).resolve().parents[2] / "playbooks" / "templates"
KINDS = ("client", "media", "press", "regulator", "staff", "update", "qa", "survey")
# drafted, approved and sent after close too: the survey, and the notices the law still owes once the response
# is closed (clients not yet told, a regulator report): closing never blocks a notice
AFTER_CLOSE_KINDS = ("survey", "client", "regulator")


def after_close(incident: Incident, kind: str) -> bool:
    """Whether a statement of `kind` may still be made once the incident is closed (a drill owes no notice)."""
    return kind in AFTER_CLOSE_KINDS and (kind == "survey" or not incident.drill)
# Merge fields of client letters, filled in for each client when letters are merged (bot/statements/letters.py).
CLIENT_TOKEN = "«CLIENT»"  # the client's name
DATA_TOKEN = "«DATA»"  # the client's data categories (the register's, else the incident's)
REGULATORS_TOKEN = "«REGULATORS»"  # authorities notified for the client's residence (line dropped if none)
SURVEY_TOKEN = "«SURVEY»"  # the client's own link to answer the survey online (line dropped if none)
# Advice lines for one place of residence: a line starting with its tag is kept, untagged, only in the letters
# of clients living there (CN, any US state, the EU, anywhere else); untagged advice goes to everyone.
ADVICE_TAGS = {"CN": "«CN» ", "US": "«US» ", "EU": "«EU» ", "OTHER": "«OTHER» "}


def advice_region(residence: str | None) -> str | None:
    """Which advice a client's residence gets: CN, US (any state), EU or OTHER; None when unknown."""
    if not residence:
        return None
    code = residence.upper()
    if code in ("CN", "EU"):
        return code
    if covered_by(code, "EU"):  # a member state
        return "EU"
    return "US" if code == "US" or code.startswith("US-") else "OTHER"
DRAFT_MAX = 60_000


class TemplateProblem(UserError):
    """A template that cannot render: names the template, the line and the problem."""


def environment(firm_dir: Path | None) -> SandboxedEnvironment:
    """The sandbox: the firm's templates first, then ours; unknown variables are errors."""
    loaders = [FileSystemLoader(str(firm_dir))] if firm_dir else []
    loaders.append(FileSystemLoader(str(PACKAGE_TEMPLATES)))
    return SandboxedEnvironment(loader=ChoiceLoader(loaders), undefined=StrictUndefined, autoescape=False,
                                keep_trailing_newline=True, trim_blocks=False)


def template_name(kind: str, lang: str, *, variant: str = "individual", regime: str | None = None) -> str:
    """Which template file a draft uses."""
    if kind == "client":
        return f"{lang}/client_{'company' if variant == 'company' else 'individual'}.txt.j2"
    if kind == "regulator":  # China's report form, GDPR Art. 33's, or a notice to any other law's authority
        if regime is None:
            style = "pipl" if lang == "zh" else "gdpr"
        else:
            style = "pipl" if regime.startswith("cn-") else "gdpr" if "-gdpr-" in regime else "notice"
        return f"{lang}/regulator_{style}.txt.j2"
    return f"{lang}/{kind}.txt.j2"


@dataclass
class Rendered:
    """A rendered statement and what it was made from."""

    text: str
    gaps: list[str] = field(default_factory=list)
    facts_used: dict[str, Any] = field(default_factory=dict)


def render(env: SandboxedEnvironment, name: str, context: dict[str, Any], lang: str) -> Rendered:
    """Render one template; gaps the template hit are listed, template faults name file and line."""
    gaps: list[str] = []

    def gap(what: str) -> str:
        if what not in gaps:
            gaps.append(what)
        return draft_gaps.placeholder(lang, what)

    try:
        template = env.get_template(name)
        text = template.render({**context, "gap": gap})
    except TemplateNotFound as exc:
        raise TemplateProblem(t(lang, "draft.template_missing", name=exc.name or name)) from None
    except JinjaSyntaxError as exc:
        raise TemplateProblem(t(lang, "draft.template_error", name=exc.filename or exc.name or name,
                                line=exc.lineno, problem=exc.message or str(exc))) from None
    except TemplateError as exc:
        where, line = _template_frame(exc, name)
        raise TemplateProblem(t(lang, "draft.template_error", name=where, line=line, problem=str(exc))) from None
    return Rendered(text=text.strip() + "\n", gaps=gaps,
                    facts_used={k: v for k, v in context.items() if k not in ("firm", "drill_banner", "gap")})


def _template_frame(exc: BaseException, fallback: str) -> tuple[str, int | str]:
    """The template file and line a runtime template error happened on (jinja rewrites frames)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2"):
            return frame.filename, frame.lineno or "?"
    return fallback, "?"


# -- storage ---------------------------------------------------------------------------------------
def by_number(session: Session, *, incident: Incident, number: int, lang: str) -> Draft:
    """Draft D-<number> of an incident."""
    draft = session.exec(select(Draft).where(Draft.incident_id == incident.id, Draft.number == number)).first()
    if draft is None:
        raise UserError(t(lang, "draft.unknown", id=f"D-{number}", incident=ref(incident)))
    return draft


def versions(session: Session, draft: Draft) -> list[DraftVersion]:
    """All versions, oldest first."""
    return list(session.exec(select(DraftVersion).where(DraftVersion.draft_id == draft.id)
                             .order_by(col(DraftVersion.version))))


def current(session: Session, draft: Draft) -> DraftVersion:
    """The newest version."""
    return versions(session, draft)[-1]


def all_drafts(session: Session, incident: Incident) -> list[tuple[Draft, DraftVersion]]:
    """Every draft of an incident with its newest version."""
    drafts = session.exec(select(Draft).where(Draft.incident_id == incident.id).order_by(col(Draft.number)))
    return [(d, current(session, d)) for d in drafts]


def create(session: Session, *, incident: Incident, kind: str, template: str, lang: str, regime: str | None,
           rendered: Rendered, actor: str, now: datetime) -> tuple[Draft, DraftVersion]:
    """A new draft at version 1, in the timeline."""
    if not after_close(incident, kind):
        require_open(incident, lang)
    last = session.exec(select(Draft).where(Draft.incident_id == incident.id)
                        .order_by(col(Draft.number).desc())).first()
    draft = Draft(incident_id=incident.id, number=(last.number + 1) if last else 1, kind=kind, template=template,
                  lang=lang, regime=regime, created_by=actor, created_at=now)
    session.add(draft)
    session.flush()
    version = DraftVersion(draft_id=draft.id, version=1, text=rendered.text, created_by=actor, created_at=now,
                           facts_used=_jsonable(rendered.facts_used), gaps=rendered.gaps)
    session.add(version)
    timeline.append(session, incident=incident, actor=actor, kind="draft_created", now=now,
                    text=f"D-{draft.number} v1 {kind} ({lang})",
                    data={"draft": draft.number, "version": 1, "kind": kind, "template": template,
                          "gaps": rendered.gaps})
    return draft, version


def unapproved_twin(session: Session, *, incident: Incident, kind: str, template: str,
                    regime: str | None) -> Draft | None:
    """The newest draft of the same statement (kind, template, regime) still waiting for approval."""
    for draft, version in reversed(all_drafts(session, incident)):
        if (draft.kind, draft.template, draft.regime) == (kind, template, regime) and version.status != "approved":
            return draft
    return None


def redraft(session: Session, *, incident: Incident, draft: Draft, rendered: Rendered, actor: str, now: datetime,
            lang: str) -> DraftVersion:
    """Draft the same statement again from today's facts, as its next version."""
    if not after_close(incident, draft.kind):
        require_open(incident, lang)
    previous = current(session, draft)
    if previous.status == "draft":
        previous.status = "superseded"
        session.add(previous)
    version = DraftVersion(draft_id=draft.id, version=previous.version + 1, text=rendered.text, created_by=actor,
                           created_at=now, facts_used=_jsonable(rendered.facts_used), gaps=rendered.gaps)
    session.add(version)
    timeline.append(session, incident=incident, actor=actor, kind="draft_edited", now=now,
                    text=f"D-{draft.number} v{version.version} redrafted from the facts",
                    data={"draft": draft.number, "version": version.version, "redrafted": True,
                          "gaps": rendered.gaps})
    return version


def edit(session: Session, *, incident: Incident, draft: Draft, text: str, actor: str, now: datetime,
         lang: str) -> DraftVersion:
    """Replace the text with a new version; an approved version stays frozen as it was."""
    if not after_close(incident, draft.kind):
        require_open(incident, lang)
    body = text.strip("\n")
    if not body.strip():
        raise UserError(t(lang, "draft.edit_empty", id=f"D-{draft.number}"))
    if len(body) > DRAFT_MAX:
        raise UserError(t(lang, "error.text_long", what=f"D-{draft.number}", max=DRAFT_MAX, length=len(body)))
    previous = current(session, draft)
    if previous.status == "draft":
        previous.status = "superseded"
        session.add(previous)
    # The gaps are whatever placeholders the person's text still carries.
    version = DraftVersion(draft_id=draft.id, version=previous.version + 1, text=body + "\n", created_by=actor,
                           created_at=now, facts_used=previous.facts_used, gaps=draft_gaps.find_gaps(body))
    session.add(version)
    timeline.append(session, incident=incident, actor=actor, kind="draft_edited", now=now,
                    text=f"D-{draft.number} v{version.version}",
                    data={"draft": draft.number, "version": version.version})
    return version


def redraft_command(draft: Draft, shown_in: str = "en") -> str:
    """What to type to draft this statement again from the facts, in the workspace's words (`shown_in`)."""
    return draft_gaps.redraft_command(kind=draft.kind, lang=draft.lang, template_name=draft.template,
                                      regime=draft.regime, shown_in=shown_in)


@dataclass
class Approval:
    """The outcome of an approval: who signed for which role, and whether the version is now approved."""

    version: DraftVersion
    roles: list[str]
    approved: bool
    missing: list[str]


def approve(session: Session, *, incident: Incident, draft: Draft, playbook: Playbook, holders: dict[str, str],
            actor: str, now: datetime, lang: str) -> Approval:
    """Sign the current version for every approver role the actor holds; all roles → approved and frozen.

    A version that still has gaps is never signed: the refusal says how to fill each one.
    """
    if not after_close(incident, draft.kind):
        require_open(incident, lang)
    needed = playbook.drafts[draft.kind].approvers
    version = current(session, draft)
    if version.status == "approved":
        raise UserError(t(lang, "draft.already_approved", id=f"D-{draft.number}", version=version.version))
    signed = {a["role"] for a in version.approvals}
    mine = [role for role in needed if holders.get(role) == actor]
    if not mine:
        raise UserError(_wrong_role(draft, needed, signed, holders, playbook, lang))
    gaps = draft_gaps.find_gaps(version.text)
    if gaps:
        raise UserError(draft_gaps.refusal("draft.blocked", gaps, playbook=playbook, draft_id=f"D-{draft.number}",
                                           version=version.version, lang=lang, redraft=redraft_command(draft, lang)))
    fresh = [r for r in mine if r not in signed]
    if not fresh:
        raise UserError(t(lang, "draft.already_signed", id=f"D-{draft.number}"))
    version.approvals = [*version.approvals, *({"role": r, "user": actor, "at": now.isoformat()} for r in fresh)]
    missing = [r for r in needed if r not in signed | set(fresh)]
    if not missing:
        version.status = "approved"
    session.add(version)
    timeline.append(session, incident=incident, actor=actor, kind="draft_approved" if not missing else "draft_signed",
                    now=now, text=f"D-{draft.number} v{version.version} by {', '.join(fresh)}",
                    data={"draft": draft.number, "version": version.version, "roles": fresh, "missing": missing})
    return Approval(version=version, roles=fresh, approved=not missing, missing=missing)


def approvers(roles: list[str], *, holders: dict[str, str], playbook: Playbook, lang: str) -> tuple:
    """'Communications @zed and Executive sponsor (unassigned)' as spans."""
    spans: list = []
    for index, role in enumerate(roles):
        if index:
            spans.append(Text(t(lang, "draft.and") if index == len(roles) - 1 else ", "))
        spans.append(Text(f"{playbook.roles[role](lang)} "))
        spans.append(Mention(holders[role]) if role in holders else Text(f"({t(lang, 'roles.unassigned')})"))
    return tuple(spans)


def assign_hints(roles: list[str], *, holders: dict[str, str], lang: str) -> list:
    """How to give each approver role nobody holds."""
    return [line(lang, "draft.assign_hint", role=role) for role in roles if role not in holders]


def _wrong_role(draft: Draft, needed: list[str], signed: set[str], holders: dict[str, str], playbook: Playbook,
                lang: str) -> Message:
    """Who may approve: every role it needs and its holder; who is still missing; how to fill an empty role."""
    ident = f"D-{draft.number}"
    waiting = [r for r in needed if r not in signed]
    everyone = approvers(needed, holders=holders, playbook=playbook, lang=lang)
    if len(needed) == 1:
        lines = [line(lang, "draft.wrong_role", id=ident, who=everyone)]
    else:
        lines = [line(lang, "draft.wrong_role_all", id=ident, who=everyone,
                      missing=approvers(waiting, holders=holders, playbook=playbook, lang=lang))]
    return Message(lines=tuple(lines + assign_hints(waiting, holders=holders, lang=lang)), kind="error")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
