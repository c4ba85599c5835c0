"""What every benchmark shares: settings, the local fake Slack, signing, HTTP serving, databases, figures."""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import logging
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from bot.settings import Settings
from storage.db import make_engine, upgrade

REPO = Path(__file__).resolve().parent.parent
SECRET = "bench-signing-secret-0123456789ab"
BOT_TOKEN = "xoxb-1-bench"
TEAM = "T0FIRM"
GENERAL = "C0GENERAL"
USERS = {"alice": "U0ALICE", "bob": "U0BOB", "erin": "U0ERIN", "frank": "U0FRANK"}
DATA_KEY = "x7cYt1r4dTtXnBQvHqUQ8cR0Zp8D2xjv9uF0h3YQm1c="  # a test key, like tests/conftest.py's
PG_URL = os.environ.get("BREACHBOT_BENCH_DATABASE_URL",
                        os.environ.get("BREACHBOT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"))


# -- figures ------------------------------------------------------------------------------------------
@dataclass
class Row:
    """One line of RESULTS.md: what was measured, the figure, what it is held against, and the verdict."""

    benchmark: str
    figure: str
    target: str = ""
    verdict: str = ""


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list: p99 of 1,000 values is the 990th smallest."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    """The median."""
    return statistics.median(values)


def ms(seconds: float) -> str:
    """Seconds as milliseconds, 2 significant decimals under 10 ms."""
    value = seconds * 1000
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def verdict(ok: bool, detail: str = "") -> str:
    """'met' or 'NOT met', with a detail."""
    word = "met" if ok else "**NOT met**"
    return f"{word} ({detail})" if detail else word


def say(line: str = "") -> None:
    """Print a figure as it is measured (flushed, so a long run shows progress)."""
    print(line, flush=True)


def machine() -> str:
    """The machine a run was made on, for RESULTS.md."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    arch = subprocess.run(["uname", "-m"], capture_output=True, text=True).stdout.strip() or platform.machine()
    return (f"`uname -m` {arch}, nproc {os.cpu_count()}{', ' + cpu if cpu else ''}, "
            f"Python {platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")


def rss_mb() -> float:
    """Resident memory of this process now (MB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak_rss() -> None:
    """Start a new high-water mark for resident memory (Linux: /proc/self/clear_refs, "5").

    ru_maxrss cannot be used for this: it also carries the parent's peak across fork and exec."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_rss_mb() -> float:
    """The high-water resident memory of this process since start or the last reset_peak_rss (MB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cli(run: Callable[[bool], list[Row]], doc: str, quick_help: str) -> None:
    """The command line of one benchmark: `python -m bench.<name> [--quick] [--rows-json PATH]`."""
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--rows-json", type=Path, help="also write the result rows here (bench.run reads them)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the bot's INFO/WARNING lines would drown the figures
    rows = run(args.quick)
    for row in rows:
        say(f"{row.benchmark}: {row.figure} | {row.target} | {row.verdict}")
    if args.rows_json:
        args.rows_json.write_text(json.dumps([asdict(r) for r in rows], ensure_ascii=False), encoding="utf-8")


# -- environment ------------------------------------------------------------------------------------
def loopback_only() -> None:
    """The fake Slack and the servers are on 127.0.0.1: never go through a proxy to reach them."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        os.environ.pop(name, None)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"


def settings(**overrides: Any) -> Settings:
    """Settings built without reading the environment or a .env file."""
    values: dict[str, Any] = {"lang": "en", "timezone": "Asia/Shanghai", "config_file": "/nonexistent/breachbot.toml",
                              "data_key": DATA_KEY, "firm_name": "Lotus & Co. Accountants",
                              "firm_contact": "privacy@lotus.example"}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def slack_settings(api_url: str, **overrides: Any) -> Settings:
    """Settings for HTTP-mode Slack pointing at the fake Web API."""
    return settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SECRET, slack_api_url=api_url, **overrides)


CLIENT_ID, CLIENT_SECRET = "1234.5678", "oauth-secret"  # the app's OAuth client (the fake checks them)


