"""Legal notification regimes: the YAML models, the loader and a pure clock evaluator."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.functional_validators import PlainValidator

from bot.incident.playbook import Localized, file_version, parse_yaml, yaml_line, yaml_tree
from bot.incident.wording import Citation
from bot.law import authorities
from bot.law.conditions import (  # noqa: F401  (re-exported: the regimes' vocabulary lives with them)
    FIRM_PROFILES,
    Condition,
    IncidentFacts,
    parse_condition,
)
from bot.law.content import ContentItem, beside, chinese
from bot.law.reasons import Reason, join, reason
from bot.text.facts import CAC_LEVELS, DATA_CATEGORIES, RESIDENCES  # noqa: F401
from bot.text.times import parse_duration
from bot.text.worded import Lines, Listing, Worded, from_pydantic, place, shown

STARTS: tuple[str, ...] = ("aware", "discovery", "determination", "determination_or_belief", "assessment",
                           "handling_ended", "payment", "no_harm")
_START_FACT = {"aware": "aware_at", "discovery": "aware_at", "determination": "determined_at",
               "assessment": "assessed_at", "handling_ended": "handling_ended_at", "payment": "ransom_paid_at"}
_Earlier = dict[str, tuple[datetime | None, bool, Reason | None]]  # clock id: (due_at, hard, what to record)


class RegimeError(Worded):
    """A regimes file that cannot be used; it names the file, the regime key and the problem, in any language."""


@dataclass(frozen=True)
class ClockResult:
    """One notification clock for one incident: whether it applies, why, and when it is due."""

    regime_key: str
    clock_id: str
    audience_en: str
    audience_zh: str
    applies: bool
    reason: Reason  # words in the workspace's language: bot.regime_reasons.render(reason, lang)
    starts: str
    due_at: datetime | None
    hard_deadline: bool
    citation: Citation  # where the law says so: citation(lang)
    content: list[Localized]  # what the law says the notice must contain: item(lang)
    note: Localized | None = None
    source: Localized | None = None  # the text the regime entry was checked against …
    verified_on: date | None = None  # … and when
    decided: bool = False  # closed by a recorded no-harm decision (it would apply without one)
    timing_unread: bool = False  # a firm target where the statute's words on when were not read



class CalendarDays(timedelta):
    """A deadline the law counts in days ("30d"): it ends at the end of the last local calendar day."""


class BusinessDays(timedelta):
    """A deadline the law counts in business days ("14bd"): Saturdays, Sundays and the firm's holidays are not
    counted; it ends at the end of the last local business day."""


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise Worded("problem.regimes.duration", value=shown(value))
    if business := re.fullmatch(r"\s*(\d+)\s*bd\s*", value):
        if int(business.group(1)) <= 0:
            raise Worded("problem.regimes.not_positive", value=shown(value))
        return BusinessDays(days=int(business.group(1)))
    try:
        delta = parse_duration(value)
    except ValueError:
        raise Worded("problem.regimes.duration", value=shown(value)) from None
    if delta <= timedelta(0):
        raise Worded("problem.regimes.not_positive", value=shown(value))
    if re.fullmatch(r"\s*\d+\s*d\s*", value):
        return CalendarDays(days=delta.days)
    return delta


def day_end(start: datetime, days: int, timezone: str) -> datetime:
    """The end (23:59:59 local) of the calendar day `days` days after the local day of `start`, in UTC.

    The day of the event is not counted; whatever daylight-saving change falls in between, the
    deadline is the end of that local day.
    """
    zone = ZoneInfo(timezone)
    last = start.astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(last, time(23, 59, 59), tzinfo=zone).astimezone(UTC)


def business_day_end(start: datetime, days: int, timezone: str, holidays: frozenset[date] = frozenset()) -> datetime:
    """The end (23:59:59 local) of the `days`-th business day after the local day of `start`, in UTC.

    The day of the event is not counted; Saturdays, Sundays and `holidays` (local dates) are skipped.
    """
    zone = ZoneInfo(timezone)
    last, counted = start.astimezone(zone).date(), 0
    while counted < days:
        last += timedelta(days=1)
        counted += last.weekday() < 5 and last not in holidays
    return datetime.combine(last, time(23, 59, 59), tzinfo=zone).astimezone(UTC)


def due_after(start: datetime, span: timedelta, timezone: str, holidays: frozenset[date] = frozenset()) -> datetime:
    """A deadline `span` after `start`: calendar and business days end at the end of the local day, hours are exact."""
    if isinstance(span, BusinessDays):
        return business_day_end(start, span.days, timezone, holidays)
    if isinstance(span, CalendarDays):
        return day_end(start, span.days, timezone)
    return start.astimezone(UTC) + span


Duration = Annotated[timedelta, PlainValidator(_duration)]
When = Annotated[Condition, PlainValidator(lambda raw: parse_condition(raw))]


class DeadlineRule(BaseModel):
    """A deadline that replaces the clock's own when its condition holds."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, frozen=True)
    when: When
    deadline: Duration


