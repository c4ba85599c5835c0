"""Socket Mode: Slack's events over a WebSocket the bot opens itself (no public URL needed)."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from sqlalchemy import Engine

from bot.clock import Clock
from bot.errors import ConfigError
from bot.scheduler import AlertScheduler
from bot.settings import Settings
from handlers.liveness import Liveness, SocketWatch
from handlers.shutdown import stop_on_sigterm
from handlers.slack.app import build_slack_app

log = logging.getLogger("breachbot.slack")


def _app_token(settings: Settings) -> str:
    if settings.slack_app_token is None:
        raise ConfigError("problem.slack.no_app_token")
    return settings.slack_app_token.get_secret_value()


def socket_mode_handler(app: App, settings: Settings) -> SocketModeHandler:
    """slack_bolt's built-in Socket Mode client; apps.connections.open goes to settings.slack_api_url."""
    # The handler's Web API client is the app's own: same base URL, same retry handlers.
    return SocketModeHandler(app, app_token=_app_token(settings), web_client=app.client)


def run_socket_mode(settings: Settings, *, engine: Engine, clock: Clock | None = None,
                    scheduler: bool = True, liveness: Liveness | None = None) -> None:
    """Connect to Slack over Socket Mode and serve until interrupted; also sends due reminders unless told not to.

    A watch reconnects when nothing (no event, no ping) came for `settings.socket_silence` seconds;
    `liveness` (the worker's /healthz) reports the connection and the scheduler.
    """
    _app_token(settings)
    app, bot = build_slack_app(settings, engine=engine, clock=clock)
    handler = socket_mode_handler(app, settings)
    watch = SocketWatch(handler.client, silence=settings.socket_silence)
    alerts = AlertScheduler(bot) if scheduler else None
    if liveness is not None:
        liveness.socket, liveness.platforms = watch, ["slack"]
        liveness.schedulers = [alerts] if alerts is not None else []
    if alerts is not None:
        alerts.start()
    log.info("Slack Socket Mode: connecting")
    watch.start()
    try:
        with stop_on_sigterm([bot]):  # a deploy: finish the message in flight, take nothing new
            handler.start()
    except (KeyboardInterrupt, SystemExit):
        bot.stopping.set()
    finally:
        watch.stop()
        handler.close()
        if alerts is not None:
            alerts.shutdown(wait=True)
