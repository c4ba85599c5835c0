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
- several workspaces (OAuth installs): a channel or a person of another workspace than the bot token's →
  `channel_not_found` ("Value passed for channel was invalid", api.slack.com/methods/chat.postMessage,
  "Errors"; a channel id of another workspace is invalid for this token), `user_not_found` for
  conversations.invite, conversations.open and users.info; a token no workspace issued → `invalid_auth` ("Some aspect of
  authentication cannot be validated. Either the provided token is invalid …", the errors every method
  lists, e.g. api.slack.com/methods/calls.info); a revoked one → `token_revoked`; none → `not_authed`.
  Each such refusal is also kept in `refusals`, so a test or a benchmark can say none happened.
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
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

from tests.slack.fake_methods import (  # noqa: F401 - re-exported for tests
    BLOCKS_MAX,
    BLOCKS_TEXT_MAX,
    BOT_USER,
    MANIFEST_SCOPES,
    SECTION_MAX,
    TEAM,
    TEXT_MAX,
    TS_BASE,
    Call,
    Channel,
    SlackMethods,
)


class FakeSlack(SlackMethods):
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
        # Several workspaces (OAuth): once a workspace is installed, every call must carry a live bot token, and a
        # channel belongs to the workspace that made it (another workspace's token gets channel_not_found).
        self.teams: dict[str, str] = {}
        self.revoked: set[str] = set()
        self.channel_team: dict[str, str] = {}
        self.user_team: dict[str, str] = {}  # a person → the workspace they are a member of
        self.refusals: list[tuple[str, str, str | None]] = []  # (method, error, token) refused across workspaces
        self.token: str | None = None
        self.auth_header = ""
        self.client_id, self.client_secret = "1234.5678", "oauth-secret"
        self.install_codes: dict[str, dict[str, Any]] = {}
        self._failures: dict[str, list[tuple[str, int, int | None, str | None, str | None]]] = {}
        self._on_call: dict[tuple[str, int], tuple[str, int, int | None]] = {}
        self._counts: dict[str, int] = {}
        self.admins_only_private_channels = False
        # The bot token's scopes: the manifest's (handlers/slack/manifest.yml); a test adds im:history to it.
        self.scopes = set(MANIFEST_SCOPES)
        self.triggers: dict[str, float] = {}
        self._response_limits: list[int] = []
        self.used_triggers: set[str] = set()
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

    def issue_trigger(self, trigger_id: str) -> str:
        """Slack hands out a trigger_id with a slash command or a button press: good for 3 seconds."""
        self.triggers[trigger_id] = time.monotonic()
        return trigger_id

    def response_url(self, name: str = "r1") -> str:
        return f"{self.url}/response/{name}"

    # -- arranging -------------------------------------------------------------------------------
    def fail(self, method: str, error: str, *, status: int = 200, times: int = 1, retry_after: int | None = None,
             channel: str | None = None, text: str | None = None) -> None:
        """The next `times` calls of `method` fail with `error` (HTTP `status`, e.g. 429 with Retry-After);
        with `channel`, only calls to that channel (or person: a DM is posted to the user id); with `text`, only
        calls whose message text contains it (one kind of message among others in the same channel)."""
        self._failures.setdefault(method, []).extend([(error, status, retry_after, channel, text)] * times)

    def fail_call(self, method: str, number: int, error: str, *, status: int = 200,
                  retry_after: int | None = None) -> None:
        """The `number`-th call of `method` (1 = the first from now on) fails with `error`."""
        self._on_call[(method, self._counts.get(method, 0) + number)] = (error, status, retry_after)

    def rate_limit_responses(self, *, times: int, retry_after: int) -> None:
        """The next `times` posts to response_urls get 429 with Retry-After (docs.slack.dev/apis/web-api/
        rate-limits: "HTTP 429 Too Many Requests … Retry-After"; response_url posts are limited too)."""
        self._response_limits += [retry_after] * times

    def limit_responses(self, handler: BaseHTTPRequestHandler) -> bool:
        """Answer a response_url post with an arranged 429 (True), or let it through (False)."""
        with self._lock:
            if not self._response_limits:
                return False
            retry_after = self._response_limits.pop(0)
        body = b'{"ok":false,"error":"ratelimited"}'
        handler.send_response(429)
        for key, value in (("Retry-After", str(retry_after)), ("Content-Type", "application/json"),
                           ("Content-Length", str(len(body)))):
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(body)
        return True

    def archive(self, channel_id: str) -> None:
        """Someone archives a channel (conversations.archive, as a person would in the client)."""
        self.channels[channel_id].is_archived = True

    def delete_message(self, channel: str, ts: str) -> None:
        """Someone deletes a message (chat.delete from the client): it is gone, and so is its pin
        (docs.slack.dev/reference/methods/chat.update, "Errors": `message_not_found` afterwards)."""
        self.messages.pop((channel, ts), None)
        if channel in self.channels and ts in self.channels[channel].pins:
            self.channels[channel].pins.remove(ts)

    def deactivate(self, user: str) -> None:
        """An admin deactivates a member: the id stays known, flagged `deleted` (users.info)."""
        self.users[user] = {**self.users.get(user, {"id": user, "name": user.lower()}), "deleted": True}

    def hold(self, method: str) -> threading.Event:
        """Calls of `method` wait until the returned event is set (a slow Slack)."""
        self._holds[method] = threading.Event()
        return self._holds[method]

    def add_channel(self, channel_id: str, name: str, *, private: bool = False, members: tuple[str, ...] = (),
                    team: str | None = None) -> None:
        """A channel people made; with `team`, it belongs to that workspace (another one's token cannot use it)."""
        self.channels[channel_id] = Channel(channel_id, name, private, set(members))
        if team is not None:
            self.channel_team[channel_id] = team

    def add_member(self, user: str, name: str, *, team: str) -> None:
        """A person of one workspace (users.info answers them only to that workspace's token)."""
        self.users[user] = {"id": user, "name": name, "real_name": name.title(), "profile": {"display_name": name},
                            "team_id": team}
        self.user_team[user] = team

    def add_message(self, channel: str, *, user: str, text: str, ts: str, thread_ts: str | None = None) -> None:
        """A message people wrote (a reply in a thread with `thread_ts`, its parent's ts)."""
        self.messages[(channel, ts)] = {"type": "message", "user": user, "text": text, "ts": ts,
                                        **({"thread_ts": thread_ts} if thread_ts else {})}
        if thread_ts and (channel, thread_ts) in self.messages:
            self.messages[(channel, thread_ts)]["thread_ts"] = thread_ts

    def arrange_install(self, code: str, *, team: str, name: str, token: str, enterprise: str | None = None,
                        org_wide: bool = False) -> None:
        """Someone approves the install in Slack: `code` comes back on the redirect, and oauth.v2.access
        trades it for `token` (docs.slack.dev/reference/methods/oauth.v2.access, "Example response")."""
        self.install_codes[code] = {
            "ok": True, "access_token": token, "token_type": "bot", "scope": "commands,chat:write",
            "bot_user_id": BOT_USER, "app_id": "A0BREACH",
            "team": None if org_wide else {"id": team, "name": name},
            "enterprise": {"id": enterprise, "name": "Holding"} if enterprise else None,
            "is_enterprise_install": org_wide, "authed_user": {"id": "U0ADMIN"}}
        self.teams[token] = team

    def revoke(self, token: str) -> None:
        """The workspace removed the app: its token answers token_revoked from now on."""
        self.revoked.add(token)

    def calls_with(self, token: str) -> list[Call]:
        """The Web API calls made with one bot token."""
        return [c for c in self.calls if c.token == token]

    def _tenancy(self, method: str, params: dict[str, Any]) -> str | None:
        """What Slack refuses across workspaces: no token, a revoked one, another workspace's channel."""
        if not self.teams or method in ("oauth.v2.access",):
            return None
        if not self.token:
            return "not_authed"
        if self.token in self.revoked:
            return "token_revoked"
        if self.token not in self.teams and self.token != self.bot_token:
            return "invalid_auth"
        mine = self.teams.get(self.token, TEAM)  # the single-workspace token is the default team's
        target = str(params.get("channel", ""))
        owner = self.channel_team.get(target) or self.user_team.get(target)  # a DM is posted to the person's id
        if owner is not None and owner != mine:
            return "channel_not_found"
        people = [u for u in str(params.get("users") or params.get("user") or "").split(",") if u]
        if method in ("conversations.invite", "users.info", "conversations.open") and any(
                self.user_team.get(u, mine) != mine for u in people):
            return "user_not_found"
        return None

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
    def _next_id(self) -> int:
        return next(self._ids)

    def _ts(self) -> str:
        n = next(self._ids)
        return f"{TS_BASE + n}.{n:06d}"

    def answer(self, method: str, params: dict[str, Any], *, token: str | None = None,
               auth: str = "") -> tuple[int, dict[str, Any], dict[str, str]]:
        gate = self._holds.get(method)
        if gate is not None:
            gate.wait(10)
        with self._lock:
            self.token, self.auth_header = token, auth
            refused = self._tenancy(method, params)
            if refused:
                self.refusals.append((method, refused, token))
                return 200, {"ok": False, "error": refused}, {}
            self._counts[method] = self._counts.get(method, 0) + 1
            arranged = self._on_call.pop((method, self._counts[method]), None)
            if arranged:
                error, status, retry_after = arranged
                headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
                return status, {"ok": False, "error": error}, headers
            failures = self._failures.get(method)
            which = next((n for n, f in enumerate(failures or []) if f[3] in (None, params.get("channel"))
                          and (f[4] is None or f[4] in str(params.get("text", "")))), None)
            if failures and which is not None:
                error, status, retry_after, *_ = failures.pop(which)
                headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
                return status, {"ok": False, "error": error}, headers
            handler = getattr(self, "_" + method.replace(".", "_"), None)
            if handler is None:
                return 200, {"ok": False, "error": "unknown_method"}, {}
            body = handler(params)
            if method == "conversations.create" and body.get("ok") and token in self.teams:
                self.channel_team[body["channel"]["id"]] = self.teams[token]
        return 200, body, {}

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
            if url.path.startswith("/response/") and fake.limit_responses(self):
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
            for key in ("blocks", "view", "metadata"):
                if isinstance(params.get(key), str):
                    params[key] = json.loads(params[key])
            auth = self.headers.get("Authorization") or ""
            method = url.path.removeprefix("/api/")
            fake.calls.append(Call(method, params, auth.removeprefix("Bearer ") or None))
            status, body, headers = fake.answer(method, params, token=auth.removeprefix("Bearer ") or None,
                                                auth=auth)
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
