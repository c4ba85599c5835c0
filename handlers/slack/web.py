"""HTTP mode: Slack's requests arrive at POST /slack/events, signature checked by Bolt."""

from __future__ import annotations

from concurrent.futures import Executor

from flask import Flask, Response, request
from slack_bolt.adapter.flask import SlackRequestHandler
from sqlalchemy import Engine

from bot.app import Breachbot
from bot.clock import Clock
from bot.errors import ConfigError
from bot.settings import Settings
from handlers.slack.app import build_slack_app

EVENTS_PATH = "/slack/events"


def register(app: Flask, *, settings: Settings, engine: Engine, clock: Clock | None = None,
             listener_executor: Executor | None = None) -> Breachbot:
    """Mount the Slack app at /slack/events on `app` (commands, interactivity and events share the path)."""
    if settings.slack_signing_secret is None:
        raise ConfigError("SLACK_SIGNING_SECRET is not set: copy the Signing Secret from the Slack app's "
                          "Basic Information page (or set SLACK_APP_TOKEN for Socket Mode)")
    bolt, bot = build_slack_app(settings, engine=engine, clock=clock, listener_executor=listener_executor)
    handler = SlackRequestHandler(bolt)

    def slack_events() -> Response:
        return handler.handle(request)

    app.add_url_rule(EVENTS_PATH, endpoint="slack_events", view_func=slack_events, methods=["POST"])
    app.extensions["breachbot.slack"] = bolt
    return bot
