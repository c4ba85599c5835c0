"""The platform-neutral router: the text after `/breach` becomes a command object.

Every platform hands text here (a Slack slash command, a WeCom app message, a console line),
so every platform gets the same grammar and the same errors. The words are read by
handlers/tokens.py and each subcommand by handlers/subcommands.py.
"""

from __future__ import annotations

from bot import commands as c
from bot.help import subcommand, unknown
from bot.text.facts import narrow
from handlers.subcommands import PARSERS
from handlers.tokens import ALIASES, Token, fold, tokenize, user_ref

_PREFIX = "/breach"


def _after_prefix(text: str) -> str | None:
    """What follows `/breach` (also `／breach`, `/BREACH`), or None when the text does not start with it."""
    stripped = text.strip()
    if narrow(stripped[:len(_PREFIX)]).lower() == _PREFIX:
        return stripped[len(_PREFIX):]
    return None


def is_command(text: str) -> bool:
    """Whether a chat line is a /breach command (as a Chinese keyboard types it too: `／breach`)."""
    return _after_prefix(text) is not None


def parse(text: str, *, lang: str = "en") -> c.Command:
    """Turn '/breach …' (or just the part after it) into a command; UserError says what to type."""
    after = _after_prefix(text)
    body = (text if after is None else after).strip()
    if not body:
        return c.Help()
    head, *rest = body.split(None, 1)
    tail = rest[0].strip() if rest else ""
    name = subcommand(head)
    if name is None:
        raise unknown(lang, "error.unknown_subcommand", head)
    alias = ALIASES.get(fold(head).lower(), "").split(" ", 1)
    if len(alias) > 1:  # an alias that carries its first word: 下一阶段 → phase next
        tail = f"{alias[1]} {tail}".strip()
    return PARSERS[name](lang, name, tail)


__all__ = ["ALIASES", "Token", "is_command", "parse", "tokenize", "user_ref"]
