"""Slack payloads in, neutral values out: contexts, command text, button commands, message times."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import commands
from bot.chat import ACTIONS, Action, Context
from handlers.router import command_word

PLATFORM = "slack"
_MARKUP = re.compile(r"<([^<>]*)>")
BUTTONS = re.compile(rf"^(?:{'|'.join(sorted(ACTIONS, key=len, reverse=True))})(?::\d+)?$")  # what Bolt listens to


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def command_text(text: str) -> str:
    """Slack's message markup as the text a person meant; people become `<@U…|name>` for the bot.

    Slack escapes what was typed (&, <, >) and marks up what it recognised: `<!channel>`,
    `<#C1|room>`, `<https://…|label>`. Broadcasts become `@channel` (inert text), rooms `#room`,
    links their real address (a label could disguise where a link goes).
    """

    def plain(match: re.Match[str]) -> str:
        target, _, label = match[1].partition("|")
        if target.startswith("@"):  # a real mention always carries a label: a typed `<@U1>` stays text
            return f"<{target}|{label or target[1:]}>"
        if target.startswith("!"):
            return label or "@" + target[1:].split("^")[0]
        if target.startswith("#"):
            return "#" + (label or target[1:])
        return target.removeprefix("mailto:")

    return _unescape(_MARKUP.sub(plain, text))


def message_time(ts: str) -> str:
    """A Slack message ts ('1764295500.000200') as the ISO-8601 UTC time it was posted."""
    seconds, _, fraction = ts.partition(".")
    exact = datetime.fromtimestamp(int(seconds), tz=UTC) + timedelta(microseconds=int(fraction[:6].ljust(6, "0")))
    return exact.isoformat()


def context(*, team: str, user: str, room: str, delivery_id: str | None) -> Context:
    """Who acted where, as the bot sees it."""
    return Context(workspace=team, user=user, room=room, platform=PLATFORM, delivery_id=delivery_id)


def slash_context(body: dict[str, Any]) -> Context:
    """A /breach invocation; its trigger_id keys the delivery, so a repeat never declares twice."""
    return context(team=body["team_id"], user=body["user_id"], room=body["channel_id"],
                   delivery_id=f"slash:{body['trigger_id']}")


def interaction_context(body: dict[str, Any], *, room: str | None = None, key: str) -> Context:
    """A button press, modal submission or shortcut."""
    team = (body.get("team") or {}).get("id") or body.get("user", {}).get("team_id", "")
    channel = room or (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
    return context(team=team, user=body["user"]["id"], room=channel, delivery_id=key)


def event_context(body: dict[str, Any], *, user: str, room: str) -> Context:
    """An Events API event; its event_id stays the same across Slack's retries."""
    return context(team=body.get("team_id", ""), user=user, room=room, delivery_id=f"event:{body.get('event_id')}")


def modal_word(text: str) -> str | None:
    """'declare', 'assign' or 'close' when the person typed just that subcommand (so a modal asks the rest)."""
    name = command_word(text)
    return name if name in ("declare", "assign", "close") else None


SNOOZE_REASON = "snoozed from Slack"  # a button has no room for a reason; the timeline says where it came from


def button_command(action_id: str, value: str) -> commands.Command | None:
    """A button the bot drew, back as a command; None for anything it did not draw."""
    action = Action.read(action_id, value)
    return action.command(snooze_reason=SNOOZE_REASON) if action else None
