"""Phases and their checklists: done tasks, moving the team's attention, closing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.chat import Mention
from bot.errors import UserError
from bot.incident import deadlines, names, timeline
from bot.incident.incidents import CLOSED, check_text, require_open
from bot.incident.playbook import Playbook
from bot.text.facts import whole_number
from bot.text.i18n import message
from bot.text.i18n import text as t
from storage.models import Alert, Incident, PhaseState, TaskState


def phase_states(session: Session, incident: Incident) -> list[PhaseState]:
    """All phases of an incident in playbook order."""
    return list(session.exec(select(PhaseState).where(PhaseState.incident_id == incident.id)
                             .order_by(col(PhaseState.position))))


def task_states(session: Session, incident: Incident, phase_key: str | None = None) -> list[TaskState]:
    """Tasks of one phase (or all), in order."""
    stmt = select(TaskState).where(TaskState.incident_id == incident.id)
    if phase_key:
        stmt = stmt.where(TaskState.phase_key == phase_key)
    rows = list(session.exec(stmt))
    order = {p.key: p.position for p in phase_states(session, incident)}
    return sorted(rows, key=lambda r: (order.get(r.phase_key, 0), r.position))


def find_phase(playbook: Playbook, target: str, lang: str) -> str:
    """A phase key from a key or a 1-based number."""
    keys = [p.key for p in playbook.phases]
    if position := whole_number(target, limit=len(keys)):
        return keys[position - 1]
    if target in keys:
        return target
    listing = ", ".join(f"{i} {p.title(lang) if lang == 'zh' else p.key}" for i, p in enumerate(playbook.phases, start=1))
    raise UserError(t(lang, "error.unknown_phase", value=target, choices=listing))


def find_task(session: Session, *, incident: Incident, playbook: Playbook, ref: str, lang: str) -> TaskState:
    """A task from 'N' (current phase), 'P.N' (phase P) or its key."""
    current = incident.current_phase
    tasks = task_states(session, incident)
    ref = ref.strip()
    parts = ref.split(".")
    numbers = [whole_number(p, limit=999) for p in parts]
    if len(parts) == 1 and numbers[0]:
        in_phase = [x for x in tasks if x.phase_key == current]
        if numbers[0] <= len(in_phase):
            return in_phase[numbers[0] - 1]
    elif len(parts) == 2 and all(numbers):
        phase_no, task_no = numbers
        if phase_no <= len(playbook.phases):
            key = playbook.phases[phase_no - 1].key
            in_phase = [x for x in tasks if x.phase_key == key]
            if task_no <= len(in_phase):
                return in_phase[task_no - 1]
    elif not any(n is not None for n in numbers):
        key = ref.split(".", 1)[-1] if "." in ref else ref
        phase = ref.split(".", 1)[0] if "." in ref else None
        matches = [x for x in tasks if x.key == key and (phase is None or x.phase_key == phase)]
        current_matches = [x for x in matches if x.phase_key == current]
        if len(current_matches) == 1:
            return current_matches[0]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise UserError(t(lang, "error.task_ambiguous", value=ref,
                              choices=", ".join(f"{x.phase_key}.{x.key}" for x in matches)))
        if found := _by_title(tasks, playbook, ref, current, lang):
            return found
    raise UserError(t(lang, "error.unknown_task", value=ref))


def _by_title(tasks: list[TaskState], playbook: Playbook, ref: str, current: str, lang: str) -> TaskState | None:
    """A task by its title as the bot shows it, in either language (`names.matching`: whole, the words before its
    colon (`组建应急小组`), the start or a word of it); of several, the current phase's one; still several: asks
    which, listing them as the checklist shows them."""
    named: list[tuple[str, str]] = []
    for i, task in enumerate(tasks):
        spec = next((x for x in playbook.phase(task.phase_key).tasks if x.key == task.key), None)
        for title in (spec.text.zh, spec.text.en) if spec is not None else ():  # a task the playbook dropped
            named += [(names.fold(title), str(i)), (names.fold(title.replace("：", ":").split(":")[0]), str(i))]
    found = [tasks[int(i)] for i in names.matching(ref, named)]
    if len(found) > 1 and len(here := [x for x in found if x.phase_key == current]) == 1:
        return here[0]
    if len(found) > 1:
        raise names.ambiguous(ref, [_numbered(playbook, tasks, x, lang) for x in found], lang)
    return found[0] if found else None


def _spec(playbook: Playbook, task: TaskState) -> Any:
    return next(x for x in playbook.phase(task.phase_key).tasks if x.key == task.key)


def _numbered(playbook: Playbook, tasks: list[TaskState], task: TaskState, lang: str) -> str:
    """A task as the checklist shows it: `4.1 隔离受影响的系统`."""
    number = [x for x in tasks if x.phase_key == task.phase_key].index(task) + 1
    return f"{playbook.position(task.phase_key)}.{number} {_spec(playbook, task).text(lang)}"


@dataclass
class TaskDone:
    """A task marked done, and whether that finished its phase."""

    task: TaskState
    phase_completed: bool


def complete_task(session: Session, *, incident: Incident, playbook: Playbook, task_ref: str, note: str,
                  actor: str, now: datetime, lang: str) -> TaskDone:
    """Mark a checklist item done; the last open task of a phase completes the phase."""
    require_open(incident, lang)
    task = find_task(session, incident=incident, playbook=playbook, ref=task_ref, lang=lang)
    if task.done_at is not None:
        spec = next((x for x in playbook.phase(task.phase_key).tasks if x.key == task.key), None)
        raise UserError(message(lang, "error.task_done_already", kind="error", task=spec.text(lang) if spec else task.key,
                                user=Mention(task.done_by or "")))
    if note and len(note) > 2000:
        raise UserError(t(lang, "error.text_long", what=t(lang, "word.note"), max=2000, length=len(note)))
    task.done_at, task.done_by, task.note = now, actor, note.strip() or None
    session.add(task)
    timeline.append(session, incident=incident, actor=actor, kind="task_done", now=now,
                    text=f"{task.phase_key}.{task.key}" + (f": {note.strip()}" if note.strip() else ""),
                    data={"phase": task.phase_key, "task": task.key})
    open_left = [x for x in task_states(session, incident, task.phase_key) if x.done_at is None]
    state = _phase(session, incident, task.phase_key)
    completed = False
    if not open_left and state.completed_at is None:
        _complete_phase(session, incident=incident, state=state, actor=actor, now=now, note="")
        completed = True
    return TaskDone(task=task, phase_completed=completed)


def _phase(session: Session, incident: Incident, key: str) -> PhaseState:
    return session.exec(select(PhaseState).where(PhaseState.incident_id == incident.id,
                                                 PhaseState.key == key)).one()


def _complete_phase(session: Session, *, incident: Incident, state: PhaseState, actor: str, now: datetime,
                    note: str) -> None:
    state.completed_at, state.completed_by, state.completion_note = now, actor, note or None
    session.add(state)
    deadline = deadlines.get(session, incident_id=incident.id, kind="phase", ref=state.key)
    if deadline is not None and deadline.met_at is None:
        deadlines.meet(session, deadline, at=now)
    timeline.append(session, incident=incident, actor=actor, kind="phase_completed", now=now,
                    text=state.key + (f": {note}" if note else ""),
                    data={"phase": state.key, "on_time": bool(deadline and now <= deadline.due_at)})


@dataclass
class PhaseMove:
    """The outcome of `/breach phase …`: where attention went, or what blocks the move."""

    left: PhaseState
    entered: PhaseState | None
    completed_left: bool
    open_tasks: list[TaskState]
    needs_reason: bool = False


def move(session: Session, *, incident: Incident, playbook: Playbook, target: str, reason: str, actor: str,
         now: datetime, lang: str) -> PhaseMove:
    """`next` completes the current phase and starts the next open one; a key or number moves attention there.

    Leaving a phase that still has open tasks needs a reason; without one nothing changes and
    the result says what is open.
    """
    require_open(incident, lang)
    reason = reason.strip()
    if len(reason) > 2000:
        raise UserError(t(lang, "error.text_long", what=t(lang, "word.reason"), max=2000, length=len(reason)))
    states = phase_states(session, incident)
    current = next(s for s in states if s.key == incident.current_phase)
    open_tasks = [x for x in task_states(session, incident, current.key) if x.done_at is None]
    if target == "next":
        following = [s for s in states if s.position > current.position and s.completed_at is None]
        entered = following[0] if following else None
        if entered is None and current.completed_at is not None:
            raise UserError(t(lang, "error.no_next_phase"))
    else:
        key = find_phase(playbook, target, lang)
        entered = next(s for s in states if s.key == key)
        if entered.key == current.key:
            raise UserError(t(lang, "error.already_in_phase", phase=playbook.phase(key).title(lang)))
    if open_tasks and current.completed_at is None and not reason:
        return PhaseMove(left=current, entered=entered, completed_left=False, open_tasks=open_tasks, needs_reason=True)

    completed_left = False
    if target == "next" and current.completed_at is None:
        _complete_phase(session, incident=incident, state=current, actor=actor, now=now, note=reason)
        completed_left = True
    elif open_tasks and reason:
        timeline.append(session, incident=incident, actor=actor, kind="phase_left_open", now=now,
                        text=f"{current.key}: {reason}", data={"phase": current.key, "open_tasks": len(open_tasks)})
    if entered is not None:
        incident.current_phase = entered.key
        session.add(incident)
        if entered.started_at is None:
            entered.started_at = now
            session.add(entered)
        timeline.append(session, incident=incident, actor=actor, kind="phase_started", now=now,
                        text=playbook.phase(entered.key).title("en"),
                        data={"phase": entered.key, "position": entered.position})
    return PhaseMove(left=current, entered=entered, completed_left=completed_left, open_tasks=open_tasks)


def close(session: Session, *, incident: Incident, playbook: Playbook, cause: str, lessons: str, actor: str,
          now: datetime, lang: str, still_open: dict | None = None) -> None:
    """Close the incident: cause and lessons recorded, the response's reminders cancelled.

    The legal clocks' reminders and the follow-ups' go on: the firm's response ends, its duties
    under the law do not. `still_open` (what the lead confirmed closing with) goes in the timeline.
    """
    if incident.status == CLOSED:
        raise UserError(t(lang, "error.closed_already", id=f"BR-{incident.number}"))
    if cause not in playbook.causes:
        raise UserError(t(lang, "error.cause", value=cause, choices=", ".join(playbook.causes)))
    lessons = check_text(lessons, lang, what=t(lang, "word.lessons"))
    incident.status, incident.closed_at, incident.cause, incident.lessons = CLOSED, now, cause, lessons
    session.add(incident)
    # A drill's clocks and follow-ups are fictitious: once it is closed nothing about it pages anyone.
    cancelled = deadlines.cancel_alerts(session, incident_id=incident.id,
                                        keep_kinds=() if incident.drill else deadlines.AFTER_CLOSE)
    data: dict = {"cause": cause, "alerts_cancelled": cancelled}
    if still_open:
        data["still_open"] = still_open
    timeline.append(session, incident=incident, actor=actor, kind="closed", now=now, text=lessons, data=data)


def snooze(session: Session, *, incident: Incident, playbook: Playbook, phase_ref: str | None, delay: timedelta,
           reason: str, actor: str, now: datetime, lang: str) -> tuple[str, datetime]:
    """Move a phase's reminder to now + delay (before its deadline); returns the phase key and the new time."""
    require_open(incident, lang)
    key = find_phase(playbook, phase_ref, lang) if phase_ref else incident.current_phase
    reason = check_text(reason, lang, what=t(lang, "word.reason"))
    deadline = deadlines.get(session, incident_id=incident.id, kind="phase", ref=key)
    if deadline is None or deadline.met_at is not None:
        raise UserError(t(lang, "snooze.done_phase", phase=playbook.phase(key).title(lang)))
    when = now + delay
    if delay <= timedelta(0) or when >= deadline.due_at:
        raise UserError(t(lang, "snooze.too_late", phase=playbook.phase(key).title(lang)))
    session.execute(update(Alert).where(col(Alert.deadline_id) == deadline.id, col(Alert.kind) == deadlines.REMINDER,
                                        col(Alert.state) == deadlines.PENDING).values(state=deadlines.CANCELLED))
    session.add(Alert(incident_id=incident.id, deadline_id=deadline.id, kind=deadlines.REMINDER, fire_at=when))
    timeline.append(session, incident=incident, actor=actor, kind="snoozed", now=now,
                    text=f"{key} until {when.isoformat()}: {reason}",
                    data={"phase": key, "until": when.isoformat(), "reason": reason})
    return key, when
