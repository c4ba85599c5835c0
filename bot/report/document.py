"""The post-incident report: one data model, rendered as Markdown, HTML (with an SVG chart), PDF or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from sqlmodel import Session

from bot.incident import deadlines, followups, timeline, wording
from bot.incident.incidents import active_roles, ref, role_history
from bot.incident.phases import phase_states
from bot.incident.playbook import Playbook
from bot.law import clocks
from bot.law.regimes import RegimeBook
from bot.report import care as care_report
from bot.report import chart, metrics, record
from bot.report.events import BOT, Words, actor, describe
from bot.report.export import as_dict, md_escape
from bot.report.pdf import to_pdf
from bot.statements import clients, drafts
from bot.statements.template_context import data_labels, long_date
from bot.text.i18n import catalogue
from bot.text.i18n import text as t
from bot.text.times import format_duration, format_number, zone_named
from storage.models import Incident, Workspace

TEMPLATES = Path(__file__).resolve().parents[2] / "playbooks" / "templates" / "report"
KEY_EVENTS = ("declared", "war_room_opened", "phase_started", "phase_completed", "phase_left_open", "escalated",
              "clocks_changed", "notified", "draft_approved", "clients_imported", "clients_notified", "captured",
              "clock_missed", "closed", "no_harm", "no_harm_withdrawn")  # kinds every report must say in words (the timeline shows them all)
FORMATS = ("md", "html", "pdf", "json")
DURATION_LABELS = {"declare": "to_declare", "assemble": "to_assemble", "contain": "to_contain",
                   "notify": "to_first_notice", "clients": "to_tell_clients", "close": "to_close"}


def labels(lang: str) -> dict[str, str]:
    """The report's headings and words in one language."""
    return {k.removeprefix("report."): v for k, v in catalogue(lang if lang in ("en", "zh") else "en").items()
            if k.startswith("report.")}


def people(session: Session, incident: Incident) -> set[str]:
    """Everyone `build` names (by `name`): who did each thing in the timeline (not the bot) and whom its events
    name, the role holders and who assigned them, the drafts' approvers and the follow-ups' owners; read without building the
    report, so their names can be asked of the platform before the report's transaction."""
    named = {e.actor for e in timeline.events(session, incident)}
    named |= {str(v) for e in timeline.events(session, incident)
              for k, v in (e.data or {}).items() if k in ("user", "owner") and isinstance(v, str)}
    named |= {str(who) for e in timeline.events(session, incident) if e.kind == "management_briefed"
              for who in (e.data or {}).get("to", [])}
    named |= {who for a in role_history(session, incident) for who in (a.user, a.assigned_by)}
    named |= {a["user"] for _, v in drafts.all_drafts(session, incident) for a in v.approvals}
    named |= {f.owner for f in followups.all_of(session, incident)}
    return {user.removeprefix("@") for user in named if user and user != BOT}


