"""Reading a typed answer as the value a question's fact needs, or saying what is valid."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.errors import UserError
from bot.incident import wording
from bot.incident.names import choices, fold, matching, residence
from bot.incident.names import key as name_key
from bot.incident.playbook import Playbook, QuestionSpec
from bot.text.facts import ELSEWHERE, RESIDENCES, TEXT_MAX, narrow, whole_number
from bot.text.i18n import text as t
from bot.text.times import parse_when

YES = {"yes", "y", "true", "1", "是", "是的", "有", "对"}
NO = {"no", "n", "false", "0", "否", "不是", "没有", "无"}
# Answers a question takes when its playbook entry says so (`also:`), in either language.
NOT_APPLICABLE, UNKNOWN = "not_applicable", "unknown"
EXTRA = {
    NOT_APPLICABLE: {"n/a", "na", "n.a", "not applicable", "not_applicable", "不适用", "不涉及"},
    UNKNOWN: {"unknown", "not known", "don't know", "dont know", "?", "不知道", "未知", "不清楚", "尚不清楚"},
}


def named(playbook: Playbook, spec: QuestionSpec, lang: str) -> str:
    """How a question is named where people type it back: its key (`discovered`), or `Q1` in Chinese."""
    if lang != "zh":
        return spec.key
    return f"Q{[q.key for q in playbook.questions()].index(spec.key) + 1}"


def parse_answer(spec: QuestionSpec, raw: str, *, now: datetime, tz: str, lang: str, name: str | None = None,
                 playbook: Playbook | None = None) -> Any:
    """The JSON value of an answer to `spec`; UserError lists what is valid and nothing changes."""
    value = raw.strip()
    name = name or spec.key
    if not value:
        raise UserError(t(lang, "answer.empty", key=name, valid=valid_choices(spec, lang)))
    kind = spec.type
    said = " ".join(narrow(value).lower().rstrip("。.!！").split())
    for extra in spec.also:
        if said in EXTRA[extra]:
            return extra
    if kind == "yes_no":
        word = narrow(value).lower()
        if word in YES:
            return True
        if word in NO:
            return False
    elif kind == "one_of":
        picked = _option(spec, value, playbook)
        if picked:
            return picked
    elif kind == "several_of":
        for separators in (r"[,，、;；]+", r"[,，、;；\s]+"):  # `bank card, SSN` as the flag reads it, then `3 8`
            parts = [p for p in re.split(separators, value) if p.strip()]
            picked = [_option(spec, p, playbook) for p in parts]
            if parts and all(picked):
                return list(dict.fromkeys(p for p in picked if p))
    elif kind == "number":
        digits = narrow(value).replace(",", "").replace("_", "")
        if (count := whole_number(digits)) is not None:
            return count
    elif kind == "per_residence":
        return parse_residences(value, lang)
    elif kind == "datetime":
        try:
            when = parse_when(value, now=now, tz=tz, lang=lang)
        except ValueError as exc:
            raise UserError(t(lang, "answer.bad_time", detail=str(exc))) from None
        if when > now:
            raise UserError(t(lang, "answer.future"))
        return when.isoformat()
    elif kind == "text":
        if len(value) <= TEXT_MAX:
            return value
    raise UserError(t(lang, "answer.invalid", value=value, key=name, valid=valid_choices(spec, lang)))


_PAIR = re.compile(r"([^\W\d_][\w-]*(?: [^\W\d_][\w-]*)?)\s*[=:]\s*(-?\d[\d,_]*)")


def _codes(lang: str) -> str:
    """The residences to offer: every one but the US states one by one (named as a pattern instead)."""
    if lang == "zh":
        listed = choices("residence", None, lang).split("、")[:13]  # the first 13 are the non-state residences
        return ("、".join(listed) + "、欧盟成员国（如 德国、法国）、美国各州（如 华盛顿州、新泽西州、哥伦比亚特区）、"
                "以及尚未建模其法律的地方（如 韩国、印度、台湾、澳门、巴西）")
    return (" ".join(RESIDENCES[:13]) + " DE FR … (EU member states) US-XX (any state, DC or territory: US-WA, US-NJ, "
            "US-DC, US-PR) and places whose law is not modelled (" + " ".join(ELSEWHERE) + ")")


def parse_residences(raw: str, lang: str) -> dict[str, int]:
    """'CN=1,200 US-CA=40' → {'CN': 1200, 'US-CA': 40}; UserError naming the bad part.

    Full-width forms are read plain (`CN＝1200`), names as shown work (`中国=1200`), and an EU member
    state keeps its code (`DE=3 法国=2` → DE 3, FR 2: GDPR names each one's authority; `EU=5` is accepted too).
    """
    raw = narrow(raw)
    counts: dict[str, int] = {}
    rest = _PAIR.sub(" ", raw)
    leftover = [p for p in re.split(r"[,;、\s]+", rest) if p]
    if leftover:
        raise UserError(t(lang, "answer.residence", part=leftover[0], codes=_codes(lang)))
    typed: dict[str, str] = {}
    for name, number in _PAIR.findall(raw):
        code = residence(name)
        digits = number.replace(",", "").replace("_", "")
        count = whole_number(digits)
        if code is None or count is None:
            raise UserError(t(lang, "answer.residence", part=f"{name}={number}", codes=_codes(lang)))
        # The same code typed twice: the later one stands; places that share a code (上海, 北京: CN) add up.
        same = typed.get(code) == name.upper()
        counts[code] = count if same or code not in counts else counts[code] + count
        typed[code] = name.upper()
    if not counts:
        raise UserError(t(lang, "answer.residence", part=raw, codes=_codes(lang)))
    return counts


# Questions whose options are a kind of thing a flag names too: they take the same words (`员工操作失误` answers the
# cause question as `--原因 员工操作失误` does).
_NAMED = {"cause": "cause", "data": "data", "severity": "severity"}


def _option(spec: QuestionSpec, raw: str, playbook: Playbook | None = None) -> str | None:
    word = raw.strip()
    position = whole_number(word, limit=len(spec.options))
    if position:
        return spec.options[position - 1].key
    found = matching(word, [(fold(name), o.key) for o in spec.options for name in (o.key, o.label.en, o.label.zh)])
    if len(found) == 1:
        return found[0]
    kind = _NAMED.get(spec.sets)
    if kind is not None and (playbook is not None or kind == "data"):
        found = name_key(kind, word, playbook)
        return found if found in {o.key for o in spec.options} else None
    return None


def valid_choices(spec: QuestionSpec, lang: str) -> str:
    """What a person may type for this question."""
    if spec.type in ("one_of", "several_of"):
        listing = " · ".join(f"{i} {o.label(lang) if lang == 'zh' else o.key}" for i, o in enumerate(spec.options, start=1))
        listing += t(lang, "answer.several") if spec.type == "several_of" else ""
    else:
        listing = t(lang, f"answer.type.{spec.type}")
    return listing + "".join(t(lang, f"answer.also.{extra}") for extra in spec.also)


def extra(spec: QuestionSpec, value: Any) -> str | None:
    """`not_applicable` or `unknown` when the answer is one of those this question also takes."""
    return value if isinstance(value, str) and value in spec.also else None


def show(spec: QuestionSpec, value: Any, lang: str) -> str:
    """An answer as people read it."""
    if isinstance(value, bool):
        return t(lang, "answer.yes" if value else "answer.no")
    if extra(spec, value):
        return t(lang, f"answer.said.{value}")
    labels = {o.key: o.label(lang) for o in spec.options}
    if isinstance(value, list):
        return ("、" if lang == "zh" else ", ").join(labels.get(v, str(v)) for v in value)
    if isinstance(value, dict):
        return wording.residences(value, lang) if lang == "zh" else " ".join(f"{k}={v}" for k, v in value.items())
    return labels.get(str(value), str(value))
