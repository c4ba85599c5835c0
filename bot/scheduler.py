"""APScheduler wakes the bot when an alert falls due. The database stays the record:
the wake-up is armed from pending alerts at start and whenever alerts change, and a sweep
catches anything another process scheduled or a lease that ran out.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler

from bot.flows import restart, send_returns, send_runner

if TYPE_CHECKING:
    from bot.app import Breachbot

log = logging.getLogger("breachbot.scheduler")
SWEEP_EVERY = timedelta(seconds=30)
WAKE_JOB = "next-alert"
WAKE_INSTANCES = 3  # ticks of the wake-up that may overlap (each claims its alerts in the database)
RETURNS_EVERY = timedelta(minutes=5)  # how often the bounce mailbox and SMS receipts are read


class AlertScheduler:
    """One APScheduler job at the moment the earliest pending alert (or kept message) is due, plus a sweep.

    Arming it is one indexed query, whatever the number of pending alerts; after every run, and after
    every command that may have changed what is due, it is armed again from the database.
    """

    def __init__(self, bot: Breachbot, scheduler: BaseScheduler | None = None) -> None:
        self.bot = bot
        self.scheduler = scheduler or BackgroundScheduler(timezone=UTC)
        self._lock = threading.Lock()
        self._returns_read = datetime.min.replace(tzinfo=UTC)
        self._closed = False  # set under _lock by shutdown: no job is added after it (see shutdown)
        self.started_at: datetime | None = None  # wall clock, for /healthz (handlers/liveness.py)
        self.last_tick: datetime | None = None

    def start(self, *, paused: bool = False) -> None:
        """Count again the open clocks counted with other holidays than now (restart.recount_holidays), arm the
        wake-up from the database, start, and follow later changes."""
        try:
            restart.recount_holidays(self.bot)
        except Exception:  # the database is down: reminders still start; the next fact change counts them
            log.exception("could not check open clocks against the holidays at start")
        self.rebuild()
        self.scheduler.add_job(self.tick, "interval", seconds=SWEEP_EVERY.total_seconds(), id="sweep",
                               replace_existing=True, coalesce=True, max_instances=1)
        self.scheduler.start(paused=paused)
        self.started_at = datetime.now(UTC)
        self.bot.on_schedule_change.append(self.rebuild)

    def shutdown(self, *, wait: bool = False) -> None:
        """Stop; jobs that have not started never will, a running one is waited for when `wait`."""
        if self.bot.on_schedule_change and self.rebuild in self.bot.on_schedule_change:
            self.bot.on_schedule_change.remove(self.rebuild)
        # APScheduler's shutdown holds its job-store lock while it waits for the running job; a running tick
        # that then re-arms the wake-up (add_job needs that lock) would wait for ever. Closed first, under our
        # lock, no rebuild adds a job any more.
        with self._lock:
            self._closed = True
        if self.scheduler.running:
            # Emptied while still running: APScheduler's own thread, handing a due wake-up to the executor as
            # shutdown begins, removes the spent date job from the stopped store and dies on JobLookupError
            # (a traceback at the end of piped console input). Taking the jobs out first waits for that round.
            self.scheduler.remove_all_jobs()
            self.scheduler.shutdown(wait=wait)

    def rebuild(self) -> datetime | None:
        """Arm the wake-up job at the next moment something is due (bot time); returns that moment."""
        with self._lock:
            if self._closed:
                return None
            wake = self.bot.next_wakeup()
            if wake is None:
                try:  # a wake-up that just fired is already gone (APScheduler removes a spent date job)
                    self.scheduler.remove_job(WAKE_JOB)
                except JobLookupError:
                    pass
                return None
            # The bot's clock may run ahead of the wall clock (a console that skipped time).
            shift = self.bot.now() - datetime.now(UTC)
            # Armed again while the wake-up's own tick (or a command's) is still finishing: it runs beside it
            # (alerts are claimed in the database) rather than being skipped as "maximum number of running
            # instances reached" and lost until the next sweep.
            self.scheduler.add_job(self.tick, "date", run_date=wake - shift, id=WAKE_JOB, replace_existing=True,
                                   misfire_grace_time=None, coalesce=True, max_instances=WAKE_INSTANCES)
            return wake

    def job_times(self) -> dict[str, datetime]:
        """The armed wake-up (for tests and `doctor`)."""
        job = self.scheduler.get_job(WAKE_JOB)
        return {WAKE_JOB: job.trigger.run_date} if job else {}

    def tick(self) -> None:
        """Send whatever is due now, then arm the next wake-up (nothing new once the process is stopping)."""
        if self.bot.stopping.is_set():
            return
        try:
            self.bot.run_due()
        except Exception:
            log.exception("sending due alerts failed; the sweep will try again")
        try:
            self.bot.flush_outbox()
        except Exception:
            log.exception("retrying kept messages failed; the sweep will try again")
        if self.bot.stopping.is_set():
            return
        try:
            send_runner.run_sends(self.bot)
        except Exception:
            log.exception("sending notices failed; the sweep will try again")
        now = datetime.now(UTC)
        if now - self._returns_read >= RETURNS_EVERY:
            self._returns_read = now
            try:
                send_returns.check_returns(self.bot)
            except Exception:
                log.exception("reading bounces and SMS receipts failed; the sweep will try again")
        try:
            self.rebuild()
        except Exception:
            log.exception("could not arm the next wake-up; the sweep will")
        self.last_tick = datetime.now(UTC)