def oauth_settings(api_url: str, **overrides: Any) -> Settings:
    """Settings for HTTP-mode Slack installed in several workspaces (no single bot token: each team's from the
    installation store, as SLACK_CLIENT_ID and SLACK_CLIENT_SECRET make `breachbot serve` and `worker` do)."""
    return settings(slack_signing_secret=SECRET, slack_api_url=api_url, slack_client_id=CLIENT_ID,
                    slack_client_secret=CLIENT_SECRET, **overrides)


def start_fake() -> Any:
    """The repository's fake Slack Web API on 127.0.0.1 (zero latency), with #general and the firm's people."""
    from tests.slack.fake_slack import FakeSlack

    fake = FakeSlack().start()
    fake.add_channel(GENERAL, "general", members=tuple(USERS.values()))
    for name, user in USERS.items():
        fake.users[user] = {"id": user, "name": name, "real_name": name.title(), "profile": {"display_name": name}}
    return fake


class TimedList(list):
    """A list that also notes when each item arrived (time.monotonic, comparable across processes on Linux)."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []
        self._lock = threading.Lock()

    def append(self, item: Any) -> None:
        with self._lock:
            self.times.append(time.monotonic())
            super().append(item)


def time_fake(fake: Any) -> None:
    """Stamp every Web API call and response_url answer the fake receives."""
    fake.calls = TimedList()
    fake.responses = TimedList()


def sign(body: str, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 signature headers over a body."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


class CountingExecutor(ThreadPoolExecutor):
    """Bolt's default listener pool (5 threads), counting work in flight so a benchmark can wait for quiet."""

    def __init__(self, max_workers: int = 5) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="bolt-listener")
        self._busy = 0
        self._quiet = threading.Condition()
        self.quiet_at = 0.0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        with self._quiet:
            self._busy += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: Future) -> None:
        with self._quiet:
            self._busy -= 1
            if self._busy == 0:
                self.quiet_at = time.monotonic()
                self._quiet.notify_all()

    def busy(self) -> int:
        """How many submitted functions have not finished."""
        with self._quiet:
            return self._busy

    def wait_quiet(self, timeout: float) -> bool:
        """Wait until nothing is in flight; False if `timeout` seconds passed first."""
        end = time.monotonic() + timeout
        with self._quiet:
            while self._busy:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._quiet.wait(left)
        return True


@dataclass
class Served:
    """A WSGI app served by waitress on 127.0.0.1 in a background thread."""

    url: str
    port: int
    server: Any
    thread: threading.Thread

    def stop(self) -> None:
        self.server.close()
        try:
            self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        except TypeError:
            self.server.task_dispatcher.shutdown()
        self.thread.join(5)


def serve(app: Any, *, threads: int = 8) -> Served:
    """Serve `app` the way `breachbot serve` does (waitress, 8 threads), but on 127.0.0.1 and a free port."""
    from waitress import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=threads, ident="bench")
    port = server.effective_port
    thread = threading.Thread(target=server.run, name=f"waitress-{port}", daemon=True)
    thread.start()
    return Served(url=f"http://127.0.0.1:{port}", port=port, server=server, thread=thread)


# -- databases ------------------------------------------------------------------------------------------
@contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    """A temporary directory, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def sqlite_engine(prefix: str = "bench-") -> Iterator[Engine]:
    """A migrated SQLite file database in a temporary directory (WAL, as the product configures it)."""
    with workdir(prefix) as path:
        engine = make_engine(f"sqlite:///{path / 'bench.db'}")
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()


def _pg_sqlalchemy_url() -> str:
    return PG_URL.replace("postgresql://", "postgresql+psycopg://", 1) if PG_URL.startswith("postgresql://") else PG_URL


def postgres_answers() -> str | None:
    """None if the benchmark PostgreSQL answers, else why not."""
    try:
        engine = create_engine(_pg_sqlalchemy_url(), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means: skip and say why
        return str(exc).splitlines()[0]


@contextmanager
def postgres_engine(**kwargs: Any) -> Iterator[Engine]:
    """A migrated throwaway schema in the benchmark PostgreSQL (as tests/conftest.py does), dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_pg_sqlalchemy_url())
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(_pg_sqlalchemy_url(), connect_args={"options": f"-csearch_path={schema}"}, **kwargs)
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
