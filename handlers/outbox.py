"""`breachbot outbox`: what has not been delivered, and why; set-aside messages can be tried again."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot import delivery
from storage.models import Incident, OutboundMessage


def _incident(session: Session, row: OutboundMessage) -> str:
    incident = session.get(Incident, row.incident_id) if row.incident_id else None
    return f"BR-{incident.number}" if incident else "-"


def listing(session: Session) -> list[str]:
    """One line per undelivered or set-aside row, oldest first (empty when all went out)."""
    lines = []
    for row in delivery.troubles(session):
        what = f"{row.op} {row.target or 'war room'}"
        if row.state == delivery.DEAD:
            state = f"SET ASIDE since {row.dead_at:%Y-%m-%d %H:%M} UTC" if row.dead_at else "SET ASIDE"
        else:
            state = f"waiting, next try {row.next_try_at:%Y-%m-%d %H:%M:%S} UTC"
        why = " — ".join(dict.fromkeys(x for x in (row.reason, row.last_error) if x)) or "not tried yet"
        lines.append(f"#{row.id} {_incident(session, row)} {row.platform} {what}: {state}; "
                     f"{row.attempts} tries; {why}")
    return lines


def retry(session: Session, *, which: str) -> int:
    """Put set-aside rows back in their lane, due at once (`which`: a row id, or 'all'); returns how many."""
    stmt = update(OutboundMessage).where(col(OutboundMessage.state) == delivery.DEAD)
    if which != "all":
        stmt = stmt.where(col(OutboundMessage.id) == int(which.lstrip("#")))
    # Due since it was set aside: whatever clock the bot runs on, that moment has passed.
    moved = session.execute(stmt.values(state=delivery.PENDING, next_try_at=OutboundMessage.dead_at, dead_at=None,
                                        first_failed_at=None, warned_at=None)).rowcount or 0
    session.commit()
    return moved


def pending_and_dead(session: Session) -> tuple[int, int]:
    """How many rows wait, and how many were set aside (for `doctor`)."""
    rows = session.exec(select(OutboundMessage.state).where(
        col(OutboundMessage.state).in_((*delivery.UNDELIVERED, delivery.DEAD)))).all()
    return sum(1 for r in rows if r != delivery.DEAD), sum(1 for r in rows if r == delivery.DEAD)
