"""SIGTERM (an ordinary deploy or restart): stop taking new work, finish what is in flight, exit 0.

The handler marks every bot as stopping (the outbox claims no new row, the scheduler starts no new
sweep, no new alert is claimed) and leaves the main thread's wait (waitress, Socket Mode, the
worker's idle loop) with SystemExit; the caller's `finally` then waits for the scheduler's running
sweep, which finishes and confirms the message it is sending and stops. What was not started stays
in the database for the next process: nothing is sent twice and nothing is lost.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger("breachbot")


@contextmanager
def stop_on_sigterm(bots: list[Any]) -> Iterator[None]:
    """While inside: SIGTERM sets each bot's `stopping` and raises SystemExit(0) in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: object) -> None:
        log.info("SIGTERM: finishing what is in flight, taking no new work")
        for bot in bots:
            bot.stopping.set()
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
