"""The app manifest asks for what the listeners use, and no more."""

from __future__ import annotations

from pathlib import Path

import yaml

from handlers.slack.capture import SHORTCUT
from tests.slack.conftest import USERS

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[2] / "handlers/slack/manifest.yml").read_text())


def test_the_manifest_declares_the_command_shortcut_events_and_socket_mode():
    features, settings = MANIFEST["features"], MANIFEST["settings"]
    [command] = features["slash_commands"]
    assert command["command"] == "/breach" and command["should_escape"] is True
    [shortcut] = features["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"], shortcut["name"]) == (
        "message", SHORTCUT, "Log to breach timeline")
    assert features["app_home"]["home_tab_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True and settings["socket_mode_enabled"] is True
    assert sorted(settings["event_subscriptions"]["bot_events"]) == ["app_home_opened", "app_uninstalled",
                                                                     "reaction_added", "tokens_revoked"]


def test_the_manifest_asks_for_the_least_scopes():
    assert sorted(MANIFEST["oauth_config"]["scopes"]["bot"]) == [
        "chat:write", "commands", "files:read", "files:write", "groups:history", "groups:write", "im:write",
        "pins:write",
        "reactions:read", "users:read"]
    assert "user" not in MANIFEST["oauth_config"]["scopes"]  # no user tokens


def test_every_subscribed_event_has_a_listener(slack, fake):
    events = {"app_home_opened": {"type": "app_home_opened", "user": USERS["alice"], "tab": "home"},
              "reaction_added": {"type": "reaction_added", "user": USERS["alice"], "reaction": "eyes",
                                 "item": {"type": "message", "channel": "C0GENERAL", "ts": "1.0"}},
              "app_uninstalled": {"type": "app_uninstalled"},
              "tokens_revoked": {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOT"]}}}
    for n, name in enumerate(MANIFEST["settings"]["event_subscriptions"]["bot_events"]):
        assert slack.event(events[name], event_id=f"Ev{n}").status == 200
    unsubscribed = {"type": "member_joined_channel", "user": USERS["bob"], "channel": "C0GENERAL"}
    assert slack.event(unsubscribed, event_id="Ev9").status == 404  # nothing listens to what was not asked for
