"""A fake Slack on 127.0.0.1: the Web API methods breachbot calls, in Slack's response shapes.

Every call is recorded (method, merged query/form/JSON params, token). Failures, rate limits
and slow answers can be arranged per method and per call number. Also: response_url hooks, the
file upload URL, and a Socket Mode WebSocket server.

It refuses what Slack refuses, with Slack's own error codes (docs.slack.dev/reference/methods/…,
"Errors" of each method):
- chat.postMessage / chat.update: more than 50 blocks or a section text over 3,000 characters →
  `invalid_blocks` (Block Kit reference: "up to 50 blocks", section text "Maximum length … 3000");
  blocks carrying more than about 12,000 characters in all → `msg_blocks_too_long` (slackapi/bolt-js
  #2509: refused near 13,200 although no documented limit is reached); `text` over 40,000 →
  `msg_too_long`; an archived channel → `is_archived`; a channel the bot was removed from →
  `not_in_channel`; a person's id that is not a member of the workspace (or deactivated) →
  `channel_not_found`.
- conversations.invite: an archived channel → `is_archived`; an id that is no member →
  `user_not_found`; a deactivated member → `cant_invite` ("User cannot be invited to this channel").
- conversations.create: a workspace where only admins may create private channels →
  `restricted_action` ("A team preference prevents the authenticated user from creating channels").
- any method: `fail(...)` arranges an error, e.g. 429 `ratelimited` with a Retry-After header
  (docs.slack.dev/apis/web-api/rate-limits: "HTTP 429 Too Many Requests … Retry-After").
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

TEAM = "T0FIRM"
BOT_USER = "U0BOT"
TS_BASE = 1795000000  # 2026-11-17: ts values the fake gives out count up from here
BLOCKS_MAX = 50
SECTION_MAX = 3000
BLOCKS_TEXT_MAX = 12_000
TEXT_MAX = 40_000


@dataclass
class Call:
    """One Web API request as Slack would have received it."""

    method: str
    params: dict[str, Any]
    token: str | None


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool
    members: set[str] = field(default_factory=set)
    topic: str = ""
    pins: list[str] = field(default_factory=list)
    is_archived: bool = False


class FakeSlack:
    """The Web API, response_url hooks and file uploads, answering like Slack does."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.responses: list[tuple[str, dict[str, Any]]] = []  # (response_url path, JSON body)
        self.uploads: dict[str, bytes] = {}
        self.shared_files: dict[str, bytes] = {}  # files people picked in a form, served at url_private
        self.bot_token = "xoxb-1-test"
        self.channels: dict[str, Channel] = {}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.ws_url = ""
        self._failures: dict[str, list[tuple[str, int, int | None]]] = {}
        self._on_call: dict[tuple[str, int], tuple[str, int, int | None]] = {}
        self._counts: dict[str, int] = {}
        self.admins_only_private_channels = False
        self._holds: dict[str, threading.Event] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        for gate in self._holds.values():
            gate.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def share_file(self, name: str, content: bytes) -> dict[str, Any]:
        """A file someone uploaded in a modal's file input, as Slack describes it in view state."""
        file_id = f"F{len(self.shared_files) + 1:06d}"
        self.shared_files[file_id] = content
        return {"id": file_id, "name": name, "filetype": "csv",
                "url_private": f"{self.url}/files/{file_id}", "url_private_download": f"{self.url}/files/{file_id}"}

    def response_url(self, name: str = "r1") -> str:
        return f"{self.url}/response/{name}"

    # -- arranging -------------------------------------------------------------------------------
    def fail(self, method: str, error: str, *, status: int = 200, times: int = 1, retry_after: int | None = None) -> None:
        """The next `times` calls of `method` fail with `error` (HTTP `status`, e.g. 429 with Retry-After)."""
        self._failures.setdefault(method, []).extend([(error, status, retry_after)] * times)

    def fail_call(self, method: str, number: int, error: str, *, status: int = 200,
                  retry_after: int | None = None) -> None:
        """The `number`-th call of `method` (1 = the first from now on) fails with `error`."""
        self._on_call[(method, self._counts.get(method, 0) + number)] = (error, status, retry_after)

    def archive(self, channel_id: str) -> None:
        """Someone archives a channel (conversations.archive, as a person would in the client)."""
        self.channels[channel_id].is_archived = True

    def deactivate(self, user: str) -> None:
        """An admin deactivates a member: the id stays known, flagged `deleted` (users.info)."""
        self.users[user] = {**self.users.get(user, {"id": user, "name": user.lower()}), "deleted": True}

    def hold(self, method: str) -> threading.Event:
        """Calls of `method` wait until the returned event is set (a slow Slack)."""
        self._holds[method] = threading.Event()
        return self._holds[method]

    def add_channel(self, channel_id: str, name: str, *, private: bool = False, members: tuple[str, ...] = ()) -> None:
        self.channels[channel_id] = Channel(channel_id, name, private, set(members))

    def add_message(self, channel: str, *, user: str, text: str, ts: str) -> None:
        """A message people wrote (so conversations.history can return it)."""
        self.messages[(channel, ts)] = {"type": "message", "user": user, "text": text, "ts": ts}

    # -- reading -------------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    def posted(self, channel: str | None = None) -> list[dict[str, Any]]:
        """chat.postMessage params, in order (optionally in one channel)."""
        return [p for p in self.calls_to("chat.postMessage") if channel is None or p["channel"] == channel]

    def channel_named(self, prefix: str) -> Channel:
        return next(c for c in self.channels.values() if c.name.startswith(prefix))

    # -- answering -------------------------------------------------------------------------------
    def _ts(self) -> str:
        n = next(self._ids)
        return f"{TS_BASE + n}.{n:06d}"

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        gate = self._holds.get(method)
        if gate is not None:
            gate.wait(10)
        with self._lock:
            self._counts[method] = self._counts.get(method, 0) + 1
            arranged = self._on_call.pop((method, self._counts[method]), None)
            if arranged:
                error, status, retry_after = arranged
                headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
                return status, {"ok": False, "error": error}, headers
            failures = self._failures.get(method)
            if failures:
                error, status, retry_after = failures.pop(0)
                headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
                return status, {"ok": False, "error": error}, headers
            handler = getattr(self, "_" + method.replace(".", "_"), None)
            if handler is None:
                return 200, {"ok": False, "error": "unknown_method"}, {}
            body = handler(params)
        return 200, body, {}

    def _auth_test(self, p: dict) -> dict:
        return {"ok": True, "url": "https://firm.slack.com/", "team": "The Firm", "user": "breachbot",
                "team_id": TEAM, "user_id": BOT_USER, "bot_id": "B0BOT", "is_enterprise_install": False}

    def _apps_connections_open(self, p: dict) -> dict:
        return {"ok": True, "url": self.ws_url}

    def _conversations_create(self, p: dict) -> dict:
        name = p["name"]
        if self.admins_only_private_channels and str(p.get("is_private")).lower() in ("true", "1"):
            return {"ok": False, "error": "restricted_action"}
        if any(c.name == name for c in self.channels.values()):
            return {"ok": False, "error": "name_taken"}
        channel = Channel(f"C0WAR{next(self._ids)}", name, str(p.get("is_private")).lower() in ("true", "1"),
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

    def _conversations_history(self, p: dict) -> dict:
        found = self.messages.get((p["channel"], p.get("latest")))
        return {"ok": True, "messages": [found] if found else [], "has_more": False}

    def _conversations_replies(self, p: dict) -> dict:
        return {"ok": True, "messages": [], "has_more": False}

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
        return {"ok": True, "view": {**p["view"], "id": f"V0MODAL{next(self._ids)}"}}

    def _views_publish(self, p: dict) -> dict:
        return {"ok": True, "view": {**p["view"], "id": f"V0HOME{next(self._ids)}"}}

    def _users_info(self, p: dict) -> dict:
        user = self.users.get(p["user"])
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _users_list(self, p: dict) -> dict:
        # users.list: every member, deactivated ones flagged `deleted` (docs.slack.dev/reference/methods/users.list)
        return {"ok": True, "members": list(self.users.values()), "response_metadata": {"next_cursor": ""}}

    def _files_getUploadURLExternal(self, p: dict) -> dict:
        file_id = f"F0FILE{next(self._ids)}"
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


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path.startswith("/files/") and url.path.rsplit("/", 1)[1] in fake.shared_files:
                if self.headers.get("Authorization") != f"Bearer {fake.bot_token}":
                    self._send(302, b"", "text/html", {"Location": "https://slack.com/signin"})
                    return
                self._send(200, fake.shared_files[url.path.rsplit("/", 1)[1]], "text/csv")
                return
            self._send(404, b"not found", "text/plain")

        def do_POST(self) -> None:
            url = urlparse(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if url.path.startswith("/upload/"):
                fake.uploads[url.path.rsplit("/", 1)[1]] = raw
                self._send(200, b"OK", "text/plain")
                return
            if url.path.startswith("/response/expired"):  # Slack's answer after 30 minutes or 5 uses
                self._send(404, b"expired_url", "text/plain")
                return
            if url.path.startswith("/response/"):
                fake.responses.append((url.path.rsplit("/", 1)[1], json.loads(raw)))
                self._send(200, b"ok", "text/plain")
                return
            params: dict[str, Any] = dict(parse_qsl(url.query))
            if "json" in (self.headers.get("Content-Type") or ""):
                params.update(json.loads(raw or b"{}"))
            else:
                params.update(parse_qsl(raw.decode()))
            for key in ("blocks", "view"):
                if isinstance(params.get(key), str):
                    params[key] = json.loads(params[key])
            auth = self.headers.get("Authorization") or ""
            method = url.path.removeprefix("/api/")
            fake.calls.append(Call(method, params, auth.removeprefix("Bearer ") or None))
            status, body, headers = fake.answer(method, params)
            self._send(status, json.dumps(body).encode(), "application/json", headers)

        def _send(self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler
