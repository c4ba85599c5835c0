"""Neutral messages as Block Kit: people's text escaped, mentions and rooms made live only on purpose."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.chat import Button, Line, Mention, Message, RoomRef, Span, Strong, Text
from handlers.slack.catalogue import ui

SECTION_MAX = 3000  # characters in one section's text (Slack's limit)
FALLBACK_MAX = 3900  # characters in a message's top-level `text` (Slack truncates at 4000)
BLOCKS_MAX = 50
# Slack refuses a message whose blocks carry more than roughly 12,000 characters in all with
# `msg_blocks_too_long`, below any documented per-block limit (slackapi/bolt-js#2509 measured
# ~13,200); we keep well under it.
BLOCKS_TEXT_MAX = 11_000
BUTTONS_PER_BLOCK = 25
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_ROOM_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


@dataclass
class Rendered:
    """What chat.postMessage / chat.update / views.publish take: a fallback `text` and `blocks`."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def escape(text: str) -> str:
    """Make text literal in mrkdwn: `<!channel>` or `<@U1>` typed by a person shows, never fires."""
    return text.translate(_ESCAPES)


def span_mrkdwn(span: Span) -> str:
    """One span as mrkdwn; a mention or room that is not a Slack id is shown as escaped text."""
    if isinstance(span, Strong):
        core = escape(span.text)
        stripped = core.strip()
        if not stripped:
            return core
        lead = core[: len(core) - len(core.lstrip())]
        trail = core[len(core.rstrip()):]
        return f"{lead}*{stripped}*{trail}"
    if isinstance(span, Mention):
        return f"<@{span.user}>" if _USER_ID.match(span.user) else escape(f"@{span.user}")
    if isinstance(span, RoomRef):
        return f"<#{span.room}>" if _ROOM_ID.match(span.room) else escape(f"#{span.room}")
    if isinstance(span, Text):
        return escape(span.text)
    raise TypeError(f"not a span: {span!r}")


