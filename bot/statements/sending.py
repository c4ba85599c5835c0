"""Notices the bot sends itself: approved client letters by e-mail or SMS, each (client, version, channel) once.

A send is planned (who gets which approved version by which channel, who is skipped and why), confirmed
by a person, then queued: one SendAttempt row per (client, draft version, channel), unique in the
database. A runner claims one queued row at a time (queued → sending, committed before anything leaves),
hands the notice to a transport, and confirms it (sending → sent, the client told at the server's
acceptance time) in the next transaction. A process that dies between the two leaves the row `sending`:
it is never sent again by itself ("unconfirmed" in the summary, for a person to check), so no client
gets a notice twice. Transports are interfaces (bot.statements.transports): this module never opens a
socket, and a drill's run uses a transport that sends nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.incident import deadlines, timeline
from bot.statements import clients as register
from storage.models import Client, Draft, DraftVersion, Incident, SendAttempt, SendRun

EMAIL, SMS = "email", "sms"
QUEUED, SENDING, SENT, REFUSED, BOUNCED, DELIVERED = "queued", "sending", "sent", "refused", "bounced", "delivered"
RUNNING, STOPPED, DONE = "running", "stopped", "done"
REACHED = (SENT, DELIVERED)
LEASE = timedelta(minutes=2)
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
_PHONE = re.compile(r"^\+?\d{7,15}$")


class Refused(Exception):
    """The server or provider refused this notice for good (unknown mailbox, illegal number): not sent."""


class Unavailable(Exception):
    """Nothing was accepted and it may work later (connection refused, a 4xx reply, throttled)."""


class Uncertain(Exception):
    """The notice was handed over but no answer came back: it may have been delivered, so it is not resent."""


@dataclass(frozen=True)
class Notice:
    """One message to one client, merged and ready; `to` is decrypted in memory only for the send."""

    key: str
    channel: str
    to: str
    lang: str
    subject: str
    text: str
    message_id: str
    client_name: str = ""
    attachment: bytes | None = None
    attachment_name: str = ""
    sms_params: dict[str, str] = field(default_factory=dict)


class Transport(Protocol):
    """Sends a notice; returns the provider's id for it (Message-ID, BizId) or raises Refused/Unavailable."""

    channel: str

    def send(self, notice: Notice) -> str: ...


def channel_of(contact: str) -> str | None:
    """email for an address, sms for a mobile number, None for anything else (a postal address…)."""
    contact = contact.strip()
    if _EMAIL.match(contact):
        return EMAIL
    if _PHONE.match(re.sub(r"[\s\-()]", "", contact)):
        return SMS
    return None


def attempt_key(*, client_id: int, version_id: int, channel: str) -> str:
    """The idempotency key of one notice: what the unique constraint holds, as text for headers."""
    return f"c{client_id}.v{version_id}.{channel}"


def message_id(key: str, *, domain: str) -> str:
    """A per-client Message-ID derived from the key, so a bounce names exactly the notice it returns."""
    token = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"<breachbot.{key}.{token}@{domain}>"


@dataclass(frozen=True)
class Item:
    """One client in a plan: the letter and channel they get, or why they are skipped."""

    client: Client
    version: DraftVersion | None
    draft: Draft | None
    channel: str | None
    skip: str | None = None  # no_letter | no_contact | no_channel | already


@dataclass
class Plan:
    """Who a send reaches and how, before anyone confirms it."""

    items: list[Item]

    @property
    def going(self) -> list[Item]:
        """The clients who will get a notice."""
        return [i for i in self.items if i.skip is None]

    def by_channel(self) -> Counter:
        """How many notices go by e-mail and by SMS."""
        return Counter(i.channel for i in self.going)

    def skipped(self) -> Counter:
        """How many are skipped, by reason."""
        return Counter(i.skip for i in self.items if i.skip)


def plan(session: Session, *, incident: Incident, letters: dict[tuple[str, str], tuple[Draft, DraftVersion]],
         target: str, vault: register.Vault, channels: frozenset[str]) -> Plan:
    """Match every chosen client to the approved letter in their language and type, and their contact to a channel.

    `target` is all, told (an update's or survey's all: those not told yet are listed as skipped),
    not-notified or client:<id>; `channels` are the ones the firm configured. Contacts are
    decrypted here only to tell an address from a number, and dropped at once.
    """
    everyone = register.register(session, incident)
    if target == "not-notified":
        chosen = [c for c in everyone if c.notified_at is None]
    elif target.startswith("client:"):
        chosen = [c for c in everyone if str(c.id) == target.split(":", 1)[1]]
    else:
        chosen = everyone
    done = {(a.client_id, a.version_id, a.channel) for a in session.exec(
        select(SendAttempt).where(SendAttempt.incident_id == incident.id, col(SendAttempt.state) != QUEUED))}
    items = []
    for client in chosen:
        letter = letters.get((client.lang, client.kind))
        if letter is None:
            items.append(Item(client, None, None, None, "no_letter"))
            continue
        draft, version = letter
        if draft.kind != "client" and client.notified_at is None:  # an update or survey follows a first letter
            items.append(Item(client, version, draft, None, "not_told"))
            continue
        channel = channel_of(vault.open(client.contact_encrypted))
        if channel is None:
            items.append(Item(client, version, draft, None, "no_contact"))
        elif channel not in channels:
            items.append(Item(client, version, draft, channel, "no_channel"))
        elif (client.id, version.id, channel) in done:
            items.append(Item(client, version, draft, channel, "already"))
        else:
            items.append(Item(client, version, draft, channel))
    return Plan(items)


