"""Deploys during a run: 50 worker processes in turn on PostgreSQL (20 on SQLite), each stopped with SIGTERM (an
ordinary deploy) in the middle of a send or of composing an alert, the next one started; every message is delivered
once, none twice.

A restart is cheap here the way a rolling deploy makes it cheap: the next process has built the bot (imports,
playbook, regimes) before the old one is told to stop, so a cycle is the scheduler's start, a few sends and the
stop (tests/worker_pool.py forks each worker, with a pool of its own, from a process that built the bot once).
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from storage.models import Alert, OutboundMessage
from tests.conftest import START, make_console
from tests.test_processes import ROOT, _target, sent

# Production deploys run on PostgreSQL: 50 restarts there; a one-machine SQLite deployment gets the same mix in 20.
RESTARTS = {"postgresql": 50, "sqlite": 20}
PER_INCIDENT = 11  # messages each incident has due at MOMENT
# Every phase but the last two overdue: reminders, escalations, questions.
MOMENT = START + timedelta(hours=100)
GO = signal.SIGUSR2


def busy(engine, restarts: int) -> None:
    """Incidents four days on, each with eleven reminders, escalations, role prompts and questions due at once:
    enough that the workers that are stopped (4 messages every 3 at most, see stop_point) never run out."""
    console = make_console(engine)
    for n in range(restarts * 4 // 3 // PER_INCIDENT + 1):
        console.say("alice", f"/breach declare Payroll export {n} leaked")


def undelivered(engine) -> int:
    with Session(engine) as s:
        return len(
            s.exec(
                select(OutboundMessage.id).where(col(OutboundMessage.state).in_(("pending", "sending")))
            ).all()
        ) + len(
            s.exec(
                select(Alert.id).where(
                    Alert.fire_at <= MOMENT, col(Alert.state).in_(("pending", "claimed", "queued"))
                )
            ).all()
        )


def composing(engine, worker: str) -> bool:
    """Whether the worker holds the claim on an alert: it is composing it, or saying it."""
    with Session(engine) as s:
        return (
            s.exec(select(Alert.id).where(Alert.claimed_by == worker, Alert.state == "claimed")).first()
            is not None
        )


def began(out: Path) -> int:
    """How many sends the worker has begun (tests/worker_pool.py notes each before it takes its time)."""
    marks = Path(f"{out}.began")
    return len(marks.read_text(encoding="utf-8").splitlines()) if marks.exists() else 0


class Pool:
    """tests/worker_pool.py: `fork(n)` starts worker n (built, waiting for the go-ahead); its lines are awaited."""

    def __init__(self, engine, folder: Path, delay: float) -> None:
        url, schema = _target(engine)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.worker_pool",
                url,
                schema,
                MOMENT.isoformat(),
                str(folder),
                str(delay),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: dict[tuple[str, int], int] = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            self.lines.put(line)
        self.lines.put("")

    def fork(self, n: int) -> None:
        self.proc.stdin.write(f"fork {n}\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]

    def wait(self, what: str, n: int, timeout: float = 60) -> int:
        """The pid of `ready n`, or the exit status of `exit n`."""
        deadline = time.monotonic() + timeout
        while (what, n) not in self.seen:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no '{what} {n}' within {timeout} s") from None
            assert line, f"the pool ended: {self.proc.communicate()[1][-3000:]}"
            self._note(line)
        return self.seen[(what, n)]

    def _note(self, line: str) -> None:
        if line:
            kind, number, value = line.split()
            self.seen[(kind, int(number))] = int(value)

    def close(self) -> None:
        """End the pool (it kills a worker that a failed test left running)."""
        self.proc.stdin.close()  # type: ignore[union-attr]
        self.proc.wait(timeout=30)


def stop_point(engine, out: Path, worker: str, mode: int | None) -> None:
    """Wait for the moment to stop the worker: (0) while it composes its first alert, or else in its first send;
    (1) in the middle of its first send; (2) in the middle of its second; (None) once nothing is left to say."""
    deadline = time.monotonic() + 60
    polls = 0
    while True:
        if mode is not None and (began(out) > max(mode - 1, 0) or mode == 0 and composing(engine, worker)):
            return
        polls += 1
        if (mode is None or polls % 20 == 0) and not undelivered(engine):
            return
        assert time.monotonic() < deadline, f"{worker} began {began(out)} sends, not {mode}, within 60 s"
        time.sleep(0.005)


def test_fifty_workers_stopped_with_sigterm_mid_run_send_nothing_twice(engine, tmp_path):
    restarts = RESTARTS[engine.dialect.name]
    started = time.monotonic()
    pool = Pool(engine, tmp_path, 0.03)  # builds the bot while the incidents are declared
    busy(engine, restarts)
    stops: list[float] = []
    mid_send = 0
    try:
        pool.fork(0)
        for n in range(restarts + 1):
            pid = pool.wait("ready", n)
            last = n == restarts  # the one after the last deploy finishes the run
            if not last:
                pool.fork(n + 1)  # the next deploy's process is built while this one works
            os.kill(pid, GO)
            out = tmp_path / f"w{n}.jsonl"
            stop_point(engine, out, f"pool-{n}-{pid}", None if last else n % 3)
            assert last or undelivered(engine), f"the work ran out after {n} restarts"
            stopping = time.monotonic()
            os.kill(pid, signal.SIGTERM)
            mid_send += len(sent(out)) < began(out)
            status = pool.wait("exit", n)
            stops.append(time.monotonic() - stopping)
            err = (tmp_path / f"w{n}.err").read_text(encoding="utf-8")
            assert status == 0, err[-3000:]
            assert "Traceback" not in err, err[-3000:]
            assert len(sent(out)) == began(out)  # what it had begun, it finished
    finally:
        pool.close()
    outs = [tmp_path / f"w{n}.jsonl" for n in range(restarts + 1)]
    got = [(g["op"], g["target"], g["text"]) for g in sent(*outs)]
    print(
        f"{len(got)} sends by {restarts + 1} processes in {time.monotonic() - started:.1f} s, {mid_send} stopped "
        f"mid-send; SIGTERM to exit: median {sorted(stops)[len(stops) // 2]:.3f} s, max {max(stops):.3f} s"
    )
    twice = [what for what, times in Counter(got).items() if times > 1]
    assert twice == []  # exactly once across every stop
    assert undelivered(engine) == 0
    assert mid_send >= restarts // 2  # most stops came in the middle of a send (2 in 3 are aimed there)
    assert len([o for o in outs if sent(o)]) >= restarts // 2  # the work really was split between processes
    assert max(stops) < 5  # a deploy is not held up by the stopping worker
    with Session(engine) as s:
        assert s.exec(select(OutboundMessage).where(OutboundMessage.state == "sent")).all()
