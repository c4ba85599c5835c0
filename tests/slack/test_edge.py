"""The HTTP edge under garbage: a real waitress server (as `breachbot serve` runs it) on 127.0.0.1.

Each kind of garbage a stranger can send without the signing secret gets its 4xx, one log line
without the body, and leaves the process's memory flat; a signed request still goes through.
"""

from __future__ import annotations

import http.client
import json
import logging
import resource
import socket
import threading
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

import handlers.edge as edge
from bot.clock import VirtualClock
from handlers.web import create_web_app
from tests.conftest import START
from tests.slack.conftest import USERS, sign, slack_settings

MARKER = "BODY-MARKER-" * 8  # must never reach the log


@pytest.fixture
def server(sqlite_engine, fake, monkeypatch) -> Iterator[int]:
    """`breachbot serve`'s app behind waitress with the edge's limits, on a free port; yields the port."""
    monkeypatch.setattr(edge, "refused", edge.Refusals(burst=1000))
    app, _ = create_web_app(slack_settings(fake), engine=sqlite_engine, clock=VirtualClock(START))
    srv = edge.make_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield srv.effective_port
    srv.task_dispatcher.shutdown()
    srv.close()
    from waitress import wasyncore

    wasyncore.close_all(srv._map)
    thread.join(timeout=10)


def raw(port: int, head: str, body: bytes = b"", *, stream: int = 0) -> tuple[int, bytes]:
    """Send a raw request (and `stream` bytes of body after it), return the status and what came back."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode("latin-1") + body)
        try:
            chunk = (MARKER.encode() * (65536 // len(MARKER) + 1))[:65536]
            for _ in range(stream // len(chunk)):
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: it did not want the rest
        answer = b""
        try:
            while part := sock.recv(65536):
                answer += part
        except (ConnectionResetError, TimeoutError):
            pass
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, answer


def post(port: int, body: str, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/slack/events", body=body.encode(), headers=headers)
    status = conn.getresponse().status
    conn.close()
    return status


def slash(fake, text: str) -> str:
    return urlencode({"team_id": "T0FIRM", "channel_id": "C0GENERAL", "user_id": USERS["alice"], "command": "/breach",
                      "text": text, "response_url": fake.response_url(), "trigger_id": "t.1",
                      "api_app_id": "A0BREACH"})


FORM = "application/x-www-form-urlencoded"


def test_each_kind_of_garbage_gets_its_4xx_one_log_line_and_no_memory(server, fake, caplog):
    port = server
    caplog.set_level(logging.DEBUG)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB
    huge = ("POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 104857600\r\n\r\n")
    statuses = {}
    for n in range(4):  # 4 × "100 MB": refused from the header, the body never read
        statuses[f"huge {n}"] = raw(port, huge, stream=2 * 1024 * 1024)[0]
    chunked = "POST /slack/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    piece = b"10000\r\n" + b"x" * 0x10000 + b"\r\n"
    statuses["chunked 2 MB"] = raw(port, chunked, piece * 32)[0]
    statuses["bad length"] = raw(port, "POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")[0]
    statuses["garbage line"] = raw(port, "\x16\x03\x01 hello there\r\n\r\n")[0]
    body = slash(fake, f"declare {MARKER}")
    statuses["no signature"] = post(port, body, {"Content-Type": FORM})
    statuses["timestamp abc"] = post(port, body, {"Content-Type": FORM, "X-Slack-Request-Timestamp": "abc",
                                                  "X-Slack-Signature": "v0=00"})
    statuses["wrong signature"] = post(port, body, {"Content-Type": FORM, **sign(body, secret="guess")})
    bad_json = '{"type": "event_callback", ' + MARKER
    statuses["signed bad JSON"] = post(port, bad_json, {"Content-Type": "application/json", **sign(bad_json)})
    bad_payload = urlencode({"payload": "{" + MARKER})
    statuses["signed bad payload"] = post(port, bad_payload, {"Content-Type": FORM, **sign(bad_payload)})
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before

    assert statuses == {"huge 0": 413, "huge 1": 413, "huge 2": 413, "huge 3": 413, "chunked 2 MB": 413,
                        "bad length": 400, "garbage line": 400, "no signature": 401, "timestamp abc": 400,
                        "wrong signature": 401, "signed bad JSON": 400, "signed bad payload": 400}
    assert grown < 30 * 1024, f"memory grew {grown} kB"  # 408 MB were offered; none of it was kept
    refusals = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused ")]
    assert len(refusals) == len(statuses)  # one line each
    everything = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "BODY-MARKER" not in everything and "Traceback" not in everything
    assert len(everything) < 300 * len(statuses)
    assert "refused POST /slack/events from 127.0.0.1: 413" in everything
    # After all that, Slack is still answered.
    help_body = slash(fake, "help")
    assert post(port, help_body, {"Content-Type": FORM, **sign(help_body)}) == 200


def test_idle_connections_do_not_lock_slack_out(server, fake):
    idle = [socket.create_connection(("127.0.0.1", server), timeout=10) for _ in range(150)]  # waitress's default: 100
    try:
        body = slash(fake, "help")
        assert post(server, body, {"Content-Type": FORM, **sign(body)}) == 200
    finally:
        for sock in idle:
            sock.close()


def test_refusals_past_the_burst_are_counted_not_logged(caplog):
    moments = iter([0.0] + [1.0] * 30 + [61.0])
    refusals = edge.Refusals(burst=5, now=lambda: next(moments))
    caplog.set_level(logging.WARNING, logger="breachbot.web")
    for _ in range(30):
        refusals(413, "body over 1048576 bytes", {"REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events"})
    refusals(401, "no Slack signature", {})
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 7 and lines[5] == "refused 25 more requests in the last minute (not logged one by one)"
    assert json.dumps(lines).count("413 body over") == 5
