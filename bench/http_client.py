"""The load generator for bench.latency and bench.declare: a separate process (its own GIL) with one
keep-alive connection, and the parent's side of it (Client, Bodies).

The process reads JSON lines on stdin and answers JSON lines on stdout; standard library only, so it starts fast.
  {"op": "one", "body": ..., "ctype": ...}               → {"t0": <monotonic send time>, "lat": <s>, "status": <int>}
  {"op": "burst", "items": [{body, ctype}...], "limit_s": N} → {"results": [...]}: back to back, stops after N s
  {"op": "storm", "items": [{body, ctype}...]}             → {"results": [...]}: all at once, a connection each
Each body is signed just before it is sent (Slack's v0 HMAC), outside the timed part.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

PATH = "/slack/events"
FORM = "application/x-www-form-urlencoded"
TEAM = "T0FIRM"
ALICE = "U0ALICE"


class Driver:
    """One HTTP/1.1 keep-alive connection to the server under test."""

    def __init__(self, host: str, port: int, path: str, secret: str) -> None:
        self.host, self.port, self.path, self.secret = host, port, path, secret
        self.conn = http.client.HTTPConnection(host, port, timeout=30)

    def headers(self, body: str, ctype: str) -> dict[str, str]:
        stamp = str(int(time.time()))
        digest = hmac.new(self.secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
        return {"Content-Type": ctype, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}",
                "Connection": "keep-alive"}

    def one(self, body: str, ctype: str) -> dict[str, float | int]:
        payload = body.encode()
        headers = self.headers(body, ctype)
        for attempt in (1, 2):
            t0 = time.monotonic()
            start = time.perf_counter()
            try:
                self.conn.request("POST", self.path, body=payload, headers=headers)
                response = self.conn.getresponse()
                response.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()  # the server closed the keep-alive connection: reconnect once
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                if attempt == 2:
                    return {"t0": t0, "lat": time.perf_counter() - start, "status": 0}
                continue
            return {"t0": t0, "lat": time.perf_counter() - start, "status": response.status}
        raise AssertionError("unreachable")


class Client:
    """The load-generating subprocess (bench/http_client.py) talking to one server."""

    def __init__(self, served: Any, secret: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.http_client", "127.0.0.1", str(served.port), PATH,
                                      secret], cwd=Path(__file__).resolve().parent.parent, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def _ask(self, order: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(order) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def one(self, body: str) -> dict[str, Any]:
        return self._ask({"op": "one", "body": body, "ctype": FORM})

    def burst(self, bodies: list[str], limit_s: float) -> list[dict[str, Any]]:
        return self._ask({"op": "burst", "items": [{"body": b, "ctype": FORM} for b in bodies],
                          "limit_s": limit_s})["results"]

    def storm(self, bodies: list[str]) -> list[dict[str, Any]]:
        """All at once, one connection each."""
        return self._ask({"op": "storm", "items": [{"body": b, "ctype": FORM} for b in bodies]})["results"]

    def close(self) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.proc.stdin.close()
            self.proc.wait(10)
        except Exception:  # the client is ours; make sure it is gone
            self.proc.kill()


class Bodies:
    """Signed-later request bodies exactly as Slack sends them, each with its own trigger_id and response_url."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.ids = itertools.count(1)

    def slash(self, text: str, channel: str) -> str:
        n = next(self.ids)
        return urlencode({"token": "legacy", "team_id": TEAM, "team_domain": "firm", "channel_id": channel,
                          "channel_name": "breach", "user_id": ALICE, "user_name": "alice", "command": "/breach",
                          "text": text, "api_app_id": "A0BREACH", "is_enterprise_install": "false",
                          "response_url": self.fake.response_url(f"r{n}"), "trigger_id": f"bench.{n}"})

    def button(self, action_id: str, value: str, channel: str, message_ts: str) -> str:
        n = next(self.ids)
        payload = {"type": "block_actions", "team": {"id": TEAM, "domain": "firm"},
                   "user": {"id": ALICE, "team_id": TEAM}, "api_app_id": "A0BREACH", "trigger_id": f"bench.b{n}",
                   "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
                   "channel": {"id": channel}, "response_url": self.fake.response_url(f"b{n}"),
                   "actions": [{"type": "button", "block_id": "b", "action_id": action_id, "value": value,
                                "text": {"type": "plain_text", "text": "Done"}, "action_ts": f"{time.time():.6f}"}]}
        return urlencode({"payload": json.dumps(payload)})


def storm(host: str, port: int, path: str, secret: str, items: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Every request at the same moment, each on a connection of its own (connected beforehand)."""
    import threading

    drivers = [Driver(host, port, path, secret) for _ in items]
    for driver in drivers:
        driver.conn.connect()
    gate = threading.Barrier(len(items))
    results: list[dict[str, Any]] = [{} for _ in items]

    def fire(n: int) -> None:
        gate.wait()
        results[n] = drivers[n].one(items[n]["body"], items[n]["ctype"])

    threads = [threading.Thread(target=fire, args=(n,)) for n in range(len(items))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for driver in drivers:
        driver.conn.close()
    return results


def main() -> None:
    host, port, path, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    driver = Driver(host, port, path, secret)
    for line in sys.stdin:
        order = json.loads(line)
        if order["op"] == "quit":
            break
        if order["op"] == "one":
            answer: dict = driver.one(order["body"], order["ctype"])
        elif order["op"] == "storm":
            answer = {"results": storm(host, port, path, secret, order["items"])}
        else:
            results = []
            end = time.monotonic() + float(order.get("limit_s", 30))
            for item in order["items"]:
                if time.monotonic() > end:
                    break
                results.append(driver.one(item["body"], item["ctype"]))
            answer = {"results": results}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