def build(session: Session, *, incident: Incident, playbook: Playbook, regimes: RegimeBook,
          firm_profile: frozenset[str], ws: Workspace, lang: str, now: datetime, firm_name: str,
          name: Callable[[str], str] = str) -> dict[str, Any]:
    """Everything the report shows, computed from the database (the timeline is its spine); people by `name`
    (their display name: the roster's [people], else the platform's), never by platform id."""
    tz = ws.timezone
    L = labels(lang)  # noqa: N806 - the templates call it L too

    def when(value: datetime | None) -> str:
        return long_date(value, tz, lang) if value else "—"

    def took(start: datetime | None, end: datetime | None) -> str:
        return format_duration(end - start, lang) if start and end else "—"

    raw = as_dict(session, incident=incident, playbook=playbook, ws=ws, now=now, regimes=regimes,
                  firm_profile=firm_profile, lang=lang)
    events = timeline.events(session, incident)
    facts = incident.facts
    affected = dict(facts.get("affected") or {})
    cause = incident.cause or facts.get("cause")

    times = metrics.key_times(session, incident, regimes)

    phases = []
    bars: list[chart.Bar] = []
    for state in phase_states(session, incident):
        spec = playbook.phase(state.key)
        due = deadlines.get(session, incident_id=incident.id, kind="phase", ref=state.key)
        due_at = due.due_at if due else None
        if state.completed_at and due_at:
            late = state.completed_at - due_at
            status = L["met"] if late.total_seconds() < 60 else L["late_by"].format(late=format_duration(late, lang))
        elif due_at and due_at < (incident.closed_at or now):
            status = L["not_done_overdue"]
        elif incident.closed_at:
            status = L["not_completed"]
        else:
            status = L["open"]
        phases.append({"position": state.position, "title": spec.title(lang),
                       "owner": playbook.roles[spec.owner](lang), "due": when(due_at),
                       "done": when(state.completed_at), "status": status, "note": state.completion_note or ""})
        if due_at:
            bars.append(chart.Bar(label=f"{state.position}. {spec.title(lang)}", start=incident.aware_at,
                                  due=due_at, done=state.completed_at, kind="phase"))

    legal = []
    for row in clocks.rows(session, incident=incident, book=regimes, firm_profile=firm_profile, now=now):
        if row.status == "not_applicable":
            continue
        r = row.result
        title = regimes.clock_title(r.clock_id, lang)
        said = t(lang, f"clocks.status.{row.status}")
        if row.met_at and r.due_at and (row.met_at - r.due_at).total_seconds() >= 60:  # told, but after the deadline
            said = L["notified_late"].format(late=format_duration(row.met_at - r.due_at, lang))
        legal.append({"id": r.clock_id, "title": title, "audience": r.audience_zh if lang == "zh" else r.audience_en,
                      "due": when(r.due_at), "status": said,
                      "met": when(row.met_at), "reference": row.reference or "—", "citation": r.citation(lang),
                      "firm_target": not r.hard_deadline})
        if r.due_at:
            bars.append(chart.Bar(label=r.clock_id, start=incident.aware_at, due=r.due_at, done=row.met_at,
                                  kind="clock"))

    team = [{"role": playbook.roles[role](lang) if role in playbook.roles else role, "user": name(a.user)}
            for role, a in sorted(active_roles(session, incident).items(),
                                  key=lambda kv: list(playbook.roles).index(kv[0]) if kv[0] in playbook.roles else 99)]
    changes = [{"at": when(a.assigned_at), "role": wording.role(playbook, a.role, lang), "user": name(a.user),
                "by": actor(a.assigned_by, lang, name), "ended": when(a.ended_at) if a.ended_at else ""}
               for a in role_history(session, incident)]
    every_draft = drafts.all_drafts(session, incident)
    words = Words(playbook=playbook, regimes=regimes, lang=lang, when=when,
                  draft_kinds={d.number: d.kind for d, _ in every_draft}, name=name)
    for item, event in zip(raw["timeline"], events, strict=True):  # the JSON says each event in words too
        item["description"] = describe(event, words)
    told = record.sections(record.entries(events, words, lambda kind: L.get(f"event.{kind}", kind), when))
    statements = [{"id": f"D-{d.number}", "version": L["version"].format(version=v.version),
                   "kind": wording.name(lang, "draft_kind", d.kind), "lang": wording.name(lang, "lang", d.lang),
                   "status": t(lang, f"draft.status.{v.status}"),
                   "approvals": ", ".join(f"{wording.role(playbook, a['role'], lang)} {name(a['user'])}"
                                          for a in v.approvals) or "—"}
                  for d, v in every_draft]
    summary = clients.counts(clients.register(session, incident))
    follow = [{"id": f"F-{f.number}", "text": f.text, "owner": name(f.owner), "due": when(f.due_at),
               "done": when(f.done_at) if f.done_at else "—"} for f in followups.all_of(session, incident)]
    verification = timeline.verify(session, incident)

    drill_score = None
    if incident.drill:
        assembled = times.at["assemble"]
        on_time = sum(1 for p in phase_states(session, incident) if p.completed_at and (
            (d := deadlines.get(session, incident_id=incident.id, kind="phase", ref=p.key)) and p.completed_at <= d.due_at))
        applicable = [c for c in raw["clocks"] if c["status"] != "not_applicable"]
        drill_score = {"assembled": took(incident.declared_at, assembled) if assembled else L["never"],
                       "phases_on_time": f"{on_time}/{len(phases)}",
                       "clocks_met": f"{sum(1 for c in applicable if c['status'] == 'met')}/{len(applicable)}"}

    return {
        "L": L,
        "lang": lang,
        "firm": firm_name,
        "id": ref(incident),
        "title": incident.title,
        "drill": incident.drill,
        "severity": wording.severity(lang, incident.severity),
        "status": wording.state(lang, incident.status),
        "generated": when(now),
        "zone": t(lang, "report.times_in", zone=zone_named(tz, incident.aware_at, now, lang=lang)),
        "facts": [
            (L["aware_at"], when(incident.aware_at)),
            (L["declared_at"], when(incident.declared_at)),
            (L["closed_at"], when(incident.closed_at)),
            (L["severity"], wording.severity(lang, incident.severity)),
            (L["data"], ("、" if lang == "zh" else ", ").join(data_labels(playbook, list(facts.get("data") or []), lang))
             or "—"),
            (L["affected"], wording.residences(affected, lang) or "—"),
            (L["affected_total"], format_number(sum(affected.values()), lang) if affected else "—"),
            (L["clients"], _clients_affected(facts.get("clients"), summary["total"], lang)),
            (L["encrypted"], _yes_no(facts.get("encrypted"), lang)),
            (L["key_safe"], _yes_no(facts.get("key_safe"), lang)),
            (L["crime"], _yes_no(facts.get("crime_suspected"), lang)),
            (L["contained"], _yes_no(facts.get("contained"), lang)),
            *care_report.fact_rows(incident, lang, when),
        ],
        "durations": [(L[DURATION_LABELS[key]], took(incident.aware_at, times.at[key])) for key in metrics.KEYS],
        "team": team,
        "role_changes": changes,
        **told,
        "phases": phases,
        "clocks": legal,
        "drafts": statements,
        "clients_summary": summary,
        "clients_breakdown": t(lang, "regime_reason.join.clauses").join(part for part in (
            " · ".join(f"{wording.name(lang, 'variant', k)} {n}" for k, n in summary["by_type"].items()),
            wording.residences(summary["by_residence"], lang)) if part),
        "followups": follow,
        "response": care_report.sections(incident, events, playbook, lang, when, approved_updates=sum(
            1 for d, v in every_draft if d.kind == "update" and v.status == "approved"), name=name),
        "cause": playbook.causes[cause](lang) if cause in playbook.causes else "—",
        "lessons": incident.lessons or "—",
        "head_hash": verification.head_hash,
        "head_seq": events[-1].seq if events else 0,
        "intact": verification.intact,
        "events_count": verification.count,
        "drill_score": drill_score,
        "bars": bars,
        "now": now,
        "aware": incident.aware_at,
        "say_time": when,
        "raw": raw,
        "response_json": care_report.as_json(incident),
    }


