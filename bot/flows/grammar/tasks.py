"""`/breach done …`: which tasks (one, `1 2 3`, `2,3`, `2，3`, `2、3`) and the note after them."""

from __future__ import annotations

import re

from bot.flows.grammar.tokens import Token, flag_of, fold, tokenize

_REF = re.compile(r"^\d{1,3}(?:\.\d{1,3})?$")  # 3 or 4.2: a task by number
_SEPARATOR = re.compile(r"[,、;]+")  # ， and ； are already plain here
_MOST_WORDS = 64


def _refs(word: str) -> list[str] | None:
    """The task numbers in one word (`2,3`), or None when the word is not only task numbers."""
    parts = [p for p in _SEPARATOR.split(fold(word)) if p]
    return parts if parts and all(_REF.match(p) for p in parts) else None


def done_words(body: str) -> tuple[list[str], str, dict[str, str] | None]:
    """(tasks, note, problem): `problem` holds the two ways to type it when a number after the first task
    could be another task or the start of the note (`/breach done 1 2 copied logs`)."""
    words = []
    for match in re.finditer(r"\S+", body):
        words.append(match)
        if len(words) >= _MOST_WORDS:
            break
    first = words[0]
    tasks = [p for p in _SEPARATOR.split(fold(first[0])) if p] or [first[0]]
    rest = words[1:]
    if rest:
        marker = Token(rest[0][0], rest[0].start(), rest[0].end())
        found = flag_of(marker, {"note"})
        if found is not None and found[0] == "note":
            return list(dict.fromkeys(tasks)), _note(body, rest[0].end(), found[1]), None
    more: list[str] = []
    for match in rest:
        refs = _refs(match[0])
        if refs is None:
            break
        more += refs
    counted = next((i for i, m in enumerate(rest) if _refs(m[0]) is None), len(rest))  # task numbers after the first
    if more and counted == len(rest) and len(words) < _MOST_WORDS:
        return list(dict.fromkeys(tasks + more)), "", None
    note = body[first.end():].strip()
    if more:  # `1 2 copied logs`: is 2 a task, or the start of the note? Say both ways to type it.
        later = body[rest[counted].start():].strip() if counted < len(rest) else ""
        after = body[rest[0].start():].strip()
        return tasks, note, {"word": rest[0][0], "tasks": f"/breach done {','.join(tasks + more)} {later}".strip(),
                             "note": f'/breach done {first[0]} --note "{after}"'}
    return list(dict.fromkeys(tasks)), note, None


def _note(body: str, start: int, inline: str | None) -> str:
    """The text after `--note`: one quoted phrase without its quotes, or the words exactly as typed."""
    text = ((inline or "") + body[start:]).strip()
    tokens = tokenize(text)
    return tokens[0].text if len(tokens) == 1 and tokens[0].quoted else text
