"""The platform-neutral router: the text after `/breach` becomes a command object.

Every platform hands text here (a Slack slash command, a WeCom app message, a console line),
so every platform gets the same grammar and the same errors. The words are read by
handlers/tokens.py and each subcommand by handlers/subcommands.py.
"""

from __future__ import annotations

from bot import commands as c
from bot.errors import UserError
from bot.help import SUBCOMMANDS
from bot.i18n import text as t
from handlers.subcommands import PARSERS
from handlers.tokens import ALIASES, Token, tokenize, user_ref


def parse(text: str, *, lang: str = "en") -> c.Command:
    """Turn '/breach …' (or just the part after it) into a command; UserError says what to type."""
    body = text.strip()
    if body.lower().startswith("/breach"):
        body = body[len("/breach"):].strip()
    if not body:
        return c.Help()
    head, _, tail = body.partition(" ")
    tail = tail.strip()
    name = head.lower()
    if name in ALIASES:
        alias = ALIASES[name].split(" ", 1)
        name = alias[0]
        if len(alias) > 1:
            tail = f"{alias[1]} {tail}".strip()
    if name not in SUBCOMMANDS:
        raise UserError(t(lang, "error.unknown_subcommand", value=head, choices=", ".join(SUBCOMMANDS)))
    return PARSERS[name](lang, name, tail)


__all__ = ["ALIASES", "Token", "parse", "tokenize", "user_ref"]