class Clock(BaseModel):
    """One notice a regime requires: to whom, from when, by when, under which condition."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: Localized | None = None  # its own title where the regime's would misname it (the owner's notice)
    audience: Localized
    authority: Localized | None = None  # the authority alone, where the audience also names people (letters say it)
    starts: str
    deadline: Annotated[timedelta | None, PlainValidator(lambda v: None if v in ("none", None) else _duration(v))]
    firm_target: Duration | None = None
    law_says: Localized | None = None  # what the law says instead of a number, quoted in the reason
    timing_unread: bool = False  # the statute's words on when were not read: never said to give "no number"
    each_authority: bool = False  # the audience names each EU member state's authority where affected people live
    deadline_when: list[DeadlineRule] = Field(default_factory=list)
    when: When
    content: list[ContentItem]
    citation: Citation | None = None
    note: Localized | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Clock:
        if self.starts not in STARTS and not self.starts.startswith("after:"):
            raise Worded("problem.regimes.starts", value=shown(self.starts), choices=Listing(STARTS))
        if self.deadline is None and self.firm_target is None:
            raise Worded("problem.regimes.no_deadline")
        if self.deadline is not None and self.firm_target is not None:
            raise Worded("problem.regimes.firm_target")
        if self.deadline is None and self.deadline_when:
            raise Worded("problem.regimes.deadline_when")
        return self


class Regime(BaseModel):
    """One notification law: a key, where it applies, its clocks and citation."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, frozen=True)
    key: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    jurisdiction: str = Field(min_length=1)
    title: Localized
    citation: Citation
    source: Localized  # the text this entry was checked against (official publication, where to find it)
    verified_on: date  # when it was last checked against that source
    no_harm: Localized | None = None  # the law's no-harm exception, in its words: /breach noharm may record it
    clocks: list[Clock] = Field(min_length=1)

    @model_validator(mode="after")
    def _clock_ids(self) -> Regime:
        seen: list[str] = []
        for clock in self.clocks:
            if clock.id in seen:
                raise Worded("problem.regimes.clock_twice", id=shown(clock.id))
            ref = clock.starts.removeprefix("after:")
            if clock.starts.startswith("after:") and ref not in seen:
                raise Worded("problem.regimes.after", id=shown(clock.id), ref=shown(ref))
            seen.append(clock.id)
        return self


