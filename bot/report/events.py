"""Timeline events in words, in the report's language.

An event's stored `text` is part of the hash chain and stays as it was written (often English
and codes: "D-2 v1 by executive", "phase:investigation"). The report says each event again
from its kind and data, through the catalogue (`report.event_text.*`); people's own words
(titles, notes, decisions, reasons) are shown as they typed them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.incident import wording
from bot.incident.answers import show
from bot.incident.changes import Amount
from bot.incident.playbook import Playbook
from bot.law.regimes import RegimeBook
from bot.text.i18n import catalogue
from bot.text.i18n import text as t
from storage.models import TimelineEvent

P = "report.event_text."
BOT = "breachbot"


@dataclass(frozen=True)
class Words:
    """What describing events needs: the playbook and regimes for names, a way to say times, the drafts' kinds."""

    playbook: Playbook
    regimes: RegimeBook
    lang: str
    when: Callable[[datetime], str]
    draft_kinds: Mapping[int, str]
    name: Callable[[str], str] = str  # a person's id as their display name (roster, platform)


def roster_names(people: Mapping[str, str], ask: Callable[[str], str] | None = None) -> Callable[[str], str]:
    """How a record read outside a command (the command line's export, the incident page) names a person: the
    roster's [people] name, else the platform's (`ask`, which may fail: then the id), else the id (`@id` keeps
    its @)."""

    def name(user: str) -> str:
        at, bare = ("@", user[1:]) if user.startswith("@") else ("", user)
        if bare in people:
            return at + people[bare]
        try:
            return at + ((ask(bare) if ask else None) or bare)
        except Exception:  # a platform hiccup names the person by id; the record still shows
            return at + bare

    return name


def actor(name: str, lang: str, name_of: Callable[[str], str] = str) -> str:
    """Who did it, by display name (`name_of`); the bot itself is named in the report's language."""
    return t(lang, "report.bot_actor") if name == BOT else name_of(name)


def describe(event: TimelineEvent, w: Words) -> str:
    """One event as the report says it."""
    said = _DESCRIBE.get(event.kind)
    if said is not None:
        try:
            return said(event, event.data or {}, w)
        except (KeyError, TypeError, ValueError):  # an older or unexpected record: show what it stored
            pass
    return event.text


def _t(w: Words, key: str, **values: Any) -> str:
    return t(w.lang, P + key, **values)


def _phase(w: Words, key: str) -> str:
    try:
        return _t(w, "phase", position=w.playbook.position(key), phase=w.playbook.phase(key).title(w.lang))
    except (KeyError, ValueError):
        return key


def _clock(w: Words, clock_id: str) -> str:
    regime = w.regimes.regimes.get(clock_id.split("/")[0])
    return _t(w, "clock", title=w.regimes.clock_title(clock_id, w.lang), clock=clock_id) if regime else clock_id


def _with_note(w: Words, what: str, text: str, key: str) -> str:
    """`text` is '<key>: <note>' or '<key>': the note is the person's words, kept."""
    note = text.split(": ", 1)[1] if text.startswith(f"{key}: ") else ""
    return _t(w, "with_reason", what=what, reason=note) if note else what


def _when_iso(w: Words, raw: str | None) -> str:
    return w.when(datetime.fromisoformat(raw)) if raw else "—"


def _draft(w: Words, data: Mapping[str, Any]) -> str:
    kind = w.draft_kinds.get(int(data["draft"]), "")
    return _t(w, "draft", id=f"D-{data['draft']}", version=data["version"],
              kind=wording.name(w.lang, "draft_kind", kind) if kind else "—")


def _phase_completed(e: TimelineEvent, d: Mapping[str, Any], w: Words) -> str:
    what = _t(w, "on_time" if d.get("on_time") else "late", phase=_phase(w, d["phase"]))
    return _with_note(w, what, e.text, d["phase"])


def _phase_due_moved(e: TimelineEvent, d: Mapping[str, Any], w: Words) -> str:
    """A completed phase's target moved with the awareness time: from, to, and whether it now counts as on time."""
    return _t(w, "phase_due_moved", phase=_phase(w, d["phase"]), before=_when_iso(w, d.get("from")),
              after=_when_iso(w, d.get("to")), verdict=_t(w, "now_on_time" if d.get("on_time") else "now_late"))


