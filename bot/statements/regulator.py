"""The regulator notice under one regime: which of its clocks is the notice to an authority, to whom it goes, what
the law says it must contain, and how many of the people affected live where that law applies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.law import clocks
from bot.law.regimes import Clock, Regime, RegimeBook
from bot.text.facts import lives_under
from bot.text.i18n import catalogue
from bot.text.i18n import text as t
from bot.text.times import format_number

# Clocks that tell no authority: the people themselves, each owning client, the credit bureaus, the firm's own
# assessment, a filed no-harm determination.
_PEOPLE = ("individual", "residents", "subjects")
NOT_AUTHORITIES = ("owner", "cra", "assess", "no-harm")


def tells_authority(clock: Clock) -> bool:
    """Whether a clock's notice goes to an authority (an AG, a commission, the police), not to people or clients."""
    if clock.authority is not None:  # "users and the competent department": the department is told
        return True
    return clock.id not in NOT_AUTHORITIES and not any(word in clock.id for word in _PEOPLE)


def authority_clocks(regime: Regime) -> list[Clock]:
    """The clocks of a regime whose notice goes to an authority, in the regime's order."""
    return [clock for clock in regime.clocks if tells_authority(clock)]


def applying(rows: list[clocks.ClockRow], book: RegimeBook) -> list[str]:
    """The regimes that owe (or owed) an authority a notice on this incident's facts, in the regimes file's order."""
    keys = {row.result.regime_key for row in rows if row.status != "not_applicable"
            and (regime := book.regimes.get(row.result.regime_key)) is not None
            and any(f"{regime.key}/{c.id}" == row.result.clock_id for c in authority_clocks(regime))}
    return [key for key in book.regimes if key in keys]


def notice_clock(regime: Regime, rows: list[clocks.ClockRow]) -> Clock | None:
    """The authority clock a regulator notice answers: the first that applies to this incident, else the first."""
    found = authority_clocks(regime)
    live = {row.result.clock_id for row in rows if row.status != "not_applicable"}
    return next((c for c in found if f"{regime.key}/{c.id}" in live), found[0] if found else None)


def residents(jurisdiction: str, affected: Mapping[str, int]) -> int:
    """How many of the people affected live where a law applies: its own code; for the EU every member state
    too; for a US-wide law every US state and territory."""
    return sum(living_in(jurisdiction, affected).values())


def living_in(jurisdiction: str, affected: Mapping[str, int]) -> dict[str, int]:
    """The counts by residence of the people affected who live where a law applies (`residents`)."""
    return {code: count for code, count in affected.items() if lives_under(code, jurisdiction) and count}


def place(jurisdiction: str, lang: str) -> str:
    """A jurisdiction as the reader names it ('Florida', '佛罗里达州'), or its code."""
    key = f"regime_reason.place.{jurisdiction}"
    return t(lang, key) if key in catalogue(lang) else jurisdiction


def notice(regime: Regime, rows: list[clocks.ClockRow], affected: Mapping[str, int], lang: str) -> dict[str, Any]:
    """What a regulator notice under `regime` says of the law: title, citation, the authority told, the content
    the law requires of that notice, and the people affected who live where the law applies."""
    clock = notice_clock(regime, rows)
    citation = (clock.citation if clock is not None and clock.citation is not None else regime.citation)(lang)
    authority = None
    if clock is not None:
        authority = clock.authority(lang) if clock.authority is not None else clock.audience(lang)
    return {"key": regime.key, "title": regime.title(lang), "citation": citation, "authority": authority,
            "content": [item(lang) for item in clock.content] if clock is not None else [],
            # counts as the language writes them (1,858)
            "place": place(regime.jurisdiction, lang),
            "residents": format_number(count, lang) if (count := residents(regime.jurisdiction, affected)) else None,
            "places": {place(code, lang): format_number(n, lang)
                       for code, n in living_in(regime.jurisdiction, affected).items()}}
