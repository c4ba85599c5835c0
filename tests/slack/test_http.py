"""HTTP mode: POST /slack/events on Flask, Slack's signature checked, acks never wait for the Web API."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from flask import Flask
from sqlmodel import Session, select

from bot.clock import VirtualClock
from bot.errors import ConfigError
from handlers.slack.web import register
from storage.models import Incident
from tests.conftest import START
from tests.slack.conftest import USERS, InlineExecutor, sign, slack_settings

ALICE = USERS["alice"]
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def web(sqlite_engine, fake):
    """The Flask app `breachbot serve` would run, with Slack mounted; listeners run inline."""
    app = Flask("test")
    bot = register(app, settings=slack_settings(fake), engine=sqlite_engine, clock=VirtualClock(START),
                   listener_executor=InlineExecutor(), form_executor=InlineExecutor())
    return app, bot


def slash_body(slack_fields: dict[str, str]) -> str:
    return urlencode(slack_fields)


def fields(fake, text: str, trigger: str = "trigger.1") -> dict[str, str]:
    return {"team_id": "T0FIRM", "channel_id": "C0GENERAL", "user_id": ALICE, "command": "/breach", "text": text,
            "response_url": fake.response_url(), "trigger_id": trigger, "api_app_id": "A0BREACH"}


def declared(engine) -> list[str]:
    with Session(engine) as s:
        return [i.title for i in s.exec(select(Incident))]


def test_a_signed_slash_command_is_acted_on(web, fake, sqlite_engine):
    app, _ = web
    body = slash_body(fields(fake, "declare Payroll export on a public share"))
    answer = app.test_client().post("/slack/events", data=body, content_type=FORM, headers=sign(body))

    assert answer.status_code == 200 and answer.data == b""
    assert declared(sqlite_engine) == ["Payroll export on a public share"]
    assert fake.calls_to("conversations.create") == [{"name": "breach-1-payroll-export-on-a", "is_private": "1"}]


@pytest.mark.parametrize("forgery", ["wrong secret", "stale timestamp", "no signature", "body changed"])
def test_a_request_slack_did_not_sign_now_gets_401_and_changes_nothing(web, fake, sqlite_engine, forgery):
    app, _ = web
    body = slash_body(fields(fake, "declare Fake incident"))
    headers = {
        "wrong secret": sign(body, secret="not-the-signing-secret"),
        "stale timestamp": sign(body, timestamp=int(time.time()) - 6 * 60),
        "no signature": {},
        "body changed": sign(body.replace("Fake", "Real")),
    }[forgery]
    answer = app.test_client().post("/slack/events", data=body, content_type=FORM, headers=headers)

    assert answer.status_code == 401
    assert declared(sqlite_engine) == []
    assert fake.methods() == ["auth.test"] and fake.responses == []


def test_the_ack_does_not_wait_for_a_slow_web_api(sqlite_engine, fake):
    gate = fake.hold("conversations.create")  # Slack's Web API hangs on creating the channel
    pool = ThreadPoolExecutor(max_workers=4)
    app = Flask("test")
    register(app, settings=slack_settings(fake), engine=sqlite_engine, clock=VirtualClock(START),
             listener_executor=pool)
    body = slash_body(fields(fake, "declare Payroll export on a public share"))

    started = time.monotonic()
    answer = app.test_client().post("/slack/events", data=body, content_type=FORM, headers=sign(body))
    took = time.monotonic() - started

    assert answer.status_code == 200 and took < 1.0  # well inside Slack's 3 seconds
    assert declared(sqlite_engine) == []
    gate.set()
    pool.shutdown(wait=True)  # the lazy listener finishes once Slack answers
    assert declared(sqlite_engine) == ["Payroll export on a public share"]
    assert fake.responses[-1][1]["response_type"] == "in_channel"


def test_http_mode_needs_the_signing_secret(sqlite_engine, fake):
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        register(Flask("test"), settings=slack_settings(fake, slack_signing_secret=None), engine=sqlite_engine)
    assert fake.methods() == []



def test_breachbot_serve_mounts_slack_next_to_the_health_check(sqlite_engine, fake):
    from handlers.web import create_web_app

    app, bots = create_web_app(slack_settings(fake), engine=sqlite_engine)
    client = app.test_client()
    assert client.get("/healthz").get_json()["platforms"] == ["slack"]
    body = '{"type": "url_verification", "token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}'
    answer = client.post("/slack/events", data=body, content_type="application/json", headers=sign(body))
    assert answer.status_code == 200
    assert answer.get_json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    forged = client.post("/slack/events", data=body, content_type="application/json", headers=sign(body, secret="x"))
    assert forged.status_code == 401


def test_without_a_bot_token_nothing_is_built_and_the_error_says_what_to_copy(sqlite_engine, fake):
    from handlers.slack.app import build_slack_app

    with pytest.raises(ConfigError, match=r"SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token \(xoxb-"):
        build_slack_app(slack_settings(fake, slack_bot_token=None), engine=sqlite_engine)
    assert fake.methods() == []
