"""What a platform asks the bot about a room or a person, answered from the database (so a platform
keeps no state the bot owns: after a restart the answers are the same)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat import Context
from bot.flows.port import Bot
from bot.incident import incidents, questions
from bot.incident.playbook import QuestionSpec


@dataclass(frozen=True)
class LastAsked:
    """The questions a person was last asked together, with their numbers."""

    incident: int
    lang: str
    questions: tuple[tuple[int, QuestionSpec], ...]


def room_team(bot: Bot, context: Context) -> list[str]:
    """The team of the war room `context.room` (empty for a room that is no war room)."""
    with bot.unit(write=False) as session:
        incident = incidents.by_room(session, workspace=bot.workspace(session, context), room=context.room)
        return incidents.participants(session, incident) if incident else []


def room_incident(bot: Bot, context: Context) -> int | None:
    """The number of the incident whose war room is `context.room`, or None."""
    with bot.unit(write=False) as session:
        incident = incidents.by_room(session, workspace=bot.workspace(session, context), room=context.room)
        return incident.number if incident else None


def sender_incident(bot: Bot, context: Context) -> int | None:
    """The number of the sender's single open incident (None: none, or several)."""
    with bot.unit(write=False) as session:
        mine = incidents.open_for_user(session, workspace=bot.workspace(session, context), user=context.user)
        return mine[0].number if len(mine) == 1 else None


def last_asked(bot: Bot, context: Context, *, types: frozenset[str]) -> LastAsked | None:
    """Which questions the last prompt the sender could see asked: the sender's single open incident's
    most recently asked open questions of these types (a platform's memory of it is gone after a restart)."""
    with bot.unit(write=False) as session:
        ws = bot.workspace(session, context)
        mine = incidents.open_for_user(session, workspace=ws, user=context.user)
        if len(mine) != 1:
            return None
        asked = questions.last_asked(session, incident=mine[0], playbook=bot.playbook, types=types)
        return LastAsked(incident=mine[0].number, lang=ws.lang, questions=tuple(asked)) if asked else None
