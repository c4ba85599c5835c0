"""Timeline capture without a command: a 📌 reaction in a war room, or the "Log to breach timeline" shortcut."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.app import Breachbot
from bot.chat import Context
from bot.commands import Capture
from bot.incident import incidents
from handlers.slack import inbound
from handlers.slack.chat import SlackChat
from handlers.slack.listeners import ack_now

log = logging.getLogger("breachbot.slack")

PIN = "pushpin"
SHORTCUT = "log_to_timeline"


def fetch_message(client: WebClient, *, channel: str, ts: str) -> dict[str, Any] | None:
    """One message by its ts: conversations.history for the channel, conversations.replies inside threads.

    A reply in a thread is not in the channel's history; conversations.replies finds it from its own ts,
    but puts the thread's parent first (and counts it against `limit`), so the reply is picked by its ts.
    """
    found = client.conversations_history(channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1)
    for item in found.get("messages") or []:
        if item.get("ts") == ts:
            return item
    found = client.conversations_replies(channel=channel, ts=ts, latest=ts, oldest=ts, inclusive=True, limit=2)
    return next((item for item in found.get("messages") or [] if item.get("ts") == ts), None)


def capture_of(item: dict[str, Any], *, channel: str, incident: int | None = None) -> Capture:
    """A Slack message as it was: its text, author and time; `channel:ts` identifies it."""
    author = item.get("user") or item.get("bot_id") or item.get("username") or "unknown"
    return Capture(text=inbound.command_text(item.get("text") or ""), author=author,
                   at=inbound.message_time(item["ts"]), source=f"{channel}:{item['ts']}", incident=incident)


class TimelineCapture:
    """Listeners that log a chat message into the incident timeline, once."""

    def __init__(self, bot: Breachbot, chat: SlackChat) -> None:
        self.bot = bot
        self.chat = chat

    def register(self, app: App) -> None:
        """Attach the 📌 reaction and message shortcut listeners."""
        app.event("reaction_added")(ack=ack_now, lazy=[self.pinned])
        app.message_shortcut(SHORTCUT)(ack=ack_now, lazy=[self.shortcut])

    def war_room_incident(self, context: Context) -> int | None:
        """The number of the incident whose war room this is, if it is one."""
        with self.bot.unit() as session:
            ws = self.bot.workspace(session, context)
            incident = incidents.by_room(session, workspace=ws, room=context.room)
            return incident.number if incident else None

    def pinned(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """📌 on a message in a war room; a 📌 anywhere else is left alone."""
        item = event.get("item") or {}
        if event.get("reaction") != PIN or item.get("type") != "message":
            return
        channel, ts = item["channel"], item["ts"]
        context = inbound.event_context(body, user=event["user"], room=channel)
        number = self.war_room_incident(context)
        if number is None:
            return
        found = fetch_message(self.chat.client, channel=channel, ts=ts)
        if found is None:
            log.warning("📌 on %s:%s, but Slack did not return that message", channel, ts)
            return
        self.bot.handle(context, capture_of(found, channel=channel, incident=number))

    def shortcut(self, body: dict[str, Any]) -> None:
        """The message shortcut: from a war room, or anywhere for a person on one open incident."""
        channel = (body.get("channel") or {}).get("id", "")
        context = inbound.interaction_context(body, room=channel, key=f"shortcut:{body.get('trigger_id')}")
        with self.chat.responding(context.delivery_id, body.get("response_url")):
            self.bot.handle(context, capture_of(body["message"], channel=channel))
