"""Neutral messages as WeCom markdown (or plain text), cut to WeCom's 2,048-byte limit.

WeCom markdown has no escape character, so text written by people is defanged instead: the
characters that open markup (`<` `>` for tags, mentions and quotes, `[` `]` for links, `*`
for emphasis, a backquote for code, `#` at a line start for headings) become their full-width
look-alikes. Nothing typed into a note can turn into a link, a `<@userid>` mention or a
`<font>` tag; the timeline keeps the exact text.

Mentions are rendered as `@name`, the person's name from the address book (user/get), else `@userid`:
`<@userid>` is a group-robot (webhook) feature that app messages and app chats do not document, and
the `$userName=userid$` id translation of message/send is for third-party apps only ("仅第三方应用
需要用到，企业自建应用可以忽略", 发送应用消息, developer.work.weixin.qq.com/document/path/90236).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.chat import Line, Mention, Message, RoomRef, Strong, Text

MAX_BYTES = 2048  # WeCom's limit for one markdown or text message
_DEFANG = str.maketrans({"<": "＜", ">": "＞", "[": "［", "]": "］", "*": "＊", "`": "｀"})
_HEADING = re.compile(r"(^|\n)([ \t]*)#", re.M)
_WARN = {"error", "escalation"}


def escape(text: str) -> str:
    """Literal text that WeCom markdown shows as typed, minus the power to format."""
    return _HEADING.sub(lambda m: f"{m[1]}{m[2]}＃", text.translate(_DEFANG))


def render_line(line: Line, *, markdown: bool, room_name: Callable[[str], str],
                person: Callable[[str], str] = str) -> str:
    """One line of spans as WeCom markdown (or text)."""
    out: list[str] = []
    for span in line:
        if isinstance(span, Strong):
            out.append(f"**{escape(span.text)}**" if markdown and span.text.strip() else escape(span.text))
        elif isinstance(span, Text):
            out.append(escape(span.text))
        elif isinstance(span, Mention):
            out.append("@" + escape(person(span.user)))
        elif isinstance(span, RoomRef):
            out.append(f"「{escape(room_name(span.room))}」")
    return "".join(out)


def render(message: Message, *, markdown: bool = True, room_name: Callable[[str], str] = str,
           person: Callable[[str], str] = str) -> str:
    """A whole message: its lines, then `label: value` fields; warnings in WeCom's orange.

    Buttons are left out: every prompt that has buttons also says which command to type, and
    WeComChat adds to a question prompt the line saying which number to reply (numbered.py).
    """
    lines = [render_line(line, markdown=markdown, room_name=room_name, person=person) for line in message.lines]
    for label, value in message.fields:
        name = f"**{escape(label)}**" if markdown else escape(label)
        lines.append(f"{name}: {render_line(value, markdown=markdown, room_name=room_name, person=person)}")
    if markdown and lines and message.kind in _WARN and lines[0].strip():
        lines[0] = f'<font color="warning">{lines[0]}</font>'
    return "\n".join(lines)


def split(content: str, limit: int = MAX_BYTES) -> list[str]:
    """Cut content into messages of at most `limit` UTF-8 bytes, at line ends where possible."""
    pieces: list[str] = []
    current = ""
    for line in content.split("\n"):
        for part in _hard_split(line, limit):
            candidate = f"{current}\n{part}" if current else part
            if len(candidate.encode("utf-8")) <= limit:
                current = candidate
            else:
                pieces.append(current)
                current = part
    if current or not pieces:
        pieces.append(current)
    return pieces


def _hard_split(line: str, limit: int) -> list[str]:
    """A single line longer than the limit, cut between characters."""
    if len(line.encode("utf-8")) <= limit:
        return [line]
    parts, current, size = [], [], 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    parts.append("".join(current))
    return parts