def next_number(session: Session, incident: Incident) -> int:
    """The number of the incident's next send run (S-n)."""
    last = session.exec(select(func.max(SendRun.number)).where(SendRun.incident_id == incident.id)).one()
    return (last or 0) + 1


def start(session: Session, *, incident: Incident, plan_: Plan, target: str, actor: str, now: datetime,
          domain: str) -> SendRun:
    """Queue the plan as a run: one attempt row per notice (a row queued by an earlier, stopped run moves here)."""
    run = SendRun(incident_id=incident.id, number=next_number(session, incident),
                  versions=sorted({i.version.id for i in plan_.going if i.version}), target=target,
                  skipped=dict(plan_.skipped()),
                  actor=actor, drill=incident.drill, created_at=now, next_at=now)
    session.add(run)
    session.flush()
    queued = {(a.client_id, a.version_id, a.channel): a for a in session.exec(
        select(SendAttempt).where(SendAttempt.incident_id == incident.id, SendAttempt.state == QUEUED))}
    for item in plan_.going:
        assert item.version is not None and item.channel is not None and item.client.id is not None
        found = queued.get((item.client.id, item.version.id, item.channel))
        if found is not None:
            found.run_id = run.id
            session.add(found)
            continue
        key = attempt_key(client_id=item.client.id, version_id=item.version.id or 0, channel=item.channel)
        session.add(SendAttempt(run_id=run.id, incident_id=incident.id, client_id=item.client.id,
                                version_id=item.version.id, channel=item.channel, state=QUEUED,
                                message_id=message_id(key, domain=domain), claimed_at=now))
    timeline.append(session, incident=incident, actor=actor, kind="send_started", now=now,
                    text=f"S-{run.number}: {len(plan_.going)} notices", data={
                        "run": run.number, "count": len(plan_.going), "target": target,
                        "channels": dict(plan_.by_channel()), "versions": run.versions})
    return run


def stop(session: Session, *, incident: Incident, actor: str, now: datetime) -> list[SendRun]:
    """The kill switch: every running send of the incident stops before its next notice."""
    running = list(session.exec(select(SendRun).where(SendRun.incident_id == incident.id,
                                                      SendRun.state == RUNNING)))
    for run in running:
        run.state, run.finished_at = STOPPED, now
        session.add(run)
    if running:
        timeline.append(session, incident=incident, actor=actor, kind="send_stopped", now=now,
                        text=", ".join(f"S-{r.number}" for r in running), data={"runs": [r.number for r in running]})
    return running


def due_runs(session: Session, *, now: datetime, platform: str | None = None) -> list[SendRun]:
    """Running sends (of one platform's firms) whose next batch is due and that no live process holds."""
    return list(session.exec(select(SendRun).where(
        SendRun.state == RUNNING, col(SendRun.next_at) <= now, col(SendRun.incident_id).in_(deadlines.on_platform(platform)),
        (col(SendRun.lease_until).is_(None)) | (col(SendRun.lease_until) <= now)).order_by(col(SendRun.id))))


def next_due(session: Session, *, platform: str | None = None) -> datetime | None:
    """When the earliest running send (of one platform's firms) may go on (a run held by a process that died:
    when its lease ends)."""
    rows = session.exec(select(SendRun.next_at, SendRun.lease_until).where(
        SendRun.state == RUNNING, col(SendRun.incident_id).in_(deadlines.on_platform(platform)))).all()
    return min((max(at, lease) if lease else at for at, lease in rows), default=None)


def claim_run(session: Session, *, run_id: int, worker: str, now: datetime) -> bool:
    """Hold a run for this process for a while (another process resumes it if this one dies)."""
    result = session.exec(update(SendRun).where(  # type: ignore[call-overload]
        col(SendRun.id) == run_id, col(SendRun.state) == RUNNING,
        (col(SendRun.lease_until).is_(None)) | (col(SendRun.lease_until) <= now))
        .values(claimed_by=worker, lease_until=now + LEASE))
    return result.rowcount == 1


def sent_in_last_minute(session: Session, *, now: datetime) -> tuple[int, datetime | None]:
    """How many notices were handed over in the last minute, and the first of them (the rate counts them all)."""
    count, oldest = session.exec(select(func.count(), func.min(SendAttempt.claimed_at)).where(
        col(SendAttempt.state) != QUEUED, col(SendAttempt.claimed_at) > now - timedelta(minutes=1))).one()
    return count, oldest


