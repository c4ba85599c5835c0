"""The console keeps its rooms in memory; on start they are rebuilt from what the bot has stored.

A war room's members are its incident's team, its pinned status is the incident's status message
(re-rendered now), and message ids continue after the highest one stored, so a second run on the
same database goes on exactly where the first one stopped.
"""

from __future__ import annotations

from datetime import datetime

from bot.app import Breachbot
from bot.flows import tenancy
from handlers.console.chat import ConsoleChat


def restore_rooms(bot: Breachbot, chat: ConsoleChat, *, workspace: str = "console") -> int:
    """Rebuild the console's war rooms; returns how many there are."""
    highest = 0
    rooms = bot.war_rooms(platform="console", workspace=workspace)
    for stored in rooms:
        state = chat.rooms.setdefault(stored.room, {"members": set(), "topic": "", "private": True, "pins": []})
        state["members"].update(stored.members)
        state["topic"] = stored.topic
        if stored.status_id:
            chat.messages[stored.status_id] = (stored.room, stored.status)
            if stored.status_id not in state["pins"]:
                state["pins"].append(stored.status_id)
            if stored.status_id.isdigit():
                highest = max(highest, int(stored.status_id))
    # Every message id stored so far is a status message; new ones start after the highest.
    chat.continue_ids(highest + 1)
    return len(rooms)


def last_recorded(bot: Breachbot, *, workspace: str = "console") -> datetime | None:
    """The latest moment the database holds for the console workspace: a second run's clock starts no earlier,
    so nothing is stamped before what is already recorded."""
    with bot.unit(write=False) as session:
        return tenancy.last_recorded(session, platform="console", workspace=workspace)


def keep_clock(bot: Breachbot, at: datetime, *, workspace: str = "console") -> None:
    """Keep the time the console skipped to, so a restart goes on from it (not from the last thing recorded)."""
    with bot.unit() as session:
        tenancy.keep_clock(session, platform="console", workspace=workspace, at=at, lang=bot.lang,
                           timezone=bot.timezone)
