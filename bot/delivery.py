"""The outbox: every message, invite and war-room step is a row, written in the transaction that
decided it and sent after the commit.

Rows of one lane (a war room, a person, one invite) leave in the order they were written; lanes do
not wait for each other. A temporary failure (rate limit, 5xx, timeout) keeps the row at the head of
its lane and retries it with exponential backoff and jitter, never sooner than the platform's
Retry-After; a new row for a lane tries its waiting head at once (`retry_now`, never before a
Retry-After). A permanent failure (an archived room, an unknown person) sets the row aside as a dead
letter at once, so the messages behind it go on; the caller's `on_dead` chooses a fallback in the
same transaction. Before a send the row is claimed (`sending`, with a lease); after it, it is
confirmed `sent`: a process that dies in between leaves a row another process takes over when the
lease runs out.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from bot.chat import DeliveryError
from storage.models import OutboundMessage

log = logging.getLogger("breachbot.delivery")
FIRST_RETRY = timedelta(seconds=5)
MAX_RETRY = timedelta(minutes=30)
WARN_AFTER = timedelta(minutes=10)
LEASE = timedelta(minutes=2)
HELD_UNTIL = "held_until"  # in a row's meta: the moment the platform said to come back (no early retry_now)
PENDING, SENDING, SENT, DEAD = "pending", "sending", "sent", "dead"
UNDELIVERED = (PENDING, SENDING)


def backoff(attempts: int, *, key: int = 0, failing: timedelta | None = None) -> timedelta:
    """5 s, 10 s, 20 s … up to 30 min, each between half and all of it (jitter, fixed per row and try).

    With `failing` (how long the row has been failing) the wait is up to 1¼ times that, at least 5 s: it
    about doubles from try to try as before, but a try made early (something new for the lane) does not push
    the next one further away."""
    base = min(FIRST_RETRY * (2 ** max(0, attempts - 1)), MAX_RETRY) if failing is None \
        else min(max(FIRST_RETRY, failing * 5 / 4), MAX_RETRY)
    spread = zlib.crc32(f"{key}:{attempts}".encode()) % 1000 / 1000
    return base * (0.5 + spread / 2)


@dataclass(frozen=True)
class Failure:
    """What went wrong with one try, by kind."""

    code: str
    permanent: bool
    subject: str = "call"
    retry_after: float | None = None
    detail: str = ""

    def text(self) -> str:
        """The reason as people read it: the platform's code, and what it said when that helps."""
        return self.detail or self.code


def classify(exc: BaseException) -> Failure:
    """A platform's error as temporary or permanent; anything unknown (a reset, a timeout) is temporary."""
    if isinstance(exc, DeliveryError):
        return Failure(exc.code, exc.permanent, exc.subject, exc.retry_after, exc.detail)
    return Failure(type(exc).__name__ if not str(exc) else str(exc)[:200], False)


class NotReady(Exception):
    """A row cannot go yet (its war room is still being made): try again at `until`, no try counted."""

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(f"not ready until {until.isoformat()}")


def add(session: Session, *, platform: str, op: str, target: str, lane: str, payload: dict[str, Any],
        incident_id: int | None, now: datetime, meta: dict[str, Any] | None = None) -> OutboundMessage:
    """Queue one row; it goes out when `flush` reaches it."""
    row = OutboundMessage(platform=platform, incident_id=incident_id, op=op, target=target, lane=lane,
                          payload=payload, meta=meta or {}, created_at=now, next_try_at=now)
    session.add(row)
    session.flush()
    return row


def retry_now(session: Session, *, lanes: set[str], now: datetime) -> int:
    """Something new for these lanes: a head waiting out a temporary failure is tried now, not at the end of
    its backoff (the platform may be back; a person is acting). Never sooner than a rate limit's Retry-After,
    so at most one extra try per new message to a lane that keeps failing. Returns how many were moved."""
    if not lanes:
        return 0
    moved = 0
    for row in session.exec(select(OutboundMessage).where(
            col(OutboundMessage.lane).in_(sorted(lanes)), col(OutboundMessage.state) == PENDING,
            col(OutboundMessage.attempts) > 0, col(OutboundMessage.next_try_at) > now,
            col(OutboundMessage.reason) != "ratelimited")):
        if (held := row.meta.get(HELD_UNTIL)) and datetime.fromisoformat(held) > now:
            continue  # the platform said when (Slack's Retry-After, WeCom's minute): not a moment sooner
        row.next_try_at = now
        session.add(row)
        moved += 1
    return moved


