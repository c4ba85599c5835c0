"""How recorded values read in each language: severities, incident states, roles, facts, channels, kinds.

The database keeps stable codes (`high`, `closed`, `it_security`, `encrypted=False`); people read
words. A code the catalogue does not know (a firm's own severity, say) is shown as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pydantic import model_validator

from bot.incident.playbook import Localized, Playbook
from bot.text.i18n import catalogue
from bot.text.i18n import text as t
from bot.text.times import format_number

PREFIX = "value_name."
# /breach facts and its questions: facts said as "data encrypted" / "数据已加密" rather than encrypted=True
YES_NO_FACTS = ("encrypted", "key_safe", "crime_suspected", "ransom_paid", "contained", "press_aware", "on_behalf")
TIME_FACTS = ("determined_at", "assessed_at", "handling_ended_at", "ransom_paid_at", "exposure_from", "exposure_to")


class Citation(Localized):
    """Where the law says so, in en and zh like every text people read (a bare string: "zh: Field required")."""

    _bare = model_validator(mode="before")(lambda cls, v: {"en": v} if isinstance(v, str) else v)

    def __str__(self) -> str:  # a template that prints it without choosing a language gets the English
        return self.en


def _known(lang: str, key: str) -> bool:
    return key in catalogue(lang if lang in ("en", "zh") else "en")


def name(lang: str, group: str, code: str) -> str:
    """The word for a code in a group (severity, state, via, draft_kind, lang); the code itself if unknown."""
    key = f"{PREFIX}{group}.{code}"
    return t(lang, key) if _known(lang, key) else code


def severity(lang: str, value: str) -> str:
    """'high' → 'high' / '高'."""
    return name(lang, "severity", value)


def state(lang: str, value: str) -> str:
    """An incident's status: 'open' → 'open' / '进行中'."""
    return name(lang, "state", value)


def role(playbook: Playbook, key: str, lang: str) -> str:
    """A role's name from the playbook ('it_security' → 'IT security' / '信息安全')."""
    return playbook.roles[key](lang) if key in playbook.roles else key


def roles(playbook: Playbook, keys: list[str], lang: str) -> str:
    """Several role names, listed."""
    return t(lang, "regime_reason.join.items").join(role(playbook, k, lang) for k in keys)


def place_name(code: str, lang: str) -> str:
    """A residence code as people read it: 'US-CA' → '加利福尼亚州' (the code itself in English)."""
    key = f"regime_reason.place.{code}"
    return t(lang, key) if lang != "en" and _known(lang, key) else code


def residences(counts: Mapping[str, int], lang: str) -> str:
    """'CN 1200 · US-CA 40' as '中国大陆 1200 · 加利福尼亚州 40' (the codes in English)."""
    return " · ".join(f"{place_name(code, lang)} {format_number(n, lang)}" for code, n in counts.items())


def categories(keys: list[str], lang: str) -> str:
    """Data categories in words: 'bank_account' → 'bank account' / '银行账户'."""
    def label(key: str) -> str:
        found = f"regime_reason.category.{key}"
        return t(lang, found) if _known(lang, found) else key

    return t(lang, "regime_reason.join.items").join(label(k) for k in keys)


def fact(key: str, value: Any, lang: str, *, when: Callable[[datetime], str]) -> str | None:
    """One recorded fact as words ('data not encrypted' / '数据未加密'); None for a fact with no wording."""
    base = f"{PREFIX}fact.{key}"
    if key in YES_NO_FACTS and isinstance(value, bool):
        return t(lang, f"{base}.{'is' if value else 'is_not'}")
    if key in TIME_FACTS and isinstance(value, str):
        try:
            return t(lang, base, at=when(datetime.fromisoformat(value)))
        except ValueError:
            return None
    if key == "data" and isinstance(value, list):
        return t(lang, base, categories=categories(value, lang) or "—")
    if key == "cac_level" and isinstance(value, str):
        level = f"regime_reason.cac_level.{value}"
        return t(lang, base, level=t(lang, level) if _known(lang, level) else value)
    if key == "systems" and isinstance(value, str):
        return t(lang, base, systems=value)
    if key == "measures" and isinstance(value, list):
        return t(lang, base, measures=("、" if lang == "zh" else ", ").join(value) or "—")
    if key == "affected" and isinstance(value, dict):
        return t(lang, base, counts=residences(value, lang) or "—")
    return None


def facts(changes: Mapping[str, Any], lang: str, *, when: Callable[[datetime], str]) -> str:
    """Several facts as one phrase: '数据未加密；涉嫌犯罪'; a fact without wording is shown as fact=value."""
    said = [fact(k, v, lang, when=when) or f"{k}={v}" for k, v in changes.items()]
    return t(lang, "regime_reason.join.clauses").join(said)