def _left_open(e: TimelineEvent, d: Mapping[str, Any], w: Words) -> str:
    what = _t(w, "left_open", phase=_phase(w, d["phase"]), count=d["open_tasks"])
    return _with_note(w, what, e.text, d["phase"])


def _clocks_changed(e: TimelineEvent, d: Mapping[str, Any], w: Words) -> str:
    return t(w.lang, "regime_reason.join.clauses").join(
        _t(w, f"clock_{c['change']}", clock=_clock(w, c["clock"]), due=_when_iso(w, c.get("due_at")))
        for c in d["changes"])


def _notified(e: TimelineEvent, d: Mapping[str, Any], w: Words) -> str:
    clock_id = d["clock"]
    regime = w.regimes.regimes.get(clock_id.split("/")[0])
    spec = next((c for c in regime.clocks if f"{regime.key}/{c.id}" == clock_id), None) if regime else None
    said = _t(w, "notified", clock=_clock(w, clock_id), audience=spec.audience(w.lang) if spec else "—")
    return _t(w, "with_reference", what=said, ref=d["reference"]) if d.get("reference") else said


def _alert(e: TimelineEvent, d: Mapping[str, Any], w: Words) -> str:
    """A reminder or escalation: what was due, and when ('phase:investigation' in the stored text)."""
    kind, ref = e.text.split(":", 1)
    due = _when_iso(w, d.get("due_at"))
    if kind == "phase":
        return _t(w, "due", what=_phase(w, ref), due=due)
    if kind == "regime":
        return _t(w, "due", what=_clock(w, ref), due=due)
    if kind == "role":
        return wording.role(w.playbook, ref, w.lang)
    if kind == "question":
        return w.playbook.question(ref).text(w.lang)
    if kind == "client":  # a client's contractual notice (the register's notice_hours)
        return _t(w, "due", what=_t(w, "contract_notice"), due=due)
    if kind == "client_update":  # the progress-update cadence (care.UPDATE), `U-1`: the update's number
        return _t(w, "due", what=_t(w, "progress_update", id=ref), due=due)
    return _t(w, "due", what=ref, due=due) if kind == "followup" else ref


def _closed(e: TimelineEvent, d: Mapping[str, Any], w: Words) -> str:
    cause = w.playbook.causes[d["cause"]](w.lang) if d.get("cause") in w.playbook.causes else "—"
    return _t(w, "closed", cause=cause, lessons=e.text or "—")


def _facts(e: TimelineEvent, d: Mapping[str, Any], w: Words) -> str:
    """Facts set by /breach facts in words; an answer to a question as the question and its answer."""
    said = []
    # `answer:<question>:unknown` (or `:not_applicable`): the fact was cleared, the answer said so in words
    extra = str(d.get("via", "")).split(":")[2:3]
    titles = {task.key: task.text(w.lang) for phase in w.playbook.phases for task in phase.tasks}
    for key, value in d["set"].items():
        if key == "measures" and isinstance(value, list):  # the tasks' titles in the report's language, not keys
            value = [titles.get(str(v), str(v)) for v in value]
        words = wording.fact(key, value, w.lang, when=w.when)
        spec = next((q for q in w.playbook.questions() if q.sets == key), None)
        if words is None and spec is not None:
            shown = (t(w.lang, f"answer.said.{extra[0]}") if value is None and extra
                     else w.when(datetime.fromisoformat(value)) if spec.type == "datetime" and isinstance(value, str)
                     else show(spec, value, w.lang))
            words = _t(w, "answer", question=spec.text(w.lang), answer=shown)
        said.append(words or f"{key}={value}")
    return t(w.lang, "regime_reason.join.clauses").join(said)


