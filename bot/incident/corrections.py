"""Corrections: a recorded time (or a notice's reference) was wrong, and someone says so, with why.

The timeline is append-only, so a correction never rewrites the event it corrects: it is a new event
(`corrected`) naming the corrected one by its number, with the time before and after and the reason.
Both stay in the record; whatever reads when things happened (the key times, the report's order,
a notice's "met at") reads the latest correction. A notice's deadline row and the clients told by it
are moved as well, so `/breach clocks` and the client register agree with the record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.errors import UserError
from bot.incident import deadlines, timeline
from bot.text.i18n import text as t
from storage.models import Client, Incident, TimelineEvent

KIND = "corrected"
BOT = "breachbot"
REGIME = "regime"
REASON_MAX = 500


@dataclass(frozen=True)
class Correction:
    """What was corrected: the event, its time before and after, and the new event that says so."""

    target: TimelineEvent
    before: datetime
    after: datetime
    event: TimelineEvent


def check_time(at: datetime, *, incident: Incident, now: datetime, lang: str, what: str,
               say: Callable[[datetime], str]) -> None:
    """Refuse a time when something happened that lies before awareness or in the future, saying why."""
    if at > now:
        raise UserError(t(lang, "correct.future", what=what, at=say(at)))
    if at < incident.aware_at:
        raise UserError(t(lang, "correct.before_aware", what=what, at=say(at), aware=say(incident.aware_at)))


def current_time(session: Session, incident: Incident, seq: int) -> datetime | None:
    """When event #seq happened, its latest correction applied (None: no such event)."""
    found = session.exec(select(TimelineEvent).where(TimelineEvent.incident_id == incident.id,
                                                     TimelineEvent.seq == seq)).first()
    if found is None:
        return None
    later = session.exec(select(TimelineEvent).where(TimelineEvent.incident_id == incident.id,
                                                     TimelineEvent.kind == KIND)
                         .order_by(col(TimelineEvent.seq))).all()
    at = found.at
    for c in later:
        if c.data.get("seq") == seq and c.data.get("to"):
            at = datetime.fromisoformat(c.data["to"])
    return at


def last_notice(session: Session, incident: Incident, clock_id: str) -> TimelineEvent | None:
    """The `notified` event that met a clock (the latest one)."""
    notices = session.exec(select(TimelineEvent).where(TimelineEvent.incident_id == incident.id,
                                                       TimelineEvent.kind == "notified")
                           .order_by(col(TimelineEvent.seq).desc()))
    return next((e for e in notices if e.data.get("clock") == clock_id), None)


def correct(session: Session, *, incident: Incident, seq: int, at: datetime | None, reference: str | None,
            reason: str, actor: str, now: datetime, lang: str) -> Correction:
    """Record that event #seq happened at `at` (and, for a notice, had `reference`), with the reason."""
    target = session.exec(select(TimelineEvent).where(TimelineEvent.incident_id == incident.id,
                                                      TimelineEvent.seq == seq)).first()
    if target is None:
        raise UserError(t(lang, "correct.no_event", seq=seq))
    if target.actor == BOT or target.kind in (KIND, "declared"):
        raise UserError(t(lang, "correct.not_this", seq=seq))
    if not reason.strip():
        raise UserError(t(lang, "correct.reason"))
    if len(reason) > REASON_MAX:
        raise UserError(t(lang, "error.text_long", what="--reason", max=REASON_MAX, length=len(reason)))
    if reference is not None and target.kind != "notified":
        raise UserError(t(lang, "correct.ref_only_notice"))
    before = current_time(session, incident, seq) or target.at
    after = at or before
    if at is None and reference is None:
        raise UserError(t(lang, "correct.nothing"))
    data = {"seq": seq, "kind": target.kind, "from": before.isoformat(), "to": after.isoformat(),
            "reason": reason.strip()}
    if target.kind == "notified":
        deadline = deadlines.get(session, incident_id=incident.id, kind=REGIME, ref=target.data.get("clock", ""))
        if deadline is not None:
            data["clock"] = target.data.get("clock")
            if reference is not None:
                data["reference_from"] = deadline.meta.get("reference")
                data["reference"] = reference.strip() or None
                deadline.meta = {**deadline.meta, "reference": reference.strip() or None}
            deadline.met_at = after
            session.add(deadline)
    elif target.kind == "clients_notified":
        for client in session.exec(select(Client).where(col(Client.id).in_(target.data.get("clients") or []))):
            if client.notified_at == before:
                client.notified_at = after
                session.add(client)
    event = timeline.append(session, incident=incident, actor=actor, kind=KIND, now=now,
                            text=f"#{seq} {target.kind}: {before.isoformat()} -> {after.isoformat()}: {reason.strip()}",
                            data=data)
    return Correction(target=target, before=before, after=after, event=event)
