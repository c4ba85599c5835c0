"""`breachbot serve`: one HTTP app for Slack events, WeCom callbacks and a health check."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from sqlalchemy import Engine

from bot.clock import Clock
from bot.settings import Settings
from handlers.edge import MAX_BODY
from handlers.liveness import Liveness, add_healthz

log = logging.getLogger("breachbot.web")


def create_web_app(settings: Settings, *, engine: Engine, clock: Clock | None = None) -> tuple[Flask, list[Any]]:
    """The Flask app with every configured platform mounted; returns it with the bots it built."""
    app = Flask("breachbot")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY  # a second guard behind the edge's (handlers/edge.py)
    bots: list[Any] = []
    if serves_slack(settings):
        from handlers.slack.web import register as register_slack

        bots.append(register_slack(app, settings=settings, engine=engine, clock=clock,
                                   stores=slack_stores(settings, engine)))
    if serves_wecom(settings):
        from handlers.wecom.api import token_storage
        from handlers.wecom.web import register as register_wecom

        bots.append(register_wecom(app, settings=settings, engine=engine, clock=clock,
                                   token_storage=token_storage(settings.wecom_token_cache)))

    from handlers.page import register as register_pages

    register_pages(app, settings=settings, engine=engine, clock=clock, bots=bots)

    liveness = Liveness(engine)
    liveness.platforms = [b.chat.platform for b in bots]
    add_healthz(app, liveness)
    app.extensions["breachbot.liveness"] = liveness  # the schedulers join it when they start (cli.py)

    return app, bots


def serves_slack(settings: Settings, *, signed: bool = True) -> bool:
    """Whether Slack is configured: a bot token or an OAuth client (and the signing secret, for `serve`)."""
    return bool((settings.slack_bot_token or settings.slack_oauth) and (settings.slack_signing_secret or not signed))


def serves_wecom(settings: Settings) -> bool:
    """Whether WeCom is configured: one corp (WECOM_*) or several (WECOM_CORPS), beside Slack or alone."""
    return bool(settings.platform == "wecom" or settings.wecom_corps
                or (settings.wecom_corp_id and settings.wecom_token and settings.wecom_aes_key))


def slack_stores(settings: Settings, engine: Engine) -> Any:
    """slack_sdk's installation and state stores on the bot's database, when Slack is installed in several
    workspaces (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET); None for one bot token."""
    if not settings.slack_oauth or not settings.slack_client_id:
        return None
    from handlers.slack.installs import OAuthStores
    from storage.slack_tables import installation_store, state_store

    return OAuthStores(installation_store(engine, client_id=settings.slack_client_id), state_store(engine))


def serve(app: Flask, *, port: int) -> None:
    """Serve with waitress (production-grade, pure Python) on all interfaces, within the edge's limits."""
    from handlers.edge import serve as edge_serve

    edge_serve(app, port=port)
