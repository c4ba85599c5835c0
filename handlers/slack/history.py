"""Finding a message the outbox may already have sent, by the key in its metadata (exactly-once on Slack).

Every message the outbox sends carries its key `bb-<row>-<part>` as message metadata (`KEY_EVENT`). A row
taken over after a crash, or retried after a failure that may have come after Slack took it (a timeout), is
looked for first in its channel's history (conversations.history with include_all_metadata):
- a war room (a private channel) needs `groups:history`, which the manifest asks for;
- a direct message is read in the bot's DM with the person (conversations.open, `im:write`, in the manifest)
  and needs `im:history`, which the manifest does not ask for: without it Slack answers `missing_scope`, and
  the DM is sent again (at-least-once for that one message). A firm that adds the scope gets DMs once too.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger("breachbot.slack")
KEY_EVENT = "breachbot_delivery"  # the metadata event type carrying the outbox's key of a message
PAGES = 5  # 1,000 messages back at most: ours would be near the top, the newest of its channel


def row_of(key: str) -> int | None:
    """The outbox row of a message key `bb-<row>-<part>[-<piece>]`."""
    parts = key.split("-")
    return int(parts[1]) if len(parts) >= 3 and parts[0] == "bb" and parts[1].isdigit() else None


def sent_before(client: WebClient, *, room: str, key: str, dm: bool = False) -> bool | None:
    """Whether `room` (with `dm`: the DM with that member) has a message with this key, read newest first
    until an older key of the bot's (a smaller row: messages to one place go out in row order, so ours would
    be above it). None when Slack cannot be asked (a missing scope, an error): the outbox sends again."""
    mine = row_of(key)
    if mine is None:
        return None
    cursor = None
    try:
        channel = str(client.conversations_open(users=room)["channel"]["id"]) if dm else room
        for _ in range(PAGES):
            page = client.conversations_history(channel=channel, limit=200, cursor=cursor, include_all_metadata=True)
            for found in page.get("messages") or []:
                meta = found.get("metadata") or {}
                other = (meta.get("event_payload") or {}).get("key") if meta.get("event_type") == KEY_EVENT else None
                if other == key:
                    return True
                if other and (row := row_of(str(other))) is not None and row < mine:
                    return False
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                return False
    except SlackApiError as exc:
        answer = exc.response if exc.response is not None else {}
        if answer.get("error") == "missing_scope":  # expected for DMs without im:history: not a fault
            log.info("cannot read %s back to find message %s: the app lacks %s", room, key,
                     answer.get("needed") or "a history scope")
        else:
            log.warning("could not read %s's history to find message %s: %s", room, key, exc)
    except Exception as exc:  # noqa: BLE001 - a reset, a timeout: cannot tell, so the outbox sends again
        log.warning("could not read %s's history to find message %s: %s", room, key, exc)
    return None
