"""The progress bar of a confirmed send (S-n) in the war room, as an outbox row like every other message.

`send_runner` queues a `progress` row in the transaction that records how far the run is; the outbox sends
it in the war room's lane (after what was said there before it, before the run's summary), with the same
backoff, Retry-After and dead letters as any message, and never inside the send loop: a bar Slack refuses
never stops a notice. A row renders the run as it is when it goes, so one waiting row is enough: progress
made while it waits changes what it will say, not how many rows there are. The first row posts the bar,
later ones update it; a bar someone deleted is posted anew. Only `delivering.send` calls `deliver`.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot import delivery
from bot.chat import DeliveryError, Message, MessageRef, Text
from bot.flows.port import Bot
from bot.statements import sending
from bot.text.i18n import line
from bot.text.i18n import text as t
from storage.models import Incident, OutboundMessage, SendRun, Workspace

OP = "progress"
BAR = 20


def queue(bot: Bot, session: Session, *, run: SendRun, lane: str, now: datetime) -> int | None:
    """Queue the run's bar in `lane` (its war room's), unless a row for it is already waiting; the new row's id."""
    waiting = session.exec(select(OutboundMessage.id).where(
        OutboundMessage.lane == lane, OutboundMessage.op == OP, OutboundMessage.target == str(run.id),
        col(OutboundMessage.state) == delivery.PENDING)).first()
    if waiting is not None:
        return None
    row = delivery.add(session, platform=bot.chat.platform, op=OP, target=str(run.id), lane=lane, payload={},
                       incident_id=run.incident_id, now=now)
    delivery.retry_now(session, lanes={lane}, now=now)
    return row.id


def render(session: Session, run: SendRun, lang: str) -> Message:
    """The bar as the run stands now: done of total, sent, refused, unconfirmed."""
    counts = sending.tally(session, run)
    filled = round(BAR * counts.done / counts.total) if counts.total else BAR
    bar = "▓" * filled + "░" * (BAR - filled)
    prefix = (Text(t(lang, "drill.prefix")),) if run.drill else ()
    return Message(lines=(prefix + line(lang, "send.progress", id=f"S-{run.number}", bar=bar, done=counts.done,
                                        total=counts.total, sent=counts.sent, refused=counts.refused,
                                        unconfirmed=counts.unconfirmed),), kind="send_progress")


def deliver(bot: Bot, row: OutboundMessage, room: str, *, lang: str) -> dict[str, str]:
    """Post or update the bar of the row's run in `room` (in its workspace's language, else `lang`); raises
    (DeliveryError) for the outbox to retry or set aside."""
    with bot.unit(write=False) as session:
        run = session.get(SendRun, int(row.target))
        if run is None:
            return {}
        incident = session.get(Incident, run.incident_id)
        ws = session.get(Workspace, incident.workspace_id) if incident else None
        bar, ref = render(session, run, ws.lang if ws else lang), run.progress_message
    if ref is not None:
        try:
            bot.chat.update(ref=MessageRef(room=room, id=ref), message=bar)
            return {"progress": ref}
        except DeliveryError as exc:
            if exc.subject != "message":  # a rate limit, Slack down, the room gone: the outbox decides
                raise
    posted = bot.chat.post_once(room=room, message=bar, key=f"bb-{row.id}-0")  # the bar was deleted, or is new
    with bot.unit() as session:  # stored at once: the next row updates this one
        stored = session.get(SendRun, int(row.target))
        if stored is not None:
            stored.progress_message = posted.id
            session.add(stored)
    return {"progress": posted.id}
