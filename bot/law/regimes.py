"""Legal notification regimes: the YAML models, the loader and a pure clock evaluator."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.functional_validators import BeforeValidator, PlainValidator

from bot.incident.playbook import Localized, yaml_line
from bot.incident.wording import Citation
from bot.law.reasons import Reason, join, reason
from bot.text.facts import CAC_LEVELS, DATA_CATEGORIES, RESIDENCES
from bot.text.times import parse_duration

FIRM_PROFILES: tuple[str, ...] = ("cii_operator", "central_organ", "us_tax_preparer", "nydfs_covered")
STARTS: tuple[str, ...] = ("aware", "discovery", "determination", "assessment", "handling_ended")
_START_FACT = {"aware": "aware_at", "discovery": "aware_at", "determination": "determined_at",
               "assessment": "assessed_at", "handling_ended": "handling_ended_at"}
_FLAGS = ("encrypted", "key_safe", "crime_suspected", "ransom_paid")  # facts where None counts as false
_Earlier = dict[str, tuple[datetime | None, bool, Reason | None]]  # clock id: (due_at, hard, what to record)


class RegimeError(ValueError):
    """A regimes file that cannot be used; the message names the file, the regime key and the problem."""


@dataclass(frozen=True)
class IncidentFacts:
    """What the evaluator needs to know about an incident (datetimes tz-aware)."""

    aware_at: datetime
    affected: Mapping[str, int]
    data_categories: frozenset[str]
    encrypted: bool | None = None
    key_safe: bool | None = None
    crime_suspected: bool | None = None
    ransom_paid: bool | None = None
    determined_at: datetime | None = None
    assessed_at: datetime | None = None
    handling_ended_at: datetime | None = None
    cac_level: str | None = None
    firm_profile: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name in ("aware_at", "determined_at", "assessed_at", "handling_ended_at"):
            when = getattr(self, name)
            if when is not None and when.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")
        _check_known("residence", self.affected, RESIDENCES)
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in self.affected.values()):
            raise ValueError("affected counts must be whole numbers of 0 or more")
        _check_known("data category", self.data_categories, DATA_CATEGORIES)
        _check_known("firm profile flag", self.firm_profile, FIRM_PROFILES)
        _check_known("CAC level", [self.cac_level] if self.cac_level is not None else [], CAC_LEVELS)


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
    content: list[str]
    note: Localized | None = None


def _fail(where: str, problem: str) -> ValueError:
    return ValueError(f"{where}: {problem}" if where else problem)


def _check_known(kind: str, values: Any, known: tuple[str, ...], where: str = "") -> None:
    unknown = sorted(set(values) - set(known), key=str)
    if unknown:
        raise _fail(where, f"unknown {kind} {', '.join(map(repr, unknown))}; known: {', '.join(known)}")


# A condition is a function of the facts that says whether it holds and why (a Reason, put into words later).
Condition = Callable[[IncidentFacts], tuple[bool, Reason]]


def _fields(arg: Any, keys: set[str], where: str) -> dict[str, Any]:
    if not isinstance(arg, dict) or set(arg) - keys:
        raise _fail(where, f"expects a mapping with only these fields: {', '.join(sorted(keys))}; got {arg!r}")
    return arg


def _group(op: str, arg: Any, where: str) -> Condition:
    if not isinstance(arg, list) or not arg:
        raise _fail(where, "needs a non-empty list of conditions")
    parts = [parse_condition(part, f"{where}[{i}]") for i, part in enumerate(arg)]

    def test(facts: IncidentFacts) -> tuple[bool, Reason]:
        results = [part(facts) for part in parts]
        held, failed = [why for ok, why in results if ok], [why for ok, why in results if not ok]
        if op == "all":
            return (False, failed[0]) if failed else (True, join("list", held))
        return (True, held[0]) if held else (False, join("clauses", failed))
    return test


def _not(op: str, arg: Any, where: str) -> Condition:
    inner = parse_condition(arg, where)

    def test(facts: IncidentFacts) -> tuple[bool, Reason]:
        ok, why = inner(facts)
        return not ok, (reason("negated", why=why) if ok else why)
    return test


def _affected(op: str, arg: Any, where: str) -> Condition:
    spec = _fields(arg, {"in", "at_least", "more_than", "who"}, where)
    if ("at_least" in spec) == ("more_than" in spec) or "in" not in spec:
        raise _fail(where, "needs `in` and exactly one of at_least or more_than")
    bound, above = spec.get("at_least", spec.get("more_than")), "more_than" in spec
    if isinstance(bound, bool) or not isinstance(bound, int) or bound < 0:
        raise _fail(where, f"threshold must be a whole number of 0 or more, not {bound!r}")
    codes: list[str] = []
    for code in spec["in"] if isinstance(spec["in"], list) else [spec["in"]]:
        wild = isinstance(code, str) and code.endswith("*")
        matched = [r for r in RESIDENCES if r.startswith(code[:-1])] if wild else [code]
        if not matched or not (wild or code in RESIDENCES):
            raise _fail(where, f"unknown residence code {code!r}; codes: {', '.join(RESIDENCES)} (or US*, *)")
        codes += [c for c in matched if c not in codes]
    who: Localized | Reason = reason(f"who.{codes[0]}") if len(codes) == 1 else reason(
        "people_in", places=tuple(reason(f"place.{c}") for c in codes))
    try:
        who = Localized.model_validate(spec["who"]) if "who" in spec else who
    except ValidationError:
        raise _fail(where, f"who needs en and zh text, e.g. {{en: US consumers, zh: 美国消费者}}; got {spec['who']!r}") from None

    def test(facts: IncidentFacts) -> tuple[bool, Reason]:
        n = sum(facts.affected.get(code, 0) for code in codes)
        if above:
            return n > bound, reason("affected.more_than" if n > bound else "affected.not_more_than",
                                     n=n, who=who, bound=bound)
        if n >= bound:
            return True, reason("affected.at_least" if bound > 1 else "affected.count", n=n, who=who, bound=bound)
        return False, reason("affected.none" if bound == 1 else "affected.fewer_than", n=n, who=who, bound=bound)
    return test


def _data(op: str, arg: Any, where: str) -> Condition:
    any_of = _fields(arg, {"any_of"}, where).get("any_of")
    if not isinstance(any_of, list) or not any_of:
        raise _fail(where, "data needs any_of: a non-empty list of data categories")
    _check_known("data category", any_of, DATA_CATEGORIES, where)

    def test(facts: IncidentFacts) -> tuple[bool, Reason]:
        hit = [c for c in any_of if c in facts.data_categories]
        return bool(hit), reason("data.hit" if hit else "data.none_of",
                                 categories=tuple(reason(f"category.{c}") for c in hit or any_of))
    return test


def _flag(op: str, arg: Any, where: str) -> Condition:
    if not isinstance(arg, bool):
        raise _fail(where, f"takes true or false, not {arg!r}")

    def test(facts: IncidentFacts) -> tuple[bool, Reason]:
        if op != "unencrypted":
            raw = getattr(facts, op)
            said = "unknown" if raw is None else "held" if raw else "not_held"
            return bool(raw) == arg, reason(f"flag.{op}.{said}")
        enc, key = facts.encrypted, facts.key_safe
        why = ("key_safe" if enc is True and key is True else "plain" if enc is False
               else "unknown" if enc is None else "key_unknown" if key is None else "key_unsafe")
        return (not (enc is True and key is True)) == arg, reason(f"unencrypted.{why}")
    return test


def _profile(op: str, arg: Any, where: str) -> Condition:
    _check_known("firm profile flag", [arg], FIRM_PROFILES, where)

    def test(facts: IncidentFacts) -> tuple[bool, Reason]:
        ok = arg in facts.firm_profile
        return ok, reason("profile.is" if ok else "profile.is_not", profile=reason(f"firm_profile.{arg}"))
    return test


def _cac_level(op: str, arg: Any, where: str) -> Condition:
    least = _fields(arg, {"at_least"}, where).get("at_least")
    _check_known("CAC level", [least], CAC_LEVELS, where)

    def test(facts: IncidentFacts) -> tuple[bool, Reason]:
        level = facts.cac_level
        if level is None:
            return False, reason("cac.unset")
        ok = CAC_LEVELS.index(level) >= CAC_LEVELS.index(least)
        return ok, reason("cac.level" if ok else "cac.below", level=reason(f"cac_level.{level}"),
                          least=reason(f"cac_level.{least}"))
    return test


_OPERATORS: dict[str, Callable[[str, Any, str], Condition]] = {
    "all": _group, "any": _group, "not": _not, "affected": _affected, "data": _data,
    "unencrypted": _flag, "profile": _profile, "cac_level": _cac_level, **dict.fromkeys(_FLAGS, _flag),
}


def parse_condition(raw: Any, where: str = "") -> Condition:
    """Turn a YAML trigger condition into a Condition; ValueError says where and what is wrong."""
    if callable(raw):
        return raw
    if not isinstance(raw, dict) or len(raw) != 1:
        raise _fail(where, f"a condition is a mapping with one operator ({', '.join(_OPERATORS)}), got {raw!r}")
    ((op, arg),) = raw.items()
    if op not in _OPERATORS:
        raise _fail(where, f"unknown condition operator {op!r}; operators: {', '.join(_OPERATORS)}")
    return _OPERATORS[op](op, arg, f"{where}.{op}" if where else str(op))


def _duration(value: Any) -> timedelta:
    if not isinstance(value, str):
        raise ValueError(f"must be a duration such as 90m, 4h or 30d, not {value!r}")
    delta = parse_duration(value)
    if delta <= timedelta(0):
        raise ValueError(f"{value!r} must be longer than zero")
    return delta


Duration = Annotated[timedelta, BeforeValidator(_duration)]
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
    audience: Localized
    starts: str
    deadline: Annotated[timedelta | None, BeforeValidator(lambda v: None if v == "none" else _duration(v))]
    firm_target: Duration | None = None
    law_says: Localized | None = None  # what the law says instead of a number, quoted in the reason
    deadline_when: list[DeadlineRule] = Field(default_factory=list)
    when: When
    content: list[str]
    citation: Citation | None = None
    note: Localized | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Clock:
        if self.starts not in STARTS and not self.starts.startswith("after:"):
            raise ValueError(f"starts {self.starts!r} must be one of {', '.join(STARTS)} or after:<clock id>")
        if self.deadline is None and self.firm_target is None:
            raise ValueError("deadline: none needs firm_target (the firm's own target)")
        if self.deadline is not None and self.firm_target is not None:
            raise ValueError("firm_target is only for clocks whose law gives no number (deadline: none)")
        if self.deadline is None and self.deadline_when:
            raise ValueError("deadline_when needs a deadline the law sets, not deadline: none")
        return self


class Regime(BaseModel):
    """One notification law: a key, where it applies, its clocks and citation."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, frozen=True)
    key: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    jurisdiction: str = Field(min_length=1)
    title: Localized
    citation: Citation
    clocks: list[Clock] = Field(min_length=1)

    @model_validator(mode="after")
    def _clock_ids(self) -> Regime:
        seen: list[str] = []
        for clock in self.clocks:
            if clock.id in seen:
                raise ValueError(f"clock id {clock.id!r} appears twice")
            ref = clock.starts.removeprefix("after:")
            if clock.starts.startswith("after:") and ref not in seen:
                raise ValueError(f"clock {clock.id!r} starts after {ref!r}, which is not an earlier clock here")
            seen.append(clock.id)
        return self


