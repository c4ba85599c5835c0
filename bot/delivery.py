"""The outbox: messages a platform refused are kept in the database and retried with backoff.

Messages to one target (a room or a person) leave in the order they were written: while one is
waiting, later ones queue behind it. When a message has waited too long, the war room (or, if
the war room itself is what fails, the lead) is told, once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from bot.chat import Message, message_from_dict, message_to_dict
from storage.models import OutboundMessage

FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(minutes=15)
WARN_AFTER = timedelta(minutes=10)
LEASE = timedelta(minutes=2)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … up to 15 min between tries."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), MAX_RETRY)


def waiting(session: Session, *, platform: str, op: str, target: str) -> bool:
    """Whether earlier messages to this target are still queued (so a new one must queue too)."""
    return session.exec(select(OutboundMessage.id).where(
        OutboundMessage.platform == platform, OutboundMessage.op == op, OutboundMessage.target == target,
        col(OutboundMessage.state) != "sent")).first() is not None


def keep(session: Session, *, platform: str, op: str, target: str, message: Message, incident_id: int | None,
         now: datetime, error: str = "", attempts: int = 0) -> OutboundMessage:
    """Queue a message for a later try."""
    row = OutboundMessage(platform=platform, incident_id=incident_id, op=op, target=target,
                          payload=message_to_dict(message), created_at=now,
                          next_try_at=now + (backoff(attempts) if attempts else timedelta(0)),
                          attempts=attempts, last_error=error[:1000])
    session.add(row)
    session.flush()
    return row


def next_try(session: Session, *, platform: str) -> datetime | None:
    """When the next try is due: the soonest among each target's oldest queued message."""
    heads: dict[tuple[str, str], datetime] = {}
    rows = session.exec(select(OutboundMessage.op, OutboundMessage.target, OutboundMessage.next_try_at)
                        .where(OutboundMessage.platform == platform, col(OutboundMessage.state) != "sent")
                        .order_by(col(OutboundMessage.id)))
    for op, target, when in rows:
        heads.setdefault((op, target), when)
    return min(heads.values(), default=None)


def pending_count(session: Session, *, platform: str) -> int:
    """How many messages wait (for doctor and tests)."""
    return len(session.exec(select(OutboundMessage.id).where(OutboundMessage.platform == platform,
                                                             col(OutboundMessage.state) != "sent")).all())


def flush(sessions: Callable[[], Session], *, platform: str, send: Callable[[str, str, Message], None],
          warn: Callable[[OutboundMessage], None], now: datetime, worker: str) -> int:
    """Try every due message, oldest first, one target at a time; returns how many went out."""
    sent = 0
    blocked: set[tuple[str, str]] = set()
    with sessions() as session:
        rows = list(session.exec(select(OutboundMessage).where(
            OutboundMessage.platform == platform,
            or_(col(OutboundMessage.state) == "pending",
                (col(OutboundMessage.state) == "sending") & (col(OutboundMessage.lease_until) < now)))
            .order_by(col(OutboundMessage.id))))
    for row in rows:
        key = (row.op, row.target)
        if key in blocked:
            continue
        if row.next_try_at > now:
            blocked.add(key)  # an older message to this target is not due yet: keep the order
            continue
        with sessions() as session:
            claimed = session.execute(update(OutboundMessage).where(
                col(OutboundMessage.id) == row.id,
                or_(col(OutboundMessage.state) == "pending",
                    (col(OutboundMessage.state) == "sending") & (col(OutboundMessage.lease_until) < now)))
                .values(state="sending", lease_until=now + LEASE)).rowcount
            session.commit()
        if claimed != 1:
            blocked.add(key)
            continue
        try:
            send(row.op, row.target, message_from_dict(row.payload))
        except Exception as exc:  # the platform is still down: back off, keep the order
            blocked.add(key)
            with sessions() as session:
                fresh = session.get(OutboundMessage, row.id)
                assert fresh is not None
                fresh.state, fresh.attempts, fresh.lease_until = "pending", fresh.attempts + 1, None
                fresh.next_try_at = now + backoff(fresh.attempts)
                fresh.last_error = str(exc)[:1000]
                late = fresh.warned_at is None and now - fresh.created_at >= WARN_AFTER
                if late:
                    fresh.warned_at = now
                session.add(fresh)
                session.commit()
            if late:
                warn(fresh)
            continue
        with sessions() as session:
            session.execute(update(OutboundMessage).where(col(OutboundMessage.id) == row.id)
                            .values(state="sent", sent_at=now, lease_until=None))
            session.commit()
        sent += 1
    return sent
