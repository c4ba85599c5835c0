"""Deadlines are records in the database; alerts (reminders, escalations) are claimed and sent once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from storage.models import Alert, Deadline, Incident, Workspace

REMINDER = "reminder"
ESCALATION = "escalation"
PENDING, CLAIMED, SENT, CANCELLED = "pending", "claimed", "sent", "cancelled"
QUEUED = "queued"  # composed and handed to the outbox; SENT once a part of it is delivered
# Deadline kinds whose alerts go on after an incident is closed: a legal clock runs until its
# notice is recorded, whatever the firm decides about its own response, and so does a client's contractual notice
# (clients are still told after close); follow-ups come after.
AFTER_CLOSE = ("regime", "followup", "client")


def schedule(session: Session, *, incident_id: int, kind: str, ref: str, due_at: datetime,
             remind_before: timedelta | None, now: datetime, meta: dict[str, Any] | None = None,
             reminders_at: list[datetime] | None = None) -> Deadline:
    """Record a deadline with its reminders (those still ahead) and its escalation at the due time."""
    deadline = Deadline(incident_id=incident_id, kind=kind, ref=ref, due_at=due_at, meta=meta or {})
    session.add(deadline)
    session.flush()
    plan_alerts(session, deadline, remind_before=remind_before, now=now, reminders_at=reminders_at)
    return deadline


def plan_alerts(session: Session, deadline: Deadline, *, remind_before: timedelta | None, now: datetime,
                reminders_at: list[datetime] | None = None) -> None:
    """Add the alerts of a deadline: reminders that are still in the future, and the escalation."""
    assert deadline.id is not None
    moments = list(reminders_at or [])
    if remind_before is not None:
        moments.append(deadline.due_at - remind_before)
    for moment in sorted(m for m in moments if now < m < deadline.due_at):
        session.add(Alert(incident_id=deadline.incident_id, deadline_id=deadline.id, kind=REMINDER, fire_at=moment))
    # Already past due when planned (awareness hours before the declare, a corrected time): the
    # escalation goes out now, and is not "sent late" as if the bot had been down.
    session.add(Alert(incident_id=deadline.incident_id, deadline_id=deadline.id, kind=ESCALATION,
                      fire_at=max(deadline.due_at, now)))
    session.flush()


def move(session: Session, deadline: Deadline, *, due_at: datetime, remind_before: timedelta | None,
         now: datetime) -> None:
    """Give a deadline a new due time: what has not gone out is re-planned around it."""
    deadline.due_at = due_at
    session.add(deadline)
    cancel_alerts(session, deadline_ids=[deadline.id])
    if deadline.met_at is None and deadline.cancelled_at is None:
        plan_alerts(session, deadline, remind_before=remind_before, now=now)


def get(session: Session, *, incident_id: int, kind: str, ref: str) -> Deadline | None:
    """The deadline of this kind and ref, if any."""
    return session.exec(select(Deadline).where(
        Deadline.incident_id == incident_id, Deadline.kind == kind, Deadline.ref == ref)).first()


def meet(session: Session, deadline: Deadline, *, at: datetime) -> None:
    """Mark a deadline met at `at` and cancel what has not gone out yet."""
    deadline.met_at = at
    session.add(deadline)
    cancel_alerts(session, deadline_ids=[deadline.id])


def cancel_alerts(session: Session, *, deadline_ids: list[int | None] | None = None,
                  incident_id: int | None = None, keep_kinds: tuple[str, ...] = ()) -> int:
    """Cancel pending alerts of some deadlines or of a whole incident (but those of `keep_kinds`)."""
    stmt = update(Alert).where(col(Alert.state) == PENDING)
    if keep_kinds:
        kept = select(Deadline.id).where(col(Deadline.kind).in_(keep_kinds))
        stmt = stmt.where(col(Alert.deadline_id).not_in(kept))
    if deadline_ids is not None:
        stmt = stmt.where(col(Alert.deadline_id).in_([d for d in deadline_ids if d is not None]))
    if incident_id is not None:
        stmt = stmt.where(col(Alert.incident_id) == incident_id)
    result = session.execute(stmt.values(state=CANCELLED))
    return result.rowcount or 0


def on_platform(platform: str | None) -> Any:
    """The ids of the incidents of one platform's workspaces (None: every platform), for a `where ... in_`: a
    deployment with Slack and WeCom runs a bot for each on one database, and each says only its own firms' alerts."""
    query = select(Incident.id).join(Workspace, col(Incident.workspace_id) == col(Workspace.id))
    return query.where(Workspace.platform == platform) if platform is not None else query


def due(session: Session, *, now: datetime, limit: int = 100, platform: str | None = None) -> list[Alert]:
    """Alerts that should go out by `now` (for one platform's firms): pending ones, and claimed ones whose lease
    ran out."""
    return list(session.exec(
        select(Alert)
        .where(col(Alert.fire_at) <= now, col(Alert.incident_id).in_(on_platform(platform)))
        .where(or_(col(Alert.state) == PENDING, (col(Alert.state) == CLAIMED) & (col(Alert.lease_until) < now)))
        .order_by(col(Alert.fire_at), col(Alert.id))
        .limit(limit)
    ))


def next_fire_at(session: Session, *, platform: str | None = None) -> datetime | None:
    """When the earliest pending alert (of one platform's firms) falls due."""
    alert = session.exec(
        select(Alert).where(col(Alert.state) == PENDING, col(Alert.incident_id).in_(on_platform(platform)))
        .order_by(col(Alert.fire_at)).limit(1)
    ).first()
    return alert.fire_at if alert else None


def claim(session: Session, *, alert_id: int, worker: str, now: datetime, lease: timedelta) -> bool:
    """Take an alert for sending; only one worker wins, whatever the database."""
    stmt = (
        update(Alert)
        .where(col(Alert.id) == alert_id)
        .where(or_(col(Alert.state) == PENDING, (col(Alert.state) == CLAIMED) & (col(Alert.lease_until) < now)))
        .values(state=CLAIMED, claimed_by=worker, lease_until=now + lease, attempts=Alert.attempts + 1)
    )
    return (session.execute(stmt).rowcount or 0) == 1


def finish(session: Session, *, alert_id: int, state: str, now: datetime) -> None:
    """Mark a claimed alert sent (or cancelled, when its deadline no longer needs it)."""
    session.execute(update(Alert).where(col(Alert.id) == alert_id).values(
        state=state, sent_at=now if state == SENT else None, lease_until=None))


def release(session: Session, *, alert_id: int, retry_at: datetime) -> None:
    """Give a claimed alert back after a failed send, to be tried again at `retry_at`."""
    session.execute(update(Alert).where(col(Alert.id) == alert_id).values(
        state=PENDING, fire_at=retry_at, claimed_by=None, lease_until=None))
