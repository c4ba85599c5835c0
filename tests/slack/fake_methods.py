"""The Web API methods of the fake Slack (tests/slack/fake_slack.py), answering in Slack's shapes and errors.

Each method refuses what Slack refuses, with the method's own error codes (docs.slack.dev/reference/
methods/<method>, "Errors"); see fake_slack.py's docstring for the list and where each comes from.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

TEAM = "T0FIRM"
BOT_USER = "U0BOT"
TS_BASE = 1795000000  # 2026-11-17: ts values the fake gives out count up from here
BLOCKS_MAX = 50
SECTION_MAX = 3000
BLOCKS_TEXT_MAX = 12_000
TEXT_MAX = 40_000
MANIFEST_SCOPES = ("chat:write", "commands", "files:read", "files:write", "groups:history", "groups:write",
                   "im:write", "pins:write", "reactions:read", "users:read")  # handlers/slack/manifest.yml


@dataclass
class Call:
    """One Web API request as Slack would have received it."""

    method: str
    params: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool
    members: set[str] = field(default_factory=set)
    topic: str = ""
    pins: list[str] = field(default_factory=list)
    is_archived: bool = False


TRIGGER_SECONDS = 3.0
VIEW_BLOCKS_MAX = 100  # "Up to 100 blocks" in a modal (docs.slack.dev/reference/surfaces/views)
INPUT_MAX = 3000  # plain_text_input max_length "between 1 and 3000" (…/block-elements/plain-text-input-element)
METADATA_MAX = 3000  # private_metadata "Max length of 3000 characters" (docs.slack.dev/reference/surfaces/views)
TITLE_MAX = 24  # a modal's title, submit and close: "Max length of 24 characters"


def view_problems(view: dict[str, Any]) -> list[str]:
    """Why Slack would refuse this modal, in the words of its `invalid_arguments` messages."""
    problems = []
    blocks = view.get("blocks") or []
    if len(blocks) > VIEW_BLOCKS_MAX:
        problems.append(f"[ERROR] no more than {VIEW_BLOCKS_MAX} items allowed [json-pointer:/view/blocks]")
    if len(view.get("private_metadata") or "") > METADATA_MAX:
        problems.append(f"[ERROR] must be less than {METADATA_MAX} characters [json-pointer:/view/private_metadata]")
    for key in ("title", "submit", "close"):
        if len((view.get(key) or {}).get("text", "")) > TITLE_MAX:
            problems.append(f"[ERROR] must be less than {TITLE_MAX} characters [json-pointer:/view/{key}/text]")
    for n, block in enumerate(blocks):
        element = block.get("element") or {}
        if element.get("type") != "plain_text_input":
            continue
        limit = element.get("max_length", INPUT_MAX)
        if not 1 <= limit <= INPUT_MAX:
            problems.append(f"[ERROR] must be between 1 and {INPUT_MAX} [json-pointer:/view/blocks/{n}/element/max_length]")
        if len(element.get("initial_value") or "") > min(limit, INPUT_MAX):
            problems.append(f"[ERROR] must be less than {min(limit, INPUT_MAX)} characters "
                            f"[json-pointer:/view/blocks/{n}/element/initial_value]")
    return problems


class SlackMethods:
    """`_<method_name>(params) -> body` for each Web API method; FakeSlack holds the state they use."""

    channels: dict[str, Channel]
    users: dict[str, dict[str, Any]]
    messages: dict[tuple[str, str], dict[str, Any]]
    admins_only_private_channels: bool
    scopes: set[str]  # the bot token's scopes
    triggers: dict[str, float]  # trigger_id → when Slack issued it (time.monotonic())
    used_triggers: set[str]
    url: str
    ws_url: str
    teams: dict[str, str]  # bot token → team (workspaces installed through OAuth)
    token: str | None  # the token of the call being answered
    auth_header: str
    client_id: str
    client_secret: str
    install_codes: dict[str, dict[str, Any]]

    def _ts(self) -> str:
        raise NotImplementedError

    def _next_id(self) -> int:
        raise NotImplementedError

    def _auth_test(self, p: dict) -> dict:
        team = self.teams.get(self.token or "", TEAM)
        return {"ok": True, "url": f"https://{team.lower()}.slack.com/", "team": "The Firm", "user": "breachbot",
                "team_id": team, "user_id": BOT_USER, "bot_id": "B0BOT", "is_enterprise_install": False}

    def _oauth_v2_access(self, p: dict) -> dict:
        """docs.slack.dev/reference/methods/oauth.v2.access: the code of an install, once, for the app's
        client id and secret (HTTP Basic); a bot token for the workspace (or the organisation) installed."""
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if self.auth_header != expected:
            return {"ok": False, "error": "invalid_client_id"}
        arranged = self.install_codes.pop(p.get("code", ""), None)
        if arranged is None:
            return {"ok": False, "error": "invalid_code"}
        return arranged

    def _apps_connections_open(self, p: dict) -> dict:
        return {"ok": True, "url": self.ws_url}

    def _conversations_create(self, p: dict) -> dict:
        name = p["name"]
        if self.admins_only_private_channels and str(p.get("is_private")).lower() in ("true", "1"):
            return {"ok": False, "error": "restricted_action"}
        if any(c.name == name for c in self.channels.values()):
            return {"ok": False, "error": "name_taken"}
        channel = Channel(f"C0WAR{self._next_id()}", name, str(p.get("is_private")).lower() in ("true", "1"),
                          {BOT_USER})
        self.channels[channel.id] = channel
        return {"ok": True, "channel": {"id": channel.id, "name": name, "is_channel": True,
                                        "is_private": channel.is_private, "created": TS_BASE, "creator": BOT_USER}}

    def _conversations_invite(self, p: dict) -> dict:
        channel = self.channels.get(p["channel"])
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if channel.is_archived:
            return {"ok": False, "error": "is_archived"}
        wanted = [u for u in p["users"].split(",") if u]
        unknown = [u for u in wanted if u not in self.users]
        gone = [u for u in wanted if self.users.get(u, {}).get("deleted")]
        if unknown or gone:
            # force=true invites the valid ones and lists the others in `errors` (conversations.invite docs)
            if str(p.get("force")).lower() in ("true", "1"):
                channel.members.update(u for u in wanted if u not in unknown and u not in gone)
            errors = [{"user": u, "ok": False, "error": "user_not_found"} for u in unknown]
            errors += [{"user": u, "ok": False, "error": "cant_invite"} for u in gone]
            return {"ok": False, "error": errors[0]["error"], "errors": errors}
        channel.members.update(wanted)
        return {"ok": True, "channel": {"id": channel.id, "name": channel.name}}

    def _conversations_setTopic(self, p: dict) -> dict:
        channel = self.channels.get(p["channel"])
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if channel.is_archived:
            return {"ok": False, "error": "is_archived"}
        channel.topic = p["topic"]
        return {"ok": True, "channel": {"id": channel.id, "topic": {"value": channel.topic}}}

    def _conversations_open(self, p: dict) -> dict:
        return {"ok": True, "channel": {"id": "D" + p["users"].split(",")[0].lstrip("U")}}

    def _window(self, p: dict, messages: list[dict]) -> list[dict]:
        """The messages between `oldest` and `latest` (both kept with `inclusive`), as Slack filters them."""
        inclusive = str(p.get("inclusive")).lower() in ("1", "true")
        oldest, latest = float(p.get("oldest") or 0), float(p.get("latest") or 9e12)
        return [m for m in messages if (oldest <= float(m["ts"]) <= latest) if inclusive or
                oldest < float(m["ts"]) < latest]

    def _conversations_history(self, p: dict) -> dict:
        # conversations.history: the channel's own messages, newest first; replies in a thread are not
        # among them unless also sent to the channel (docs.slack.dev/reference/methods/conversations.history).
        # A DM (the D… id conversations.open gave) needs im:history: "missing_scope" otherwise ("Errors").
        channel = p["channel"]
        if channel.startswith("D"):
            if "im:history" not in self.scopes:
                return {"ok": False, "error": "missing_scope", "needed": "im:history",
                        "provided": ",".join(sorted(self.scopes))}
            channel = "U" + channel[1:]  # the fake keeps a DM under the person's id it was posted to
        mine = [m for (where, _), m in self.messages.items() if where == channel
                and m.get("thread_ts") in (None, m["ts"])]
        found = sorted(self._window(p, mine), key=lambda m: float(m["ts"]), reverse=True)
        if str(p.get("include_all_metadata")).lower() not in ("1", "true"):
            found = [{k: v for k, v in m.items() if k != "metadata"} for m in found]
        limit = int(p.get("limit") or 100)
        return {"ok": True, "messages": found[:limit], "has_more": len(found) > limit}

    def _conversations_replies(self, p: dict) -> dict:
        # conversations.replies: `ts` may be the parent or any reply; the parent always comes first, then the
        # replies within oldest/latest, oldest first, and `limit` counts the parent too (so `limit=1` returns
        # only the parent: slackapi/python-slack-sdk and node-slack-sdk issue reports).
        asked = self.messages.get((p["channel"], p["ts"]))
        if asked is None:
            return {"ok": False, "error": "thread_not_found"}
        root = asked.get("thread_ts") or asked["ts"]
        parent = self.messages.get((p["channel"], root))
        replies = sorted((m for (channel, _), m in self.messages.items() if channel == p["channel"]
                          and m.get("thread_ts") == root and m["ts"] != root), key=lambda m: float(m["ts"]))
        found = ([parent] if parent else []) + self._window(p, replies)
        limit = int(p.get("limit") or 1000)
        return {"ok": True, "messages": found[:limit], "has_more": len(found) > limit}

    def _refused(self, p: dict) -> str | None:
        """Why Slack would refuse this message, or None."""
        blocks = p.get("blocks") or []
        if len(blocks) > BLOCKS_MAX or any(_chars(b.get("text")) > SECTION_MAX for b in blocks):
            return "invalid_blocks"
        size = sum(_chars(b.get("text")) + sum(_chars(f) for f in b.get("fields", []))
                   + sum(_chars(e.get("text")) for e in b.get("elements", []) if isinstance(e, dict)) for b in blocks)
        if size > BLOCKS_TEXT_MAX:
            return "msg_blocks_too_long"
        if len(p.get("text", "")) > TEXT_MAX:
            return "msg_too_long"
        target = p["channel"]
        if target.startswith(("U", "W")):
            user = self.users.get(target)
            return "channel_not_found" if user is None or user.get("deleted") else None
        channel = self.channels.get(target)
        if channel is not None and channel.is_archived:
            return "is_archived"
        if channel is not None and channel.is_private and BOT_USER not in channel.members:
            return "not_in_channel"
        return None

    def _chat_postMessage(self, p: dict) -> dict:
        if refused := self._refused(p):
            return {"ok": False, "error": refused}
        ts = self._ts()
        message = {"type": "message", "user": BOT_USER, "bot_id": "B0BOT", "text": p.get("text", ""),
                   "blocks": p.get("blocks", []), "ts": ts}
        if isinstance(p.get("metadata"), dict):  # message metadata: returned by history with include_all_metadata
            message["metadata"] = p["metadata"]
        self.messages[(p["channel"], ts)] = message
        return {"ok": True, "channel": p["channel"], "ts": ts, "message": message}

    def _chat_update(self, p: dict) -> dict:
        key = (p["channel"], p["ts"])
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        if refused := self._refused(p):
            return {"ok": False, "error": refused}
        self.messages[key].update(text=p.get("text", ""), blocks=p.get("blocks", []))
        return {"ok": True, "channel": p["channel"], "ts": p["ts"], "text": p.get("text", ""),
                "message": self.messages[key]}

    def _chat_postEphemeral(self, p: dict) -> dict:
        return {"ok": True, "message_ts": self._ts()}

    def _pins_add(self, p: dict) -> dict:
        channel = self.channels.get(p["channel"])
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if channel.is_archived:
            return {"ok": False, "error": "is_archived"}
        if p["timestamp"] in channel.pins:
            return {"ok": False, "error": "already_pinned"}
        channel.pins.append(p["timestamp"])
        return {"ok": True}

    def _views_open(self, p: dict) -> dict:
        # views.open (docs.slack.dev/reference/methods/views.open, "Errors"): a trigger_id is good for 3
        # seconds and once (`expired_trigger_id`, `exchanged_trigger_id`); a view Block Kit refuses is
        # `invalid_arguments` with the reason in response_metadata.messages.
        issued = self.triggers.pop(p.get("trigger_id", ""), None)
        if issued is not None and time.monotonic() - issued > TRIGGER_SECONDS:
            return {"ok": False, "error": "expired_trigger_id"}
        if p.get("trigger_id") in self.used_triggers:
            return {"ok": False, "error": "exchanged_trigger_id"}
        self.used_triggers.add(p.get("trigger_id", ""))
        if problems := view_problems(p["view"]):
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": problems}}
        return {"ok": True, "view": {**p["view"], "id": f"V0MODAL{self._next_id()}"}}

    def _views_publish(self, p: dict) -> dict:
        return {"ok": True, "view": {**p["view"], "id": f"V0HOME{self._next_id()}"}}

    def _users_info(self, p: dict) -> dict:
        user = self.users.get(p["user"])
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _users_list(self, p: dict) -> dict:
        # users.list: every member, deactivated ones flagged `deleted` (docs.slack.dev/reference/methods/users.list)
        return {"ok": True, "members": list(self.users.values()), "response_metadata": {"next_cursor": ""}}

    def _files_getUploadURLExternal(self, p: dict) -> dict:
        file_id = f"F0FILE{self._next_id()}"
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, p: dict) -> dict:
        files = p["files"] if isinstance(p["files"], list) else json.loads(p["files"])
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title"),
                                       "permalink": f"https://firm.slack.com/files/{BOT_USER}/{f['id']}"}
                                      for f in files]}


def _chars(text: Any) -> int:
    """Characters in a text object ({"type": …, "text": …}) or a plain string."""
    if isinstance(text, dict):
        return len(str(text.get("text", "")))
    return len(text) if isinstance(text, str) else 0
