"""Liveness: /healthz of serve and worker reports the scheduler's last sweep and the Socket Mode
connection's last message; a silent connection is replaced; `doctor` shows both."""

from __future__ import annotations

import re
import socket
import threading
from datetime import UTC, datetime, timedelta

from bot.scheduler import AlertScheduler
from handlers.doctor import _running
from handlers.liveness import Liveness, SocketWatch, serve_health
from handlers.slack.socket import socket_mode_handler
from handlers.web import create_web_app
from tests.conftest import make_settings
from tests.slack.conftest import make_slack, slack_settings
from tests.slack.fake_socket import FakeSocketMode


class Clock:
    """Seconds for the watch, moved by the test."""

    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_silent_socket_mode_connection_is_replaced_and_healthz_says_so(sqlite_engine, fake):
    end = FakeSocketMode().start()
    fake.ws_url = end.url
    slack = make_slack(sqlite_engine, fake, slack_signing_secret=None)
    handler = socket_mode_handler(slack.app, slack_settings(fake))
    clock = Clock()
    watch = SocketWatch(handler.client, silence=120, clock=clock)
    liveness = Liveness(sqlite_engine)
    liveness.socket = watch
    handler.connect()
    try:
        assert end.connected.wait(5)
        assert watch.check() is False  # the hello just arrived
        body, status = liveness.report()
        assert status == 200 and body["socket_mode"]["connected"] is True
        assert body["socket_mode"]["last_message_age_s"] < 5

        clock.now += 121  # two minutes without an event or a ping
        assert liveness.report()[0]["socket_mode"]["last_message_age_s"] > 120
        assert watch.check() is True
        for _ in range(200):  # the new WebSocket opens on a thread of the SDK's
            if end.sessions == 2:
                break
            threading.Event().wait(0.01)
        assert end.sessions == 2
        assert [c.method for c in fake.calls].count("apps.connections.open") == 2
        body, status = liveness.report()
        assert status == 200 and body["socket_mode"]["reconnects"] == 1
        clock.now += 241  # silent for twice the limit, still: 503 until it speaks again
        assert liveness.report()[1] == 503
    finally:
        handler.client.auto_reconnect_enabled = False
        end.stop()
        handler.close()


def test_serve_healthz_reports_the_scheduler_and_a_stalled_one_is_503(sqlite_engine, fake):
    app, bots = create_web_app(slack_settings(fake), engine=sqlite_engine)
    scheduler = AlertScheduler(bots[0])
    app.extensions["breachbot.liveness"].schedulers = [scheduler]
    client = app.test_client()
    scheduler.started_at = datetime.now(UTC)
    scheduler.tick()
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.get_json()["scheduler"]["last_tick_age_s"] < 5
    scheduler.last_tick = datetime.now(UTC) - timedelta(minutes=3)  # its thread stopped sweeping
    answer = client.get("/healthz")
    assert answer.status_code == 503 and answer.get_json()["scheduler"]["stalled"] is True


def test_doctor_shows_the_running_workers_socket_and_scheduler(sqlite_engine, fake):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    class Client:
        on_message_listeners: list = []
        current_session = None

        def is_connected(self) -> bool:
            return True

    liveness = Liveness(sqlite_engine)
    liveness.socket = SocketWatch(Client())
    slack = make_slack(sqlite_engine, fake)
    scheduler = AlertScheduler(slack.bot)
    scheduler.last_tick = datetime.now(UTC)
    liveness.schedulers = [scheduler]
    serve_health(liveness, port=port)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        nobody = unused.getsockname()[1]
    for _ in range(200):
        check = _running(make_settings(port=nobody, health_port=port, slack_bot_token="xoxb-test"))
        if check.detail.startswith("worker on port"):
            break
        threading.Event().wait(0.01)
    assert check.ok and check.detail.startswith(f"worker on port {port}: ok, the scheduler last swept ")
    assert re.search(r"Socket Mode connected, last message \d+ s ago, reconnected 0 times$", check.detail)
    quiet = _running(make_settings(port=nobody, health_port=nobody, slack_bot_token="xoxb-test"))
    assert quiet.warn and "no breachbot serve or worker answers /healthz" in quiet.detail
