"""Why a legal clock applies or not: reasons as data from the engine, put into words by the catalogue.

The regimes engine (bot/law/regimes.py) stays pure and language-free: each condition answers with a
`Reason`, a key under `regime_reason.` in bot/text/locales/*.yaml with its values. `render` says it in
the workspace's language; `as_data` is the stable, machine-readable form the export keeps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.incident.playbook import Localized
from bot.text.i18n import text as t
from bot.text.times import format_duration

PREFIX = "regime_reason."
JOINS = ("list", "clauses", "items")  # "a, b" (conditions that hold) · "a; b" (separate points) · "a, b" labels


@dataclass(frozen=True)
class Reason:
    """A catalogue key under `regime_reason.` with its values, or (key `join.<kind>`) several reasons joined.

    A value is a whole number (said with thousands separators), a duration, a `Localized` text from the
    regimes file, another Reason, or a tuple of Reasons (said as a list, e.g. data categories).
    """

    key: str
    values: tuple[tuple[str, Any], ...] = ()
    parts: tuple[Reason, ...] = ()


def reason(key: str, /, **values: Any) -> Reason:
    """A reason from its catalogue key (without the `regime_reason.` prefix) and values."""
    return Reason(key, tuple(values.items()))


def join(kind: str, parts: Iterable[Reason]) -> Reason:
    """Several reasons said as one (`kind` is one of JOINS); a single reason stays itself."""
    assert kind in JOINS
    parts = tuple(parts)
    return parts[0] if len(parts) == 1 else Reason(f"join.{kind}", parts=parts)


def render(why: Reason, lang: str) -> str:
    """The reason in words, in `lang` (English when unknown)."""
    if why.key.startswith("join."):
        return t(lang, PREFIX + why.key).join(render(part, lang) for part in why.parts)
    return t(lang, PREFIX + why.key, **{name: _word(value, lang) for name, value in why.values})


def _word(value: Any, lang: str) -> Any:
    if isinstance(value, Reason):
        return render(value, lang)
    if isinstance(value, tuple):
        return t(lang, PREFIX + "join.items").join(str(_word(v, lang)) for v in value)
    if isinstance(value, Localized):
        return value(lang)
    if isinstance(value, timedelta):
        return format_duration(value, lang)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"  # catalogue templates take text only (no format specs)
    return value


def as_data(why: Reason) -> dict[str, Any]:
    """The reason as JSON-ready data: {key, values} or {join, parts}; durations in seconds."""
    if why.key.startswith("join."):
        return {"join": why.key.removeprefix("join."), "parts": [as_data(part) for part in why.parts]}
    return {"key": why.key, "values": {name: _datum(value) for name, value in why.values}}


def _datum(value: Any) -> Any:
    if isinstance(value, Reason):
        return as_data(value)
    if isinstance(value, tuple):
        return [_datum(v) for v in value]
    if isinstance(value, Localized):
        return {"en": value.en, "zh": value.zh}
    if isinstance(value, timedelta):
        return {"seconds": int(value.total_seconds())}
    return value
