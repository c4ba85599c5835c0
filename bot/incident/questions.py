"""Guided prompts: the playbook's questions are asked when their phase starts, asked again until
answered, then escalated; every answer (or fact set by command) updates the incident's facts in
one transaction with its timeline event, and moves the deadlines that depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.errors import UserError
from bot.incident import deadlines, timeline
from bot.incident.answers import NOT_APPLICABLE, UNKNOWN, extra, named, parse_answer, show
from bot.incident.incidents import OPEN, active_roles, require_open
from bot.incident.playbook import Playbook, QuestionSpec
from bot.text.facts import narrow, whole_number
from bot.text.i18n import catalogue
from bot.text.i18n import text as t
from storage.models import Deadline, Incident, QuestionState, Workspace

QUESTION, ROLE = "question", "role"


@dataclass
class FactChange:
    """What an answer or command changed."""

    changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    answered: list[str] = field(default_factory=list)  # question keys now answered
    phases_moved: bool = False
    answered_before: bool = False  # the question had an answer already (this one replaces it)


def _states(session: Session, incident: Incident) -> dict[str, QuestionState]:
    return {q.key: q for q in session.exec(select(QuestionState).where(QuestionState.incident_id == incident.id))}


def _state(session: Session, incident: Incident, key: str) -> QuestionState:
    found = _states(session, incident).get(key)
    if found is None:
        found = QuestionState(incident_id=incident.id, key=key)
        session.add(found)
        session.flush()
    return found


def current_value(incident: Incident, fact: str) -> Any:
    """A fact's value as stored (aware_at from its column)."""
    if fact == "aware_at":
        return incident.aware_at.isoformat()
    return incident.facts.get(fact)


def ask_phase(session: Session, *, incident: Incident, playbook: Playbook, phase_key: str,
              now: datetime) -> list[QuestionSpec]:
    """Ask a phase's questions not yet known; returns the ones to post."""
    asked = []
    states = _states(session, incident)
    for spec in playbook.phase(phase_key).questions:
        state = states.get(spec.key) or _state(session, incident, spec.key)
        if state.asked_at is not None or state.answered_at is not None or moot(spec, incident):
            continue
        state.asked_at, state.times_asked = now, 1
        session.add(state)
        due = now + spec.every * spec.times
        deadlines.schedule(session, incident_id=incident.id, kind=QUESTION, ref=spec.key, due_at=due,
                           remind_before=None, now=now,
                           reminders_at=[now + spec.every * i for i in range(1, spec.times)])
        asked.append(spec)
    if asked:
        timeline.append(session, incident=incident, actor="breachbot", kind="asked", now=now,
                        text=", ".join(s.key for s in asked), data={"questions": [s.key for s in asked]})
    return asked


def moot(spec: QuestionSpec, incident: Incident) -> bool:
    """Whether the facts recorded make the question pointless (no key to keep safe when nothing was encrypted)."""
    return bool(spec.unless) and all(current_value(incident, f) == v for f, v in spec.unless.items())


def _moot(playbook: Playbook, spec: QuestionSpec, incident: Incident, lang: str) -> str:
    """Why a question does not apply (the answers that make it pointless) and what to do instead."""
    setters = [q for q in playbook.questions() if q.sets in spec.unless]
    because = ("；" if lang == "zh" else "; ").join(
        t(lang, "answer.moot_because", key=named(playbook, q, lang), question=q.text(lang),
          value=show(q, current_value(incident, q.sets), lang)) for q in setters)
    return t(lang, "answer.moot", key=named(playbook, spec, lang), because=because,
             again=", ".join(named(playbook, q, lang) for q in setters))


def times_asked(session: Session, *, incident: Incident, key: str) -> int:
    """How many times a question has been delivered so far."""
    return _state(session, incident, key).times_asked


def record_reask(session: Session, *, incident: Incident, key: str) -> int:
    """Count one more asking of a question; returns how many times it has been asked."""
    state = _state(session, incident, key)
    state.times_asked += 1
    session.add(state)
    return state.times_asked


def prompt_roles(session: Session, *, incident: Incident, playbook: Playbook, now: datetime) -> None:
    """Put a clock on each role that must not stay empty and is empty now."""
    held = active_roles(session, incident)
    after = playbook.role_prompts.after
    for role in playbook.role_prompts.roles:
        if role not in held:
            deadlines.schedule(session, incident_id=incident.id, kind=ROLE, ref=role, due_at=now + after,
                               remind_before=None, now=now)