def line_mrkdwn(line: Line) -> str:
    """A line of spans as one mrkdwn string."""
    return "".join(span_mrkdwn(span) for span in line)


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object; `verbatim` stops Slack from turning a typed @here or #room into a live link."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def plain(text: str, limit: int = 3000) -> dict[str, Any]:
    """A plain_text object (Slack never parses markup in it)."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return {"type": "plain_text", "text": text or " ", "emoji": True}


def _sections(lines: list[str]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    chunk: list[str] = []
    size = 0
    for text in lines:
        text = text if len(text) <= SECTION_MAX else text[: SECTION_MAX - 1] + "…"
        if chunk and size + len(text) + 1 > SECTION_MAX:
            blocks.append({"type": "section", "text": mrkdwn("\n".join(chunk))})
            chunk, size = [], 0
        chunk.append(text)
        size += len(text) + 1
    if chunk and any(part.strip() for part in chunk):
        blocks.append({"type": "section", "text": mrkdwn("\n".join(chunk))})
    return blocks


def _button(button: Button, action_id: str, lang: str) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": plain(button.label, 75), "action_id": action_id,
                               "value": button.value[:2000]}
    if button.style in ("primary", "danger"):
        element["style"] = button.style
    if button.confirm:
        element["confirm"] = {"title": plain(button.label, 100), "text": plain(button.confirm, 300),
                              "confirm": plain(button.label, 30), "deny": plain(ui(lang, "cancel"), 30)}
        if button.style == "danger":
            element["confirm"]["style"] = "danger"
    return element


def action_ids(buttons: tuple[Button, ...]) -> list[str]:
    """Block Kit wants action ids unique in a block: repeated ones get `:<n>` (listeners match the prefix)."""
    counts = Counter(b.action_id for b in buttons)
    return [b.action_id if counts[b.action_id] == 1 else f"{b.action_id}:{i}" for i, b in enumerate(buttons, 1)]


def _actions(buttons: list[tuple[Button, str]], lang: str) -> list[dict[str, Any]]:
    """Buttons as actions blocks of at most 25."""
    return [{"type": "actions", "elements": [_button(b, action_id, lang)
                                             for b, action_id in buttons[start:start + BUTTONS_PER_BLOCK]]}
            for start in range(0, len(buttons), BUTTONS_PER_BLOCK)]


def _blocks(message: Message, lang: str) -> list[dict[str, Any]]:
    lines = [line_mrkdwn(line) for line in message.lines]
    ids = action_ids(message.buttons)
    anchored: dict[int, list[tuple[Button, str]]] = {}
    below: list[tuple[Button, str]] = []
    for button, action_id in zip(message.buttons, ids, strict=True):
        if button.line is not None and 0 <= button.line < len(lines):
            anchored.setdefault(button.line, []).append((button, action_id))
        else:
            below.append((button, action_id))
    blocks: list[dict[str, Any]] = []
    start = 0
    for at in sorted(anchored):
        blocks += _sections(lines[start:at + 1]) + _actions(anchored[at], lang)
        start = at + 1
    blocks += _sections(lines[start:])
    field_texts = [f"*{escape(label)}*\n{line_mrkdwn(value)}" for label, value in message.fields]
    for first in range(0, len(field_texts), 10):
        blocks.append({"type": "section", "fields": [mrkdwn(f[:2000]) for f in field_texts[first:first + 10]]})
    blocks += _actions(below, lang)
    return blocks


def blocks_text_size(blocks: list[dict[str, Any]]) -> int:
    """Characters of text in some blocks (sections, fields, button labels), as Slack counts them."""
    size = 0
    for block in blocks:
        size += len(block.get("text", {}).get("text", ""))
        size += sum(len(f.get("text", "")) for f in block.get("fields", []))
        size += sum(len(e.get("text", {}).get("text", "")) + len(e.get("value", "")) for e in block.get("elements", []))
    return size


def fits(message: Message, *, lang: str = "en") -> bool:
    """Whether Slack takes the message whole: ≤ 50 blocks, no line cut at 3,000, ≤ 11,000 characters."""
    if any(len(line_mrkdwn(line)) > SECTION_MAX for line in message.lines):
        return False
    blocks = _blocks(message, lang)
    return len(blocks) <= BLOCKS_MAX and blocks_text_size(blocks) <= BLOCKS_TEXT_MAX


def render(message: Message, *, lang: str = "en") -> Rendered:
    """A neutral message as Block Kit blocks and the fallback text notifications show.

    A button anchored to a line (`Button.line`, one question of a digest) goes in an actions
    block right under that line; the others go below the whole message. What does not fit (see
    `fits`) is cut with "…" here; the outbox splits such messages into parts before they get here.
    """
    lines = [line_mrkdwn(line) for line in message.lines]
    blocks = _blocks(message, lang)
    if len(blocks) > BLOCKS_MAX:
        blocks = blocks[: BLOCKS_MAX - 1] + [{"type": "section", "text": mrkdwn("…")}]
    fallback = "\n".join(lines + [f"{escape(label)}: {line_mrkdwn(value)}" for label, value in message.fields])
    if len(fallback) > FALLBACK_MAX:
        fallback = fallback[: FALLBACK_MAX - 1] + "…"
    return Rendered(text=fallback or " ", blocks=blocks)


def answered(blocks: list[dict[str, Any]], *, value: str, note: dict[str, Any]) -> list[dict[str, Any]]:
    """A posted question's blocks once a button answered it: that question's buttons become `note`.

    The question is the `<incident>:<key>` of the pressed button's value; in a digest the other
    questions keep their buttons. Blocks that are not the bot's answer buttons as we know them
    lose every button, as a single question does.
    """
    question = ":".join(value.split(":")[:2])

    def own(block: dict[str, Any]) -> bool:
        return block.get("type") == "actions" and any(
            str(e.get("value", "")) == question or str(e.get("value", "")).startswith(question + ":")
            for e in block.get("elements", []))

    if not value.count(":") or not any(own(b) for b in blocks):
        return [b for b in blocks if b.get("type") != "actions"] + [note]
    out: list[dict[str, Any]] = []
    placed = False
    for block in blocks:
        if not own(block):
            out.append(block)
        elif not placed:  # where its first buttons were
            out.append(note)
            placed = True
    return out
