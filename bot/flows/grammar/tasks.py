"""`/breach done …`: which tasks (one, `1 2 3`, `2,3`, `2，3`, `2、3`) and the note after them."""

from __future__ import annotations

import re

from bot.flows.grammar.tokens import Token, flag_of, fold, tokenize

_REF = re.compile(r"^\d{1,3}(?:\.\d{1,3})?$")  # 3 or 4.2: a task by number
_SEPARATOR = re.compile(r"[,、;]+")  # ， and ； are already plain here
_MOST_WORDS = 64
_STOPS = "。.!！?？~～"  # a sentence's end after the last task (`/breach done 3。`) is not part of it
EVERY = "all"  # `/breach done all`: every open task of the current phase
_EVERY_WORDS = {"all", "全部", "所有", "全部任务", "所有任务"}


def _refs(word: str) -> list[str] | None:
    """The task numbers in one word (`2,3`, `3。`), or None when the word is not only task numbers."""
    parts = [p for p in _SEPARATOR.split(fold(word).rstrip(_STOPS)) if p]
    return parts if parts and all(_REF.match(p) for p in parts) else None


def done_words(body: str) -> tuple[list[str], str]:
    """(tasks, note): the leading words that are task numbers are the tasks (`1 2 3`, `2,3`); the first other
    word starts the note (`/breach done 1 2 3 team assembled`). A note that starts with a number follows
    `--note`. A first word that is not a number is one task by key or title."""
    words = []
    for match in re.finditer(r"\S+", body):
        words.append(match)
        if len(words) >= _MOST_WORDS:
            break
    first = words[0]
    if fold(first[0]).rstrip(_STOPS).lower() in _EVERY_WORDS:
        return [EVERY], body[first.end():].strip()
    tasks = _refs(first[0]) or [first[0]]
    counted = 1
    if _refs(first[0]) is not None:
        while counted < len(words) and (refs := _refs(words[counted][0])) is not None:
            tasks += refs
            counted += 1
    rest = words[counted:]
    if rest:
        marker = Token(rest[0][0], rest[0].start(), rest[0].end())
        found = flag_of(marker, {"note"})
        if found is not None and found[0] == "note":
            return list(dict.fromkeys(tasks)), _note(body, rest[0].end(), found[1])
    note = body[rest[0].start():].strip() if rest else ""
    return list(dict.fromkeys(tasks)), note


def _note(body: str, start: int, inline: str | None) -> str:
    """The text after `--note`: one quoted phrase without its quotes, or the words exactly as typed."""
    text = ((inline or "") + body[start:]).strip()
    tokens = tokenize(text)
    return tokens[0].text if len(tokens) == 1 and tokens[0].quoted else text
