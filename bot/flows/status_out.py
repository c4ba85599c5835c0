"""The war room's living status, re-rendered from the database (an outbox `refresh` row, or a command's)."""

from __future__ import annotations

from bot.chat import DeliveryError, MessageRef
from bot.flows.port import Bot
from bot.views import incident as views
from storage.models import Incident, Workspace


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
