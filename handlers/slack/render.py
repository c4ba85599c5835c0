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


def render(message: Message, *, lang: str = "en") -> Rendered:
    """A neutral message as Block Kit blocks and the fallback text notifications show."""
    lines = [line_mrkdwn(line) for line in message.lines]
    blocks = _sections(lines)
    field_texts = [f"*{escape(label)}*\n{line_mrkdwn(value)}" for label, value in message.fields]
    for start in range(0, len(field_texts), 10):
        blocks.append({"type": "section", "fields": [mrkdwn(f[:2000]) for f in field_texts[start:start + 10]]})
    ids = action_ids(message.buttons)
    for start in range(0, len(message.buttons), BUTTONS_PER_BLOCK):
        elements = [_button(b, ids[start + i], lang)
                    for i, b in enumerate(message.buttons[start:start + BUTTONS_PER_BLOCK])]
        blocks.append({"type": "actions", "elements": elements})
    if len(blocks) > BLOCKS_MAX:
        blocks = blocks[: BLOCKS_MAX - 1] + [{"type": "section", "text": mrkdwn("…")}]
    fallback = "\n".join(lines + [f"{escape(label)}: {line_mrkdwn(value)}" for label, value in message.fields])
    if len(fallback) > FALLBACK_MAX:
        fallback = fallback[: FALLBACK_MAX - 1] + "…"
    return Rendered(text=fallback or " ", blocks=blocks)
