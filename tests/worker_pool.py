"""Warm bot workers for the deploy test (not a test module): each one a process of its own, started in milliseconds.

python -m tests.worker_pool URL SCHEMA NOW DIR SECONDS
Imports the bot and builds it once on URL (PostgreSQL schema SCHEMA, or '-'), with a virtual clock at NOW: the
imports, the playbook, the regimes and the message catalogue are what makes `breachbot worker` slow to start (2-3 s
on 2 cores). Then, for each line `fork N` on stdin, it forks a worker that drops the inherited connection pool,
writes `ready N PID` on stdout and waits for SIGUSR2 (the go-ahead); then it runs as `breachbot worker` does
(handlers.cli's _with_schedulers: the alert scheduler, SIGTERM handled) with every send recorded in DIR/wN.jsonl
(each send taking SECONDS, its beginning noted in DIR/wN.jsonl.began) and its stderr in DIR/wN.err. When a worker
ends, `exit N RC` is written on stdout. The pool ends with its stdin, killing any worker still running.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
from datetime import datetime
from pathlib import Path

import bot.scheduler  # noqa: F401  (what _with_schedulers imports when it starts: here, before the fork)
import handlers.shutdown  # noqa: F401
from bot.app import Breachbot, create_app
from bot.chat import Message, MessageRef
from bot.clock import VirtualClock
from bot.settings import Settings
from bot.text.i18n import catalogue
from handlers.cli import _with_schedulers
from storage.db import make_engine
from tests.worker_process import RecordingChat

GO = signal.SIGUSR2


class MarkingChat(RecordingChat):
    """Also notes in OUT.began when a send begins (before its SECONDS), so a test can stop a worker mid-send."""

    def _record(self, op: str, target: str, message: Message) -> MessageRef:
        with Path(f"{self.out}.began").open("a", encoding="utf-8") as handle:
            handle.write(f"{op} {target}\n")
        return super()._record(op, target, message)


def build(url: str, schema: str, now: str, delay: float) -> Breachbot:
    """The bot as a running `breachbot worker` has it, with no connection left open (each worker makes its own)."""
    kwargs = (
        {"connect_args": {"options": f"-csearch_path={schema}", "application_name": schema}}
        if schema != "-"
        else {}
    )
    engine = make_engine(url, **kwargs)
    where = {"database_url": url, "timezone": "Asia/Shanghai", "config_file": "/nonexistent/breachbot.toml"}
    settings = Settings(_env_file=None, **where)  # type: ignore[arg-type]
    bot = create_app(
        settings,
        chat=MarkingChat(Path(os.devnull), None, delay),
        clock=VirtualClock(datetime.fromisoformat(now)),
        engine=engine,
    )
    catalogue(bot.lang)  # what a worker reads at its first message, read once here
    bot.next_wakeup()  # and its first queries, compiled once (SQLAlchemy caches them on the engine)
    engine.dispose()
    return bot


def work(bot: Breachbot, n: int, folder: Path) -> int:
    """In the forked worker: wait for the go-ahead, then serve until SIGTERM; returns the exit status."""
    err = os.open(folder / f"w{n}.err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(err, 2)
    sys.stderr = os.fdopen(2, "w", buffering=1)
    # The parent's pool is not ours (SQLAlchemy: "using connection pools with multiprocessing or os.fork()").
    bot.engine.dispose(close=False)
    # Connected, as `breachbot worker` is (its migration check) before it takes work.
    with bot.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    bot.chat.out = folder / f"w{n}.jsonl"  # type: ignore[attr-defined]
    bot.worker_id = f"pool-{n}-{os.getpid()}"
    signal.pthread_sigmask(signal.SIG_BLOCK, {GO})
    os.write(1, f"ready {n} {os.getpid()}\n".encode())
    signal.sigwait({GO})
    try:
        _with_schedulers([bot], threading.Event().wait)
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


def main(argv: list[str]) -> int:
    url, schema, now, folder, delay = argv[:5]
    bot = build(url, schema, now, float(delay))
    assert threading.active_count() == 1, "nothing may run in a thread before a fork"
    workers: dict[int, int] = {}

    def reap(_signum: int, _frame: object) -> None:
        while workers:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            os.write(1, f"exit {workers.pop(pid)} {os.waitstatus_to_exitcode(status)}\n".encode())

    signal.signal(signal.SIGCHLD, reap)
    for line in sys.stdin:
        n = int(line.split()[1])
        # Blocked until the worker is known: one that ends at once is still reported.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
            code = work(bot, n, Path(folder))
            sys.stderr.flush()
            os._exit(code)
        workers[pid] = n
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
    for pid in list(workers):  # still running when the test ended (it failed): nothing is left behind
        os.kill(pid, signal.SIGKILL)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
