"""The incident timeline: append-only, each event's hash covering the one before it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from storage.models import Incident, TimelineEvent

GENESIS = "0" * 64


def event_hash(*, incident_ref: str, seq: int, at: datetime, actor: str, kind: str, text: str,
               data: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 over a canonical JSON form of the event and the previous hash."""
    payload = {
        "incident": incident_ref,
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "kind": kind,
        "text": text,
        "data": data,
        "prev": prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def incident_ref(incident: Incident) -> str:
    """The identity hashed into every event, so events cannot move between incidents."""
    return f"{incident.workspace_id}/BR-{incident.number}"


def append(session: Session, *, incident: Incident, actor: str, kind: str, text: str = "",
           now: datetime, at: datetime | None = None, data: dict[str, Any] | None = None) -> TimelineEvent:
    """Add an event in the caller's transaction; `at` is when it happened (defaults to now)."""
    assert incident.id is not None
    last = session.exec(
        select(TimelineEvent).where(TimelineEvent.incident_id == incident.id)
        .order_by(col(TimelineEvent.seq).desc()).limit(1)
    ).first()
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS if last is None else last.hash
    at = at or now
    data = data or {}
    digest = event_hash(incident_ref=incident_ref(incident), seq=seq, at=at, actor=actor, kind=kind,
                        text=text, data=data, prev_hash=prev)
    event = TimelineEvent(incident_id=incident.id, seq=seq, at=at, recorded_at=now, actor=actor, kind=kind,
                          text=text, data=data, prev_hash=prev, hash=digest)
    session.add(event)
    session.flush()
    return event


def events(session: Session, incident: Incident) -> list[TimelineEvent]:
    """All events of an incident in order."""
    return list(session.exec(
        select(TimelineEvent).where(TimelineEvent.incident_id == incident.id).order_by(col(TimelineEvent.seq))
    ))


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a timeline's chain."""

    intact: bool
    count: int
    head_hash: str
    bad_seq: int | None = None
    problem: str = ""


def verify(session: Session, incident: Incident) -> Verification:
    """Recompute the chain; name the first event whose content or link does not match."""
    prev = GENESIS
    expected_seq = 1
    found = events(session, incident)
    for event in found:
        if event.seq != expected_seq:
            return Verification(False, len(found), prev, event.seq, f"event #{expected_seq} is missing")
        if event.prev_hash != prev:
            return Verification(False, len(found), prev, event.seq, f"event #{event.seq} does not link to #{event.seq - 1}")
        digest = event_hash(incident_ref=incident_ref(incident), seq=event.seq, at=event.at, actor=event.actor,
                            kind=event.kind, text=event.text, data=event.data, prev_hash=event.prev_hash)
        if digest != event.hash:
            return Verification(False, len(found), prev, event.seq, f"event #{event.seq} was changed after it was written")
        prev = event.hash
        expected_seq += 1
    return Verification(True, len(found), prev)


def compare_export(session: Session, incident: Incident, exported: dict[str, Any]) -> list[str]:
    """Differences between an exported incident (JSON) and the database's timeline; empty if they match."""
    problems = []
    stored = {e.seq: e for e in events(session, incident)}
    given = {int(e.get("seq", -1)): e for e in exported.get("timeline", []) if isinstance(e, dict)}
    if exported.get("id") != f"BR-{incident.number}":
        problems.append(f"the export is of {exported.get('id')!r}, not BR-{incident.number}")
    for seq in sorted(set(stored) | set(given)):
        if seq not in given:
            problems.append(f"event #{seq} is in the database but not in the export")
        elif seq not in stored:
            problems.append(f"event #{seq} is in the export but not in the database")
        else:
            mine, theirs = stored[seq], given[seq]
            if theirs.get("hash") != mine.hash:
                problems.append(f"event #{seq} has another hash in the export")
            elif (theirs.get("kind"), theirs.get("text"), theirs.get("actor")) != (mine.kind, mine.text, mine.actor):
                problems.append(f"event #{seq} says something else in the export than its hash covers")
    head = stored[max(stored)].hash if stored else GENESIS
    if exported.get("head_hash") != head:
        problems.append("the export's head hash is not the database's")
    return problems
