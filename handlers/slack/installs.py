"""Slack distribution: the OAuth install (/slack/install → /slack/oauth_redirect) on the product's own database,
each workspace's bot token for every Web API call, and a workspace that removes the app.

With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set, one deployment serves every workspace that installs it:
Bolt's OAuth flow stores each install with slack_sdk's SQLAlchemy stores (storage/slack_tables.py, created by
the migrations), Bolt authorizes each request from them, and the bot's own calls (the outbox, alerts, status
refreshes) use the token of the incident's workspace (`bot.chat.acting_for`). Enterprise Grid
organisation-wide installs are refused: the bot is installed, and its incidents numbered, one workspace at a time.
"""

from __future__ import annotations

import contextvars
import html
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.error import BoltError
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from bot.flows import tenancy
from bot.settings import Settings
from bot.text.i18n import text as t

log = logging.getLogger("breachbot.slack")

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
ORG_INSTALL = "enterprise_install_refused"
TOKEN_SECONDS = 60.0  # how long a process trusts a token it read from the store (a revoked one is gone after)


def bot_scopes() -> list[str]:
    """The bot scopes the app asks for at install: the manifest's own list."""
    manifest = yaml.safe_load((Path(__file__).resolve().parent / "manifest.yml").read_text(encoding="utf-8"))
    return list(manifest["oauth_config"]["scopes"]["bot"])


