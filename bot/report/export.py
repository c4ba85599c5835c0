"""An incident as data (JSON) or as a short Markdown summary, straight from the database."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot.incident import deadlines, timeline
from bot.incident.incidents import ref, role_history
from bot.incident.phases import phase_states, task_states
from bot.incident.playbook import Playbook
from bot.law import clocks, coverage
from bot.law.reasons import as_data, render
from bot.law.regimes import RegimeBook
from bot.report import metrics
from bot.statements import clients, drafts
from bot.text.times import format_iso
from storage.models import Incident, Workspace


def as_dict(session: Session, *, incident: Incident, playbook: Playbook, ws: Workspace, now: datetime,
            regimes: RegimeBook | None = None, firm_profile: frozenset[str] = frozenset(),
            lang: str | None = None) -> dict[str, Any]:
    """Everything the record holds about an incident; times as ISO-8601 in the workspace timezone.

    Texts (phase titles, why a clock applies) are in `lang`, the workspace's language by default.
    """
    tz, lang = ws.timezone, lang or ws.lang

    def iso(value: datetime | None) -> str | None:
        return format_iso(value, tz)

    phases = []
    for state in phase_states(session, incident):
        d = deadlines.get(session, incident_id=incident.id, kind="phase", ref=state.key)
        due_at = d.due_at if d else None
        if state.completed_at is not None:
            status = "met" if due_at is None or state.completed_at <= due_at else "late"
        elif incident.status != "open":
            status = "not_completed"
        elif due_at is not None and due_at < now:
            status = "overdue"
        else:
            status = "active" if state.key == incident.current_phase else ("started" if state.started_at else "pending")
        phases.append({
            "key": state.key,
            "title": playbook.phase(state.key).title(lang),
            "position": state.position,
            "owner_role": state.owner_role,
            "due_at": iso(due_at),
            "started_at": iso(state.started_at),
            "completed_at": iso(state.completed_at),
            "completion_note": state.completion_note,
            "status": status,
            "tasks": [{"key": x.key, "done": x.done_at is not None, "done_by": x.done_by, "done_at": iso(x.done_at),
                       "note": x.note} for x in task_states(session, incident, state.key)],
        })
    events = timeline.events(session, incident)
    legal = []
    if regimes is not None:
        for row in clocks.rows(session, incident=incident, book=regimes, firm_profile=firm_profile, now=now):
            r = row.result
            legal.append({"id": r.clock_id, "regime": r.regime_key,
                          "audience": r.audience_zh if lang == "zh" else r.audience_en,
                          "applies": r.applies, "status": row.status, "due_at": iso(r.due_at),
                          "hard_deadline": r.hard_deadline, "met_at": iso(row.met_at), "reference": row.reference,
                          "reason": render(r.reason, lang), "reason_code": as_data(r.reason),
                          "citation": r.citation(lang)})
    # what no clock speaks for: people with no US state, places not modelled (silence is never "no duty")
    gaps = [] if regimes is None else [
        {"place": g.place, "kind": g.kind, "people": g.count, "note": g.note(lang) if g.note else None}
        for g in coverage.gaps(regimes, dict(incident.facts.get("affected") or {}), everything=False)]
    times = metrics.key_times(session, incident, regimes)
    register = clients.register(session, incident)
    summary = clients.counts(register)
    statements = [{"id": f"D-{d.number}", "kind": d.kind, "lang": d.lang, "version": v.version, "status": v.status,
                   "approved_by": [a["user"] for a in v.approvals] if v.status == "approved" else [],
                   "approvals": v.approvals, "gaps": v.gaps}
                  for d, v in drafts.all_drafts(session, incident)]
    return {
        "id": ref(incident),
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "drill": incident.drill,
        "playbook": incident.playbook,
        "timezone": tz,
        "aware_at": iso(incident.aware_at),
        "declared_at": iso(incident.declared_at),
        "closed_at": iso(incident.closed_at),
        "declared_by": incident.declared_by,
        "war_room": incident.war_room,
        "current_phase": incident.current_phase,
        "cause": incident.cause,
        "lessons": incident.lessons,
        "facts": incident.facts,
        "roles": [{"role": a.role, "user": a.user, "assigned_at": iso(a.assigned_at), "assigned_by": a.assigned_by,
                   "ended_at": iso(a.ended_at)} for a in role_history(session, incident)],
        "phases": phases,
        "clocks": legal,
        "not_modelled": gaps,
        "drafts": statements,
        "clients": {"total": summary["total"], "notified": summary["notified"], "by_type": summary["by_type"],
                    "by_residence": summary["by_residence"]},
        "client_clocks": [{"client": clients.shown_name(c), "notice_hours": c.notice_hours,
                           "due_at": iso(incident.aware_at + timedelta(hours=c.notice_hours)),
                           "notified_at": iso(c.notified_at),
                           "status": "met" if c.notified_at and c.notified_at <= incident.aware_at
                           + timedelta(hours=c.notice_hours) else "late" if c.notified_at else "pending"}
                          for c in register if c.notice_hours is not None],
        "key_times": {k: {"at": iso(times.at[k]), "hours_from_aware": h} for k, h in times.hours().items()},
        "timeline": [{"seq": e.seq, "at": iso(e.at), "actor": e.actor, "kind": e.kind, "text": e.text,
                      "data": e.data, "hash": e.hash} for e in events],
        "head_hash": events[-1].hash if events else timeline.GENESIS,
    }


def as_json(data: dict[str, Any]) -> str:
    """Stable, readable JSON (non-ASCII kept as is)."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)


# What Markdown reads as markup inside a line, and only that: code, emphasis, links and images, HTML and autolinks,
# table cells, strikethrough; a backslash that would escape what follows it (or end the line: a hard break); an
# entity (&amp;); underscores except inside a word (a_b is never emphasis). Parentheses, #, !, + and the like are
# plain text there, so the report reads as typed ("Payroll sheet (Q4)", not "\\(Q4\\)").
_MD_INLINE = re.compile(r"\\(?=[!-/:-@\[-`{-~]|$)|[`*\[\]<|~]|&(?=#?[0-9A-Za-z]+;)|_+")
# What starts a block when it opens a line (a list item's text, the firm's name): a heading ("# " but not
# "#breach-1"), a quote, a list item ("- ", "+ ", "1. ", "1) "), a thematic break ("---", or "--" after a list item's "- ").
_MD_BLOCK = re.compile(r"#{1,6}(?=[ \t]|$)|>|[+-](?=[ \t]|$)|-(?=[ \t-]*$)|\d{1,9}(?=[.)](?:[ \t]|$))")


def md_escape(text: object) -> str:
    """User text made inert in Markdown (no headings, links, emphasis or HTML from what people typed), escaping
    only what Markdown would read as markup, so the forwarded report reads cleanly."""
    # Markdown's line endings (\r\n, \r, \n) become spaces, so typed text never starts a block of its own.
    flat = re.sub(r"\r\n|\r|\n", " ", str(text)).strip()

    def escaped(match: re.Match[str]) -> str:
        found = match.group()
        if found[0] != "_":
            return "\\" + found
        before, after = flat[match.start() - 1:match.start()], flat[match.end():match.end() + 1]
        return found if before.isalnum() and after.isalnum() else "\\_" * len(found)

    out = _MD_INLINE.sub(escaped, flat)
    start = _MD_BLOCK.match(out)
    if start is None:
        return out
    cut = start.end() if start.group()[0].isdigit() else 0
    return out[:cut] + "\\" + out[cut:]