@dataclass(frozen=True)
class RegimeBook:
    """All regimes in force, by key, with the file each came from and the not-legal-advice text."""

    regimes: Mapping[str, Regime]
    sources: Mapping[str, Path]
    disclaimer: Localized


def load_regimes(paths: list[Path]) -> RegimeBook:
    """Load regimes files in order; a later file replaces regimes by key or adds new ones."""
    regimes: dict[str, Regime] = {}
    sources: dict[str, Path] = {}
    disclaimer: Localized | None = None
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
            raw, root = yaml.safe_load(text), yaml.compose(text)
        except OSError as exc:
            raise RegimeError(f"{path}: cannot read the regimes file ({exc.strerror})") from exc
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}: " if mark else ""
            raise RegimeError(f"{path}: {where}not valid YAML ({getattr(exc, 'problem', exc)})") from exc
        if not isinstance(raw, dict) or not isinstance(raw.get("regimes", []), list) or set(raw) - {"regimes", "disclaimer"}:
            raise RegimeError(f"{path}: a regimes file is a mapping with `regimes:` (a list) and optionally `disclaimer:`")
        if "disclaimer" in raw:
            try:
                disclaimer = Localized.model_validate(raw["disclaimer"])
            except ValidationError as exc:
                raise RegimeError(f"{path}: disclaimer: needs en and zh text ({exc.errors()[0]['msg']})") from None
        seen: set[str] = set()
        for i, entry in enumerate(raw.get("regimes") or []):
            key = entry.get("key") if isinstance(entry, dict) else None
            label = f"regime {key!r}" if isinstance(key, str) else f"regime #{i + 1} (no key)"
            if isinstance(key, str) and key in seen:
                raise RegimeError(f"{path}: {label}: appears twice in this file")
            try:
                regime = Regime.model_validate(entry)
            except ValidationError as exc:
                problems = []
                for error in exc.errors():
                    place = ".".join(map(str, error["loc"]))
                    problems.append(f"{path}:{yaml_line(root, ('regimes', i, *error['loc'])) or '?'}: {label}: "
                                    f"{place + ': ' if place else ''}{error['msg'].removeprefix('Value error, ')}")
                raise RegimeError("\n".join(problems)) from None
            seen.add(regime.key)
            regimes[regime.key] = regime  # an override keeps the original's place in the order
            sources[regime.key] = path
    if disclaimer is None:
        raise RegimeError(f"{', '.join(map(str, paths))}: no file gives the `disclaimer:` (en and zh)")
    return RegimeBook(regimes=regimes, sources=sources, disclaimer=disclaimer)


