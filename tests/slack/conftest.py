"""Slack test fixtures: the fake Slack, a bot built through `build_slack_app`, and signed requests."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App, BoltRequest, BoltResponse
from sqlalchemy.engine import Engine

from bot.app import Breachbot
from bot.clock import VirtualClock
from bot.settings import FirmConfig, Settings
from handlers.slack.app import build_slack_app
from tests.conftest import START, make_settings
from tests.slack.fake_slack import TEAM, FakeSlack

SECRET = "e3b0c44298fc1c149afbf4c8996fb924"
BOT_TOKEN = "xoxb-1-test"
APP_TOKEN = "xapp-1-A0BREACH-test"
USERS = {"alice": "U0ALICE", "bob": "U0BOB", "erin": "U0ERIN", "mallory": "U0MALLORY"}
GENERAL = "C0GENERAL"


class InlineExecutor(Executor):
    """Runs Bolt's acks and lazy listeners on the calling thread, so a dispatch returns when all is done."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # the Future carries it, as a thread pool would
            future.set_exception(exc)
        return future


def sign(body: str, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The two headers Slack sends: v0 HMAC-SHA256 over `v0:{timestamp}:{body}`."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def slack_settings(fake: FakeSlack, **overrides: Any) -> Settings:
    """Settings pointing at the fake, built without reading the environment."""
    values: dict[str, Any] = {"slack_bot_token": BOT_TOKEN, "slack_signing_secret": SECRET,
                              "slack_app_token": APP_TOKEN, "slack_api_url": fake.api_url}
    values.update(overrides)
    return make_settings(**values)


@dataclass
class SlackBot:
    """A breachbot behind Bolt, driven by signed Slack requests."""

    fake: FakeSlack
    app: App
    bot: Breachbot
    clock: VirtualClock
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def next_id(self) -> int:
        return next(self._ids)

    # -- the wire ------------------------------------------------------------------------------
    def dispatch(self, body: str, *, content_type: str, headers: dict[str, str] | None = None,
                 signed: dict[str, str] | None = None) -> BoltResponse:
        """POST a body to Bolt exactly as Slack would: signed, with its content type."""
        all_headers = {"Content-Type": content_type, **(signed if signed is not None else sign(body)),
                       **(headers or {})}
        return self.app.dispatch(BoltRequest(body=body, headers=all_headers))

    def form(self, fields: dict[str, str], **kw: Any) -> BoltResponse:
        return self.dispatch(urlencode(fields), content_type="application/x-www-form-urlencoded", **kw)

    def interactive(self, payload: dict[str, Any], **kw: Any) -> BoltResponse:
        return self.form({"payload": json.dumps(payload)}, **kw)

    # -- what people do ------------------------------------------------------------------------
    def slash_fields(self, user: str, text: str, channel: str = GENERAL, trigger: str | None = None) -> dict[str, str]:
        n = self.next_id()
        return {"token": "legacy-verification-token", "team_id": TEAM, "team_domain": "firm",
                "channel_id": channel, "channel_name": "general", "user_id": user, "user_name": user.lower(),
                "command": "/breach", "text": text, "api_app_id": "A0BREACH", "is_enterprise_install": "false",
                "response_url": self.fake.response_url(f"slash{n}"),
                "trigger_id": self.fake.issue_trigger(trigger or f"trigger.{n}")}

    def slash(self, user: str, text: str, channel: str = GENERAL, **kw: Any) -> BoltResponse:
        """`user` types `/breach <text>` in `channel`."""
        return self.form(self.slash_fields(user, text, channel, kw.pop("trigger", None)), **kw)

    def press(self, user: str, button: dict[str, Any], *, channel: str, message_ts: str,
              message: dict[str, Any] | None = None) -> BoltResponse:
        """`user` presses a button the bot rendered (a Block Kit element from a posted message)."""
        n = self.next_id()
        return self.interactive({
            **({"message": {"ts": message_ts, **message}} if message else {}),
            "type": "block_actions", "team": {"id": TEAM, "domain": "firm"},
            "user": {"id": user, "team_id": TEAM}, "api_app_id": "A0BREACH",
            "trigger_id": self.fake.issue_trigger(f"trigger.b{n}"),
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
            "channel": {"id": channel}, "response_url": self.fake.response_url(f"button{n}"),
            "actions": [{"type": "button", "block_id": "b", "action_id": button["action_id"],
                         "value": button.get("value", ""), "text": button["text"], "action_ts": f"{time.time():.6f}"}],
        })

    def submit(self, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]],
               view_id: str = "V0MODAL1") -> BoltResponse:
        """`user` submits a modal the bot opened, with these input values."""
        return self.interactive({
            "type": "view_submission", "team": {"id": TEAM}, "user": {"id": user, "team_id": TEAM},
            "api_app_id": "A0BREACH", "trigger_id": f"trigger.v{self.next_id()}",
            "view": {**view, "id": view_id, "team_id": TEAM, "state": {"values": values}},
        })

    def event(self, event: dict[str, Any], *, event_id: str, retry: int | None = None) -> BoltResponse:
        """An Events API delivery (a retry carries X-Slack-Retry-Num)."""
        body = json.dumps({"token": "legacy", "team_id": TEAM, "api_app_id": "A0BREACH", "event": event,
                           "type": "event_callback", "event_id": event_id, "event_time": int(time.time()),
                           "authorizations": [{"team_id": TEAM, "user_id": "U0BOT", "is_bot": True}]})
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return self.dispatch(body, content_type="application/json", headers=headers)


def make_slack(engine: Engine, fake: FakeSlack, *, roster: dict | None = None,
               executor: Executor | None = None, forms: Executor | None = None, **settings: Any) -> SlackBot:
    """The bot on Slack over `fake`, on a virtual clock at the scenario's start, listeners run inline."""
    clock = VirtualClock(START)
    app, bot = build_slack_app(slack_settings(fake, **settings), engine=engine, clock=clock,
                               listener_executor=executor or InlineExecutor(),
                               form_executor=forms or executor or InlineExecutor())
    bot.firm = FirmConfig(roster=roster or {})
    return SlackBot(fake=fake, app=app, bot=bot, clock=clock)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    """A fake Slack on 127.0.0.1 with #general and the firm's people."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)  # the loopback fake must be reached directly
    server = FakeSlack().start()
    server.add_channel(GENERAL, "general", members=tuple(USERS.values()))
    for name, user in USERS.items():
        server.users[user] = {"id": user, "name": name, "real_name": name.title(),
                              "profile": {"display_name": name.title()}}
    yield server
    server.stop()


@pytest.fixture
def slack(sqlite_engine: Engine, fake: FakeSlack) -> SlackBot:
    """The bot on Slack, SQLite only."""
    return make_slack(sqlite_engine, fake)


def blocks_text(blocks: list[dict[str, Any]]) -> str:
    """Every mrkdwn/plain text in some blocks, in order (what a person reads)."""
    out: list[str] = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        out += [f["text"] for f in block.get("fields", [])]
        out += [e["text"]["text"] for e in block.get("elements", []) if "text" in e]
    return "\n".join(out)


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The buttons in some blocks."""
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
