"""Each command as a flow: resolve the incident, check who may, call the services, say what happened."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from bot import deadlines, help, incidents, permissions, phases, timeline, views
from bot.chat import Context, Mention, Message, RoomRef, Strong, Text
from bot.commands import (
    Assign,
    Capture,
    Close,
    Command,
    Declare,
    Done,
    Help,
    Log,
    Phase,
    Roles,
    Status,
    Tasks,
    Unassign,
)
from bot.errors import UserError
from bot.i18n import message
from bot.i18n import text as t
from bot.outbox import Outbox
from bot.times import parse_when
from storage.models import Alert, Deadline, Incident, Workspace

if TYPE_CHECKING:
    from bot.app import Breachbot


def run(bot: Breachbot, session: Session, ws: Workspace, context: Context, command: Command, out: Outbox) -> None:
    """Dispatch one command inside the caller's transaction."""
    handler = _FLOWS.get(type(command))
    if handler is None:  # a platform built a command we do not know: our bug, not the user's
        raise TypeError(f"no flow for {type(command).__name__}")
    handler(bot, session, ws, context, command, out)


def resolve(session: Session, ws: Workspace, context: Context, number: int | None, *,
            lock: bool = True) -> Incident:
    """The incident a command is about: named, this war room's, or the person's only open one."""
    lang = ws.lang
    if number is not None:
        incident = incidents.by_number(session, workspace=ws, number=number)
        if incident is None:
            raise UserError(t(lang, "error.no_incident", id=f"BR-{number}"))
    else:
        incident = incidents.by_room(session, workspace=ws, room=context.room)
        if incident is None:
            mine = incidents.open_for_user(session, workspace=ws, user=context.user)
            if not mine:
                raise UserError(t(lang, "error.no_open_incident"))
            if len(mine) > 1:
                raise UserError(views.incident_list(mine, lang, "error.which_incident"))
            incident = mine[0]
    return incidents.lock(session, incident) if lock else incident


def _holders(session: Session, incident: Incident) -> dict[str, str]:
    return {role: a.user for role, a in incidents.active_roles(session, incident).items()}


def _role_names(bot: Breachbot, lang: str) -> dict[str, str]:
    return {key: name(lang) for key, name in bot.playbook.roles.items()}


def _drill(incident: Incident, lang: str) -> tuple[Text, ...]:
    return (Text(t(lang, "drill.prefix")),) if incident.drill else ()


def _here(context: Context, incident: Incident) -> bool:
    return context.room == incident.war_room


