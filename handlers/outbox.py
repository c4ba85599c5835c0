"""`breachbot outbox`: what has not been delivered, and why; set-aside messages can be tried again."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot import delivery
from bot.text.i18n import text as t
from bot.text.times import format_stamp
from storage.models import Incident, OutboundMessage


def _incident(session: Session, row: OutboundMessage) -> str:
    incident = session.get(Incident, row.incident_id) if row.incident_id else None
    return f"BR-{incident.number}" if incident else "-"


def listing(session: Session, *, lang: str = "en", tz: str = "UTC") -> tuple[list[str], bool]:
    """One line per undelivered or set-aside row, oldest first (empty when all went out), and whether any
    was set aside."""
    lines, set_aside = [], False
    for row in delivery.troubles(session):
        what = f"{row.op} {row.target or t(lang, 'cli.war_room')}"
        if row.state == delivery.DEAD:
            set_aside = True
            state = t(lang, "cli.set_aside_since", at=format_stamp(row.dead_at, tz, lang=lang)) if row.dead_at \
                else t(lang, "cli.set_aside")
        else:
            state = t(lang, "cli.waiting", at=format_stamp(row.next_try_at, tz, lang=lang, seconds=True))
        why = " — ".join(dict.fromkeys(x for x in (row.reason, row.last_error) if x)) or t(lang, "cli.not_tried")
        lines.append(t(lang, "cli.outbox_row", id=row.id, incident=_incident(session, row), platform=row.platform,
                       what=what, state=state, attempts=row.attempts, why=why))
    return lines, set_aside


def not_set_aside(session: Session, *, which: str, lang: str) -> tuple[str, dict[str, object]] | None:
    """Why a message id cannot be put back (no such message, or it is not set aside), as a catalogue key and
    its values; None when it can (or for 'all')."""
    if which == "all":
        return None
    row = session.get(OutboundMessage, int(which.lstrip("#")))
    if row is None:
        return "cli.no_message", {"id": which.lstrip("#")}
    if row.state != delivery.DEAD:
        state = "waiting" if row.state in delivery.UNDELIVERED else "sent"
        return "cli.not_set_aside", {"id": row.id, "state": t(lang, f"cli.message_state.{state}")}
    return None


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
