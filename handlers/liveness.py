"""Is the bot alive? What `/healthz` of `breachbot serve` and `breachbot worker` reports, and the watch
that reconnects a Socket Mode connection gone quiet.

A WebSocket can stay "connected" while nothing arrives any more (a socket wedged after a reconnect,
reported upstream in slackapi/python-slack-sdk); Slack pings a live connection every few seconds, so
silence longer than `silence` seconds means it is dead: the watch opens a new connection
(apps.connections.open) and says so in the log. The scheduler sweeps every 30 s; a last sweep older
than three sweeps means its thread stopped, and /healthz answers 503.

The database is probed on a thread of its own, at most one probe at a time, and /healthz answers
from the last result: a request waits for a probe at most PROBE_WAIT seconds, so a partitioned
database never holds the web threads Slack's requests need (a probe still running after
PROBE_WAIT seconds counts as the database unreachable).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, jsonify
from sqlalchemy import Engine, text

from bot.scheduler import SWEEP_EVERY, AlertScheduler

log = logging.getLogger("breachbot.liveness")
SILENCE = 120.0  # seconds without a message or a ping before Socket Mode reconnects
CHECK_EVERY = 15.0
STALL_GRACE = timedelta(seconds=5)
PROBE_EVERY = 5.0  # a probe result younger than this is reused
PROBE_WAIT = 1.0  # the longest a /healthz request waits for a probe; one running longer: unreachable


class DatabaseProbe:
    """`select 1` on a thread of its own; `state()` answers from the last result within `wait` seconds."""

    def __init__(self, engine: Engine, *, every: float = PROBE_EVERY, wait: float = PROBE_WAIT,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.engine, self.every, self.wait, self.clock = engine, every, wait, clock
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._running_since: float | None = None
        self.checked_at: float | None = None
        self.ok = False
        self.error = ""

    def _probe(self) -> None:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("select 1"))
            ok, error = True, ""
        except Exception as exc:  # the health check reports, it does not raise
            ok, error = False, str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            log.warning("health check: database unreachable: %s", error)
        with self._lock:
            self.ok, self.error, self.checked_at, self._running_since = ok, error, self.clock(), None
            self._done.set()

    def state(self) -> tuple[str, float | None]:
        """'ok' or 'unreachable', and the age in seconds of the result it rests on."""
        with self._lock:
            now = self.clock()
            fresh = self.checked_at is not None and now - self.checked_at < self.every
            if not fresh and self._running_since is None:
                self._running_since = now
                self._done.clear()
                threading.Thread(target=self._probe, name="healthz-db-probe", daemon=True).start()
            done = self._done
        if not fresh:
            done.wait(self.wait)
        with self._lock:
            now = self.clock()
            age = None if self.checked_at is None else round(now - self.checked_at, 1)
            stuck = self._running_since is not None and now - self._running_since >= self.wait
            return ("ok" if self.ok and not stuck and self.checked_at is not None else "unreachable"), age


class SocketWatch:
    """Counts a Socket Mode client's messages and pongs; reconnects it when nothing came for `silence` s."""

    def __init__(self, client: Any, *, silence: float = SILENCE, every: float = CHECK_EVERY,
                 clock: Callable[[], float] = time.time) -> None:
        self.client, self.silence, self.every, self.clock = client, silence, every, clock
        self.last_message = clock()
        self.reconnects = 0
        self._stop = threading.Event()
        client.on_message_listeners.append(self.heard)

    def heard(self, _message: object = None) -> None:
        """A message (an event, a hello, a disconnect warning) arrived."""
        self.last_message = self.clock()

    def last_heard(self) -> float:
        """The later of the last message and the last ping or pong of the current connection."""
        session = getattr(self.client, "current_session", None)
        pong = getattr(session, "last_ping_pong_time", None) if session is not None else None
        return max(self.last_message, float(pong or 0))

    def check(self) -> bool:
        """Reconnect when the connection has been silent too long; True when it did."""
        silent = self.clock() - self.last_heard()
        if silent <= self.silence:
            return False
        log.warning("Socket Mode: nothing received for %.0f s; opening a new connection", silent)
        self.reconnects += 1
        self.last_message = self.clock()  # the new connection gets its own `silence` to speak
        try:
            self.client.connect_to_new_endpoint(force=True)
        except Exception:
            log.exception("Socket Mode: reconnecting failed; trying again in %.0f s", self.every)
        return True

    def start(self) -> None:
        """Check every `every` seconds on a daemon thread until `stop`."""
        def run() -> None:
            while not self._stop.wait(self.every):
                self.check()
        threading.Thread(target=run, name="socket-watch", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def report(self) -> dict[str, Any]:
        """The connection as /healthz shows it."""
        return {"connected": bool(self.client.is_connected()), "reconnects": self.reconnects,
                "last_message_age_s": round(self.clock() - self.last_heard(), 1), "silence_limit_s": self.silence}


class Liveness:
    """What a process reports at /healthz: the database, each scheduler's last sweep, the socket."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.database = DatabaseProbe(engine)
        self.schedulers: list[AlertScheduler] = []
        self.socket: SocketWatch | None = None
        self.platforms: list[str] = []

    def report(self) -> tuple[dict[str, Any], int]:
        """The health report and its HTTP status (503 when something is down)."""
        body: dict[str, Any] = {"status": "ok", "database": "ok", "platforms": self.platforms}
        database, age = self.database.state()
        body["database_checked_s_ago"] = age
        if database != "ok":
            body.update(status="error", database=database)
        now = datetime.now(UTC)
        if self.schedulers:
            seen = [s.last_tick or s.started_at for s in self.schedulers]
            ages = [round((now - t).total_seconds(), 1) for t in seen if t is not None]
            body["scheduler"] = {"last_tick_age_s": max(ages, default=None),
                                 "sweep_every_s": SWEEP_EVERY.total_seconds()}
            if any(age > (3 * SWEEP_EVERY + STALL_GRACE).total_seconds() for age in ages):
                body["status"] = "error"
                body["scheduler"]["stalled"] = True
        if self.socket is not None:
            body["socket_mode"] = self.socket.report()
            if self.socket.clock() - self.socket.last_heard() > 2 * self.socket.silence:
                body.update(status="error")
        return body, 200 if body["status"] == "ok" else 503


def add_healthz(app: Flask, liveness: Liveness) -> None:
    """GET /healthz on `app`."""
    @app.get("/healthz")
    def health() -> Any:
        body, status = liveness.report()
        return jsonify(body), status


def serve_health(liveness: Liveness, *, port: int) -> threading.Thread:
    """/healthz alone on `port` (the worker's), served by waitress on a daemon thread."""
    app = Flask("breachbot-health")
    add_healthz(app, liveness)

    def run() -> None:
        from waitress import serve

        serve(app, host="0.0.0.0", port=port, threads=1)  # noqa: S104 - a health port, like $PORT
    thread = threading.Thread(target=run, name="healthz", daemon=True)
    thread.start()
    return thread
