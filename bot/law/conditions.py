"""Incident facts and the trigger conditions of the regimes file: each condition says whether it holds and why."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from bot.incident.playbook import Localized
from bot.law.reasons import Reason, join, reason
from bot.text.facts import CAC_LEVELS, DATA_CATEGORIES, RESIDENCES, covered_by
from bot.text.worded import Listing, Worded, shown

FIRM_PROFILES: tuple[str, ...] = ("cii_operator", "central_organ", "us_tax_preparer", "nydfs_covered",
                                  "eu_established", "eu_targeting", "eu_outside")
# GDPR Art. 3: where the firm stands towards the EU, from its profile (the first flag set wins; none set: unknown)
EU_SCOPES: tuple[str, ...] = ("established", "targeting", "outside", "unknown")
_FLAGS = ("encrypted", "key_safe", "crime_suspected", "ransom_paid", "on_behalf")  # facts where None counts as false


@dataclass(frozen=True)
class NoHarmDecision:
    """A recorded decision that a breach will likely cause no harm, under one regime's exception."""

    at: datetime
    by: str
    reason: str


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
    on_behalf: bool | None = None  # held on behalf of clients: the firm is their processor / service provider
    determined_at: datetime | None = None
    assessed_at: datetime | None = None
    handling_ended_at: datetime | None = None
    cac_level: str | None = None
    firm_profile: frozenset[str] = frozenset()
    ransom_paid_at: datetime | None = None
    timezone: str = "UTC"  # whose calendar days the law's day counts end on (the workspace's)
    holidays: frozenset[date] = frozenset()  # local dates that are not business days (besides weekends)
    notified: Mapping[str, datetime] = field(default_factory=dict)  # clock id: when its notice went out
    no_harm: Mapping[str, NoHarmDecision] = field(default_factory=dict)  # regime key: the decision recorded

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        stamps = {name: getattr(self, name) for name in
                  ("aware_at", "determined_at", "assessed_at", "handling_ended_at", "ransom_paid_at")}
        stamps |= {f"notified[{k}]": v for k, v in self.notified.items()}
        stamps |= {f"no_harm[{k}]": v.at for k, v in self.no_harm.items()}
        for name, when in stamps.items():
            if when is not None and when.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")
        _check_known("residence", self.affected, RESIDENCES)
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in self.affected.values()):
            raise ValueError("affected counts must be whole numbers of 0 or more")
        _check_known("data_category", self.data_categories, DATA_CATEGORIES)
        _check_known("firm_profile", self.firm_profile, FIRM_PROFILES)
        _check_known("cac_level", [self.cac_level] if self.cac_level is not None else [], CAC_LEVELS)



def _fail(where: str, key: str, **values: Any) -> ValueError:
    problem = Worded(f"problem.condition.{key}", **values)
    return Worded("problem.condition.at", where=where, problem=problem) if where else problem


def _check_known(kind: str, values: Any, known: tuple[str, ...], where: str = "") -> None:
    unknown = sorted(set(values) - set(known), key=str)
    if unknown:
        raise _fail(where, "unknown", kind=Worded(f"problem.condition.kind.{kind}"),
                    values=Listing(map(repr, unknown)), choices=Listing(known))


# A condition is a function of the facts that says whether it holds and why (a Reason, put into words later).
Condition = Callable[[IncidentFacts], tuple[bool, Reason]]


def _fields(arg: Any, keys: set[str], where: str) -> dict[str, Any]:
    if not isinstance(arg, dict) or set(arg) - keys:
        raise _fail(where, "fields", fields=Listing(sorted(keys)), value=shown(arg))
    return arg


