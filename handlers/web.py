"""`breachbot serve`: one HTTP app for Slack events, WeCom callbacks and a health check."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from sqlalchemy import Engine, text

from bot.clock import Clock
from bot.settings import Settings

log = logging.getLogger("breachbot.web")


def create_web_app(settings: Settings, *, engine: Engine, clock: Clock | None = None) -> tuple[Flask, list[Any]]:
    """The Flask app with every configured platform mounted; returns it with the bots it built."""
    app = Flask("breachbot")
    bots: list[Any] = []
    if settings.slack_bot_token and settings.slack_signing_secret:
        from handlers.slack.web import register as register_slack

        bots.append(register_slack(app, settings=settings, engine=engine, clock=clock))
    if settings.platform == "wecom" or (settings.wecom_corp_id and settings.wecom_token and settings.wecom_aes_key):
        from handlers.wecom.api import token_storage
        from handlers.wecom.web import register as register_wecom

        bots.append(register_wecom(app, settings=settings, engine=engine, clock=clock,
                                   token_storage=token_storage(settings.wecom_token_cache)))

    from handlers.page import register as register_pages

    register_pages(app, settings=settings, engine=engine, clock=clock, bots=bots)

    @app.get("/healthz")
    def health() -> Any:
        try:
            with engine.connect() as conn:
                conn.execute(text("select 1"))
        except Exception as exc:  # the health check reports, it does not raise
            log.warning("health check: database unreachable: %s", exc)
            return jsonify(status="error", database="unreachable"), 503
        return jsonify(status="ok", database="ok", platforms=[b.chat.platform for b in bots])

    return app, bots


def serve(app: Flask, *, port: int) -> None:
    """Serve with waitress (production-grade, pure Python) on all interfaces."""
    from waitress import serve as waitress_serve

    waitress_serve(app, host="0.0.0.0", port=port, threads=8)
