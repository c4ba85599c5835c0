"""Gaps in a statement: the placeholders a text still carries, and how to fill each one.

A gap is a `[cause — to be confirmed]` placeholder (`[原因——待确认]` in Chinese) that a template
wrote for a fact nobody has recorded. Gaps are found in the text itself, so a person's edit that
writes the fact in removes the gap, and a placeholder left in (or pasted in) keeps it. Nothing
with a gap is approved or merged into a letter.
"""

from __future__ import annotations

import re
from functools import cache

from bot.chat import Line, Message
from bot.incident.answers import named, valid_choices
from bot.incident.playbook import Playbook
from bot.law.regimes import CAC_LEVELS
from bot.text.i18n import catalogue, line, template
from bot.text.i18n import text as t

LANGS = ("en", "zh")


def known_fact(what: str) -> bool:
    """Whether the catalogue has words for this gap."""
    return f"draft.fact.{what}" in catalogue("en")


def label(lang: str, what: str) -> str:
    """A gap in words ('cause', '原因'); a firm template's own gap name as it is."""
    return t(lang, f"draft.fact.{what}") if known_fact(what) else what


def labels(lang: str, gaps: list[str]) -> str:
    """Gaps in words, as a list: 'cause, contact point' / '原因、联系方式'."""
    return ("、" if lang == "zh" else ", ").join(label(lang, gap) for gap in gaps)


def placeholder(lang: str, what: str) -> str:
    """The text a template writes for a gap: '[cause — to be confirmed]'."""
    return t(lang, "draft.gap", what=label(lang, what))


@cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    out = []
    for lang in LANGS:
        before, _, after = template(lang, "draft.gap").partition("{what}")
        out.append(re.compile(re.escape(before) + r"([^\[\]\n]{1,120}?)" + re.escape(after)))
    return tuple(out)


@cache
def _keys_by_label() -> dict[str, str]:
    keys = [k.removeprefix("draft.fact.") for k in catalogue("en") if k.startswith("draft.fact.")]
    return {t(lang, f"draft.fact.{key}"): key for lang in LANGS for key in keys}


def find_gaps(text: str) -> list[str]:
    """Every gap still in a text, in order of appearance (fact keys where known, else the words)."""
    found = sorted((m.start(), m[1]) for pattern in _patterns() for m in pattern.finditer(text))
    gaps: list[str] = []
    for _, words in found:
        key = _keys_by_label().get(words.strip(), words.strip())
        if key not in gaps:
            gaps.append(key)
    return gaps


def redraft_command(*, kind: str, lang: str, template_name: str, regime: str | None, shown_in: str = "en") -> str:
    """The command that drafts this statement again from the facts, in the words of the workspace (`shown_in`)."""
    if shown_in == "zh":
        def first(key: str) -> str:
            return catalogue("zh").get(key, "").split("/")[0]

        command = f"/breach 起草 {first(f'names.draft.{kind}') or kind} --语言 {first(f'names.lang.{lang}') or lang}"
        if kind == "client" and "company" in template_name:
            command += " --对象 企业"
        if regime:
            command += f" --法规 {first(f'regime_names.{regime}') or regime}"
        return command
    command = f"/breach draft {kind} --lang {lang}"
    if kind == "client" and "company" in template_name:
        command += " --variant company"
    if regime:
        command += f" --regime {regime}"
    return command


def measure_labels(playbook: Playbook, lang: str = "en") -> dict[str, str]:
    """Task key → how the list of measures shows it: '4.1 isolate' ('4.1 隔离受影响系统' in Chinese)."""
    return {task.key: f"{p}.{i} {task.text.zh.replace('：', ':').split(':')[0] if lang == 'zh' else task.key}"
            for p, phase in enumerate(playbook.phases, start=1)
            for i, task in enumerate(phase.tasks, start=1) if task.measure is not None}


def measure_tasks(playbook: Playbook, lang: str = "en") -> str:
    """The tasks whose completion statements may state, as `/breach done` takes them: '4.1 isolate'
    ('4.1 隔离受影响系统' in Chinese)."""
    return ("、" if lang == "zh" else ", ").join(measure_labels(playbook, lang).values()) or "-"


def how_to_fill(gap: str, *, playbook: Playbook, draft_id: str, lang: str) -> str:
    """The one command (or setting) that fills a gap."""
    if gap == "public":
        return t(lang, "draft.fill.public")
    if gap in ("public_en", "contact", "firm_name", "spokesperson", "exposure_from", "exposure_to", "systems"):
        return t(lang, f"draft.fill.{gap}")
    if gap == "measures":
        contained = _question(playbook, "contained", lang)
        return t(lang, "draft.fill.measures", tasks=measure_tasks(playbook, lang),
                 contained=t(lang, "draft.fill.or_contained", key=contained) if contained else "")
    if gap == "cac_level":
        return t(lang, "draft.fill.cac_level", choices="|".join(
            t(lang, f"regime_reason.cac_level.{k}") if lang == "zh" else k for k in CAC_LEVELS))
    if gap == "data":
        return t(lang, "draft.fill.data", key=_question(playbook, "data", lang) or "data")
    if gap == "encrypted":
        return t(lang, "draft.fill.encrypted")
    if gap == "affected":
        return t(lang, "draft.fill.affected")
    # a gap named after a fact a playbook question sets (cause, contained, clients…) is filled by answering it
    key = _question(playbook, gap) if known_fact(gap) else None
    if key:
        spec = next(q for q in playbook.questions() if q.key == key)
        return t(lang, "draft.fill.answer", key=named(playbook, spec, lang), valid=valid_choices(spec, lang))
    return t(lang, "draft.fill.edit", id=draft_id)


def _question(playbook: Playbook, fact: str, lang: str = "en") -> str | None:
    """The question that sets a fact, as people type it back (its key; `Q6` in Chinese)."""
    return next((named(playbook, q, lang) for q in playbook.questions() if q.sets == fact), None)


def fill_lines(gaps: list[str], *, playbook: Playbook, draft_id: str, lang: str, redraft: str) -> list[Line]:
    """One line per gap saying how to fill it, then how to bring the facts into the draft."""
    lines: list[Line] = [line(lang, "draft.fill.item", gap=label(lang, gap),
                              how=how_to_fill(gap, playbook=playbook, draft_id=draft_id, lang=lang))
                         for gap in gaps]
    lines.append(line(lang, "draft.fill.then", command=redraft, id=draft_id))
    return lines


def refusal(key: str, gaps: list[str], *, playbook: Playbook, draft_id: str, version: int, lang: str,
            redraft: str) -> Message:
    """Why a draft cannot be approved or merged yet, and exactly what to type for each gap."""
    head = line(lang, key, id=f"{draft_id} " + t(lang, "report.version", version=version), gaps=labels(lang, gaps))
    return Message(lines=(head, *fill_lines(gaps, playbook=playbook, draft_id=draft_id, lang=lang,
                                            redraft=redraft)), kind="error")
