"""Socket Mode: the bot opens the WebSocket Slack names, acks each envelope and acts on it."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.errors import ConfigError
from handlers.slack.socket import run_socket_mode, socket_mode_handler
from storage.models import Incident
from tests.slack.conftest import APP_TOKEN, USERS, make_slack, slack_settings
from tests.slack.fake_socket import FakeSocketMode


@pytest.fixture
def socket_end(fake):
    end = FakeSocketMode().start()
    fake.ws_url = end.url
    yield end
    end.stop()


def test_a_slash_command_envelope_is_acked_and_acted_on(sqlite_engine, fake, socket_end):
    slack = make_slack(sqlite_engine, fake, slack_signing_secret=None)  # Socket Mode needs no signing secret
    handler = socket_mode_handler(slack.app, slack_settings(fake))
    handler.connect()
    try:
        assert socket_end.connected.wait(5)
        payload = slack.slash_fields(USERS["alice"], "declare Payroll export on a public share --severity high")
        socket_end.deliver({"envelope_id": "57d6d1a8-envelope", "type": "slash_commands",
                            "accepts_response_payload": True, "payload": payload})
        ack = socket_end.acks.get(timeout=5)
    finally:
        handler.client.auto_reconnect_enabled = False
        socket_end.stop()  # Slack's end closes first, so the client is not left waiting on a read
        handler.close()

    assert ack == {"envelope_id": "57d6d1a8-envelope"}
    [opened] = [c for c in fake.calls if c.method == "apps.connections.open"]
    assert opened.token == APP_TOKEN  # the app-level token, at the configured API URL
    with Session(sqlite_engine) as s:
        incident = s.exec(select(Incident)).one()
    assert (incident.title, incident.severity) == ("Payroll export on a public share", "high")
    assert incident.war_room == fake.channel_named("breach-1").id
    assert fake.responses[-1][1]["response_type"] == "in_channel"


def test_socket_mode_needs_the_app_token(sqlite_engine, fake):
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        run_socket_mode(slack_settings(fake, slack_app_token=None), engine=sqlite_engine)
    assert fake.methods() == []  # nothing connected