# -- declare -------------------------------------------------------------------------------------
def declare(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: Declare, out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    try:
        aware_at = parse_when(cmd.aware, now=now, tz=ws.timezone) if cmd.aware else now
    except ValueError as exc:
        raise UserError(t(lang, "error.aware_unreadable", detail=str(exc))) from None
    result = incidents.declare(
        session, workspace=ws, playbook=bot.playbook, title=cmd.title, severity=cmd.severity, aware_at=aware_at,
        clients=cmd.clients, data=cmd.data, drill=cmd.drill, actor=context.user, room=context.room,
        roster=bot.firm.roster, now=now, declare_key=context.delivery_id)
    incident = result.incident
    if result.existing:
        out.reply(views.room_line(lang, "declare.exists", incident.war_room, id=incidents.ref(incident)))
        return
    # The room is made now, inside the transaction: if that fails nothing is recorded and the
    # person can simply try again; if the database fails afterwards the empty room says so.
    name = f"breach-{incident.number}"
    room = bot.chat.create_room(name=name, members=result.team, private=True, title=incident.title,
                                topic=views.topic(session, incident=incident, playbook=bot.playbook, ws=ws, now=now))
    incidents.attach_war_room(session, incident=incident, room=room, now=now)
    ref = bot.chat.post(room=room, message=views.status(session, incident=incident, playbook=bot.playbook,
                                                         ws=ws, now=now))
    incident.status_message = ref.id
    session.add(incident)
    session.flush()
    bot.chat.pin(ref=ref)
    short = incident.title if len(incident.title) <= 40 else incident.title[:40].rsplit(" ", 1)[0] + " …"
    announce = message(lang, "declare.announce", id=Strong(incidents.ref(incident)), actor=Mention(context.user),
                       title=short, room=RoomRef(room))
    out.reply(announce.prefixed(_drill(incident, lang)), public=True)
    out.post(room, views.phase_prompt(session, incident=incident, playbook=bot.playbook, ws=ws, now=now,
                                      phase_key=incident.current_phase))
    for role, user in result.roles.items():
        out.direct(user, message(lang, "roles.you_hold", id=incidents.ref(incident),
                                 role=bot.playbook.roles[role](lang), room=RoomRef(room)))


# -- reading -------------------------------------------------------------------------------------
def status(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: Status, out: Outbox) -> None:
    incident = resolve(session, ws, context, cmd.incident, lock=False)
    out.reply(views.status(session, incident=incident, playbook=bot.playbook, ws=ws, now=bot.now()),
              public=_here(context, incident))


def roles(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: Roles, out: Outbox) -> None:
    incident = resolve(session, ws, context, cmd.incident, lock=False)
    out.reply(views.roles(session, incident=incident, playbook=bot.playbook, ws=ws), public=_here(context, incident))


def tasks(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: Tasks, out: Outbox) -> None:
    incident = resolve(session, ws, context, cmd.incident, lock=False)
    out.reply(views.tasks(session, incident=incident, playbook=bot.playbook, ws=ws, now=bot.now(),
                          everything=cmd.all), public=_here(context, incident))


def show_help(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: Help, out: Outbox) -> None:
    out.reply(help.render(ws.lang, cmd.topic))


# -- roles ---------------------------------------------------------------------------------------
def assign(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: Assign, out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    permissions.check("assign", user=context.user, holders=_holders(session, incident), lang=lang,
                      role_names=_role_names(bot, lang))
    previous = incidents.assign_role(session, incident=incident, playbook=bot.playbook, role=cmd.role,
                                     user=cmd.user, actor=context.user, now=now, lang=lang)
    role_name = bot.playbook.roles[cmd.role](lang)
    out.invite(incident.war_room, [cmd.user])
    key = "roles.assigned_replacing" if previous else "roles.assigned"
    out.post(incident.war_room, message(lang, key, user=Mention(cmd.user), role=role_name,
                                        actor=Mention(context.user),
                                        previous=Mention(previous.user) if previous else ""))
    out.direct(cmd.user, message(lang, "roles.you_hold", id=incidents.ref(incident), role=role_name,
                                 room=RoomRef(incident.war_room) if incident.war_room else "-"))
    if not _here(context, incident):
        out.reply(message(lang, "ok.assigned", user=Mention(cmd.user), role=role_name, id=incidents.ref(incident)))
    out.refresh.add(incident.id)


def unassign(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: Unassign, out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    permissions.check("unassign", user=context.user, holders=_holders(session, incident), lang=lang,
                      role_names=_role_names(bot, lang))
    ended = incidents.unassign_role(session, incident=incident, playbook=bot.playbook, role=cmd.role,
                                    actor=context.user, now=now, lang=lang)
    out.post(incident.war_room, message(lang, "roles.unassigned_msg", user=Mention(ended.user),
                                        role=bot.playbook.roles[cmd.role](lang), actor=Mention(context.user)))
    if not _here(context, incident):
        out.reply(message(lang, "ok.done"))
    out.refresh.add(incident.id)


# -- the record ----------------------------------------------------------------------------------
def log(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: Log, out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    event = incidents.record(session, incident=incident, text=cmd.text, actor=context.user, now=now, lang=lang,
                             decision=cmd.decision)
    if cmd.decision:
        out.post(incident.war_room, message(lang, "log.decision", actor=Mention(context.user), text=event.text,
                                            id=incidents.ref(incident), seq=event.seq))
    else:
        out.post(incident.war_room, message(lang, "log.note", actor=Mention(context.user),
                                            id=incidents.ref(incident), seq=event.seq))
    if not _here(context, incident):
        out.reply(message(lang, "log.recorded", id=incidents.ref(incident), seq=event.seq))


# -- phases and tasks ----------------------------------------------------------------------------
def done(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: Done, out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    result = phases.complete_task(session, incident=incident, playbook=bot.playbook, task_ref=cmd.task,
                                  note=cmd.note, actor=context.user, now=now, lang=lang)
    spec = bot.playbook.phase(result.task.phase_key)
    task_text = spec.tasks[result.task.position - 1].text(lang)
    out.post(incident.war_room, message(lang, "tasks.done", actor=Mention(context.user), task=task_text,
                                        phase=spec.title(lang)))
    if result.phase_completed:
        hint = "phase.completed_current" if result.task.phase_key == incident.current_phase else "phase.completed"
        out.post(incident.war_room, message(lang, hint, phase=spec.title(lang)))
    if not _here(context, incident):
        out.reply(message(lang, "ok.done"))
    out.refresh.add(incident.id)


def phase(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: Phase, out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    moved = phases.move(session, incident=incident, playbook=bot.playbook, target=cmd.target, reason=cmd.reason,
                        actor=context.user, now=now, lang=lang)
    left = bot.playbook.phase(moved.left.key)
    if moved.needs_reason:
        open_list = "; ".join(left.tasks[x.position - 1].text(lang) for x in moved.open_tasks)
        target = cmd.target if cmd.target == "next" else cmd.target
        out.reply(message(lang, "phase.needs_reason", kind="error", phase=left.title(lang),
                          count=len(moved.open_tasks), tasks=open_list, target=target))
        return
    if moved.completed_left:
        out.post(incident.war_room, message(lang, "phase.left_completed", phase=left.title(lang),
                                            actor=Mention(context.user)))
    elif moved.open_tasks:
        out.post(incident.war_room, message(lang, "phase.left_open", phase=left.title(lang),
                                            count=len(moved.open_tasks), reason=cmd.reason.strip()))
    if moved.entered is None:
        out.post(incident.war_room, message(lang, "phase.all_done"))
    else:
        out.post(incident.war_room, views.phase_prompt(session, incident=incident, playbook=bot.playbook, ws=ws,
                                                       now=now, phase_key=moved.entered.key))
    if not _here(context, incident):
        out.reply(message(lang, "ok.done"))
    out.refresh.add(incident.id)


def close(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: Close, out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    if incident.status != incidents.OPEN:
        raise UserError(t(lang, "error.closed_already", id=incidents.ref(incident)))
    permissions.check("close", user=context.user, holders=_holders(session, incident), lang=lang,
                      role_names=_role_names(bot, lang))
    phases.close(session, incident=incident, playbook=bot.playbook, cause=cmd.cause, lessons=cmd.lessons,
                 actor=context.user, now=now, lang=lang)
    out.post(incident.war_room, message(lang, "close.closed", id=incidents.ref(incident),
                                        actor=Mention(context.user), cause=bot.playbook.causes[cmd.cause](lang),
                                        number=incident.number))
    if not _here(context, incident):
        out.reply(message(lang, "close.closed", id=incidents.ref(incident), actor=Mention(context.user),
                          cause=bot.playbook.causes[cmd.cause](lang), number=incident.number))
    out.refresh.add(incident.id)


def capture(bot: Breachbot, session: Session, ws: Workspace, context: Context, cmd: Capture, out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    try:
        at = datetime.fromisoformat(cmd.at)
    except ValueError:
        raise UserError(t(lang, "error.capture_time")) from None
    event = incidents.capture(session, incident=incident, text=cmd.text, author=cmd.author, at=at,
                              source=cmd.source, actor=context.user, now=now, lang=lang)
    if event is None:
        out.reply(message(lang, "log.captured_already", id=incidents.ref(incident)))
        return
    out.post(incident.war_room, message(lang, "log.captured", actor=Mention(context.user),
                                        author=Mention(cmd.author), id=incidents.ref(incident), seq=event.seq))


_FLOWS = {
    Declare: declare, Status: status, Roles: roles, Tasks: tasks, Help: show_help, Assign: assign,
    Unassign: unassign, Log: log, Done: done, Phase: phase, Close: close, Capture: capture,
}


# -- alerts --------------------------------------------------------------------------------------
def alert_effects(bot: Breachbot, session: Session, *, alert_id: int, now: datetime, outbox: Outbox) -> str:
    """Compose a claimed alert's messages; returns SENT to send them or CANCELLED if no longer needed."""
    alert = session.get(Alert, alert_id)
    assert alert is not None
    deadline = session.get(Deadline, alert.deadline_id)
    incident = session.get(Incident, alert.incident_id)
    assert deadline is not None and incident is not None
    if incident.status != incidents.OPEN or deadline.met_at is not None or deadline.cancelled_at is not None:
        return deadlines.CANCELLED
    ws = session.get(Workspace, incident.workspace_id)
    assert ws is not None
    lang = ws.lang
    holders = _holders(session, incident)
    if deadline.kind == "phase":
        spec = bot.playbook.phase(deadline.ref)
        owner = holders.get(spec.owner)
        what = f"{bot.playbook.position(spec.key)}/{len(bot.playbook.phases)} {spec.title(lang)}"
        prefix = _drill(incident, lang)
        if alert.kind == deadlines.REMINDER:
            msg = message(lang, "alert.reminder", id=incidents.ref(incident), phase=what,
                          due=views.due_phrase(ws, deadline.due_at, now),
                          room=RoomRef(incident.war_room) if incident.war_room else "-")
            msg = Message(lines=msg.prefixed(prefix).lines, kind="reminder")
            if owner:
                outbox.direct(owner, msg)
            else:
                outbox.post(incident.war_room, msg)
        else:
            people: list = []
            for role in ("lead", "executive"):
                if holders.get(role):
                    people += [Text(" "), Mention(holders[role])]
            msg = message(lang, "alert.escalation", id=incidents.ref(incident), phase=what,
                          at=views.when(ws, deadline.due_at, now),
                          owner=Mention(owner) if owner else t(lang, "roles.unassigned"),
                          people=tuple(people) or t(lang, "roles.nobody"))
            msg = Message(lines=msg.prefixed(prefix).lines, kind="escalation")
            outbox.post(incident.war_room, msg)
            outbox.refresh.add(incident.id)
    return deadlines.SENT


def alert_sent(bot: Breachbot, session: Session, *, alert_id: int, now: datetime) -> None:
    """Mark an alert sent and record it in the incident's timeline, in one transaction."""
    alert = session.get(Alert, alert_id)
    assert alert is not None
    deadline = session.get(Deadline, alert.deadline_id)
    incident = incidents.lock(session, session.get(Incident, alert.incident_id))
    assert deadline is not None
    deadlines.finish(session, alert_id=alert_id, state=deadlines.SENT, now=now)
    kind = "reminder_sent" if alert.kind == deadlines.REMINDER else "escalated"
    timeline.append(session, incident=incident, actor="breachbot", kind=kind, now=now,
                    text=f"{deadline.kind}:{deadline.ref}",
                    data={"deadline": deadline.ref, "due_at": deadline.due_at.isoformat(),
                          "fire_at": alert.fire_at.isoformat()})
