"""The supervisory authority of each EU member state where affected people live (GDPR Arts. 3(2), 33, 56(1): a firm
with no EU establishment has no lead authority, so each of them is told)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.text.facts import EU_MEMBERS
from bot.text.i18n import text as t


def members(affected: Mapping[str, int]) -> list[str]:
    """The member states where people affected live, as typed (DE, FR …), in the order they were recorded."""
    return [code for code, count in affected.items() if code in EU_MEMBERS and count > 0]


def named(affected: Mapping[str, int], lang: str) -> list[str]:
    """Each member state's supervisory authority, by name ('the CNIL (France)')."""
    return [t(lang, f"eu_authority.named.{code}") for code in members(affected)]


def audience(base: str, affected: Mapping[str, int], lang: str) -> str:
    """A clock's audience with the authorities named; where some people's member state is not given (EU alone),
    it says so and how to give it."""
    names = named(affected, lang)
    unknown = affected.get("EU", 0) > 0
    if not names and not unknown:
        return base
    said = ("；" if lang == "zh" else "; ").join(names)
    if unknown:
        gap = t(lang, "eu_authority.unknown", count=affected["EU"])
        said = ("；" if lang == "zh" else "; ").join([*names, gap]) if names else gap
    return f"{base}{'：' if lang == 'zh' else ': '}{said}"