_DESCRIBE: dict[str, Callable[[TimelineEvent, Mapping[str, Any], Words], str]] = {
    "declared": lambda e, d, w: e.text,
    "war_room_opened": lambda e, d, w: f"#{d['room']}",
    "phase_started": lambda e, d, w: _phase(w, d["phase"]),
    "phase_completed": _phase_completed,
    "phase_due_moved": _phase_due_moved,
    "phase_left_open": _left_open,
    "clocks_changed": _clocks_changed,
    "notified": _notified,
    "no_harm": lambda e, d, w: _t(w, "no_harm", regime=w.regimes.regimes[d["regime"]].title(w.lang), by=d["by"],
                                  reason=d["reason"]),
    "no_harm_withdrawn": lambda e, d, w: _t(w, "no_harm_withdrawn", regime=w.regimes.regimes[d["regime"]].title(w.lang),
                                            by=d["by"], decided_by=d["decided_by"], reason=d["reason"]),
    "draft_created": lambda e, d, w: _draft(w, d),
    "draft_edited": lambda e, d, w: _draft(w, d),
    "draft_signed": lambda e, d, w: _t(w, "approved_as", what=_draft(w, d),
                                       roles=wording.roles(w.playbook, d["roles"], w.lang)),
    "draft_approved": lambda e, d, w: _t(w, "approved_as", what=_draft(w, d),
                                         roles=wording.roles(w.playbook, d["roles"], w.lang)),
    "clients_imported": lambda e, d, w: _t(w, "clients", count=d["count"]),
    "clients_notified": lambda e, d, w: _t(w, "clients_told", count=d["count"],
                                           via=wording.name(w.lang, "via", d["via"])),
    "letters_merged": lambda e, d, w: _t(w, "letters", count=d["count"]),
    "role_assigned": lambda e, d, w: _t(w, "role", role=wording.role(w.playbook, d["role"], w.lang), user=w.name(d["user"])),
    "role_ended": lambda e, d, w: _t(w, "role", role=wording.role(w.playbook, d["role"], w.lang), user=w.name(d["user"])),
    "task_done": lambda e, d, w: _with_note(w, _t(w, "task", phase=_phase(w, d["phase"]), task=next(
        x.text(w.lang) for x in w.playbook.phase(d["phase"]).tasks if x.key == d["task"])), e.text,
        f"{d['phase']}.{d['task']}"),
    "snoozed": lambda e, d, w: _t(w, "with_reason", what=_t(w, "due", what=_phase(w, d["phase"]),
                                                            due=_when_iso(w, d["until"])), reason=d["reason"]),
    "facts_changed": _facts,
    "asked": lambda e, d, w: t(w.lang, "regime_reason.join.list").join(
        w.playbook.question(k).text(w.lang) for k in d["questions"]),
    "followup_added": lambda e, d, w: _t(w, "followup", id=f"F-{d['number']}", owner=w.name(d["owner"]),
                                         text=e.text.split(": ", 1)[-1], due=_when_iso(w, d["due_at"])),
    "followup_done": lambda e, d, w: f"F-{d['number']}",
    "management_briefed": lambda e, d, w: t(w.lang, "regime_reason.join.list").join(w.name(p) for p in d["to"]),
    "closed": _closed,
    "cost_recorded": lambda e, d, w: " · ".join(
        [Amount(Decimal(d["amount"]), d["currency"]).show(), t(w.lang, "names.cost." + d["category"]), *([e.text] if e.text else [])]),
    "corrected": lambda e, d, w: _t(w, "corrected", seq=d["seq"], kind=catalogue(w.lang).get(
        f"report.event.{d['kind']}", d["kind"]), before=_when_iso(w, d["from"]), after=_when_iso(w, d["to"]),
        reason=d["reason"]),
    "link_created": lambda e, d, w: _t(w, "link", link=d["link"], who=d["for"] or "—",
                                       until=_when_iso(w, d["expires_at"])),
    "link_revoked": lambda e, d, w: _t(w, "link_revoked", link=d["link"], who=d["for"] or "—"),
    "link_opened": lambda e, d, w: _t(w, "link_opened", link=d["link"], who=d["for"] or "—", where=d["from"]),
    **dict.fromkeys(("reminder_sent", "escalated", "asked_again", "question_escalated", "role_prompted",
                     "clock_reminder", "clock_missed", "followup_reminder", "followup_missed",
                     "client_notice_reminder", "client_notice_missed", "update_reminder", "update_due"), _alert),
}
KINDS = frozenset(_DESCRIBE) | {"decision", "note", "captured"}  # these three are people's own words, as typed
