"""APScheduler wakes the bot when an alert falls due. The database stays the record:
jobs are rebuilt from pending alerts at start and whenever alerts change, and a sweep
catches anything another process scheduled or a lease that ran out.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler

from bot import deadlines

if TYPE_CHECKING:
    from bot.app import Breachbot

log = logging.getLogger("breachbot.scheduler")
SWEEP_EVERY = timedelta(seconds=30)
JOB_PREFIX = "alert-"


class AlertScheduler:
    """One APScheduler job per pending alert, plus a periodic sweep."""

    def __init__(self, bot: Breachbot, scheduler: BaseScheduler | None = None) -> None:
        self.bot = bot
        self.scheduler = scheduler or BackgroundScheduler(timezone=UTC)
        self._lock = threading.Lock()

    def start(self, *, paused: bool = False) -> None:
        """Rebuild jobs from the database, start, and follow later changes."""
        self.rebuild()
        self.scheduler.add_job(self.tick, "interval", seconds=SWEEP_EVERY.total_seconds(), id="sweep",
                               replace_existing=True, coalesce=True, max_instances=1)
        self.scheduler.start(paused=paused)
        self.bot.on_schedule_change.append(self.rebuild)

    def shutdown(self) -> None:
        """Stop without waiting for jobs that have not started."""
        if self.bot.on_schedule_change and self.rebuild in self.bot.on_schedule_change:
            self.bot.on_schedule_change.remove(self.rebuild)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)


    def rebuild(self) -> int:
        """Make the jobs match the pending alerts in the database; returns how many are armed."""
        with self._lock:
            with self.bot.unit() as session:
                pending = deadlines.pending(session)
            wanted = {f"{JOB_PREFIX}{a.id}": a.fire_at for a in pending}
            # The bot's clock may run ahead of the wall clock (a console that skipped time).
            shift = self.bot.now() - datetime.now(UTC)
            for job in self.scheduler.get_jobs():
                if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
                    job.remove()
            for job_id, fire_at in wanted.items():
                self.scheduler.add_job(self.tick, "date", run_date=fire_at - shift, id=job_id,
                                       replace_existing=True, misfire_grace_time=None, coalesce=True)
            return len(wanted)

    def job_times(self) -> dict[str, datetime]:
        """Armed alert jobs and when they run (for tests and `doctor`)."""
        return {job.id: job.trigger.run_date for job in self.scheduler.get_jobs() if job.id.startswith(JOB_PREFIX)}

    def tick(self) -> None:
        """Send whatever is due now."""
        try:
            self.bot.run_due()
        except Exception:
            log.exception("sending due alerts failed; the sweep will try again")
        try:
            self.bot.flush_outbox()
        except Exception:
            log.exception("retrying kept messages failed; the sweep will try again")
