"""The scheduler's own threads never die on a race with a command or with shutdown."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED

from bot.clock import OffsetClock
from bot.scheduler import WAKE_JOB, AlertScheduler
from tests.conftest import START, make_console


class _HeldRound(MemoryJobStore):
    """A job store whose first round with the wake-up due waits (2 s at most) until the scheduler is stopping:
    the moment piped console input ends just as an overdue alert's wake-up is handed to the executor."""

    def __init__(self) -> None:
        super().__init__()
        self.due_round = threading.Event()

    def get_due_jobs(self, now):
        due = super().get_due_jobs(now)
        if any(job.id == WAKE_JOB for job in due) and not self.due_round.is_set():
            self.due_round.set()
            until = time.monotonic() + 2
            while self._scheduler.state != STATE_STOPPED and time.monotonic() < until:
                time.sleep(0.01)
        return due


def test_shutdown_as_the_wakeup_is_due_leaves_no_traceback(sqlite_engine, monkeypatch):
    console = make_console(sqlite_engine)
    console.say("alice", "/breach declare Payroll export leaked")
    # The reminder (10:50) is already due on this live clock: the wake-up is armed for now.
    console.bot.clock = OffsetClock((START + timedelta(minutes=46)) - datetime.now(UTC))
    died: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda hook: died.append(hook.exc_value))
    store = _HeldRound()
    aps = BackgroundScheduler(timezone=UTC, jobstores={"default": store})
    scheduler = AlertScheduler(console.bot, aps)
    scheduler.start()
    thread = aps._thread
    assert store.due_round.wait(timeout=10), "the wake-up never came due"
    scheduler.shutdown(wait=True)
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert died == []  # was JobLookupError: 'No job by the id of next-alert was found', in thread APScheduler


def test_disarming_a_wakeup_that_just_fired_is_no_error(quick):
    scheduler = AlertScheduler(quick.bot)
    scheduler.start(paused=True)
    try:
        fired = [False]
        real_get = scheduler.scheduler.get_job

        def seen_then_gone(job_id, jobstore=None):  # the wake-up was there when looked at, then ran and went
            fired[0] = True
            return object() if job_id == WAKE_JOB else real_get(job_id, jobstore)

        scheduler.scheduler.get_job = seen_then_gone  # type: ignore[method-assign]
        assert quick.bot.next_wakeup() is None
        assert scheduler.rebuild() is None
    finally:
        scheduler.shutdown()


def test_a_wakeup_armed_while_its_tick_runs_is_not_skipped(quick, caplog):
    quick.say("alice", "/breach declare Payroll export leaked")
    quick.bot.clock = OffsetClock((START + timedelta(minutes=46)) - datetime.now(UTC))  # the reminder is due
    first_in, release, calls = threading.Event(), threading.Event(), []
    real = quick.bot.run_due

    def run_due():
        calls.append(len(calls))
        if len(calls) == 1:  # the wake-up's tick is still busy sending
            first_in.set()
            release.wait(timeout=10)
        return real()

    quick.bot.run_due = run_due  # type: ignore[method-assign]
    scheduler = AlertScheduler(quick.bot)
    scheduler.start()
    try:
        assert first_in.wait(timeout=10)
        scheduler.rebuild()  # a command changed what is due meanwhile: the wake-up is armed again, for now
        until = time.monotonic() + 5
        while len(calls) < 2 and time.monotonic() < until:
            time.sleep(0.01)
        assert len(calls) >= 2, "the second wake-up was skipped"
    finally:
        release.set()
        scheduler.shutdown(wait=True)
    assert not [r for r in caplog.records if "maximum number of running instances" in r.getMessage()]
