"""Legal notification clocks: the regimes evaluated against an incident's facts, kept as deadlines.

The regimes engine (bot/law/regimes.py) is pure; this module turns its answer into Deadline rows
(kind "regime"), moves or drops them when facts change, and marks them met when legal says
the notice went out. A clock already met stays met whatever changes later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot.incident import deadlines, timeline
from bot.law.regimes import ClockResult, IncidentFacts, RegimeBook, evaluate
from storage.models import Deadline, Incident

REGIME = "regime"


def remind_before(span: timedelta) -> timedelta:
    """A quarter of the time allowed, at least 15 minutes and at most a day."""
    return max(timedelta(minutes=15), min(timedelta(days=1), span / 4))


def facts_of(incident: Incident, firm_profile: frozenset[str]) -> IncidentFacts:
    """The facts the regimes read, from what the incident has recorded."""
    f = incident.facts

    def when(key: str) -> datetime | None:
        return datetime.fromisoformat(f[key]) if f.get(key) else None

    return IncidentFacts(
        aware_at=incident.aware_at,
        affected=dict(f.get("affected") or {}),
        data_categories=frozenset(f.get("data") or ()),
        encrypted=f.get("encrypted"),
        key_safe=f.get("key_safe"),
        crime_suspected=f.get("crime_suspected"),
        ransom_paid=f.get("ransom_paid"),
        determined_at=when("determined_at"),
        assessed_at=when("assessed_at"),
        handling_ended_at=when("handling_ended_at"),
        cac_level=f.get("cac_level"),
        firm_profile=firm_profile,
    )


@dataclass(frozen=True)
class ClockChange:
    """A clock that started to apply, moved, or stopped applying."""

    clock_id: str
    change: str  # "applies" | "moved" | "dropped"
    due_at: datetime | None
    before: datetime | None = None


def sync(session: Session, *, incident: Incident, book: RegimeBook, firm_profile: frozenset[str],
         now: datetime) -> list[ClockChange]:
    """Make the incident's regime deadlines match the regimes for its current facts."""
    results = {r.clock_id: r for r in evaluate(book, facts_of(incident, firm_profile))}
    existing = {d.ref: d for d in session.exec(select(Deadline).where(
        Deadline.incident_id == incident.id, Deadline.kind == REGIME))}
    changes: list[ClockChange] = []
    for clock_id, result in results.items():
        row = existing.get(clock_id)
        wanted = result.due_at if result.applies else None
        if row is not None and row.met_at is not None:
            continue  # met is final: the notice went out
        if wanted is None:
            if row is not None and row.cancelled_at is None:
                row.cancelled_at = now
                session.add(row)
                deadlines.cancel_alerts(session, deadline_ids=[row.id])
                changes.append(ClockChange(clock_id, "dropped", None, row.due_at))
            continue
        span = wanted - incident.aware_at if wanted > incident.aware_at else timedelta(hours=1)
        meta = {"regime": result.regime_key, "hard": result.hard_deadline, "citation": result.citation.model_dump()}
        if row is None:
            deadlines.schedule(session, incident_id=incident.id, kind=REGIME, ref=clock_id, due_at=wanted,
                               remind_before=remind_before(span), now=now, meta=meta)
            changes.append(ClockChange(clock_id, "applies", wanted))
        elif row.cancelled_at is not None or row.due_at != wanted:
            before = None if row.cancelled_at is not None else row.due_at
            row.cancelled_at, row.meta = None, meta
            deadlines.move(session, row, due_at=wanted, remind_before=remind_before(span), now=now)
            changes.append(ClockChange(clock_id, "applies" if before is None else "moved", wanted, before))
    if changes:
        timeline.append(session, incident=incident, actor="breachbot", kind="clocks_changed", now=now,
                        text=", ".join(f"{c.clock_id} {c.change}" for c in changes),
                        data={"changes": [{"clock": c.clock_id, "change": c.change,
                                           "due_at": c.due_at.isoformat() if c.due_at else None,
                                           "before": c.before.isoformat() if c.before else None}
                                          for c in changes]})
    return changes


@dataclass(frozen=True)
class ClockRow:
    """One clock as people see it in /breach clocks and the export."""

    result: ClockResult
    status: str  # pending | met | missed | waiting | not_applicable
    met_at: datetime | None = None
    reference: str | None = None


def rows(session: Session, *, incident: Incident, book: RegimeBook, firm_profile: frozenset[str],
         now: datetime) -> list[ClockRow]:
    """Every clock with its status, applicable ones first (soonest due first)."""
    stored = {d.ref: d for d in session.exec(select(Deadline).where(
        Deadline.incident_id == incident.id, Deadline.kind == REGIME))}
    out = []
    for result in evaluate(book, facts_of(incident, firm_profile)):
        row = stored.get(result.clock_id)
        if row is not None and row.met_at is not None:
            out.append(ClockRow(result, "met", row.met_at, row.meta.get("reference")))
        elif not result.applies:
            out.append(ClockRow(result, "not_applicable"))
        elif result.due_at is None:
            out.append(ClockRow(result, "waiting"))
        else:
            out.append(ClockRow(result, "missed" if result.due_at < now else "pending"))
    order = {"missed": 0, "pending": 1, "waiting": 2, "met": 3, "not_applicable": 4}
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(out, key=lambda r: (order[r.status], r.result.due_at or far, r.result.clock_id))


def find_clock(book: RegimeBook, current: list[ClockRow], ref: str) -> list[ClockRow]:
    """Clocks named by a regime key (all its applicable clocks) or a full clock id."""
    ref = ref.strip().lower()
    if "/" in ref:
        return [r for r in current if r.result.clock_id == ref]
    return [r for r in current if r.result.regime_key == ref and r.status != "not_applicable"]


def mark_notified(session: Session, *, incident: Incident, row: ClockRow, at: datetime, reference: str,
                  actor: str, now: datetime) -> None:
    """Record that the notice of a clock went out (met), with the authority's reference."""
    deadline = deadlines.get(session, incident_id=incident.id, kind=REGIME, ref=row.result.clock_id)
    if deadline is None:  # a clock whose start time is unknown can still be met
        deadline = deadlines.schedule(session, incident_id=incident.id, kind=REGIME, ref=row.result.clock_id,
                                      due_at=at, remind_before=None, now=now, meta={})
    deadline.meta = {**deadline.meta, "reference": reference or None, "notified_by": actor}
    deadlines.meet(session, deadline, at=at)
    timeline.append(session, incident=incident, actor=actor, kind="notified", now=now, at=at,
                    text=f"{row.result.clock_id}" + (f" ref {reference}" if reference else ""),
                    data={"clock": row.result.clock_id, "reference": reference,
                          "on_time": row.result.due_at is None or at <= row.result.due_at})


OPEN = ("missed", "pending", "waiting")  # a clock with a notice still owed


def open_clocks(session: Session, *, incident: Incident, book: RegimeBook, firm_profile: frozenset[str],
                now: datetime) -> list[ClockRow]:
    """The legal clocks whose notice has not been recorded, most urgent first."""
    return [r for r in rows(session, incident=incident, book=book, firm_profile=firm_profile, now=now)
            if r.status in OPEN]
