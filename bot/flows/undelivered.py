"""What the person who typed a command is told about the part of it that is not delivered yet.

Every row of the command that is still waiting is named with why and when it is tried again (the
platform's Retry-After or the backoff, as the outbox scheduled it); a row set aside is named with
why, and is not retried (the fallback and `breachbot outbox --retry` are what is left).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot import delivery
from bot.chat import Message
from bot.flows.delivering import reason_text
from bot.text.i18n import message
from bot.text.i18n import text as t
from bot.text.times import format_duration
from storage.models import OutboundMessage


def wait_text(lang: str, wait: timedelta) -> str:
    """How long until the next try, as people read it: '20 s', '2m' (zh '20秒', '2分')."""
    seconds = max(1, round(wait.total_seconds()))
    if seconds < 60:
        return t(lang, "delivery.seconds", n=seconds)
    return format_duration(timedelta(seconds=seconds + 59), lang)  # never sooner than said


@dataclass(frozen=True)
class Waiting:
    """A row of a command not sent yet, as read from the outbox (no session needed to word it)."""

    op: str
    target: str
    state: str
    reason: str
    last_error: str
    attempts: int
    next_try_at: datetime


def waiting(session: Session, rows: list[int], *, now: datetime) -> list[Waiting]:
    """The rows of a command that did not go out, oldest first. A row another worker is sending right now (the
    scheduler's sweep took it first) is not among them, nor is one never tried that waits behind nothing that
    failed: it is on its way, and saying "not delivered" of it would be false."""
    mine = list(session.exec(select(OutboundMessage).where(col(OutboundMessage.id).in_(rows))
                             .order_by(col(OutboundMessage.id))))
    stuck = {r.lane for r in session.exec(select(OutboundMessage).where(
        col(OutboundMessage.lane).in_(sorted({r.lane for r in mine}) or [""]),
        col(OutboundMessage.state).in_(delivery.UNDELIVERED), col(OutboundMessage.attempts) > 0))}
    return [Waiting(r.op, r.target, r.state, r.reason, r.last_error, r.attempts, r.next_try_at)
            for r in mine if r.state != delivery.SENT
            and not (r.state == delivery.SENDING and r.lease_until is not None and r.lease_until >= now)
            and (r.attempts > 0 or r.state == delivery.DEAD or r.lane in stuck)]


def report(rows: list[Waiting], *, lang: str, now: datetime, name: Callable[[str], str]) -> Message | None:
    """The answer about rows of a command not delivered (None when all went): kept and when, or failed and why.
    `name(user_id)` is how a person is shown (it may ask the platform: never called inside a transaction)."""
    kept, failed = [], []
    for row in rows:
        who = row.target if row.op in ("email", "upload") else f"@{name(row.target)}" if row.target else ""
        what = t(lang, f"delivery.what_{row.op}", user=who)
        if row.state == delivery.DEAD:
            failed.append(t(lang, "delivery.failed", what=what, reason=reason_text(lang, row.reason, row.op)))
            continue
        known = reason_text(lang, row.reason, row.op)
        reason = (known if known != row.reason else row.last_error[:200] or row.reason) if row.attempts \
            else t(lang, "delivery.queued")
        when = t(lang, "delivery.retry_in", wait=wait_text(lang, row.next_try_at - now)) \
            if row.attempts and row.next_try_at > now else ""
        kept.append(t(lang, "delivery.kept", what=what, reason=reason, when=when))
    if failed:
        return message(lang, "delivery.report_failed", kind="error", details="; ".join(failed + kept))
    if kept:
        return message(lang, "delivery.report_kept", kind="error", details="; ".join(kept))
    return None
