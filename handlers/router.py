"""The platform-neutral router: the text after `/breach` becomes a command object.

Every platform hands text here (a Slack slash command, a WeCom app message, a console line),
so every platform gets the same grammar and the same errors. The words and the parser of each
subcommand come from its declaration (bot/commands.py `@command`, on its flow).
"""

from __future__ import annotations

from bot import commands as c
from bot.flows import dispatch  # noqa: F401 - loads every command declaration
from bot.flows.grammar.tokens import Token, fold, tokenize, user_ref
from bot.help import aliases, spec, subcommand, unknown
from bot.text.facts import narrow

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
    alias = aliases().get(fold(head).lower(), "").split(" ", 1)
    if len(alias) > 1:  # an alias that carries its first word: 下一阶段 → phase next
        tail = f"{alias[1]} {tail}".strip()
    parser = spec(name).parse
    assert parser is not None  # subcommand() names only words with a parser
    return parser(lang, name, tail)


def command_word(text: str) -> str | None:
    """The subcommand a lone typed word names (`宣布` → declare), or None: for platforms that open a form."""
    words = text.split()
    return subcommand(words[0]) if len(words) == 1 else None


__all__ = ["Token", "command_word", "is_command", "parse", "tokenize", "user_ref"]
