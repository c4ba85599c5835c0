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
from handlers.edge import check_slack_request
from handlers.slack.app import build_slack_app
from handlers.slack.installs import INSTALL_PATH, REDIRECT_PATH, OAuthStores

EVENTS_PATH = "/slack/events"


def register(app: Flask, *, settings: Settings, engine: Engine, clock: Clock | None = None,
             listener_executor: Executor | None = None, form_executor: Executor | None = None,
             stores: OAuthStores | None = None) -> Breachbot:
    """Mount the Slack app at /slack/events on `app` (commands, interactivity and events share the path)."""
    if settings.slack_signing_secret is None:
        raise ConfigError("problem.slack.no_signing_secret")
    bolt, bot = build_slack_app(settings, engine=engine, clock=clock, listener_executor=listener_executor,
                                form_executor=form_executor, stores=stores)
    handler = SlackRequestHandler(bolt)
    secret = settings.slack_signing_secret.get_secret_value()

    def slack_events() -> Response:
        # Checked here before Bolt parses anything: a forged or malformed request is one log line and a 4xx.
        body = request.get_data(cache=True)
        refusal = check_slack_request(secret, body, request.headers, request.environ)
        if refusal is not None:
            status, why = refusal
            return Response(f"{why}\n", status=status, mimetype="text/plain")
        return handler.handle(request)

    app.add_url_rule(EVENTS_PATH, endpoint="slack_events", view_func=slack_events, methods=["POST"])
    if bolt.oauth_flow is not None:  # distribution: Bolt's install page and OAuth redirect (installs.py)
        def slack_oauth() -> Response:
            return handler.handle(request)

        app.add_url_rule(INSTALL_PATH, endpoint="slack_install", view_func=slack_oauth, methods=["GET"])
        app.add_url_rule(REDIRECT_PATH, endpoint="slack_oauth_redirect", view_func=slack_oauth, methods=["GET"])
    app.extensions["breachbot.slack"] = bolt
    return bot