class NotModelled(BaseModel):
    """A place whose notification law the regimes file does not model (yet): said, never left silent."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    place: str = Field(min_length=1)  # a residence code, or a short label for a country with none (KR)
    name: Localized
    note: Localized  # what the law is, where it was checked, why it is not modelled
    verified_on: date


@dataclass(frozen=True)
class RegimeBook:
    """All regimes in force, by key, with the file each came from and the not-legal-advice text."""

    regimes: Mapping[str, Regime]
    sources: Mapping[str, Path]
    disclaimer: Localized
    not_modelled: Mapping[str, NotModelled] = field(default_factory=dict)  # place: why no clock speaks for it
    # The deployment's holidays ([holidays] in breachbot.toml): local dates business-day deadlines skip for a firm
    # that set none of its own (/breach config holidays replaces or adds to them: bot.law.clocks.holidays_of).
    holidays: frozenset[date] = frozenset()

    def clock_title(self, clock_id: str, lang: str) -> str:
        """A clock as people see it named: the regime's title, or the regime's short name and the clock's own title
        ("GDPR: tell each client that owns the data", not the authority's notice); the id where the regime is gone."""
        key, _, own = clock_id.partition("/")
        regime = self.regimes.get(key)
        if regime is None:
            return clock_id
        clock = next((c for c in regime.clocks if c.id == own), None)
        if clock is None or clock.title is None:
            return regime.title(lang)
        name = re.split(r"[:：]", regime.title(lang))[0]
        return f"{name}{'：' if lang == 'zh' else ': '}{clock.title(lang)}"


def load_regimes(paths: list[Path]) -> RegimeBook:
    """Load regimes files in order; a later file replaces regimes by key or adds new ones. Read once per version
    of the files (a book is never changed in place: the bot and every firm share it)."""
    return _load_regimes(tuple(paths), tuple(file_version(Path(p)) for p in paths)
                         + tuple(file_version(beside(Path(p))) for p in paths))


@functools.lru_cache(maxsize=32)
def _load_regimes(paths: tuple[Path, ...], versions: tuple[tuple[int, int] | None, ...]) -> RegimeBook:
    regimes: dict[str, Regime] = {}
    sources: dict[str, Path] = {}
    disclaimer: Localized | None = None
    not_modelled: dict[str, NotModelled] = {}
    content_zh: dict[str, str] = {}  # a later file's Chinese adds to the earlier's
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
            raw = parse_yaml(text)
        except OSError as exc:
            raise RegimeError("problem.regimes.unreadable", path=path, why=exc.strerror) from exc
        except yaml.YAMLError as exc:
            mark, why = getattr(exc, "problem_mark", None), getattr(exc, "problem", exc)
            if mark:
                raise RegimeError("problem.regimes.yaml_at", path=path, line=mark.line + 1, why=why) from exc
            raise RegimeError("problem.regimes.yaml", path=path, why=why) from exc
        if (not isinstance(raw, dict) or not isinstance(raw.get("regimes", []), list)
                or not isinstance(raw.get("not_modelled", []), list) or set(raw) - {"regimes", "disclaimer", "not_modelled"}):
            raise RegimeError("problem.regimes.not_mapping", path=path)
        for i, entry in enumerate(raw.get("not_modelled") or []):
            try:
                unmodelled = NotModelled.model_validate(entry)
            except ValidationError as exc:
                error = exc.errors()[0]
                raise RegimeError("problem.regimes.not_modelled_at", path=path, n=i + 1,
                                  line=yaml_line(yaml_tree(text), ("not_modelled", i, *error["loc"])) or "?",
                                  place=place(tuple(error["loc"])), problem=from_pydantic(error)) from None
            not_modelled[unmodelled.place] = unmodelled
        if "disclaimer" in raw:
            try:
                disclaimer = Localized.model_validate(raw["disclaimer"])
            except ValidationError as exc:
                raise RegimeError("problem.regimes.disclaimer", path=path,
                                  problem=from_pydantic(exc.errors()[0])) from None
        try:
            content_zh.update(chinese(path))
        except Worded as exc:
            raise RegimeError(exc.key, **exc.values) from None
        seen: set[str] = set()
        for i, entry in enumerate(raw.get("regimes") or []):
            key = entry.get("key") if isinstance(entry, dict) else None
            label = (Worded("problem.regimes.label", key=shown(key)) if isinstance(key, str)
                     else Worded("problem.regimes.label_no_key", n=i + 1))
            if isinstance(key, str) and key in seen:
                raise RegimeError("problem.regimes.twice", path=path, key=shown(key))
            try:
                regime = Regime.model_validate(entry, context={"content_zh": content_zh})
            except ValidationError as exc:
                problems, root = Lines(), yaml_tree(text)
                for error in exc.errors():
                    where = place(tuple(error["loc"]))
                    problems.append(Worded("problem.regimes.at" if where else "problem.regimes.at_top", path=path,
                                           line=yaml_line(root, ("regimes", i, *error["loc"])) or "?", label=label,
                                           place=where, problem=from_pydantic(error)))
                raise RegimeError("problem.lines", lines=problems) from None
            seen.add(regime.key)
            regimes[regime.key] = regime  # an override keeps the original's place in the order
            sources[regime.key] = path
    if disclaimer is None:
        raise RegimeError("problem.regimes.no_disclaimer", paths=Listing(map(str, paths)))
    covered = {regime.jurisdiction for regime in regimes.values()}
    return RegimeBook(regimes=regimes, sources=sources, disclaimer=disclaimer,
                      not_modelled={k: v for k, v in not_modelled.items() if k not in covered})


def _timing(clock: Clock, facts: IncidentFacts, earlier: _Earlier,
            regime: Regime) -> tuple[datetime | None, bool, Reason | None, Reason | None]:
    """(due_at, hard_deadline, what still needs recording, how the deadline was chosen)."""
    # The law's day counts (30d) end at the end of the last local calendar day (the workspace's time
    # zone), across daylight-saving changes; hours (72h) and the firm's own targets are exact hours.
    span, hard, how = clock.deadline, clock.deadline is not None, None
    if span is None:
        span = clock.firm_target
        how = (reason("timing.firm_target_unread", target=span) if clock.timing_unread
               else reason("timing.firm_target", law_says=clock.law_says, target=span) if clock.law_says
               else reason("timing.firm_target_only", target=span))
    for rule in clock.deadline_when:
        ok, why = rule.when(facts)
        if ok:
            span, how = rule.deadline, reason("timing.because", deadline=rule.deadline, why=why)
            break
    if clock.starts.startswith("after:"):
        ref = clock.starts.removeprefix("after:")
        start, ref_hard, missing = earlier[ref]
        hard = hard and ref_hard
        told = facts.notified.get(f"{regime.key}/{ref}")
        audience = next(c.audience for c in regime.clocks if c.id == ref)
        if told is not None:  # counted from the notice actually sent, once it is recorded
            start, missing = told, None
        counted = reason("timing.after_told" if told is not None else "timing.after_due", audience=audience)
        how = join("clauses", [part for part in (how, counted) if part])
    elif clock.starts == "determination_or_belief":
        # "determination of a breach or reason to believe a breach occurred": the firm had reason to
        # believe no later than it became aware, so the earlier of the two starts the clock.
        start = min(t for t in (facts.aware_at, facts.determined_at) if t is not None)
        missing = None
    elif clock.starts == "no_harm":
        decision = facts.no_harm.get(regime.key)
        start, missing = (decision.at if decision else None), None  # applies only once a decision is recorded
    else:
        start = getattr(facts, _START_FACT[clock.starts])
        missing = reason(f"to_record.{clock.starts}") if start is None else None
    assert span is not None  # a validated clock has a deadline or a firm target
    if isinstance(span, BusinessDays):  # the law counts working days: say so, and that weekends are skipped
        how = join("clauses", [part for part in (how, reason("timing.business_days", days=span.days)) if part])
    target = clock.deadline is None and not clock.deadline_when
    due = None if start is None else (start.astimezone(UTC) + span if target
                                      else due_after(start, span, facts.timezone, facts.holidays))
    return due, hard, missing, how


def decidable(book: RegimeBook) -> list[str]:
    """The regimes whose law lets the firm decide a breach will likely cause no harm (/breach noharm)."""
    return [key for key, regime in book.regimes.items() if regime.no_harm is not None]


def evaluate(book: RegimeBook, facts: IncidentFacts) -> list[ClockResult]:
    """Every clock of every regime for these facts: whether it applies, why, and when it is due."""
    results: list[ClockResult] = []
    for regime in book.regimes.values():
        earlier: _Earlier = {}
        for clock in regime.clocks:
            applies, why = clock.when(facts)
            decided = not applies and bool(facts.no_harm) and clock.when(replace(facts, no_harm={}))[0]
            due, hard, missing, how = _timing(clock, facts, earlier, regime)
            earlier[clock.id] = (due, hard, missing)
            if applies:
                unknown = missing and reason("timing.unknown", missing=missing)
                why = join("clauses", [part for part in (why, how, unknown) if part])
            starts = clock.starts.replace("after:", f"after:{regime.key}/")
            told = {lang: authorities.audience(clock.audience(lang), facts.affected, lang)
                    if clock.each_authority and applies else clock.audience(lang) for lang in ("en", "zh")}
            results.append(ClockResult(
                regime_key=regime.key, clock_id=f"{regime.key}/{clock.id}", audience_en=told["en"],
                audience_zh=told["zh"], applies=applies, reason=why, starts=starts,
                due_at=due if applies else None, hard_deadline=hard, citation=clock.citation or regime.citation,
                content=list(clock.content), note=clock.note, source=regime.source, verified_on=regime.verified_on,
                decided=decided, timing_unread=clock.timing_unread,
            ))
    return results
