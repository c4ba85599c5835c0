"""What a platform asks the bot about a room or a person, answered from the database (so a platform
keeps no state the bot owns: after a restart the answers are the same)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.chat import Context
from bot.commands import Assign, Capture, Command, FollowUpAdd, Log
from bot.errors import UserError
from bot.flows.port import Bot
from bot.incident import incidents, questions
from bot.incident.playbook import QuestionSpec
from bot.text import mentions
from bot.text.i18n import message
from bot.text.i18n import text as t


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


def open_war_rooms(bot: Bot, context: Context) -> list[str]:
    """The war rooms of the open incidents a person is on the team of, newest first."""
    with bot.unit(write=False) as session:
        ws = bot.workspace(session, context)
        return [i.war_room for i in incidents.open_for_user(session, workspace=ws, user=context.user) if i.war_room]


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


def named_people(bot: Bot, command: Command) -> Command:
    """Assign and follow-up owners as the platform's ids; UserError naming who could not be found (on the console,
    anyone not on the firm's roster, with the names on it).
    People mentioned in free text get their names (a note or capture keeps their ids: incidents.record)."""
    for f in ("text", "note", "lessons", "title", "reason"):
        if bot.chat.marks_mentions and isinstance(value := getattr(command, f, None), str) and "<@" in value:
            value, people = mentions.resolve(mentions.named(value, bot.chat.display_name))
            kept = f == "text" and isinstance(command, Log | Capture)
            command = replace(command, **{f: value}, **({"mentioned": tuple(people)} if kept else {}))
    field = "user" if isinstance(command, Assign) else "owner" if isinstance(command, FollowUpAdd) else None
    if field is None:
        return command
    typed = getattr(command, field)
    found = bot.chat.find_user(typed)
    if not found and (named := mentions.by_name(typed, people=bot.firm.people, name_of=bot.chat.display_name,
                                                 roster=[u for ids in bot.firm.roster.values() for u in ids])):
        found = bot.chat.find_user(named)
    roster = bot.firm.listed()
    if found and bot.chat.roster_is_everyone and roster and found not in roster:
        # each by the name people know them by (@陈晓 resolves as @carol does), the id only where there is no name
        names = ("、" if bot.lang == "zh" else ", ").join(f"@{bot.firm.people.get(u) or u}" for u in roster)
        raise UserError(message(bot.lang, "error.not_on_roster", kind="error", typed=typed.lstrip("@"),
                                names=names))
    if not found:
        raise UserError(message(bot.lang, "error.unknown_person", kind="error", typed=typed,
                                platform=t(bot.lang, f"platform_name.{bot.chat.platform}")))
    return replace(command, **{field: found})