def role_filled(session: Session, *, incident: Incident, role: str, now: datetime) -> None:
    """A role got a holder: its empty-role prompt is no longer needed."""
    deadline = deadlines.get(session, incident_id=incident.id, kind=ROLE, ref=role)
    if deadline is not None and deadline.met_at is None:
        deadlines.meet(session, deadline, at=now)


def find(playbook: Playbook, ref: str, lang: str) -> QuestionSpec:
    """A question by key or by its number in the playbook."""
    specs = playbook.questions()
    ref = ref.strip().lower().lstrip("q#")
    if position := whole_number(ref, limit=len(specs)):
        return specs[position - 1]
    for spec in specs:
        if spec.key == ref:
            return spec
    titled = [spec for spec in specs if _folded(ref) in titles(spec)]
    if len(titled) == 1:
        return titled[0]
    # A word of the question as the bot shows it (`知悉` → “事务所最早是什么时候知悉的？”), when only one has it.
    if len(ref) >= 2:
        meant = [spec for spec in specs if any(ref in spec.text(shown).lower() for shown in ("zh", "en"))]
        if len(meant) == 1:
            return meant[0]
    keys = f"Q1–Q{len(specs)}" if lang == "zh" else ", ".join(s.key for s in specs)  # zh: what the bot shows
    raise UserError(t(lang, "answer.unknown", value=ref, keys=keys))


def _folded(text: str) -> str:
    return "".join(ch for ch in narrow(text).casefold() if ch.isalnum())


def titles(spec: QuestionSpec) -> set[str]:
    """What a question is called where the bot shows it, in both languages (folded): its text, and the names of
    the fact it sets in drafts' gaps (`泄露是否已控制`), the report (`密钥是否安全`) and /breach facts flags."""
    names = [spec.text(lang) for lang in ("zh", "en")]
    for lang in ("zh", "en"):
        shown = catalogue(lang)
        names += [shown.get(f"draft.fact.{spec.sets}", ""), shown.get(f"report.{spec.key}", ""),
                  shown.get(f"report.{spec.sets}", "")]
        for key in (spec.key, spec.sets):
            names += shown.get(f"flag_names.{key}", "").split("/")
    return {folded for name in names if (folded := _folded(name))}


def open_questions(session: Session, *, incident: Incident, playbook: Playbook) -> list[tuple[int, QuestionSpec]]:
    """Asked and not answered, with their numbers."""
    states = _states(session, incident)
    return [(i, spec) for i, spec in enumerate(playbook.questions(), start=1)
            if (s := states.get(spec.key)) and s.asked_at is not None and s.answered_at is None]


def last_asked(session: Session, *, incident: Incident, playbook: Playbook,
               types: frozenset[str]) -> list[tuple[int, QuestionSpec]]:
    """The open questions of these types asked most recently (several asked at the same moment), numbered."""
    states = _states(session, incident)
    candidates = [(states[spec.key].asked_at, number, spec) for number, spec in open_questions(
        session, incident=incident, playbook=playbook) if spec.type in types]
    if not candidates:
        return []
    latest = max(at for at, _, _ in candidates)
    return sorted(((number, spec) for at, number, spec in candidates if at == latest), key=lambda x: x[0])


def answer(session: Session, *, incident: Incident, playbook: Playbook, ws: Workspace, ref: str, raw: str,
           actor: str, now: datetime) -> tuple[QuestionSpec, Any, FactChange]:
    """Answer a question: validate, set its fact, close its clock; a later answer supersedes."""
    lang = ws.lang
    spec = find(playbook, ref, lang)
    if spec.sets == "aware_at":  # after close too, the facts the notices still owed need (not when it began)
        require_open(incident, lang)
    value = parse_answer(spec, raw, now=now, tz=ws.timezone, lang=lang, name=named(playbook, spec, lang),
                         playbook=playbook)
    said = extra(spec, value)  # n/a or unknown: nothing is known, so the fact is cleared
    if moot(spec, incident) and said != NOT_APPLICABLE:  # key_safe once the data was not encrypted
        raise UserError(_moot(playbook, spec, incident, lang))
    before = _states(session, incident).get(spec.key)
    answered_before = before is not None and before.answered_at is not None and not (before.answer or {}).get("moot")
    if not said and spec.sets == "cause" and value not in playbook.causes:
        raise UserError(t(lang, "error.cause", value=value, choices=", ".join(playbook.causes)))
    change = set_facts(session, incident=incident, playbook=playbook, changes={spec.sets: None if said else value},
                       actor=actor, now=now, lang=lang, via=f"answer:{spec.key}" + (f":{said}" if said else ""),
                       still_open=(spec.key,) if said == UNKNOWN else (), after_close=True)
    change.answered_before = answered_before
    return spec, value, change


