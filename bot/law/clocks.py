"""Legal notification clocks: the regimes evaluated against an incident's facts, kept as deadlines.

The regimes engine (bot/law/regimes.py) is pure; this module turns its answer into Deadline rows
(kind "regime"), moves or drops them when facts change, and marks them met when legal says
the notice went out. A clock already met stays met whatever changes later.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from bot.incident import deadlines, timeline
from bot.incident.names import fold, matching
from bot.law.conditions import NoHarmDecision
from bot.law.regimes import ClockResult, IncidentFacts, RegimeBook, evaluate
from bot.text.i18n import catalogue
from storage.models import Deadline, FirmSettings, Incident, Workspace

REGIME = "regime"


def remind_before(span: timedelta) -> timedelta:
    """A quarter of the time allowed, at least 15 minutes and at most a day."""
    return max(timedelta(minutes=15), min(timedelta(days=1), span / 4))


def facts_of(incident: Incident, firm_profile: frozenset[str], *, timezone: str = "UTC",
             notified: dict[str, datetime] | None = None, holidays: frozenset[date] = frozenset()) -> IncidentFacts:
    """The facts the regimes read, from what the incident has recorded (and the notices already sent)."""
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
        on_behalf=f.get("on_behalf"),
        determined_at=when("determined_at"),
        assessed_at=when("assessed_at"),
        handling_ended_at=when("handling_ended_at"),
        ransom_paid_at=when("ransom_paid_at"),
        cac_level=f.get("cac_level"),
        firm_profile=firm_profile,
        timezone=timezone,
        holidays=holidays,
        notified=notified or {},
        no_harm={key: NoHarmDecision(at=datetime.fromisoformat(d["at"]), by=d["by"], reason=d["reason"])
                 for key, d in (f.get("no_harm") or {}).items()},
    )


def _facts(session: Session, incident: Incident, book: RegimeBook, firm_profile: frozenset[str],
           stored: dict[str, Deadline]) -> IncidentFacts:
    """The facts with the workspace's time zone (where the law's days end), the holidays business days skip (the
    deployment's, as the firm replaced or added to them: /breach config holidays) and the notices recorded."""
    workspace = session.get(Workspace, incident.workspace_id)
    settings = session.get(FirmSettings, incident.workspace_id)
    return facts_of(incident, firm_profile, timezone=workspace.timezone if workspace else "UTC",
                    notified={ref: row.met_at for ref, row in stored.items() if row.met_at is not None},
                    holidays=holidays_of(settings.values if settings is not None else {}, book.holidays))


def holidays_of(values: Mapping[str, Any], deployment: frozenset[date] = frozenset()) -> frozenset[date]:
    """The local dates a firm's business days skip: its settings' `holidays` (ISO dates) instead of the
    deployment's, or `{"add": [...]}` on top of them; the deployment's when it set none."""
    own = values.get("holidays")
    if own is None:
        return deployment
    if isinstance(own, dict):
        return deployment | frozenset(date.fromisoformat(day) for day in own.get("add") or ())
    return frozenset(date.fromisoformat(day) for day in own)


def holidays_mark(days: frozenset[date]) -> str:
    """A fingerprint of the holidays a clock was counted with, stored with it (meta `holidays`): a process that
    starts with other holidays ([holidays] in breachbot.toml edited meanwhile) counts that incident's clocks again."""
    return hashlib.sha256(",".join(sorted(day.isoformat() for day in days)).encode()).hexdigest()[:16]


def counted_with_other_holidays(session: Session, *, incident: Incident, book: RegimeBook) -> bool:
    """Whether an open clock of the incident was counted with other holidays than the firm's in force now."""
    settings = session.get(FirmSettings, incident.workspace_id)
    mark = holidays_mark(holidays_of(settings.values if settings is not None else {}, book.holidays))
    return any(row.meta.get("holidays") != mark for row in session.exec(select(Deadline).where(
        Deadline.incident_id == incident.id, Deadline.kind == REGIME)) if row.met_at is None and row.cancelled_at is None)


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
    existing = {d.ref: d for d in session.exec(select(Deadline).where(
        Deadline.incident_id == incident.id, Deadline.kind == REGIME))}
    facts = _facts(session, incident, book, firm_profile, existing)
    mark = holidays_mark(facts.holidays)
    results = {r.clock_id: r for r in evaluate(book, facts)}
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
        meta = {"regime": result.regime_key, "hard": result.hard_deadline, "citation": result.citation.model_dump(),
                "holidays": mark}
        if row is None:
            deadlines.schedule(session, incident_id=incident.id, kind=REGIME, ref=clock_id, due_at=wanted,
                               remind_before=remind_before(span), now=now, meta=meta)
            changes.append(ClockChange(clock_id, "applies", wanted))
        elif row.cancelled_at is not None or row.due_at != wanted:
            before = None if row.cancelled_at is not None else row.due_at
            row.cancelled_at, row.meta = None, meta
            deadlines.move(session, row, due_at=wanted, remind_before=remind_before(span), now=now)
            changes.append(ClockChange(clock_id, "applies" if before is None else "moved", wanted, before))
        elif row.meta.get("holidays") != mark:  # counted again with other holidays, and nothing moved
            row.meta = {**row.meta, "holidays": mark}
            session.add(row)
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
    for result in evaluate(book, _facts(session, incident, book, firm_profile, stored)):
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


def regime_names(book: RegimeBook, key: str) -> list[str]:
    """Every name a regime goes by: its key, its short names (`个保法`, `PIPL`) and its titles in both languages."""
    regime = book.regimes[key]
    found = [key]
    for lang in ("zh", "en"):
        found += [n for n in catalogue(lang).get(f"regime_names.{key}", "").split("/") if n.strip()]
    for title in (regime.title.zh, regime.title.en):
        found += [title, re.split(r"[:：]", title)[0]]
    return found


def regime_keys(book: RegimeBook, raw: str) -> list[str]:
    """The regimes a typed name means (`matching`): a key, a short name or a title in either language, any case,
    or the start or a word of one; several when it is ambiguous."""
    typed = fold(raw)
    if typed.replace(" ", "-") in book.regimes:
        return [typed.replace(" ", "-")]
    return matching(raw, [(fold(name), key) for key in book.regimes for name in regime_names(book, key)])


def named_regime(book: RegimeBook, raw: str) -> list[str]:
    """The regime a typed name means for one document: a name several regimes share (GDPR: Art. 33 and 34) means
    the first of them; otherwise as `regime_keys` (several when the name is ambiguous)."""
    keys = regime_keys(book, raw)
    exact = [key for key in keys if fold(raw) in {fold(name) for name in regime_names(book, key)}]
    return exact[:1] or keys


def shown_regime(book: RegimeBook, key: str, lang: str) -> str:
    """A regime as a Chinese workspace names it (its first short name), or its key."""
    names = catalogue("zh").get(f"regime_names.{key}", "") if lang == "zh" else ""
    return names.split("/")[0] if names else key


def clock_name(book: RegimeBook, clock_id: str, lang: str) -> str:
    """A clock as chat names it, never by its id: the regime's title (or its own), and where the regime has several
    clocks of one title, to whom (`个人信息保护法：个人信息泄露（受影响的个人）`); the id only where the regime is gone."""
    key, _, own = clock_id.partition("/")
    title = book.clock_title(clock_id, lang)
    regime = book.regimes.get(key)
    clock = next((c for c in regime.clocks if c.id == own), None) if regime is not None else None
    if clock is None or clock.title is not None or sum(1 for c in regime.clocks if c.title is None) < 2:
        return title
    return f"{title}（{clock.audience(lang)}）" if lang == "zh" else f"{title} ({clock.audience(lang)})"


_PEOPLE = ("individual", "residents", "subjects")  # clock ids of notices to the people themselves
_AUDIENCE_WORDS = {  # a word typed after the regime's name → which of its clocks (`/breach 已通报 个保法 个人`)
    "people": ("个人", "居民", "用户", "本人", "数据主体", "当事人", "individuals", "individual", "residents",
               "people", "subjects", "consumers"),
    "owner": ("客户", "委托客户", "所有者", "数据所有者", "owner", "owners", "client", "clients", "controller"),
    "authority": ("监管", "监管部门", "主管部门", "部门", "机关", "网信", "网信办", "监管机构", "authority",
                  "regulator", "department", "commission", "commissioner"),
}


def _audience(row: ClockRow) -> str:
    suffix = row.result.clock_id.rsplit("/", 1)[-1]
    return "people" if any(w in suffix for w in _PEOPLE) else "owner" if suffix == "owner" else "authority"


def find_clock(book: RegimeBook, current: list[ClockRow], ref: str) -> list[ClockRow]:
    """Clocks named by a regime (key or name: all its applicable clocks), a full clock id, or a regime
    and a word for whom (`个保法 个人`, `PIPL authority`, `加州 ag`)."""
    ref = ref.strip().lower()
    if "/" in ref:
        return [r for r in current if r.result.clock_id == ref]
    regime, _, who = ref.partition(" ")
    keys = regime_keys(book, regime)
    found = [r for r in current if r.result.regime_key in keys and r.status != "not_applicable"]
    who = who.strip()
    if not who:
        return found
    exact = [r for r in found if r.result.clock_id.rsplit("/", 1)[-1] == who]
    if exact:
        return exact
    kinds = {kind for kind, words in _AUDIENCE_WORDS.items() if who in words}
    by_kind = [r for r in found if _audience(r) in kinds]
    if by_kind:
        return by_kind
    return [r for r in found if who in r.result.audience_zh.lower() or who in r.result.audience_en.lower()]


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
