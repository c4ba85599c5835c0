"""The incident timeline: append-only, each event's hash covering the one before it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.text.i18n import text as t
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


def verify(session: Session, incident: Incident, *, upto: int | None = None, lang: str = "en") -> Verification:
    """Recompute the chain (events #1 to `upto` when given); name the first event that does not match.

    A report states the last event it includes: verifying up to it confirms the report's record is intact
    even after later events were added.
    """
    prev = GENESIS
    expected_seq = 1
    found = [e for e in events(session, incident) if upto is None or e.seq <= upto]
    if upto is not None and len(found) < upto:
        return Verification(False, len(found), prev, len(found) + 1, t(lang, "timeline_check.missing", seq=len(found) + 1))
    for event in found:
        if event.seq != expected_seq:
            return Verification(False, len(found), prev, event.seq, t(lang, "timeline_check.missing", seq=expected_seq))
        if event.prev_hash != prev:
            return Verification(False, len(found), prev, event.seq, t(lang, "timeline_check.unlinked", seq=event.seq,
                                                                                   before=event.seq - 1))
        digest = event_hash(incident_ref=incident_ref(incident), seq=event.seq, at=event.at, actor=event.actor,
                            kind=event.kind, text=event.text, data=event.data, prev_hash=event.prev_hash)
        if digest != event.hash:
            return Verification(False, len(found), prev, event.seq, t(lang, "timeline_check.changed", seq=event.seq))
        prev = event.hash
        expected_seq += 1
    return Verification(True, len(found), prev)


def compare_export(session: Session, incident: Incident, exported: dict[str, Any], *, lang: str = "en") -> list[str]:
    """Differences between an exported incident (JSON) and the database's timeline; empty if they match."""
    problems = []
    stored = {e.seq: e for e in events(session, incident)}
    given = {int(e.get("seq", -1)): e for e in exported.get("timeline", []) if isinstance(e, dict)}
    if exported.get("id") != f"BR-{incident.number}":
        problems.append(t(lang, "timeline_check.other_incident", value=exported.get("id"), n=incident.number))
    for seq in sorted(set(stored) | set(given)):
        if seq not in given:
            problems.append(t(lang, "timeline_check.only_database", seq=seq))
        elif seq not in stored:
            problems.append(t(lang, "timeline_check.only_export", seq=seq))
        else:
            mine, theirs = stored[seq], given[seq]
            if theirs.get("hash") != mine.hash:
                problems.append(t(lang, "timeline_check.other_hash", seq=seq))
            elif (theirs.get("kind"), theirs.get("text"), theirs.get("actor")) != (mine.kind, mine.text, mine.actor):
                problems.append(t(lang, "timeline_check.other_text", seq=seq))
    head = stored[max(stored)].hash if stored else GENESIS
    if exported.get("head_hash") != head:
        problems.append(t(lang, "timeline_check.other_head"))
    return problems
