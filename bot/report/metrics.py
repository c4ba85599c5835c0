"""The key times of an incident, computed in one place: the report, `/breach history`, the export, the
summary and the incident page all read them here, so they can never disagree.

Each time is the earliest moment the record says the thing happened (an event's `at`, as corrected by
`/breach correct`), never the first entry typed: a notice recorded late with `--at` still counts from
when it went out. Every span is measured from awareness (`aware_at`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.incident import timeline
from bot.incident.incidents import role_history
from bot.incident.phases import phase_states
from bot.law.regimes import RegimeBook
from storage.models import Incident, TimelineEvent

KEYS = ("declare", "assemble", "contain", "notify", "clients", "close")
"""declare · team assembled · contained · first regulator notice · first client told · closed."""
CORE_ROLES = ("lead", "it_security", "legal")  # the team of phase 1: IT security, legal, management
CORRECTED = "corrected"
_PEOPLE = re.compile(r"individual|resident|data subject|consumer|affected", re.I)


def effective_times(events: Iterable[TimelineEvent]) -> dict[int, datetime]:
    """When each event happened (seq → time), the latest `/breach correct` of it applied."""
    out: dict[int, datetime] = {}
    for event in events:
        out[event.seq] = event.at
        if event.kind == CORRECTED and isinstance(event.data.get("seq"), int) and event.data.get("to"):
            out[event.data["seq"]] = datetime.fromisoformat(event.data["to"])
    return out


def to_people(regimes: RegimeBook | None, clock_id: str) -> bool:
    """Whether a legal clock's notice goes to the affected people themselves (not to an authority)."""
    if regimes is None:
        return False
    key, _, clock = clock_id.partition("/")
    regime = regimes.regimes.get(key)
    found = next((c for c in regime.clocks if c.id == clock), None) if regime else None
    return bool(found and _PEOPLE.search(found.audience.en) and not re.search(
        r"authorit|commission|regulator|attorney|police|department|office|agenc", found.audience.en, re.I))


@dataclass(frozen=True)
class KeyTimes:
    """When each key moment happened (None while not reached), and awareness, which they count from."""

    aware: datetime
    at: dict[str, datetime | None]

    def span(self, key: str) -> timedelta | None:
        """Time from awareness to `key`."""
        moment = self.at[key]
        return None if moment is None else moment - self.aware

    def hours(self) -> dict[str, float | None]:
        """Every span in hours (for averages and charts)."""
        return {k: (None if (s := self.span(k)) is None else s.total_seconds() / 3600) for k in KEYS}


def _earliest(moments: Iterable[datetime | None]) -> datetime | None:
    known = [m for m in moments if m is not None]
    return min(known) if known else None


def key_times(session: Session, incident: Incident, regimes: RegimeBook | None = None) -> KeyTimes:
    """The incident's key times from its record (timeline with corrections, roles, phases)."""
    events = timeline.events(session, incident)
    when = effective_times(events)
    firsts: dict[str, datetime] = {}
    for a in role_history(session, incident):
        if a.role in CORE_ROLES and (a.role not in firsts or a.assigned_at < firsts[a.role]):
            firsts[a.role] = a.assigned_at
    assembled = max(firsts.values()) if len(firsts) == len(CORE_ROLES) else None
    contained = _earliest(when[e.seq] for e in events
                          if e.kind == "facts_changed" and (e.data.get("set") or {}).get("contained") is True)
    if contained is None:
        contained = _earliest([when[e.seq] for e in events if e.kind == "phase_completed"
                               and e.data.get("phase") == "containment"]
                              + [p.completed_at for p in phase_states(session, incident) if p.key == "containment"])
    notices = [(when[e.seq], to_people(regimes, str(e.data.get("clock", "")))) for e in events if e.kind == "notified"]
    told = [when[e.seq] for e in events if e.kind == "clients_notified"]
    return KeyTimes(aware=incident.aware_at, at={
        "declare": incident.declared_at,
        "assemble": assembled,
        "contain": contained,
        "notify": _earliest(at for at, people in notices if not people),
        "clients": _earliest(told + [at for at, people in notices if people]),
        "close": incident.closed_at,
    })