class Installations:
    """The bot token of each installed workspace, read from the installation store (remembered for a minute)."""

    def __init__(self, store: InstallationStore, *, make: Callable[[str | None], WebClient],
                 ttl: float = TOKEN_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self._make = make
        self._ttl = ttl
        self._clock = clock
        self._clients: dict[str, tuple[float, WebClient]] = {}
        self._lock = threading.Lock()

    def client_for(self, team: str | None) -> WebClient:
        """A Web API client with the team's bot token (no token when the team has none: Slack says not_authed)."""
        if not team:
            return self._make(None)
        now = self._clock()
        with self._lock:
            kept = self._clients.get(team)
            if kept and now - kept[0] < self._ttl:
                return kept[1]
        bot = self.store.find_bot(enterprise_id=None, team_id=team)
        client = self._make(bot.bot_token if bot is not None and not bot.is_enterprise_install else None)
        with self._lock:
            self._clients[team] = (now, client)
        return client

    def forget(self, team: str) -> None:
        """Drop what this process remembers of a team (it removed the app)."""
        with self._lock:
            self._clients.pop(team, None)

    def teams(self) -> list[dict[str, Any]]:
        """Every installed workspace: team id, name, when (for doctor)."""
        store = self.store
        table = getattr(store, "bots", None)
        engine = getattr(store, "engine", None)
        if table is None or engine is None:
            return []
        with engine.connect() as conn:
            rows = conn.execute(table.select().order_by(table.c.installed_at)).mappings().all()
        latest = {r["team_id"]: r for r in rows if r["team_id"]}
        return [{"team": team, "name": r["team_name"] or "", "installed_at": r["installed_at"]}
                for team, r in latest.items()]


class OneWorkspaceAtATime(OAuthFlow):
    """Bolt's OAuth flow, refusing an Enterprise Grid organisation-wide install before anything is stored."""

    def store_installation(self, request: BoltRequest, installation: Installation) -> None:
        if installation.is_enterprise_install or (installation.enterprise_id and not installation.team_id):
            log.warning("refused an organisation-wide install of enterprise %s", installation.enterprise_id)
            raise BoltError(ORG_INSTALL)
        super().store_installation(request, installation)


def _page(status: int, text: str) -> BoltResponse:
    body = f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>breachbot</title></head>" \
           f"<body><p>{html.escape(text)}</p></body></html>"
    return BoltResponse(status=status, body=body, headers={"Content-Type": "text/html; charset=utf-8"})


def callbacks(lang: str, on_installed: Callable[[Installation], None]) -> CallbackOptions:
    """The pages the installing admin sees: done, or why not (an organisation-wide install, a failure)."""
    def success(args: SuccessArgs) -> BoltResponse:
        try:
            on_installed(args.installation)
        except Exception:
            log.exception("could not resume the alerts of %s", args.installation.team_id)
        return _page(200, t(lang, "install.done", team=args.installation.team_name or args.installation.team_id))

    def failure(args: FailureArgs) -> BoltResponse:
        if args.error is not None and str(args.error) == ORG_INSTALL:
            return _page(400, t(lang, "install.org_refused"))
        log.warning("Slack install failed: %s", args.reason)
        return _page(args.suggested_status_code, t(lang, "install.failed", reason=args.reason))

    return CallbackOptions(success=success, failure=failure)


@dataclass(frozen=True)
class OAuthStores:
    """slack_sdk's installation and state stores, on the product's database (built by the caller that wires
    storage: handlers/web.py, handlers/cli.py, from storage/slack_tables.py)."""

    installations: InstallationStore
    states: OAuthStateStore


def oauth_flow(settings: Settings, *, stores: OAuthStores, client: WebClient, lang: str,
               on_installed: Callable[[Installation], None]) -> OneWorkspaceAtATime:
    """Bolt's OAuth flow with its installation and state stores on the product's database."""
    assert settings.slack_client_id and settings.slack_client_secret
    redirect = f"{settings.public_url.rstrip('/')}{REDIRECT_PATH}" if settings.public_url else None
    oauth = OAuthSettings(
        client_id=settings.slack_client_id, client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=bot_scopes(), redirect_uri=redirect, install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH,
        authorization_url=settings.slack_authorize_url,
        installation_store=stores.installations, installation_store_bot_only=True, state_store=stores.states,
        callback_options=callbacks(lang, on_installed))
    return OneWorkspaceAtATime(client=client, settings=oauth)


def team_of(body: dict[str, Any], context: Any = None) -> str | None:
    """The workspace a Slack request comes from."""
    team = getattr(context, "team_id", None) if context is not None else None
    if team:
        return str(team)
    if not isinstance(body, dict):
        return None
    for value in (body.get("team_id"), (body.get("team") or {}).get("id") if isinstance(body.get("team"), dict)
                  else None, (body.get("user") or {}).get("team_id") if isinstance(body.get("user"), dict) else None,
                  (body.get("view") or {}).get("team_id") if isinstance(body.get("view"), dict) else None):
        if value:
            return str(value)
    return None


def acting_team(bot: Any) -> Callable[..., None]:
    """Bolt middleware: everything this request does (its listeners included) is for its own workspace, with its
    credentials and its own settings (/breach config), read only if a listener asks (an ack never does)."""

    def middleware(body: dict[str, Any], context: Any, next: Callable[[], None]) -> None:
        with tenancy.serving(bot, team_of(body, context), lazy=True):
            next()

    return middleware


class CarryContext(Executor):
    """An executor that runs each task in a copy of the submitter's context (the acting workspace goes along)."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        carried = contextvars.copy_context()
        return self.inner.submit(carried.run, fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)


class Removals:
    """app_uninstalled and tokens_revoked: the workspace's alerts stop, its install is deleted, it is recorded."""

    def __init__(self, bot: Any, installs: Installations | None) -> None:
        self.bot = bot
        self.installs = installs

    def register(self, app: App) -> None:
        """Listen to both events (acked at once, handled lazily)."""
        app.event("app_uninstalled")(ack=lambda ack: ack(), lazy=[self.uninstalled])
        app.event("tokens_revoked")(ack=lambda ack: ack(), lazy=[self.revoked])

    def uninstalled(self, body: dict[str, Any]) -> None:
        """The app was removed from the workspace."""
        self._remove(team_of(body), "app_uninstalled")

    def revoked(self, body: dict[str, Any]) -> None:
        """Tokens were revoked: the bot's token means the bot can no longer act there."""
        tokens = (body.get("event") or {}).get("tokens") or {}
        if tokens.get("bot"):
            self._remove(team_of(body), "tokens_revoked")

    def _remove(self, team: str | None, why: str) -> None:
        if not team:
            return
        if self.installs is not None:
            self.installs.store.delete_all(enterprise_id=None, team_id=team)
            self.installs.forget(team)
        tenancy.removed(self.bot, platform="slack", workspace=team, why=why)
