"""The message catalogue: every user-facing sentence, in English and Chinese.

Templates use `{name}` placeholders. A value that is a span (a `Mention`, a `RoomRef`) stays
a span, so the platform renders it; anything else becomes literal `Text`.
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from babel import Locale

from bot.chat import Line, Mention, Message, RoomRef, Strong, Text

LOCALES = Path(__file__).resolve().parent / "locales"
_FORMATTER = string.Formatter()


# CLDR's plural categories: a catalogue entry written as a mapping of them is one message in its plural forms
# (`one:` "{count} client told", `other:` "{count} clients told"); Babel says which form a number takes in a
# language (Chinese has only `other`, so a Chinese entry stays one string).
PLURAL_FORMS = frozenset({"zero", "one", "two", "few", "many", "other"})


@cache
def _loaded(lang: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    raw = yaml.safe_load((LOCALES / f"{lang}.yaml").read_text(encoding="utf-8"))
    flat: dict[str, str] = {}
    plural: dict[str, dict[str, str]] = {}

    def walk(prefix: str, node: Any) -> None:
        for key, value in node.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict) and "other" in value and set(value) <= PLURAL_FORMS:
                plural[name] = {form: str(text) for form, text in value.items()}
                flat[name] = plural[name]["other"]
            elif isinstance(value, dict):
                walk(name + ".", value)
            else:
                flat[name] = str(value)

    walk("", raw)
    return flat, plural


def catalogue(lang: str) -> dict[str, str]:
    """All messages of one language, flattened to dotted keys (a message with plural forms by its `other`)."""
    return _loaded(lang)[0]


def plurals(lang: str) -> dict[str, dict[str, str]]:
    """The messages of one language that have plural forms: key → {CLDR category: template}."""
    return _loaded(lang)[1]


def template(lang: str, key: str, count: Any = None) -> str:
    """The raw template for `key` in `lang`, falling back to English; for a message with plural forms, the form
    `count` takes in that language (CLDR's rules, from Babel)."""
    lang = lang if lang in ("en", "zh") else "en"
    text = catalogue(lang).get(key)
    if text is None:
        lang, text = "en", catalogue("en")[key]
    forms = plurals(lang).get(key)
    if isinstance(count, str) and count.replace(",", "").isdigit():  # a number already written out (1,200)
        count = int(count.replace(",", ""))
    if forms is not None and isinstance(count, int) and not isinstance(count, bool):
        text = forms.get(_plural_form(lang, abs(count)), text)
    return text


@cache
def _plural_form(lang: str, number: int) -> str:
    return Locale.parse(lang).plural_form(number)


def _count(lang: str, key: str, values: dict[str, Any]) -> Any:
    """The number a message's plural form follows: `count`, else the first whole number among its values."""
    if "count" in values:
        return values["count"]
    for _, field, _, _ in _FORMATTER.parse(template(lang, key)):
        if field and isinstance(values.get(field), int):
            return values[field]
    return None


def line(lang: str, key: str, /, **values: Any) -> Line:
    """One line of spans from a template."""
    spans: list[Any] = []
    for literal, field, spec, conversion in _FORMATTER.parse(template(lang, key, _count(lang, key, values))):
        if literal:
            spans.append(Text(literal))
        if field is None:
            continue
        value = values[field]
        if isinstance(value, Mention | RoomRef | Strong | Text):
            spans.append(value)
        elif isinstance(value, tuple):  # an already-built line
            spans.extend(value)
        else:
            if conversion == "r" and isinstance(value, str) and lang == "zh":
                value = quoted_zh(value)
            elif conversion:
                value = _FORMATTER.convert_field(value, conversion)
            spans.append(Text(format(value, spec or "")))
    return tuple(_merge(spans))


def quoted_zh(value: str) -> str:
    """What a person typed, quoted as Chinese text quotes it (`「先推进」`, where English shows `'scope known'`);
    control characters shown as escapes, as `!r` would."""
    return "「" + "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in value) + "」"


def text(lang: str, key: str, /, **values: Any) -> str:
    """A template rendered to plain text (for errors, topics, logs)."""
    return Message(lines=(line(lang, key, **values),)).plain_text()


def drill_prefix(lang: str, drill: bool) -> tuple[Text, ...]:
    """The DRILL marker that starts every message about a drill (nothing for a real incident)."""
    return (Text(text(lang, "drill.prefix")),) if drill else ()


def drill_suffix(drill: bool) -> str:
    """What a drill's file names carry (`BR-3-report-DRILL-en.md`)."""
    return "-DRILL" if drill else ""


def message(lang: str, key: str, /, *, kind: str = "info", **values: Any) -> Message:
    """A one-or-more-line message from one template (newlines split lines)."""
    rendered = line(lang, key, **values)
    lines: list[list[Any]] = [[]]
    for span in rendered:
        if isinstance(span, Text) and "\n" in span.text:
            first, *rest = span.text.split("\n")
            if first:
                lines[-1].append(Text(first))
            for part in rest:
                lines.append([Text(part)] if part else [])
        else:
            lines[-1].append(span)
    return Message(lines=tuple(tuple(x) for x in lines), kind=kind)


def _merge(spans: list[Any]) -> list[Any]:
    out: list[Any] = []
    for span in spans:
        if out and type(span) is Text and type(out[-1]) is Text:
            out[-1] = Text(out[-1].text + span.text)
        else:
            out.append(span)
    return out


def _wide(char: str) -> bool:
    """A Chinese, Japanese or Korean character: a text may be cut after any of them."""
    return "\u2e80" <= char <= "\u9fff" or "\uac00" <= char <= "\ud7af" or "\uf900" <= char <= "\uffef"


def has_chinese(text: str) -> bool:
    """Whether a text has Chinese characters in it (then an English statement cannot carry it as it is)."""
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def shorten(text: str, limit: int) -> str:
    """A text cut to at most `limit` characters with an ellipsis: between words ('Payroll export found…'), or
    after any character of Chinese ('工资表出现在…'), never inside an English word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[:limit - 1]
    if not text[limit - 1].isspace() and not _wide(text[limit - 1]) and not _wide(head[-1]):
        space = max(head.rfind(" "), max((i for i, ch in enumerate(head) if _wide(ch)), default=-1))
        if space >= limit // 3:
            head = head[:space + 1]
    return head.rstrip(" ,.;:·-—，。、；：") + "…"
