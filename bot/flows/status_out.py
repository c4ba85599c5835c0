"""The war room's living status, re-rendered from the database (an outbox `refresh` row, or a command's), and
refreshed by itself when the time left it shows would read differently (a `status` deadline the scheduler fires)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.chat import DeliveryError, MessageRef
from bot.flows.port import Bot
from bot.incident import deadlines
from bot.incident.incidents import OPEN
from bot.incident.playbook import Playbook
from bot.text.times import left_step
from bot.views import incident as views
from storage.models import Incident, Workspace

STATUS = "status"  # the deadline kind of the pin's own refresh; its alerts only refresh, they say nothing
DAY = timedelta(days=1)


def refresh(bot: Bot, incident_id: int) -> None:
    """Re-render the status message and the topic; a status someone deleted is posted and pinned again."""
    with bot.unit(write=False) as session:
        incident = session.get(Incident, incident_id)
        if incident is None or not incident.war_room or not incident.status_message:
            return
        ws = session.get(Workspace, incident.workspace_id)
        assert ws is not None
        now = bot.now()
        status = views.pinned(session, incident=incident, playbook=bot.playbook, ws=ws, now=now)
        topic = views.topic(session, incident=incident, playbook=bot.playbook, ws=ws, now=now)
        room, ref_id = incident.war_room, incident.status_message
    try:
        bot.chat.update(ref=MessageRef(room=room, id=ref_id), message=status)
    except DeliveryError as exc:
        if exc.subject != "message":
            raise
        ref = bot.chat.post(room=room, message=status)
        with bot.unit() as session:
            fresh = session.get(Incident, incident_id)
            assert fresh is not None
            fresh.status_message = ref.id
            session.add(fresh)
        bot.chat.pin(ref=ref)
    bot.chat.set_topic(room=room, topic=topic)
    plan(bot, incident_id)


def next_refresh(session: Session, *, incident: Incident, playbook: Playbook, ws: Workspace,
                 now: datetime) -> datetime | None:
    """When the pinned status next reads differently by itself: the workspace's next local midnight, or when the
    time left of a deadline it shows (the current phase's, the soonest of all) crosses a whole day (more than a
    day left), a whole hour (more than an hour), five minutes (less) or zero; None once the incident is closed."""
    if incident.status != OPEN:
        return None
    shown = [d.due_at for d in [deadlines.get(session, incident_id=incident.id, kind="phase", ref=incident.current_phase)]
             if d is not None and d.met_at is None and d.cancelled_at is None]
    if soonest := views.next_due(session, incident=incident, playbook=playbook, lang=ws.lang, now=now):
        shown.append(soonest[0])
    zone = ZoneInfo(ws.timezone)
    midnight = datetime.combine(now.astimezone(zone).date() + DAY, time(0), tzinfo=zone)
    return min([midnight, *(_crossing(due, now) for due in shown if due >= now)])


def _crossing(due: datetime, now: datetime) -> datetime:
    """The next moment the time left until `due` crosses a whole step (`times.left_step`: days while more than a
    day is left, then hours, then five minutes) or `due` itself; a minute after it, once it falls due now (it then
    reads overdue). The pin says the time left rounded up to its step, so it is true until this moment."""
    if due == now:
        return due + timedelta(minutes=1)
    unit = left_step(due - now)
    return due - unit * ((due - now - timedelta(microseconds=1)) // unit)


def plan(bot: Bot, incident_id: int) -> None:
    """Keep the pin's own refresh planned at `next_refresh` (one `status` deadline per incident, its alert the
    scheduler's to fire), or cancelled when nothing will change it any more."""
    with bot.unit() as session:
        incident = session.get(Incident, incident_id)
        ws = session.get(Workspace, incident.workspace_id) if incident is not None else None
        if incident is None or ws is None:
            return
        now = bot.now()
        at = next_refresh(session, incident=incident, playbook=bot.playbook, ws=ws, now=now)
        planned = deadlines.get(session, incident_id=incident_id, kind=STATUS, ref="pin")
        if planned is None and at is not None:
            deadlines.schedule(session, incident_id=incident_id, kind=STATUS, ref="pin", due_at=at,
                               remind_before=None, now=now)
        elif planned is not None and at is None:
            deadlines.cancel_alerts(session, deadline_ids=[planned.id])
        elif planned is not None and at is not None and (planned.due_at != at or planned.due_at <= now):
            deadlines.move(session, planned, due_at=at, remind_before=None, now=now)