def has_queued(session: Session, run: SendRun) -> bool:
    """Whether any notice of the run still waits."""
    return session.exec(select(SendAttempt.id).where(SendAttempt.run_id == run.id, SendAttempt.state == QUEUED)
                        .limit(1)).first() is not None


def claim_next(session: Session, *, run: SendRun, now: datetime) -> SendAttempt | None:
    """Take the run's next queued notice: queued → sending, to be committed before it leaves."""
    while True:
        attempt = session.exec(select(SendAttempt).where(SendAttempt.run_id == run.id, SendAttempt.state == QUEUED)
                               .order_by(col(SendAttempt.id)).limit(1)).first()
        if attempt is None:
            return None
        result = session.exec(update(SendAttempt).where(  # type: ignore[call-overload]
            col(SendAttempt.id) == attempt.id, col(SendAttempt.state) == QUEUED)
            .values(state=SENDING, claimed_at=now))
        if result.rowcount == 1:
            session.refresh(attempt)
            return attempt


def confirm(session: Session, *, incident: Incident, attempt: SendAttempt, provider_id: str, at: datetime,
            actor: str) -> None:
    """The server accepted it: the client is told at that moment, by that channel (a first letter only;
    a progress update or a survey is recorded as sent and tells nobody of the breach)."""
    attempt.state, attempt.accepted_at = SENT, at
    if provider_id and attempt.channel == SMS:
        attempt.message_id = provider_id[:300]
    session.add(attempt)
    client = session.get(Client, attempt.client_id)
    assert client is not None
    version = session.get(DraftVersion, attempt.version_id)
    draft = session.get(Draft, version.draft_id) if version is not None else None
    kind = draft.kind if draft is not None else "client"
    if client.notified_at is None and kind == "client":
        client.notified_at, client.notified_via, client.notified_by = at, attempt.channel, actor
        session.add(client)
        if client.notice_hours is not None:
            deadline = deadlines.get(session, incident_id=incident.id, kind=register.CLIENT, ref=f"client:{client.id}")
            if deadline is not None and deadline.met_at is None:
                deadlines.meet(session, deadline, at=at)
    timeline.append(session, incident=incident, actor=actor, kind="notice_sent", now=at, at=at,
                    text=f"{attempt.channel} to client {client.id}",
                    data={"client": client.id, "channel": attempt.channel, "version": attempt.version_id,
                          "draft_kind": kind})


def refuse(session: Session, *, attempt: SendAttempt, error: str, at: datetime) -> None:
    """The server said no for good: recorded, never retried by itself."""
    attempt.state, attempt.failed_at, attempt.error = REFUSED, at, error[:500]
    session.add(attempt)


def requeue(session: Session, *, attempt: SendAttempt) -> None:
    """Nothing was accepted (temporary trouble): the notice waits for the next batch."""
    attempt.state = QUEUED
    session.add(attempt)


@dataclass(frozen=True)
class Tally:
    """Where a run stands, for the progress bar and the summary."""

    total: int
    queued: int
    sent: int
    refused: int
    bounced: int
    unconfirmed: int
    by_channel: dict[str, int]

    @property
    def done(self) -> int:
        """Notices no longer waiting."""
        return self.total - self.queued


def tally(session: Session, run: SendRun) -> Tally:
    """Counts of a run's notices; `sending` rows of a run nobody holds any more are unconfirmed."""
    rows = session.exec(select(SendAttempt.state, SendAttempt.channel).where(SendAttempt.run_id == run.id)).all()
    states = Counter(state for state, _ in rows)
    return Tally(total=len(rows), queued=states[QUEUED], sent=states[SENT] + states[DELIVERED],
                 refused=states[REFUSED], bounced=states[BOUNCED], unconfirmed=states[SENDING],
                 by_channel=dict(Counter(ch for state, ch in rows if state in REACHED)))


def finish(session: Session, *, incident: Incident, run: SendRun, now: datetime) -> Tally:
    """No notice left queued: the run is done, with its summary in the timeline."""
    counts = tally(session, run)
    run.state, run.finished_at, run.lease_until = DONE, now, None
    session.add(run)
    timeline.append(session, incident=incident, actor="breachbot", kind="send_finished", now=now,
                    text=f"S-{run.number}: {counts.sent} sent, {counts.refused} refused, {counts.unconfirmed} unconfirmed",
                    data={"run": run.number, "sent": counts.sent, "refused": counts.refused,
                          "bounced": counts.bounced, "unconfirmed": counts.unconfirmed})
    return counts


def handed_over(session: Session, incident: Incident) -> set[int]:
    """Clients a notice of this incident was handed to (sent, delivered, or unconfirmed)."""
    return set(session.exec(select(SendAttempt.client_id).where(
        SendAttempt.incident_id == incident.id, col(SendAttempt.state).in_((SENDING, SENT, DELIVERED)))))


def runs(session: Session, incident: Incident) -> list[SendRun]:
    """The incident's sends, oldest first."""
    return list(session.exec(select(SendRun).where(SendRun.incident_id == incident.id).order_by(col(SendRun.number))))
