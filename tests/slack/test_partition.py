"""A partitioned database (a TCP proxy that stops forwarding, no reset) while Slack and health checks
keep coming: Slack's requests are still acked within 3 s, /healthz answers 503 within its bounded
wait from a probe on its own thread, and the web threads are never all held on the database."""

from __future__ import annotations

import http.client
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest

import handlers.edge as edge
from bot.clock import VirtualClock
from handlers.web import create_web_app
from storage.db import make_engine
from tests.conftest import START
from tests.slack.conftest import USERS, sign, slack_settings
from tests.tcp_proxy import PartitionProxy

FORM = "application/x-www-form-urlencoded"


def timed(port: int, method: str, path: str, body: str = "", headers: dict[str, str] | None = None) -> tuple[int, float]:
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body.encode() if body else None, headers=headers or {})
    status = conn.getresponse().status
    conn.close()
    return status, time.monotonic() - started


def command(fake, port: int, text: str) -> tuple[int, float]:
    body = urlencode({"team_id": "T0FIRM", "channel_id": "C0GENERAL", "user_id": USERS["alice"], "command": "/breach",
                      "text": text, "response_url": fake.response_url(), "trigger_id": "t.1", "api_app_id": "A0BREACH"})
    return timed(port, "POST", "/slack/events", body, {"Content-Type": FORM, **sign(body)})


def test_a_partitioned_database_does_not_stop_slack_acks(engine, fake):
    if engine.dialect.name != "postgresql":
        pytest.skip("a TCP partition needs a database server")
    url = engine.url
    proxy = PartitionProxy((url.host or "127.0.0.1", url.port or 5432))
    proxied = make_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
                          connect_args={"options": f"-csearch_path={engine._breachbot_schema}",
                                        "application_name": engine._breachbot_schema})  # ended at teardown
    app, _ = create_web_app(slack_settings(fake), engine=proxied, clock=VirtualClock(START))
    liveness = app.extensions["breachbot.liveness"]
    liveness.database.every = 0.0  # every /healthz asks for a new probe: the worst case for the database
    srv = edge.make_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    port = srv.effective_port
    try:
        assert timed(port, "GET", "/healthz")[0] == 200
        assert command(fake, port, "declare Laptop stolen")[0] == 200
        proxy.partition()
        # Health checks every 100 ms from three monitors, and people typing commands, for 4 s.
        with ThreadPoolExecutor(max_workers=8) as pool:
            probes = [pool.submit(timed, port, "GET", "/healthz") for _ in range(30)]
            acks = []
            for n in range(6):
                acks.append(pool.submit(command, fake, port, "status" if n % 2 else f"log note {n}"))
            health = [f.result() for f in probes]
            answered = [f.result() for f in acks]
        assert {status for status, _ in answered} == {200}
        assert max(took for _, took in answered) < 3.0, answered
        assert {status for status, _ in health} == {503}  # the database is unreachable, and says so…
        assert max(took for _, took in health) < 3.0, health  # …in bounded time
        assert liveness.report()[0]["database"] == "unreachable"
        proxy.heal()
        deadline = time.monotonic() + 30
        while timed(port, "GET", "/healthz")[0] != 200:  # back once the held bytes go through
            assert time.monotonic() < deadline, "/healthz never recovered after the partition healed"
            time.sleep(0.2)
    finally:
        proxy.heal()
        srv.task_dispatcher.shutdown()
        srv.close()
        from waitress import wasyncore

        wasyncore.close_all(srv._map)
        thread.join(timeout=10)
        proxy.close()
        proxied.dispose()