def _clients_affected(recorded: int | None, registered: int, lang: str) -> str:
    """How many clients are affected, the same number the notification section counts against: the register's,
    once there is one, with the number in the facts (`--clients`, the question) beside it when that differs
    (an estimate before the register, or clients added to it since), so the two never disagree unexplained."""
    if not registered:
        return format_number(recorded, lang) if recorded is not None else "—"
    if recorded is None or recorded == registered:
        return format_number(registered, lang)
    return t(lang, "report.clients_both", registered=format_number(registered, lang),
             recorded=format_number(recorded, lang))


def _yes_no(value: object, lang: str) -> str:
    if value is None:
        return "—"
    return t(lang, "answer.yes" if value else "answer.no")


def _env(autoescape: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                               autoescape=autoescape, trim_blocks=True, lstrip_blocks=True)
    env.filters["md"] = md_escape
    return env


def to_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown."""
    return _env(False).get_template("report.md.j2").render(report)


def to_html(report: dict[str, Any]) -> str:
    """The report as one self-contained HTML page (inline SVG chart, no JavaScript)."""
    L = report["L"]  # noqa: N806
    svg = chart.svg(report["bars"], now=report["now"], title=L["chart_title"],
                    legend=(L["planned"], L["actual"], L["late"]), say_time=report["say_time"],
                    aware=(report["aware"], L["aware_at"]))
    return _env(True).get_template("report.html.j2").render({**report, "chart_svg": svg})


def to_json(report: dict[str, Any]) -> str:
    """The raw record (the export) with the report's computed durations."""
    out = dict(report["raw"])
    out["durations"] = {k: v for k, v in report["durations"]}
    out["head_hash_verified"] = report["intact"]
    out["response"] = report["response_json"]
    return json.dumps(out, ensure_ascii=False, indent=2)


def render(report: dict[str, Any], fmt: str, *, pdf_font: Path | None = None) -> bytes:
    """The report in one of FORMATS."""
    if fmt == "md":
        return to_markdown(report).encode("utf-8")
    if fmt == "html":
        return to_html(report).encode("utf-8")
    if fmt == "json":
        return to_json(report).encode("utf-8")
    if fmt == "pdf":
        return to_pdf(report, font=pdf_font)
    raise ValueError(fmt)