def next_try(session: Session, *, platform: str) -> datetime | None:
    """When the next try is due: the soonest among each lane's oldest undelivered row."""
    heads: dict[str, datetime] = {}
    rows = session.exec(select(OutboundMessage.lane, OutboundMessage.next_try_at, OutboundMessage.lease_until,
                               OutboundMessage.state)
                        .where(OutboundMessage.platform == platform, col(OutboundMessage.state).in_(UNDELIVERED))
                        .order_by(col(OutboundMessage.id)))
    for lane, when, lease, state in rows:
        heads.setdefault(lane, lease if state == SENDING and lease else when)
    return min(heads.values(), default=None)


def pending_count(session: Session, *, platform: str | None = None) -> int:
    """How many rows wait to go out (for doctor and tests)."""
    query = select(OutboundMessage.id).where(col(OutboundMessage.state).in_(UNDELIVERED))
    if platform:
        query = query.where(OutboundMessage.platform == platform)
    return len(session.exec(query).all())


def troubles(session: Session, *, incident_id: int | None = None, limit: int = 200) -> list[OutboundMessage]:
    """Rows not delivered: waiting ones and dead letters, oldest first."""
    query = select(OutboundMessage).where(col(OutboundMessage.state).in_((*UNDELIVERED, DEAD)))
    if incident_id is not None:
        query = query.where(OutboundMessage.incident_id == incident_id)
    return list(session.exec(query.order_by(col(OutboundMessage.id)).limit(limit)))


Send = Callable[[OutboundMessage], dict[str, Any] | None]
OnSent = Callable[[Session, OutboundMessage, dict[str, Any]], None]
# Called in the transaction that records the failure; returns the ids of rows it queued (a fallback).
OnFailed = Callable[[Session, OutboundMessage, Failure], list[int] | None]


def flush(sessions: Callable[[], Session], *, platform: str, now: datetime, send: Send, on_sent: OnSent,
          on_dead: OnFailed, on_late: OnFailed, lanes: set[str] | None = None,
          ops: set[str] | None = None, stop: Callable[[], bool] | None = None, parallel: int = 1) -> int:
    """Try every due row, oldest first, lane by lane; returns how many went out.

    `lanes` limits the run to some lanes, `ops` to some kinds of row (a row of another kind at a
    lane's head holds that lane back, to keep its order). Once `stop()` is true (SIGTERM) no row is
    claimed any more: the one in flight is finished and confirmed, the rest wait for the next process.
    With `parallel` > 1, up to that many lanes are worked at once (each lane still in its order).
    """
    stop = stop or (lambda: False)
    done = 0
    for _ in range(5):  # a fallback queued by a failure goes out in the same run
        sent, queued = _pass(sessions, platform=platform, now=now, send=send, on_sent=on_sent, on_dead=on_dead,
                             on_late=on_late, lanes=lanes, ops=ops, stop=stop, parallel=parallel)
        done += sent
        if not queued:
            break
        with sessions() as session:
            new_lanes = set(session.exec(select(OutboundMessage.lane).where(col(OutboundMessage.id).in_(queued))))
        lanes = None if lanes is None else lanes | new_lanes
    return done


def _pass(sessions: Callable[[], Session], *, platform: str, now: datetime, send: Send, on_sent: OnSent,
          on_dead: OnFailed, on_late: OnFailed, lanes: set[str] | None, ops: set[str] | None,
          stop: Callable[[], bool], parallel: int = 1) -> tuple[int, list[int]]:
    with sessions() as session:
        query = select(OutboundMessage).where(OutboundMessage.platform == platform,
                                              col(OutboundMessage.state).in_(UNDELIVERED))
        if lanes is not None:
            query = query.where(col(OutboundMessage.lane).in_(sorted(lanes) or [""]))
        rows = list(session.exec(query.order_by(col(OutboundMessage.id))))
    def one(row: OutboundMessage) -> tuple[int, list[int], bool]:
        return _one(sessions, row, now=now, send=send, on_sent=on_sent, on_dead=on_dead, on_late=on_late, ops=ops)

    if parallel <= 1:  # oldest first across lanes; a lane whose head cannot go is passed over
        done, queued, blocked = 0, [], set()
        for row in rows:
            if stop():
                break
            if row.lane in blocked:
                continue
            sent, more, hold = one(row)
            done, queued = done + sent, queued + more
            if hold:
                blocked.add(row.lane)
        return done, queued
    by_lane: dict[str, list[OutboundMessage]] = {}
    for row in rows:
        by_lane.setdefault(row.lane, []).append(row)

    def lane(lane_rows: list[OutboundMessage]) -> tuple[int, list[int]]:
        done, queued = 0, []
        for row in lane_rows:
            if stop():
                break
            sent, more, hold = one(row)
            done, queued = done + sent, queued + more
            if hold:
                break
        return done, queued

    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(by_lane))), thread_name_prefix="outbox") as pool:
        results = list(pool.map(lane, by_lane.values()))
    return sum(r[0] for r in results), [i for r in results for i in r[1]]


