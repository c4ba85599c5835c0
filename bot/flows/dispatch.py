"""Command → flow: every flow module declares its commands (`@command`); this runs them.

Importing this module loads every declaration, so help, the router and the adapters see them all.
Permissions are checked here, from the declaration, before the flow runs.
"""

from __future__ import annotations

from sqlmodel import Session

from bot import commands as c
from bot.chat import Context
from bot.commands import Command
from bot.flows import (  # noqa: F401 - declarations
    changes,
    close,
    corrections,
    firm,
    incident,
    law,
    media,
    no_harm,
    operators,
    page,
    permissions,
    prompts,
    register_import,
    report,
    sending,
    statements,
    support,
)
from bot.flows.base import resolve, role_holders, role_names
from bot.flows.port import Bot
from bot.outbox import Outbox
from bot.registry import REGISTRY, spec_of
from storage.models import Workspace


def run(bot: Bot, session: Session, ws: Workspace, context: Context, command: Command, out: Outbox) -> None:
    """Dispatch one command inside the caller's transaction: who may, then its flow."""
    spec = spec_of(command)
    if spec.may:
        finds = spec.finds or resolve
        found = finds(session, ws, context, getattr(command, "incident", None))
        permissions.check(spec.word, needed=spec.may, user=context.user, holders=role_holders(session, found),
                          declarer=found.declared_by, lang=ws.lang, role_names=role_names(bot, ws.lang))
    spec.flow(bot, session, ws, context, command, out)


def rules() -> dict[str, tuple[str, ...]]:
    """Which roles each restricted command needs (the README's permission matrix)."""
    return {word: spec.may for word, spec in REGISTRY.items() if spec.may}


def each(command: Command) -> list[Command]:
    """A command as the steps it runs: `/breach done 1 2 3` is three tasks, done together or not at all."""
    if isinstance(command, c.Done) and command.also:
        batch = (command.task, *command.also)
        return [c.Done(task=task, note=command.note, incident=command.incident, batch=batch) for task in batch]
    return [command]


_CONTROL = {chr(code) for code in range(32) if chr(code) not in "\t\n\r"} | {"\x7f"}


def unstorable(command: Command) -> str | None:
    """The first character in a command's text that cannot be stored (NUL, other controls, lone surrogates)."""
    for value in vars(command).values():
        texts = value if isinstance(value, tuple) else (value,)
        for text in texts:
            if not isinstance(text, str):
                continue
            for ch in text:
                if ch in _CONTROL or "\ud800" <= ch <= "\udfff":
                    return f"U+{ord(ch):04X}"
    return None
