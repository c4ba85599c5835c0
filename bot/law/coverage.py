"""What the regimes do not cover: people whose US state is not known, and places whose law is not modelled.

Silence must never read as "no duty": every residence typed that no regime covers gets a visible line in
/breach clocks, and `--all` lists every place the regimes file names as not modelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from bot.incident.playbook import Localized
from bot.law.regimes import RegimeBook
from bot.text.facts import RESIDENCES, covered_by


@dataclass(frozen=True)
class Gap:
    """A place the clocks say nothing about, and why."""

    place: str  # a residence code (US-AK) or the label of a place with no residence code (KR)
    kind: str  # state_unknown | not_modelled
    count: int | None = None  # people affected there, when typed
    name: Localized | None = None
    note: Localized | None = None
    verified_on: date | None = None


def modelled(book: RegimeBook) -> set[str]:
    """The residence codes some regime is written for."""
    return {regime.jurisdiction for regime in book.regimes.values()}


def gaps(book: RegimeBook, affected: Mapping[str, int], *, everything: bool) -> list[Gap]:
    """The people the clocks cannot speak for, then (with `everything`) every place marked not modelled."""
    covered, out = modelled(book), []
    for code, count in affected.items():
        if count <= 0:
            continue
        entry = book.not_modelled.get(code)
        if code == "US":
            out.append(Gap(code, "state_unknown", count))
        elif not any(covered_by(code, where) for where in covered):
            out.append(Gap(code, "not_modelled", count, entry and entry.name, entry and entry.note,
                           entry and entry.verified_on))
    if everything:
        shown = {gap.place for gap in out}
        out += [Gap(place, "not_modelled", None, entry.name, entry.note, entry.verified_on)
                for place, entry in book.not_modelled.items() if place not in shown]
        states = [code for code in RESIDENCES if code.startswith("US-") and code not in covered
                  and code not in shown and code not in book.not_modelled]
        out += [Gap(code, "not_modelled") for code in states]
    return out
