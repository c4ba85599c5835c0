"""Each command as a flow: resolve the incident, check who may, call the services, say what happened."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot import help
from bot.chat import Context, Mention, Message, RoomRef, Strong
from bot.commands import (
    Assign,
    Capture,
    Declare,
    Done,
    Drill,
    Help,
    Log,
    Phase,
    Roles,
    Snooze,
    Status,
    Tasks,
    Unassign,
)
from bot.errors import UserError
from bot.flows import care
from bot.flows import law as clock_flows
from bot.flows.base import acknowledge, drill, here, resolve, role_holders
from bot.flows.grammar import parsers as p
from bot.flows.grammar.tasks import EVERY
from bot.flows.port import Bot
from bot.incident import deadlines, incidents, phases, questions, scenarios
from bot.outbox import Outbox, pending_room
from bot.registry import command
from bot.text import mentions
from bot.text.i18n import line, message
from bot.text.i18n import text as t
from bot.text.times import parse_duration, parse_when
from bot.views import incident as views
from bot.views import questions as question_views
from storage.models import Incident, Workspace


def ask(bot: Bot, session: Session, ws: Workspace, incident: Incident, phase_key: str, out: Outbox) -> None:
    """Ask the questions of a phase that has just started, in its war room: several in one message."""
    asked = questions.ask_phase(session, incident=incident, playbook=bot.playbook, phase_key=phase_key,
                                now=bot.now())
    for msg in question_views.phase_questions(incident=incident, playbook=bot.playbook, ws=ws, phase_key=phase_key,
                                              specs=asked, holders=role_holders(session, incident)):
        out.post(incident, msg)


# -- declare -------------------------------------------------------------------------------------
@command(Declare, "declare", parse=p.declare, zh=("宣布",), group="start")
def declare(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Declare, out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    try:
        aware_at = parse_when(cmd.aware, now=now, tz=ws.timezone) if cmd.aware else now
    except ValueError as exc:
        raise UserError(t(lang, "error.aware_unreadable", detail=str(exc))) from None
    twin = None if cmd.new or cmd.drill else incidents.recent_twin(session, workspace=ws, title=cmd.title, now=now)
    if twin is not None and not (context.delivery_id and twin.declare_key == context.delivery_id):
        word = "/breach 宣布" if lang == "zh" else "/breach declare"
        raise UserError(message(lang, "declare.twin", id=Strong(incidents.ref(twin)), title=twin.title,
                                actor=Mention(twin.declared_by), when=views.when(ws, twin.declared_at, now),
                                room=RoomRef(twin.war_room or pending_room(twin.id)),
                                command=f"{word} {cmd.title} {t(lang, 'declare.new_flag')}"))
    result = incidents.declare(
        session, workspace=ws, playbook=bot.playbook, title=cmd.title, severity=cmd.severity, aware_at=aware_at,
        clients=cmd.clients, data=cmd.data, drill=cmd.drill, actor=context.user, room=context.room,
        roster=bot.firm.roster, now=now, declare_key=context.delivery_id)
    incident = result.incident
    if result.existing:
        out.reply(views.room_line(lang, "declare.exists", incident.war_room, id=incidents.ref(incident)))
        return
    # The incident stands once this transaction commits. The war room is made after the commit, as
    # outbox steps each retried on its own: create (its id stored at once), invite, status, pin, topic.
    room = incident.war_room or pending_room(incident.id)
    out.make_room(incident, name=f"breach-{incident.number}", title=incident.title, members=[context.user])
    out.invite(incident, list(result.team))
    # The public channel learns that an incident exists and where the team works, never its internal title.
    announce = message(lang, "declare.announce", id=Strong(incidents.ref(incident)), actor=Mention(context.user),
                       room=RoomRef(room))
    out.reply(announce.prefixed(drill(incident, lang)), public=True)
    out.post(incident, views.phase_prompt(session, incident=incident, playbook=bot.playbook, ws=ws, now=now,
                                          phase_key=incident.current_phase))
    questions.prompt_roles(session, incident=incident, playbook=bot.playbook, now=now)
    # What the declarer said is not asked again (more data categories can still be added with /breach facts).
    given = {"aware_at": questions.current_value(incident, "aware_at")} if cmd.aware else {}
    if cmd.clients is not None:
        given["clients"] = cmd.clients
    if cmd.data:
        given["data"] = questions.current_value(incident, "data")
    questions.mark_answered(session, incident=incident, playbook=bot.playbook, values=given, actor=context.user,
                            now=now)
    clock_flows.resync(bot, session, ws, incident, out)
    ask(bot, session, ws, incident, incident.current_phase, out)
    for role, user in result.roles.items():
        out.direct(user, message(lang, "roles.you_hold", id=incidents.ref(incident),
                                 role=bot.playbook.roles[role](lang), room=RoomRef(room)))


# -- reading -------------------------------------------------------------------------------------
@command(Status, "status", parse=p.status, zh=("状态",), group="start")
def status(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Status, out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    try:
        incident = resolve(session, ws, context, cmd.incident, lock=False, last_closed=False)
    except UserError:
        # No incident named, none open, not in a war room: the one that closed last, said to be closed.
        last = None if cmd.incident is not None or incidents.open_for_user(
            session, workspace=ws, user=context.user) else incidents.last_closed_for_user(
            session, workspace=ws, user=context.user)
        if last is None:
            raise
        shown = views.status(session, incident=last, playbook=bot.playbook, ws=ws, now=now, book=bot.regimes)
        intro = line(lang, "status.none_open", id=Strong(incidents.ref(last)),
                     at=views.when(ws, last.closed_at or now, now))
        out.reply(Message(lines=(intro, *shown.lines), fields=shown.fields, buttons=shown.buttons,
                          kind=shown.kind), public=False)
        return
    out.reply(views.status(session, incident=incident, playbook=bot.playbook, ws=ws, now=now,
                           book=bot.regimes),
              public=here(context, incident))


@command(Roles, "roles", parse=p.roles, zh=("角色",), group="team")
def roles(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Roles, out: Outbox) -> None:
    incident = resolve(session, ws, context, cmd.incident, lock=False)
    out.reply(views.roles(session, incident=incident, playbook=bot.playbook, ws=ws), public=here(context, incident))


@command(Tasks, "tasks", parse=p.tasks, zh=("任务",), group="work")
def tasks(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Tasks, out: Outbox) -> None:
    incident = resolve(session, ws, context, cmd.incident, lock=False)
    out.reply(views.tasks(session, incident=incident, playbook=bot.playbook, ws=ws, now=bot.now(),
                          everything=cmd.all), public=here(context, incident))


@command(Help, "help", parse=p.help, zh=("帮助",), aliases=("?", "-h", "--help"), group="start")
def show_help(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Help, out: Outbox) -> None:
    out.reply(help.render(ws.lang, cmd.topic))


# -- roles ---------------------------------------------------------------------------------------
@command(Assign, "assign", parse=p.assign, zh=("指派", "分配"), group="team", may=("lead", "executive"))
def assign(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Assign, out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    previous = incidents.assign_role(session, incident=incident, playbook=bot.playbook, role=cmd.role,
                                     user=cmd.user, actor=context.user, now=now, lang=lang)
    questions.role_filled(session, incident=incident, role=cmd.role, now=now)
    role_name = bot.playbook.roles[cmd.role](lang)
    out.invite(incident, [cmd.user])
    key = "roles.assigned_replacing" if previous else "roles.assigned"
    out.post(incident, message(lang, key, user=Mention(cmd.user), role=role_name,
                                        actor=Mention(context.user),
                                        previous=Mention(previous.user) if previous else ""))
    out.direct(cmd.user, message(lang, "roles.you_hold", id=incidents.ref(incident), role=role_name,
                                 room=RoomRef(incident.war_room) if incident.war_room else "-"))
    if previous and previous.user != cmd.user:
        out.direct(previous.user, message(lang, "roles.you_were_replaced", user=Mention(cmd.user), role=role_name,
                                          id=incidents.ref(incident), actor=Mention(context.user),
                                          room=RoomRef(incident.war_room) if incident.war_room else "-"))
    if not here(context, incident):
        out.reply(message(lang, "ok.assigned", user=Mention(cmd.user), role=role_name, id=incidents.ref(incident)))
    out.refresh.add(incident.id)


@command(Unassign, "unassign", parse=p.unassign, zh=("取消指派",), group="team", may=("lead", "executive"))
def unassign(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Unassign, out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    ended = incidents.unassign_role(session, incident=incident, playbook=bot.playbook, role=cmd.role,
                                    actor=context.user, now=now, lang=lang)
    out.post(incident, message(lang, "roles.unassigned_msg", user=Mention(ended.user),
                                        role=bot.playbook.roles[cmd.role](lang), actor=Mention(context.user)))
    acknowledge(out, context, incident, lang)
    out.refresh.add(incident.id)


# -- the record ----------------------------------------------------------------------------------
@command(Log, "decision", parse=p.log, zh=("决定",), aliases=("decide",), group="record")
@command(Log, "log", parse=p.log, zh=("记录",), aliases=("note",), group="record")
def log(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Log, out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    event = incidents.record(session, incident=incident, text=cmd.text, actor=context.user, now=now, lang=lang,
                             decision=cmd.decision, mentioned=cmd.mentioned)
    if cmd.decision:
        said = mentions.spans(event.text, (event.data or {}).get("mentions", []))
        out.post(incident, message(lang, "log.decision", actor=Mention(context.user), text=said,
                                            id=incidents.ref(incident), seq=event.seq))
    else:
        out.post(incident, message(lang, "log.note", actor=Mention(context.user),
                                            id=incidents.ref(incident), seq=event.seq))
    if not here(context, incident):
        out.reply(message(lang, "log.recorded", id=incidents.ref(incident), seq=event.seq))


# -- phases and tasks ----------------------------------------------------------------------------
@command(Done, "done", parse=p.done, zh=("完成",), group="work")
def done(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Done, out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    if cmd.task == EVERY:
        result = _done_every(bot, session, incident, context, cmd, out, lang=lang, now=now)
        spec = bot.playbook.phase(result.task.phase_key)
    else:
        try:
            result = phases.complete_task(session, incident=incident, playbook=bot.playbook, task_ref=cmd.task,
                                          note=cmd.note, actor=context.user, now=now, lang=lang)
        except UserError as exc:
            raise _as_note(exc, cmd, lang) from None
        spec = bot.playbook.phase(result.task.phase_key)
        task_text = spec.tasks[result.task.position - 1].text(lang)
        out.post(incident, message(lang, "tasks.done", actor=Mention(context.user), task=task_text,
                                            phase=spec.title(lang)))
    if result.phase_completed and result.task.phase_key != incident.current_phase:
        out.post(incident, message(lang, "phase.completed", phase=spec.title(lang)))
    elif result.phase_completed and (spec.waits_for_lead or _numbers_after(cmd)):
        out.post(incident, message(lang, "phase.completed_current", phase=spec.title(lang)))
    elif result.phase_completed and not _open_after(session, incident):
        out.post(incident, message(lang, "phase.completed", phase=spec.title(lang)))
    elif result.phase_completed:  # the last task done completes the phase and starts the next one
        out.post(incident, message(lang, "phase.completed_moving", phase=spec.title(lang)))
        moved = phases.move(session, incident=incident, playbook=bot.playbook, target="next", reason="",
                            actor=context.user, now=now, lang=lang)
        _enter(bot, session, ws, context, incident, moved, out)
    acknowledge(out, context, incident, lang)
    out.refresh.add(incident.id)


def _done_every(bot: Bot, session: Session, incident: Incident, context: Context, cmd: Done, out: Outbox, *,
                lang: str, now: datetime) -> phases.TaskDone:
    """`/breach done all`: tick every open task of the current phase, and say which in one message."""
    spec = bot.playbook.phase(incident.current_phase)
    open_tasks = [x for x in phases.task_states(session, incident, incident.current_phase) if x.done_at is None]
    if not open_tasks:
        raise UserError(t(lang, "tasks.none_open", phase=spec.title(lang)))
    results = [phases.complete_task(session, incident=incident, playbook=bot.playbook, task_ref=f"{x.phase_key}.{x.key}",
                                    note=cmd.note, actor=context.user, now=now, lang=lang) for x in open_tasks]
    ticked = t(lang, "tasks.list_sep").join(spec.tasks[x.position - 1].text(lang) for x in open_tasks)
    out.post(incident, message(lang, "tasks.done_every", actor=Mention(context.user), count=len(open_tasks),
                               phase=spec.title(lang), tasks=ticked))
    return results[-1]


def _open_after(session: Session, incident: Incident) -> bool:
    """Whether a phase after the current one is still open (`phase next` has somewhere to go)."""
    states = phases.phase_states(session, incident)
    current = next(x for x in states if x.key == incident.current_phase)
    return any(x.position > current.position and x.completed_at is None for x in states)


def _numbers_after(cmd: Done) -> bool:
    """Task numbers typed after this one count in the phase they were typed in: it stays current for them."""
    at = cmd.batch.index(cmd.task) if cmd.task in cmd.batch else len(cmd.batch)
    return any(ref.isdigit() for ref in cmd.batch[at + 1:])


def _as_note(exc: UserError, cmd: Done, lang: str) -> UserError:
    """`/breach done 1 2 40 laptops` with no task 40: say how to make `40 laptops` the note."""
    at = cmd.batch.index(cmd.task) if cmd.task in cmd.batch else 0
    if at == 0 or not cmd.task.replace(".", "").isdigit():
        return exc
    note = " ".join((*cmd.batch[at:], cmd.note)).strip()
    hint = t(lang, "error.done_note_hint", value=cmd.task, tasks=",".join(cmd.batch[:at]), note=note)
    return UserError(exc.message.plain_text() + "\n" + hint)


@command(Phase, "phase", parse=p.phase, zh=("阶段",), carries=(("下一阶段", "next"),), group="work")
def phase(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Phase, out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    moved = phases.move(session, incident=incident, playbook=bot.playbook, target=cmd.target, reason=cmd.reason,
                        actor=context.user, now=now, lang=lang)
    left = bot.playbook.phase(moved.left.key)
    if moved.needs_reason:
        open_list = ("；" if lang == "zh" else "; ").join(left.tasks[x.position - 1].text(lang) for x in moved.open_tasks)
        words = {"en": ("phase next", "phase"), "zh": ("下一阶段", "阶段")}.get(lang, ("phase next", "phase"))
        # The phase as the person reads it (its title in their language, quoted if it has spaces), never its key.
        title = bot.playbook.phase(moved.entered.key).title(lang) if moved.entered else cmd.target
        target = words[0] if cmd.target == "next" else f"{words[1]} " + (f'"{title}"' if " " in title else title)
        out.reply(message(lang, "phase.needs_reason", kind="error", phase=left.title(lang),
                          count=len(moved.open_tasks), tasks=open_list, target=target))
        return
    if moved.completed_left:
        out.post(incident, message(lang, "phase.left_completed", phase=left.title(lang),
                                            actor=Mention(context.user)))
    elif moved.open_tasks:
        out.post(incident, message(lang, "phase.left_open", phase=left.title(lang),
                                            count=len(moved.open_tasks), reason=cmd.reason.strip()))
    _enter(bot, session, ws, context, incident, moved, out)
    acknowledge(out, context, incident, lang)
    out.refresh.add(incident.id)


def _enter(bot: Bot, session: Session, ws: Workspace, context: Context, incident: Incident,
           moved: phases.PhaseMove, out: Outbox) -> None:
    """The phase attention moved to: its checklist, its questions and (when it says so) the management brief."""
    if moved.entered is None:
        out.post(incident, message(ws.lang, "phase.all_done"))
        return
    out.post(incident, views.phase_prompt(session, incident=incident, playbook=bot.playbook, ws=ws,
                                          now=bot.now(), phase_key=moved.entered.key))
    ask(bot, session, ws, incident, moved.entered.key, out)
    if bot.playbook.phase(moved.entered.key).brief:
        care.brief_management(bot, session, ws, incident, out, actor=context.user, why="phase")


@command(Snooze, "snooze", parse=p.snooze, zh=("稍后提醒",), group="work")
def snooze(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Snooze, out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    try:
        delay = parse_duration(cmd.duration)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    key, when = phases.snooze(session, incident=incident, playbook=bot.playbook, phase_ref=cmd.phase, delay=delay,
                              reason=cmd.reason, actor=context.user, now=now, lang=lang)
    out.post(incident, message(lang, "snooze.done", actor=Mention(context.user),
                                        phase=bot.playbook.phase(key).title(lang), until=views.when(ws, when, now),
                                        reason=cmd.reason.strip()))
    acknowledge(out, context, incident, lang)


@command(Drill, "drill", parse=p.drill, zh=("演练",), group="start")
def run_drill(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Drill, out: Outbox) -> None:
    """Declare a drill from a scenario and schedule its injects as timed alerts."""
    lang, now = ws.lang, bot.now()
    choices = scenarios.available()
    key = (scenarios.named(cmd.scenario) or cmd.scenario) if cmd.scenario else (choices[0] if choices else "")
    try:
        scenario = scenarios.load(key)
    except FileNotFoundError:
        raise UserError(t(lang, "drill.unknown", value=cmd.scenario or key, choices=(
            "、" if lang == "zh" else ", ").join(scenarios.shown(c, lang) for c in choices) or "-")) from None
    declare(bot, session, ws, context, Declare(title=scenario.title(lang), severity=scenario.severity,
                                               clients=scenario.clients, data=tuple(scenario.data), drill=True), out)
    incident = session.get(Incident, out.rooms[-1][0]) if out.rooms else None
    if incident is None:  # declare always makes a war room; be explicit if that ever changes
        raise RuntimeError("the drill's war room was not planned")
    for i, inject in enumerate(scenario.injects, start=1):
        deadlines.schedule(session, incident_id=incident.id, kind="inject", ref=f"{scenario.key}:{i}",
                           due_at=now + inject.at, remind_before=None, now=now,
                           meta={"en": inject.text.en, "zh": inject.text.zh, "at": str(inject.at)})
    out.post(incident, message(lang, "drill.started", id=incidents.ref(incident),
                               scenario=scenario.name.zh if scenario.name and lang == "zh" else scenario.key))


@command(Capture, "capture")
def capture(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Capture, out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    try:
        at = datetime.fromisoformat(cmd.at)
    except ValueError:
        raise UserError(t(lang, "error.capture_time")) from None
    event = incidents.capture(session, incident=incident, text=cmd.text, author=cmd.author, at=at,
                              source=cmd.source, actor=context.user, now=now, lang=lang, mentioned=cmd.mentioned)
    if event is None:
        out.reply(message(lang, "log.captured_already", id=incidents.ref(incident)))
        return
    out.post(incident, message(lang, "log.captured", actor=Mention(context.user),
                                        author=Mention(cmd.author), id=incidents.ref(incident), seq=event.seq))
