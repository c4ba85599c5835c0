"""Deploys and crashes during a run: worker processes stopped with SIGTERM (an ordinary deploy) again
and again while they send, and started again; every message is delivered once, none twice."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta

from sqlmodel import Session, col, select

from storage.models import Alert, OutboundMessage
from tests.conftest import START, make_console
from tests.test_processes import sent, spawn

RESTARTS = 6


def busy(engine) -> None:
    """Two incidents two hours on: reminders, escalations, role prompts and questions due at once."""
    console = make_console(engine)
    for title in ("Payroll export leaked", "Laptop stolen"):
        console.say("alice", f"/breach declare {title}")


def undelivered(engine) -> int:
    with Session(engine) as s:
        return len(s.exec(select(OutboundMessage.id).where(col(OutboundMessage.state).in_(("pending", "sending"))))
                   .all()) + len(s.exec(select(Alert.id).where(Alert.fire_at <= START + timedelta(hours=2),
                                                               col(Alert.state).in_(("pending", "claimed", "queued"))))
                                 .all())


def stopped(worker, timeout: float = 120) -> str:
    """Wait for a SIGTERM'd worker; one that does not stop fails the test with every thread's stack."""
    try:
        return worker.communicate(timeout=timeout)[1]
    except subprocess.TimeoutExpired:
        worker.send_signal(signal.SIGUSR1)  # faulthandler in tests/worker_process.py dumps the stacks
        time.sleep(2)
        worker.kill()
        _, err = worker.communicate()
        raise AssertionError(f"the worker did not stop within {timeout} s of SIGTERM:\n{err[-8000:]}") from None


def test_workers_stopped_with_sigterm_mid_run_send_nothing_twice(engine, tmp_path):
    busy(engine)
    moment = START + timedelta(hours=2)
    outs = []
    for n in range(RESTARTS):
        out = tmp_path / f"w{n}.jsonl"
        outs.append(out)
        worker = spawn(engine, moment, out, "--serve", "0.05")
        deadline = time.monotonic() + 120
        want = 1 + n % 3  # stopped after one, two or three sends of its own
        while len(sent(out)) < want and undelivered(engine):
            assert worker.poll() is None, worker.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "the worker sent nothing"
            time.sleep(0.02)
        worker.send_signal(signal.SIGTERM)
        err = stopped(worker)
        assert worker.returncode == 0, err[-3000:]
        assert "Traceback" not in err, err[-3000:]
        if not undelivered(engine):
            break
    else:
        last = spawn(engine, moment, tmp_path / "last.jsonl")  # whatever is left, by a plain run
        last.communicate(timeout=120)
        outs.append(tmp_path / "last.jsonl")
    got = [(g["op"], g["target"], g["text"]) for g in sent(*outs)]
    print(f"{len(got)} sends by {len(outs)} processes")
    twice = [what for what, times in Counter(got).items() if times > 1]
    assert twice == []  # exactly once across every stop
    assert undelivered(engine) == 0
    assert len([o for o in outs if sent(o)]) >= 3  # the work really was split between processes
    with Session(engine) as s:
        assert s.exec(select(OutboundMessage).where(OutboundMessage.state == "sent")).all()
