"""The incident page as data: what a partner, an insurer or outside counsel sees, in one language.

Built on the report's own model (`report.document.build`), so the page and the report never disagree;
this adds what a live page needs: times as ISO for countdowns, the whole timeline with filters,
draft versions side by side with the changes marked, and what is due next. No contacts, ever.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.incident import deadlines, incidents, timeline, wording
from bot.incident.phases import phase_states
from bot.incident.playbook import Playbook
from bot.law.regimes import RegimeBook
from bot.report import chart, document
from bot.report.events import actor as actor_name
from bot.statements import clients, drafts
from bot.text.i18n import catalogue
from bot.text.i18n import text as t
from bot.text.times import format_iso
from storage.models import Incident, Workspace

LANGS = ("en", "zh")
_TOKENS = re.compile(r"[\u3000-\u9fff\uff00-\uffef]|\w+|\s+|[^\w\s]", re.UNICODE)


def words(lang: str) -> dict[str, str]:
    """The page's own words (`page.*` in the catalogue) in one language."""
    return {k.removeprefix("page."): v for k, v in catalogue(lang if lang in LANGS else "en").items()
            if k.startswith("page.")}


def changes(before: str, after: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Two versions as (mark, text) runs: the old side marks what went ('del'), the new side what came ('ins')."""
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    left: list[tuple[str, str]] = []
    right: list[tuple[str, str]] = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            left.append(("same", "".join(old[a1:a2])))
            right.append(("same", "".join(new[b1:b2])))
            continue
        if a2 > a1:
            left.append(("del", "".join(old[a1:a2])))
        if b2 > b1:
            right.append(("ins", "".join(new[b1:b2])))
    return left, right


def _corrected(events: list[Any], W: dict[str, str], when: Callable[[datetime | None], str]) -> dict[int, str]:  # noqa: N803
    """Entries a later one corrected: seq → what the page says under it (which entry, and the new time and why).

    An answer set again (`facts_changed` for the same facts) and a time or reference put right by
    `/breach correct` (a `corrected` event naming the seq) both count; the latest correction is shown.
    """
    latest: dict[str, int] = {}
    corrected: dict[int, str] = {}
    for event in reversed(events):
        if event.kind != "facts_changed":
            continue
        keys = list((event.data or {}).get("set", {}))
        later = [latest[k] for k in keys if k in latest]
        if keys and len(later) == len(keys):
            corrected[event.seq] = W["corrected"].format(seq=min(later))
        for key in keys:
            latest.setdefault(key, event.seq)
    for event in events:
        data = event.data or {}
        if event.kind != "corrected" or not isinstance(data.get("seq"), int):
            continue
        said = W["corrected_time"].format(seq=event.seq, at=when(datetime.fromisoformat(data["to"])),
                                          reason=data.get("reason", ""))
        if data.get("reference"):
            said += " · " + W["corrected_ref"].format(reference=data["reference"])
        corrected[data["seq"]] = said
    return corrected


def build(session: Session, *, incident: Incident, playbook: Playbook, regimes: RegimeBook,
          firm_profile: frozenset[str], ws: Workspace, lang: str, now: datetime, firm_name: str,
          name: Callable[[str], str] = str) -> dict[str, Any]:
    """Everything the incident page shows, from the database, in `lang`; `name` says a person's id as a name."""
    report = document.build(session, incident=incident, playbook=playbook, regimes=regimes, firm_profile=firm_profile,
                            ws=ws, lang=lang, now=now, firm_name=firm_name, name=name)
    L, W = report["L"], words(lang)  # noqa: N806 - short names the template uses too
    tz, when = ws.timezone, report["say_time"]

    def iso(value: datetime | None) -> str:
        return format_iso(value, tz) or ""

    states = phase_states(session, incident)
    current = next(s for s in states if s.key == incident.current_phase)
    holders = {r: a.user for r, a in incidents.active_roles(session, incident).items()}
    due_next = []
    for state in states:
        due = deadlines.get(session, incident_id=incident.id, kind="phase", ref=state.key)
        if state.completed_at is None and due is not None and incident.status == incidents.OPEN:
            due_next.append({"what": f"{state.position}. {playbook.phase(state.key).title(lang)}",
                             "owner": wording.role(playbook, state.owner_role, lang), "due": when(due.due_at),
                             "due_iso": iso(due.due_at), "overdue": due.due_at < now})
    clock_rows = [c for c in report["raw"]["clocks"] if c["status"] != "not_applicable"]
    for row, shown in zip(clock_rows, report["clocks"], strict=True):
        row["title"], row["due_text"], row["met_text"] = shown["title"], shown["due"], shown["met"]
        row["status_text"] = shown["status"]
    due_next.sort(key=lambda d: d["due_iso"])

    events = timeline.events(session, incident)
    corrected = _corrected(events, W, when)
    described = {item["seq"]: item["description"] for item in report["raw"]["timeline"]}
    entries = [{"seq": e.seq, "at": when(e.at), "iso": iso(e.at), "actor": actor_name(e.actor, lang) if e.actor == "breachbot" else name(e.actor), "kind": e.kind,
                "kind_text": L.get(f"event.{e.kind}", e.kind.replace("_", " ")), "text": described.get(e.seq, e.text),
                "correction": corrected.get(e.seq, "")} for e in events]
    kinds = sorted({(e["kind"], e["kind_text"]) for e in entries}, key=lambda k: k[1])

    statements = []
    for draft, _latest in drafts.all_drafts(session, incident):
        versions = drafts.versions(session, draft)
        shown = []
        for i, v in enumerate(versions):
            before = versions[i - 1].text if i else None
            left, right = changes(before, v.text) if before is not None else ([], [("same", v.text)])
            shown.append({"version": v.version, "status": v.status, "status_text": L["version"].format(
                version=v.version) + " · " + catalogue(lang).get(f"draft.status.{v.status}", v.status),
                "by": name(v.created_by), "at": when(v.created_at), "left": left, "right": right,
                "gaps": len(v.gaps), "gaps_text": t(lang, "page.gaps", count=len(v.gaps)),
                "approvals": [{"role": wording.role(playbook, a["role"], lang), "user": name(a["user"]),
                                                      "at": when(datetime.fromisoformat(a["at"])) if a.get("at") else ""}
                                                     for a in v.approvals]})
        statements.append({"id": f"D-{draft.number}", "kind": wording.name(lang, "draft_kind", draft.kind),
                           "lang": wording.name(lang, "lang", draft.lang), "versions": shown, "latest": shown[-1],
                           "previous": shown[-2] if len(shown) > 1 else None})

    register = clients.register(session, incident)
    client_rows = [{"n": i, "name": clients.shown_name(c),
                    "kind": wording.name(lang, "variant", c.kind), "residence": c.residence,
                    "told": when(c.notified_at) if c.notified_at else ""}
                   for i, c in enumerate(register, start=1)]

    svg = chart.svg(report["bars"], now=now, title=L["chart_title"], legend=(L["planned"], L["actual"], L["late"]),
                    say_time=when)
    return {
        **{k: report[k] for k in ("L", "lang", "firm", "id", "title", "drill", "severity", "status", "facts",
                                  "durations", "phases", "clients_summary", "clients_breakdown",
                                  "cause", "lessons", "head_hash", "intact", "events_count")},
        "W": W,
        "followups": [{**f, "owner": name(f["owner"])} for f in report["followups"]],
        "number": incident.number,
        "open": incident.status == incidents.OPEN,
        "severity_key": incident.severity,
        "phase": {"position": current.position, "total": len(states), "title": playbook.phase(current.key).title(lang)},
        "lead": name(holders["lead"]) if "lead" in holders else "",
        "times": [(L["aware_at"], when(incident.aware_at)), (L["declared_at"], when(incident.declared_at)),
                  (L["closed_at"], when(incident.closed_at))],
        "roles": [{"role": role(lang), "user": name(holders[key]) if key in holders else ""}
                  for key, role in playbook.roles.items()],
        "due_next": due_next,
        "clocks": clock_rows,
        "timeline": entries,
        "kinds": kinds,
        "drafts": statements,
        "clients": client_rows,
        "chart_svg": svg,
        "response": report["response"],
        "now_iso": iso(now),
        "generated": when(now),
    }