def _timing(clock: Clock, facts: IncidentFacts, earlier: _Earlier) -> tuple[datetime | None, bool, Reason | None, Reason | None]:
    """(due_at, hard_deadline, what still needs recording, how the deadline was chosen)."""
    # Deadlines are exact timedeltas added to the start instant in UTC: 30d is 720 hours, whatever
    # daylight-saving change or local midnight falls in between. This is never later than a reading
    # that counts whole calendar days, so it errs on the early side.
    span, hard, how = clock.deadline, clock.deadline is not None, None
    if span is None:
        span = clock.firm_target
        how = (reason("timing.firm_target", law_says=clock.law_says, target=span) if clock.law_says
               else reason("timing.firm_target_only", target=span))
    for rule in clock.deadline_when:
        ok, why = rule.when(facts)
        if ok:
            span, how = rule.deadline, reason("timing.because", deadline=rule.deadline, why=why)
            break
    if clock.starts.startswith("after:"):
        start, ref_hard, missing = earlier[clock.starts.removeprefix("after:")]
        hard = hard and ref_hard
    else:
        start = getattr(facts, _START_FACT[clock.starts])
        missing = reason(f"to_record.{clock.starts}") if start is None else None
    assert span is not None  # a validated clock has a deadline or a firm target
    due = None if start is None else start.astimezone(UTC) + span
    return due, hard, missing, how


def evaluate(book: RegimeBook, facts: IncidentFacts) -> list[ClockResult]:
    """Every clock of every regime for these facts: whether it applies, why, and when it is due."""
    results: list[ClockResult] = []
    for regime in book.regimes.values():
        earlier: _Earlier = {}
        for clock in regime.clocks:
            applies, why = clock.when(facts)
            due, hard, missing, how = _timing(clock, facts, earlier)
            earlier[clock.id] = (due, hard, missing)
            if applies:
                unknown = missing and reason("timing.unknown", missing=missing)
                why = join("clauses", [part for part in (why, how, unknown) if part])
            starts = clock.starts.replace("after:", f"after:{regime.key}/")
            results.append(ClockResult(
                regime_key=regime.key, clock_id=f"{regime.key}/{clock.id}", audience_en=clock.audience.en,
                audience_zh=clock.audience.zh, applies=applies, reason=why, starts=starts,
                due_at=due if applies else None, hard_deadline=hard, citation=clock.citation or regime.citation,
                content=list(clock.content), note=clock.note,
            ))
    return results
