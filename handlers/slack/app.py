"""`build_slack_app`: one Bolt app and one Breachbot on a SlackChat, for HTTP and Socket Mode alike."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.app import Breachbot, create_app
from bot.clock import Clock
from bot.errors import ConfigError
from bot.flows import tenancy
from bot.settings import Settings
from handlers.firms import attach as attach_firms
from handlers.roster import warn_at_start
from handlers.slack.capture import TimelineCapture
from handlers.slack.chat import SlackChat, make_client, make_outbox_client
from handlers.slack.installs import (
    CarryContext,
    Installations,
    OAuthStores,
    Removals,
    acting_team,
    oauth_flow,
)
from handlers.slack.listeners import Listeners

log = logging.getLogger("breachbot.slack")
FORM_THREADS = 4


class SkipRepeatedEvents:
    """Slack re-sends an event it thinks we missed (X-Slack-Retry-Num); one we already took is acked, not re-run.

    This catches retries within one process; the bot's own checks (declare keys, captured message
    ids) keep a retry that reaches another process from doing anything twice.
    """

    def __init__(self, remember: int = 5000) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._remember = remember
        self._lock = threading.Lock()

    def __call__(self, body: dict[str, Any], request: BoltRequest, next: Callable[[], None]) -> BoltResponse | None:
        """Bolt middleware: stop a retry of an event_id this process has already started."""
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if event_id:
            with self._lock:
                seen = event_id in self._seen
                self._seen[event_id] = None
                while len(self._seen) > self._remember:
                    self._seen.popitem(last=False)
            if seen and request.headers.get("x-slack-retry-num"):
                log.info("ignoring Slack's retry of event %s: already handled", event_id)
                return BoltResponse(status=200, body="")
        next()
        return None


def build_slack_app(settings: Settings, *, engine: Engine, clock: Clock | None = None,
                    client: WebClient | None = None,
                    listener_executor: Executor | None = None,
                    form_executor: Executor | None = None,
                    stores: OAuthStores | None = None) -> tuple[App, Breachbot]:
    """The Bolt app and the bot behind it. Calls auth.test once to check the token; starts no threads.

    `listener_executor` runs acks and lazy listeners (Bolt's thread pool by default; tests run them inline).
    `stores`: slack_sdk's installation and state stores, when SLACK_CLIENT_ID/SECRET install it in several workspaces.
    `form_executor` opens forms: threads of their own, so a trigger_id (good for 3 seconds) never waits
    behind listeners that sleep through rate limits (threads start on first use).
    """
    if settings.slack_bot_token is None and not settings.slack_oauth:
        raise ConfigError("problem.slack.no_bot_token")
    installs: Installations | None = None
    if settings.slack_oauth:
        # Several workspaces: each call uses the bot token its workspace stored at install (installs.py).
        if stores is None:
            raise ConfigError("problem.slack.no_store")
        installs = Installations(stores.installations, make=lambda token: make_outbox_client(settings, token))
        chat = SlackChat(make_outbox_client(settings, None), tokens=installs.client_for)
        client = client or make_client(settings, None)
    else:
        # The outbox's calls get 429s back to wait them out itself (bot time, no thread held); Bolt's own
        # calls (acks, forms, replies) keep the SDK's rate-limit retries.
        chat = SlackChat(client or make_outbox_client(settings))
        client = client or make_client(settings)
    bot = create_app(settings, chat=chat, clock=clock, engine=engine)
    chat.lang, chat.lang_of = bot.lang, lambda: bot.lang  # each firm's own (/breach config)
    attach_firms(bot, settings)
    if installs is None:
        warn_at_start(chat, bot.firm)
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    flow = None
    if installs is not None and stores is not None:
        flow = oauth_flow(settings, stores=stores, client=client, lang=bot.lang, on_installed=lambda done: (
            installs.forget(done.team_id or ""), tenancy.installed(bot, platform="slack", workspace=done.team_id or ""),
            tenancy.first_admin(bot, platform="slack", workspace=done.team_id or "", user=done.user_id)))
    # The ack functions only ack (all work is in lazy listeners), so answering as soon as they return is safe and
    # skips Bolt's 10 ms wait for the ack (measured in bench/: 11 ms → 1 ms median).
    # Lazy listeners and forms run in the context of the request that started them: its workspace goes along.
    app = App(name="breachbot", client=client, signing_secret=secret, process_before_response=True,
              listener_executor=CarryContext(listener_executor or ThreadPoolExecutor(max_workers=10)),
              oauth_flow=flow, installation_store_bot_only=True if flow is not None else None)
    app.middleware(acting_team(bot))
    app.middleware(SkipRepeatedEvents())
    forms = CarryContext(form_executor or ThreadPoolExecutor(max_workers=FORM_THREADS,
                                                              thread_name_prefix="slack-forms"))
    Listeners(bot, chat, forms=forms).register(app)
    TimelineCapture(bot, chat).register(app)
    Removals(bot, installs).register(app)
    return app, bot
