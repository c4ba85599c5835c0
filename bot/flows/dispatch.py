"""Command → flow: every flow module declares its commands (`@command`); this runs them.

Importing this module loads every declaration, so help, the router and the adapters see them all.
Permissions are checked here, from the declaration, before the flow runs.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.chat import Context
from bot.commands import REGISTRY, Command, spec_of
from bot.flows import close, incident, law, page, permissions, prompts, report, sending, statements  # noqa: F401 - declarations
from bot.flows.base import resolve, role_holders, role_names
from bot.flows.port import Bot
from bot.outbox import Outbox
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