def _one(sessions: Callable[[], Session], row: OutboundMessage, *, now: datetime, send: Send, on_sent: OnSent,
         on_dead: OnFailed, on_late: OnFailed, ops: set[str] | None) -> tuple[int, list[int], bool]:
    """Try one row: (1 if it went out, rows a failure queued, whether its lane must wait behind it)."""
    live_lease = row.state == SENDING and row.lease_until is not None and row.lease_until >= now
    if (ops is not None and row.op not in ops) or live_lease or row.next_try_at > now:
        return 0, [], True  # an older row of this lane has not gone: keep the order
    if not _claim(sessions, row.id, now):
        return 0, [], True
    try:
        result = send(row) or {}
    except NotReady as wait:
        _release(sessions, row.id, wait.until)
        return 0, [], True
    except Exception as exc:  # noqa: BLE001 - every failure is classified and kept, never raised
        failure = classify(exc)
        dead, more = _failed(sessions, row.id, failure, now, on_dead=on_dead, on_late=on_late)
        return 0, more, not dead
    _confirm(sessions, row.id, now, lambda session, fresh, said=result: on_sent(session, fresh, said))
    return 1, [], False


def _confirm(sessions: Callable[[], Session], row_id: int | None, now: datetime,
             effects: Callable[[Session, OutboundMessage], None]) -> None:
    """Mark a row sent, with what its delivery means; if those effects fail, still mark it sent.

    It went out: an expiring lease must never send it again, so a failure to record what it means
    (the alert's timeline line) is logged and the row is confirmed on its own.
    """
    with sessions() as session:
        fresh = session.get(OutboundMessage, row_id)
        assert fresh is not None
        fresh.state, fresh.sent_at, fresh.lease_until = SENT, now, None
        session.add(fresh)
        try:
            effects(session, fresh)
            session.commit()
            return
        except Exception:  # noqa: BLE001 - logged; the send itself stands
            log.exception("message %s went out but what it means could not be recorded", row_id)
            session.rollback()
    with sessions() as session:
        session.execute(update(OutboundMessage).where(col(OutboundMessage.id) == row_id)
                        .values(state=SENT, sent_at=now, lease_until=None))
        session.commit()


def _claim(sessions: Callable[[], Session], row_id: int | None, now: datetime) -> bool:
    """The idempotency record: the row is `sending` (with a lease) before anything goes out."""
    with sessions() as session:
        claimed = session.execute(update(OutboundMessage).where(
            col(OutboundMessage.id) == row_id, col(OutboundMessage.next_try_at) <= now,
            or_(col(OutboundMessage.state) == PENDING,
                (col(OutboundMessage.state) == SENDING) & (col(OutboundMessage.lease_until) < now)))
            .values(state=SENDING, lease_until=now + LEASE)).rowcount
        session.commit()
    return claimed == 1


def _release(sessions: Callable[[], Session], row_id: int | None, until: datetime) -> None:
    with sessions() as session:
        session.execute(update(OutboundMessage).where(col(OutboundMessage.id) == row_id)
                        .values(state=PENDING, lease_until=None, next_try_at=until))
        session.commit()


def _failed(sessions: Callable[[], Session], row_id: int | None, failure: Failure, now: datetime, *,
            on_dead: OnFailed, on_late: OnFailed) -> tuple[bool, list[int]]:
    """Record a failed try; True when the row was set aside (its lane may go on), and rows queued."""
    with sessions() as session:
        row = session.get(OutboundMessage, row_id)
        assert row is not None
        row.attempts += 1
        row.reason, row.last_error, row.lease_until = failure.code[:100], failure.text()[:1000], None
        row.first_failed_at = row.first_failed_at or now
        if failure.permanent:
            row.state, row.dead_at = DEAD, now
            session.add(row)
            queued = on_dead(session, row, failure) or []
            session.commit()
            return True, queued
        row.state = PENDING
        wait = backoff(row.attempts, key=row.id or 0, failing=now - row.first_failed_at)
        if failure.retry_after:
            wait = max(wait, timedelta(seconds=failure.retry_after))
        held = {HELD_UNTIL: (now + timedelta(seconds=failure.retry_after)).isoformat()} if failure.retry_after else {}
        row.meta = {**{k: v for k, v in row.meta.items() if k != HELD_UNTIL}, **held}
        late = row.warned_at is None and now - row.first_failed_at >= WARN_AFTER
        if late:
            row.warned_at = now
        elif row.warned_at is None:  # whoever must be told hears it on time, whatever the backoff
            wait = min(wait, max(row.first_failed_at + WARN_AFTER - now, timedelta(seconds=1)))
        row.next_try_at = now + wait
        session.add(row)
        queued = (on_late(session, row, failure) or []) if late else []
        session.commit()
        return False, queued
