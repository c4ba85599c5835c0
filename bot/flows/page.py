"""The incident page: `/breach link` gives and takes back signed links; `PageSite` serves what they open.

`PageSite` is what `breachbot serve` asks (handlers/page translates HTTP into these calls): check a
link, record the opening in the timeline, build the page's data, say whether it changed since the
version a browser holds, hand out the report. Every refusal is `links.Refused`, shown as one plain 403.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.chat import Context, Mention
from bot.clock import Clock, SystemClock
from bot.errors import UserError
from bot.flows import tenancy
from bot.flows.base import acknowledge, drill, resolve
from bot.flows.grammar.tokens import Args, fold, tokenize
from bot.flows.port import Bot
from bot.incident import care, incidents, links, wording
from bot.incident.playbook import load_playbook
from bot.law.regimes import load_regimes
from bot.outbox import Outbox
from bot.registry import command
from bot.report import chart, document, metrics
from bot.report.events import roster_names
from bot.report.export import as_dict, as_json
from bot.settings import Settings
from bot.statements import clients
from bot.statements.template_context import long_date
from bot.text.facts import whole_number
from bot.text.i18n import message
from bot.text.i18n import text as t
from bot.text.times import format_duration
from bot.views import page as view
from storage.db import session_factory, transaction
from storage.models import Incident, Workspace

Refused = links.Refused
log = logging.getLogger("breachbot.page")


def page_url(base: str, incident: Incident, token: str) -> str:
    """The address a link opens."""
    return f"{base}/incidents/{incidents.ref(incident)}?k={token}"


def survey_url(settings: Settings, session: Session, *, incident: Incident, client: Any, now: datetime) -> str:
    """A client's own link to answer the satisfaction survey online; "" unless BREACHBOT_PUBLIC_URL says where
    `breachbot serve` is reached (a localhost link is no use in a client's letter)."""
    if not settings.public_url:
        return ""
    return f"{settings.page_base}/survey?k={links.survey_token(session, incident=incident, client=client, now=now)}"


@dataclass(frozen=True)
class Link:
    """`/breach link`: a signed link to the incident's read-only page (`revoke`: take links back, one or all)."""

    hours: int = links.DEFAULT_HOURS
    for_name: str = ""
    revoke: bool = False
    number: int | None = None  # L-<number> to revoke; None revokes every live link
    incident: int | None = None


_LINK_ID = re.compile(r"^L-?(\d{1,6})$", re.I)


def parse_link(lang: str, name: str, tail: str) -> Link:
    """`/breach link [BR-n] [--hours 72] [--for <name>]` or `/breach link [BR-n] revoke [L-n]`."""
    args = Args(lang, name, tokenize(tail), values=("hours", "for"), texts=("for",), source=tail)
    number = args.incident()
    words = [tok.word for tok in args.positional]
    if words and words[0].lower() in ("revoke", "撤销"):
        match = _LINK_ID.match(fold(words[1])) if len(words) == 2 else None
        if args.flags or len(words) > 2 or (len(words) == 2 and not match):
            args.fail("link.revoke_how")
        return Link(revoke=True, number=int(match[1]) if match else None, incident=number)
    if words:
        args.fail("error.extra_words", words=args.rest())
    typed = args.flags.get("hours", str(links.DEFAULT_HOURS))
    hours = whole_number(typed.lower().removesuffix("h").removesuffix("小时"))
    if hours is None or not 1 <= hours <= links.MAX_HOURS:
        args.fail("link.bad_hours", value=typed)
    return Link(hours=hours or links.DEFAULT_HOURS, for_name=args.flags.get("for", "").strip(), incident=number)


@command(Link, "link", parse=parse_link, zh=("链接",), group="after", may=("lead", "executive", "legal"))
def link(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Link, out: Outbox) -> None:
    """`/breach link`: a signed, expiring link to the page (told only to the asker); `revoke` takes links back."""
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    ident = incidents.ref(incident)
    if cmd.revoke:
        gone = links.revoke(session, incident=incident, number=cmd.number, actor=context.user, now=now)
        if not gone:
            raise UserError(t(lang, "link.none_live" if cmd.number is None else "link.no_such", id=ident,
                              link=f"L-{cmd.number}"))
        paren = "（{}）" if lang == "zh" else " ({})"
        said = ("、" if lang == "zh" else ", ").join(
            f"L-{x.number}" + (paren.format(x.for_name) if x.for_name else "") for x in gone)
        out.post(incident, message(lang, "link.revoked", id=ident, links=said, actor=Mention(context.user))
                 .prefixed(drill(incident, lang)))
        acknowledge(out, context, incident, lang)
        return
    if len(cmd.for_name) > links.MAX_FOR:
        raise UserError(t(lang, "link.for_too_long", max=links.MAX_FOR, length=len(cmd.for_name)))
    made, token = links.create(session, incident=incident, hours=cmd.hours, for_name=cmd.for_name,
                               actor=context.user, now=now)
    until = long_date(made.expires_at, ws.timezone, lang)
    out.reply(message(lang, "link.made", id=ident, link=f"L-{made.number}", url=page_url(
        bot.settings.page_base, incident, token), until=until).prefixed(drill(incident, lang)), public=False)
    out.post(incident, message(lang, "link.announced", id=ident, link=f"L-{made.number}",
                                        who=made.for_name or "-", actor=Mention(context.user), until=until)
             .prefixed(drill(incident, lang)))


@dataclass(frozen=True)
class Shown:
    """A page's data and the version it shows (the timeline's head)."""

    data: dict[str, Any]
    version: str


class PageSite:
    """The incident pages and the history page, read from the same database the bot writes."""

    def __init__(self, settings: Settings, *, engine: Engine, clock: Clock | None = None,
                 names: Mapping[str, Callable[[str], str]] | None = None) -> None:
        self.settings = settings
        self.names = dict(names or {})  # platform → how it names a person (Slack display names)
        self.clock = clock or SystemClock()
        self.sessions = session_factory(engine)
        self.readers = session_factory(engine, write=False)
        self.playbook = load_playbook(settings.playbook)
        self.regimes = load_regimes(settings.regime_files)
        self.firm_profile = frozenset(settings.firm().firm_profile)

    def _lang(self, asked: str | None, ws: Workspace) -> str:
        return asked if asked in view.LANGS else ws.lang

    def _namer(self, platform: str, firm: tenancy.FirmView) -> Callable[[str], str]:
        """A person's name: the roster's [people], else their platform's; their id when neither can say (the page
        still shows)."""
        ask = self.names.get(platform)

        def asked(user: str) -> str:
            try:
                return ask(user) if ask else user
            except Exception:  # a platform hiccup must not take the page down
                log.warning("could not name %s on %s", user, platform)
                raise

        return roster_names(firm.firm.people, asked if ask else None)

    def _firm(self, session: Session, ws: Workspace) -> tenancy.FirmView:
        """The deployment's settings as this workspace's firm set them (/breach config)."""
        return tenancy.resolve(self, tenancy.stored(session, ws.id), firm=self.settings.firm(), lang=ws.lang,
                               timezone=ws.timezone, playbook=self.playbook, firm_profile=self.firm_profile,
                               regimes=self.regimes)

    def _build(self, session: Session, opened: links.Opened, lang: str | None, now: datetime) -> Shown:
        shown = self._lang(lang, opened.workspace)
        firm = self._firm(session, opened.workspace)
        data = view.build(session, incident=opened.incident, playbook=firm.playbook, regimes=firm.regimes,
                          firm_profile=firm.firm_profile, ws=opened.workspace, lang=shown,
                          now=now, firm_name=firm.firm.name_in(shown),
                          name=self._namer(opened.workspace.platform, firm))
        return Shown(data=data, version=links.head(session, opened.incident))

    def open(self, *, token: str, number: int, lang: str | None, where: str, agent: str) -> Shown:
        """Open the page: check the link, record the opening (who, when, from where), build the page."""
        now = self.clock.now()
        with transaction(self.sessions) as session:
            opened = links.check(session, token=token, number=number, now=now)
            links.record_opening(session, opened=opened, where=where, agent=agent, now=now)
        with transaction(self.readers) as session:
            return self._build(session, links.check(session, token=token, number=number, now=now), lang, now)

    def live(self, *, token: str, number: int, lang: str | None, since: str) -> Shown | None:
        """The page again if anything changed since version `since`, else None (the link is checked each time)."""
        now = self.clock.now()
        with transaction(self.readers) as session:
            opened = links.check(session, token=token, number=number, now=now)
            if links.head(session, opened.incident) == since:
                return None
            return self._build(session, opened, lang, now)

    def download(self, *, token: str, number: int, fmt: str, lang: str | None) -> tuple[str, bytes]:
        """The report (md, html, pdf) or the export (json) as a file name and its bytes."""
        now = self.clock.now()
        with transaction(self.readers) as session:
            opened = links.check(session, token=token, number=number, now=now)
            incident, ws = opened.incident, opened.workspace
            lang = self._lang(lang, ws)
            firm = self._firm(session, ws)
            ident = incidents.ref(incident) + ("-DRILL" if incident.drill else "")
            if fmt == "export":
                raw = as_dict(session, incident=incident, playbook=firm.playbook, ws=ws, now=now,
                              regimes=firm.regimes, firm_profile=firm.firm_profile, lang=lang)
                return f"{ident}-export.json", as_json(raw).encode("utf-8")
            if fmt not in ("md", "html", "pdf"):
                raise Refused("unknown format")
            data = document.build(session, incident=incident, playbook=firm.playbook, regimes=firm.regimes,
                                  firm_profile=firm.firm_profile, ws=ws, lang=lang, now=now,
                                  firm_name=firm.firm.name_in(lang), name=self._namer(ws.platform, firm))
            return f"{ident}-report-{lang}.{fmt}", document.render(data, fmt, pdf_font=self.settings.pdf_font)

    def history(self, *, token: str, lang: str | None) -> dict[str, Any]:
        """Past incidents and drills with their key times and a trends chart, for a firm admin's link."""
        now = self.clock.now()
        with transaction(self.readers) as session:
            ws = links.check_history(session, token=token, now=now)
            lang = self._lang(lang, ws)
            firm = self._firm(session, ws)
            firm_name = firm.firm.name_in(lang)
            rows = []
            for incident in session.exec(select(Incident).where(Incident.workspace_id == ws.id)
                                         .order_by(col(Incident.number))):
                times = metrics.key_times(session, incident, firm.regimes).hours()
                score = care.average_score(incident)
                rows.append({"id": incidents.ref(incident), "title": incident.title, "drill": incident.drill,
                             "score": f"{score}/5 ({len(care.feedback(incident))})" if score is not None else "—",
                             "comments": [f"{e['score']}/5 · {e['name']}" + ("：" if lang == "zh" else ": ")
                                          + e["comment"] for e in care.feedback(incident) if e.get("comment")],
                             "severity": wording.severity(lang, incident.severity),
                             "status": wording.state(lang, incident.status),
                             "aware": long_date(incident.aware_at, ws.timezone, lang),
                             "times": {k: (format_duration(timedelta(hours=v), lang) if v is not None else "—")
                                       for k, v in times.items()}, "hours": times})
        real = [r for r in rows if not r["drill"]]
        averages = {}
        for key in ("declare", "contain", "notify", "close"):
            values = [r["hours"][key] for r in real if r["hours"][key] is not None]
            averages[key] = format_duration(timedelta(hours=sum(values) / len(values)), lang) if values else "—"
        scores = [float(r["score"].split("/")[0]) for r in real if r["score"] != "—"]
        averages["score"] = f"{round(sum(scores) / len(scores), 1)}/5" if scores else "—"
        W = view.words(lang)  # noqa: N806
        series = [(W[f"history_{k}"], [(r["id"], r["hours"][k]) for r in real]) for k in ("declare", "contain",
                                                                                          "notify", "close")]
        return {"W": W, "lang": lang, "firm": firm_name, "rows": rows, "averages": averages,
                "chart_svg": chart.trends(series, title=W["history_chart"],
                                          say=lambda h: format_duration(timedelta(hours=h), lang)),
                "generated": long_date(now, ws.timezone, lang)}


SCORED = re.compile(r"1\s*[-–~～]\s*5")  # a survey question the playbook words as scored from 1 to 5


class Survey:
    """The online satisfaction survey: one client's form, opened by their own signed link, and its answers."""

    def __init__(self, site: PageSite) -> None:
        self.site = site

    def form(self, *, token: str, lang: str | None) -> dict[str, Any]:
        """The questions in the client's language, whom they are for (masked) and any answer already given."""
        now = self.site.clock.now()
        with transaction(self.site.readers) as session:
            client, incident, ws = links.check_survey(session, token=token, now=now)
            lang = lang if lang in view.LANGS else (client.lang if client.lang in view.LANGS else ws.lang)
            given = next((e for e in care.feedback(incident) if e["client"] == client.id), None)
            firm = self.site._firm(session, ws)  # the firm as it set itself (/breach config)
            return {"W": view.words(lang), "lang": lang, "firm": firm.firm.name_in(lang),
                    "id": incidents.ref(incident), "drill": incident.drill, "name": clients.shown_name(client),
                    "questions": [{"n": i, "text": q(lang), "scored": bool(SCORED.search(q(lang)))}
                                  for i, q in enumerate(firm.playbook.survey, start=1)],
                    "given": long_date(datetime.fromisoformat(given["at"]), ws.timezone, lang) if given else ""}

    def answer(self, *, token: str, lang: str | None, answers: Mapping[str, str]) -> dict[str, Any]:
        """Record the answers as the client's feedback (the scores' mean, the written answers as the comment);
        raises UserError with what to do when no score was given or a comment is too long."""
        shown = self.form(token=token, lang=lang)
        scores = [int(answers[f"q{q['n']}"]) for q in shown["questions"] if q["scored"]
                  and answers.get(f"q{q['n']}", "") in ("1", "2", "3", "4", "5")]
        if not scores:
            raise UserError(shown["W"]["survey_pick"])
        comment = " / ".join(answers.get(f"q{q['n']}", "").strip() for q in shown["questions"]
                             if not q["scored"] and answers.get(f"q{q['n']}", "").strip())
        now = self.site.clock.now()
        with transaction(self.site.sessions) as session:
            client, incident, _ws = links.check_survey(session, token=token, now=now)
            incident = incidents.lock(session, incident)
            care.record_feedback(session, incident=incident, client=client, shown=shown["name"],
                                 score=str(int(sum(scores) / len(scores) + 0.5)), comment=comment,
                                 actor=shown["W"]["survey_actor"].format(name=shown["name"]), now=now,
                                 lang=shown["lang"])
        return shown


def admin_link(settings: Settings, *, engine: Engine, workspace: Workspace, hours: int, now: datetime) -> str:
    """A firm admin's link to the history page of `workspace` (for the command line)."""
    with transaction(session_factory(engine)) as session:
        token = links.history_token(session, workspace=workspace, hours=hours, now=now)
    return f"{settings.page_base}/history?k={token}"