def _group(op: str, arg: Any, where: str) -> Condition:
    if not isinstance(arg, list) or not arg:
        raise _fail(where, "group")
    parts = [parse_condition(part, f"{where}[{i}]") for i, part in enumerate(arg)]

    def test(facts: IncidentFacts) -> tuple[bool, Reason]:
        results = [part(facts) for part in parts]
        held = [why for ok, why in results if ok and why.key != "no_harm.none"]  # no decision: nothing worth saying
        failed = [why for ok, why in results if not ok]
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
        raise _fail(where, "affected")
    bound, above = spec.get("at_least", spec.get("more_than")), "more_than" in spec
    if isinstance(bound, bool) or not isinstance(bound, int) or bound < 0:
        raise _fail(where, "threshold", value=shown(bound))
    codes: list[str] = []
    for code in spec["in"] if isinstance(spec["in"], list) else [spec["in"]]:
        wild = isinstance(code, str) and code.endswith("*")
        matched = [r for r in RESIDENCES if r.startswith(code[:-1])] if wild else [code]
        if not matched or not (wild or code in RESIDENCES):
            raise _fail(where, "residence", value=shown(code), choices=Listing(RESIDENCES))
        codes += [c for c in matched if c not in codes]
    who: Localized | Reason = reason(f"who.{codes[0]}") if len(codes) == 1 else reason(
        "people_in", places=tuple(reason(f"place.{c}") for c in codes))
    try:
        who = Localized.model_validate(spec["who"]) if "who" in spec else who
    except ValidationError:
        raise _fail(where, "who", value=shown(spec["who"])) from None

    def test(facts: IncidentFacts) -> tuple[bool, Reason]:  # the EU counts the people of every member state
        n = sum(count for where, count in facts.affected.items() if any(covered_by(where, code) for code in codes))
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
        raise _fail(where, "data")
    _check_known("data_category", any_of, DATA_CATEGORIES, where)

    def test(facts: IncidentFacts) -> tuple[bool, Reason]:
        hit = [c for c in any_of if c in facts.data_categories]
        return bool(hit), reason("data.hit" if hit else "data.none_of",
                                 categories=tuple(reason(f"category.{c}") for c in hit or any_of))
    return test


def _flag(op: str, arg: Any, where: str) -> Condition:
    if not isinstance(arg, bool):
        raise _fail(where, "flag", value=shown(arg))

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


def _no_harm(op: str, arg: Any, where: str) -> Condition:
    spec = _fields(arg, {"decided", "open"}, where)
    if len(spec) != 1 or not isinstance(next(iter(spec.values())), str):
        raise _fail(where, "no_harm", value=shown(arg))
    ((kind, key),) = spec.items()

    def test(facts: IncidentFacts) -> tuple[bool, Reason]:
        decision = facts.no_harm.get(key)
        if decision is None:
            return kind == "open", reason("no_harm.none")
        said = reason(f"no_harm.{kind}", by=decision.by, why=decision.reason)
        return kind == "decided", said
    return test


def _profile(op: str, arg: Any, where: str) -> Condition:
    _check_known("firm_profile", [arg], FIRM_PROFILES, where)

    def test(facts: IncidentFacts) -> tuple[bool, Reason]:
        ok = arg in facts.firm_profile
        return ok, reason("profile.is" if ok else "profile.is_not", profile=reason(f"firm_profile.{arg}"))
    return test


def eu_scope(firm_profile: frozenset[str]) -> str:
    """GDPR Art. 3 for this firm: established in the EU (3(1)), targeting people there (3(2)), outside, or unknown."""
    return next((scope for scope in EU_SCOPES[:3] if f"eu_{scope}" in firm_profile), "unknown")


def _eu_scope(op: str, arg: Any, where: str) -> Condition:
    scopes = _fields(arg, {"in"}, where).get("in")
    if not isinstance(scopes, list) or not scopes:
        raise _fail(where, "eu_scope", choices=Listing(EU_SCOPES))
    _check_known("eu_scope", scopes, EU_SCOPES, where)

    def test(facts: IncidentFacts) -> tuple[bool, Reason]:
        scope = eu_scope(facts.firm_profile)
        flag = {} if scope == "unknown" else {"profile": reason(f"firm_profile.eu_{scope}")}
        return scope in scopes, reason(f"eu_scope.{scope}", **flag)
    return test


def _cac_level(op: str, arg: Any, where: str) -> Condition:
    least = _fields(arg, {"at_least"}, where).get("at_least")
    _check_known("cac_level", [least], CAC_LEVELS, where)

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
    "unencrypted": _flag, "profile": _profile, "no_harm": _no_harm, "cac_level": _cac_level, "eu_scope": _eu_scope,
    **dict.fromkeys(_FLAGS, _flag),
}


def parse_condition(raw: Any, where: str = "") -> Condition:
    """Turn a YAML trigger condition into a Condition; ValueError says where and what is wrong."""
    if callable(raw):
        return raw
    if not isinstance(raw, dict) or len(raw) != 1:
        raise _fail(where, "form", choices=Listing(_OPERATORS), value=shown(raw))
    ((op, arg),) = raw.items()
    if op not in _OPERATORS:
        raise _fail(where, "operator", value=shown(op), choices=Listing(_OPERATORS))
    return _OPERATORS[op](op, arg, f"{where}.{op}" if where else str(op))