def set_facts(session: Session, *, incident: Incident, playbook: Playbook, changes: dict[str, Any], actor: str,
              now: datetime, lang: str, via: str, still_open: tuple[str, ...] = (),
              after_close: bool = False) -> FactChange:
    """Change incident facts, log them, mark the questions they answer (but those `still_open`: answered
    "unknown", they are asked again), move dependent deadlines. `after_close`: a closed incident takes them too
    (the facts the notices still owed need), logged as recorded after the close."""
    closed = incident.status != OPEN
    if not after_close or incident.drill:
        require_open(incident, lang)
    result = FactChange()
    facts = dict(incident.facts)
    for fact, value in changes.items():
        old = current_value(incident, fact)
        if fact == "aware_at":
            when = datetime.fromisoformat(value)
            if when > now:
                raise UserError(t(lang, "answer.future"))
            if when != incident.aware_at:
                incident.aware_at = when
                result.phases_moved = True
        else:
            facts[fact] = value
        if old != value:
            result.changed[fact] = (old, value)
    incident.facts = facts
    session.add(incident)
    if result.phases_moved:
        _move_phase_deadlines(session, incident=incident, playbook=playbook, now=now, actor=actor)
    result.answered = mark_answered(session, incident=incident, playbook=playbook, values=changes, actor=actor,
                                    now=now, still_open=still_open)
    timeline.append(session, incident=incident, actor=actor, kind="facts_changed", now=now,
                    text=", ".join(f"{k}={_short(v)}" for k, v in changes.items()),
                    data={"via": via, "changes": {k: {"from": o, "to": n} for k, (o, n) in result.changed.items()},
                          "set": changes, **({"after_close": True} if closed else {})})
    return result


def mark_answered(session: Session, *, incident: Incident, playbook: Playbook, values: dict[str, Any], actor: str,
                  now: datetime, still_open: tuple[str, ...] = ()) -> list[str]:
    """Mark the questions whose facts `values` gives as answered (and stop asking them); their keys."""
    states = _states(session, incident)
    answered = []
    for spec in playbook.questions():
        if spec.key in still_open:
            continue
        if spec.sets in values:
            state = states.get(spec.key) or _state(session, incident, spec.key)
            state.answered_at, state.answered_by = now, actor
            state.answer = {"value": values[spec.sets]}
            session.add(state)
            answered.append(spec.key)
            clock = deadlines.get(session, incident_id=incident.id, kind=QUESTION, ref=spec.key)
            if clock is not None and clock.met_at is None:
                deadlines.meet(session, clock, at=now)
        elif (state := states.get(spec.key)) and state.asked_at and state.answered_at is None and moot(spec, incident):
            # Asked before the facts made it pointless: no longer open, no more reminders.
            state.answered_at, state.answered_by, state.answer = now, actor, {"value": None, "moot": spec.unless}
            session.add(state)
            clock = deadlines.get(session, incident_id=incident.id, kind=QUESTION, ref=spec.key)
            if clock is not None and clock.met_at is None:
                deadlines.meet(session, clock, at=now)
    return answered


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 200 else text[:200] + "…"


def _move_phase_deadlines(session: Session, *, incident: Incident, playbook: Playbook, now: datetime,
                          actor: str) -> None:
    """aware_at changed: every phase target counts from the new moment, those of completed phases too (whether a
    phase was done on time is judged against its target as it now stands, and the timeline says it moved)."""
    rows = session.exec(select(Deadline).where(Deadline.incident_id == incident.id, Deadline.kind == "phase"))
    for deadline in list(rows):
        spec = playbook.phase(deadline.ref)
        before, after = deadline.due_at, incident.aware_at + spec.due
        deadlines.move(session, deadline, due_at=after, remind_before=spec.remind_before, now=now)
        if deadline.met_at is not None and before != after:
            timeline.append(session, incident=incident, actor=actor, kind="phase_due_moved", now=now,
                            text=f"{deadline.ref}: {before.isoformat()} -> {after.isoformat()}",
                            data={"phase": deadline.ref, "from": before.isoformat(), "to": after.isoformat(),
                                  "on_time": deadline.met_at <= after,
                                  "was_on_time": deadline.met_at <= before})

