"""One place that reads what people type for a thing the bot shows — a role, a cause, a phase, a data
category, a measure, a regime, a task … by its key or by its English or Chinese name, any case, full-width or not,
or by the start of a name or a word of it when that names one thing — as its key (`matching`).

bot/flows/canonical.py applies it to a whole command before it runs, on every platform.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.errors import UserError
from bot.incident.playbook import DEFAULT_DRAFT_RULES, Playbook
from bot.text.facts import CAC_LEVELS, COST_CATEGORIES, DATA_CATEGORIES, RESIDENCES, narrow, residence_code
from bot.text.i18n import catalogue
from bot.text.i18n import text as t

NEXT_WORDS = ("next", "下一", "下一阶段", "下一个", "下个阶段", "下一步")
_LIST = re.compile(r"[,，、;；]+")


def fold(text: str) -> str:
    """How names compare: full-width folded, case ignored, and '_', '-' and runs of spaces alike."""
    return " ".join(re.sub(r"[_\-\s]+", " ", narrow(text).casefold()).split())


def matching(typed: str, named: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[str]:
    """The keys a typed name means among (folded name, key) pairs, trying in turn: the exact key or name; the
    names it starts; the names it is a word of (English) or a part of (Chinese). One key: that is the thing;
    several: ambiguous (the caller asks which, listing them); none: unknown. A number or a single letter only
    ever matches exactly; a single Chinese character matches the start of a name."""
    pairs = list(named.items() if isinstance(named, Mapping) else named)
    folded = fold(typed)
    tests = [lambda name: name == folded]
    if len(folded) >= 2 and not re.fullmatch(r"[\d.]+", folded):
        tests += [lambda name: name.startswith(folded),
                  lambda name: folded in (name.split() if folded.isascii() else name)]
    elif len(folded) == 1 and not folded.isascii() and not folded.isdigit():
        tests += [lambda name: name.startswith(folded)]  # 法 → 法务合规: one Chinese character is a word
    for test in tests:
        keys = list(dict.fromkeys(key for name, key in pairs if test(name)))
        if keys:
            return keys
    return []


def near(typed: str, named: Mapping[str, str]) -> list[str]:
    """The key a typo most likely meant ('isolat' → isolate, 'lawer' → legal), or nothing."""
    folded = fold(typed)
    close = difflib.get_close_matches(folded, list(named), n=1, cutoff=0.6 if folded.isascii() else 0.5)
    return [named[close[0]]] if close else []


def _keys(kind: str, playbook: Playbook | None) -> list[str]:
    if kind in ("role", "cause", "phase", "severity") and playbook is None:
        raise ValueError(f"{kind} names need the playbook")
    if kind == "role":
        return list(playbook.roles)
    if kind == "cause":
        return list(playbook.causes)
    if kind == "phase":
        return [p.key for p in playbook.phases]
    if kind == "severity":
        return list(playbook.severities)
    if kind == "draft":
        return list(DEFAULT_DRAFT_RULES)
    if kind == "cac_level":
        return list(CAC_LEVELS)
    if kind == "data":
        return list(DATA_CATEGORIES)
    if kind == "residence":
        return list(RESIDENCES)
    if kind == "cost":
        return list(COST_CATEGORIES)
    return {"offer": ["monitoring", "compensation", "hotline", "support", "other"], "lang": ["en", "zh"], "variant": ["individual", "company"], "via": ["email", "phone", "post", "wecom", "sms"],
            "format": ["md", "html", "pdf", "json"]}[kind]


def _labels(kind: str, key: str, playbook: Playbook | None) -> list[str]:
    """Every name the bot shows for `key`, in both languages."""
    found: list[str] = []
    localized = {} if playbook is None else playbook.roles if kind == "role" else playbook.causes if kind == "cause" else {}
    if key in localized:
        found += [localized[key].en, localized[key].zh]
    if kind == "phase" and playbook is not None:
        title = playbook.phase(key).title
        found += [title.en, title.zh]
    if kind == "data" and playbook is not None:
        found += [o.label(lang) for q in playbook.questions() if q.sets == "data" for o in q.options if o.key == key
                  for lang in ("en", "zh")]
    shown = {"cac_level": "regime_reason.cac_level", "data": "regime_reason.category",
             "residence": "regime_reason.place", "offer": "offer.kinds"}.get(kind)
    for lang in ("en", "zh"):
        words = catalogue(lang)
        found += [words.get(f"names.{kind}.{key}", ""), words.get(f"{shown}.{key}", "") if shown else ""]
    return [word for label in found for word in (label, *label.split("/")) if word.strip()]


def table(kind: str, playbook: Playbook | None) -> dict[str, str]:
    """Folded name → key for one kind of thing: keys first, then every label."""
    keys = _keys(kind, playbook)
    names = {fold(key): key for key in keys}
    for key in keys:
        for label in _labels(kind, key, playbook):
            names.setdefault(fold(label), key)
    return names


def candidates(kind: str, raw: str, playbook: Playbook | None) -> list[str]:
    """The keys `raw` may mean (`matching`: a key, a shown name, the start or a word of one)."""
    if kind == "residence" and (code := residence_code(raw)):
        return [code]
    named = table(kind, playbook)
    found = matching(raw, named)
    if not found and kind == "residence" and len(raw.strip()) > 2 and raw.strip()[-1] in "省市":
        return matching(raw.strip()[:-1], named)  # 广东省, 上海市
    return found


def key(kind: str, raw: str, playbook: Playbook | None) -> str | None:
    """The key `raw` names (a key, a shown name, or the start or a word of one that names one thing), or None.
    Only roles, causes, phases, severities and data categories need the playbook."""
    found = candidates(kind, raw, playbook)
    return found[0] if len(found) == 1 else None


def ambiguous(raw: str, shown_keys: list[str], lang: str) -> UserError:
    """The refusal of a name that could mean several things: it lists them as the bot shows them."""
    return UserError(t(lang, "names.ambiguous", value=raw, choices=("、" if lang == "zh" else ", ").join(shown_keys)))


def residence(raw: str) -> str | None:
    """A residence code from a code (`cn`, `DE` → EU) or a shown name (`中国`, `California`), or None."""
    return key("residence", raw, None)


def suggest(kind: str, raw: str, playbook: Playbook, extra: tuple[str, ...] = ()) -> str | None:
    """The key a typo most likely meant ('lawer' → legal, 'nxt' → next), or None."""
    names = table(kind, playbook) | {fold(word): word for word in extra}
    found = matching(raw, names)
    if len(found) == 1:
        return found[0]
    return next(iter(near(raw, names)), None)


def shown(kind: str, key: str, playbook: Playbook | None, lang: str) -> str:
    """How the bot shows a key in a language: the key in English, the first Chinese name in Chinese."""
    if lang != "zh":
        return key
    localized = {} if playbook is None else playbook.roles if kind == "role" else playbook.causes if kind == "cause" else {}
    if key in localized:
        return localized[key].zh
    if kind == "phase" and playbook is not None:
        return playbook.phase(key).title.zh
    words = catalogue("zh")
    shown_key = {"cac_level": "regime_reason.cac_level", "data": "regime_reason.category",
                 "residence": "regime_reason.place"}.get(kind)
    for found in (words.get(f"{shown_key}.{key}", "") if shown_key else "", words.get(f"names.{kind}.{key}", "")):
        if found.strip():
            return found.split("/")[0]
    return key


def resolve(kind: str, raw: str, playbook: Playbook, lang: str, error: str, **values: Any) -> str:
    """The key for `raw`; anything else is refused in the workspace's language, with the choices as it
    shows them and, for a typo with a likely meaning, 'did you mean'."""
    found = candidates(kind, raw, playbook)
    if len(found) == 1:
        return found[0]
    if found:
        raise ambiguous(raw, [shown(kind, k, playbook, lang) for k in found], lang)
    values.setdefault("choices", choices(kind, playbook, lang))
    said = t(lang, error, value=raw, **values)
    if (meant := suggest(kind, raw, playbook)) is not None:
        said += t(lang, "names.did_you_mean", suggestion=shown(kind, meant, playbook, lang))
    raise UserError(said)


def choices(kind: str, playbook: Playbook | None, lang: str = "en") -> str:
    """The choices of one kind as the bot shows them in `lang`: `lead, it_security, …` or `事件负责人、信息安全、…`."""
    return ("、" if lang == "zh" else ", ").join(shown(kind, k, playbook, lang) for k in _keys(kind, playbook))


def phase_target(raw: str, playbook: Playbook, lang: str, *, allow_next: bool = True) -> str:
    """`next`, a phase number, or a phase key from its key or title; a typo gets 'did you mean'."""
    folded = fold(raw)
    if allow_next and folded in NEXT_WORDS:
        return "next"
    if folded.isascii() and folded.isdigit():
        return folded
    found = key("phase", raw, playbook)
    if found is not None:
        return found
    meant = suggest("phase", raw, playbook, ("next",) if allow_next else ())
    listing = ", ".join(f"{i} {shown('phase', p.key, playbook, lang)}" for i, p in enumerate(playbook.phases, start=1))
    if meant is not None:
        raise UserError(t(lang, "error.unknown_phase", value=raw, choices=listing)
                        + t(lang, "names.did_you_mean", suggestion=NEXT_WORDS[2] if meant == "next" and lang == "zh"
                            else shown("phase", meant, playbook, lang)))
    return raw


def categories(raw: str, playbook: Playbook) -> list[str]:
    """'银行账户、税号' or 'bank account, tax_id' → keys (unknown words kept as typed, for the flow to name)."""
    whole = key("data", raw, playbook)
    if whole is not None:
        return [whole]
    out: list[str] = []
    for part in (p.strip() for p in _LIST.split(raw) if p.strip()):
        found = key("data", part, playbook)
        out += [found] if found else [key("data", w, playbook) or w for w in part.split()]
    return out


def known_categories(raw: str, playbook: Playbook, lang: str) -> list[str]:
    """`categories`, refusing a typo that has a likely meaning ('bank' → bank_account) with 'did you mean'."""
    found = categories(raw, playbook)
    for word in found:
        if word not in DATA_CATEGORIES and len(meant := candidates("data", word, playbook)) > 1:
            raise ambiguous(word, [shown("data", k, playbook, lang) for k in meant], lang)
        if word not in DATA_CATEGORIES:
            said = t(lang, "error.data", value=word, choices=choices("data", playbook, lang))
            if (meant := suggest("data", word, playbook)) is not None:
                said += t(lang, "names.did_you_mean", suggestion=shown("data", meant, playbook, lang))
            raise UserError(said)
    return found
