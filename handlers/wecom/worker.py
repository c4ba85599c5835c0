"""Slow work after the HTTP answer: one background thread, in arrival order, and MsgIds seen once.

WeCom waits 5 seconds for an answer and then retries the same MsgId (three times), so the
endpoint answers at once and hands the command to this worker. One thread keeps each
person's commands in the order they were typed.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable

log = logging.getLogger("breachbot.wecom")


class Worker:
    """A queue and one daemon thread, started on the first job; `drain()` waits for the queue to empty."""

    def __init__(self, name: str = "breachbot-wecom") -> None:
        self.name = name
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], None]) -> None:
        """Run `job` in the background, after the jobs before it."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
        self._queue.put(job)

    def drain(self) -> None:
        """Block until every submitted job has finished (tests, and a graceful shutdown)."""
        self._queue.join()

    def stop(self) -> None:
        """Finish the queued jobs, then end the thread."""
        with self._lock:
            thread = self._thread
            self._thread = None
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                job()
            except Exception:  # one failed command must not stop the ones behind it
                log.exception("WeCom job failed")
            finally:
                self._queue.task_done()


class SeenDeliveries:
    """The last `size` delivery keys, so a retried MsgId is handled once per process."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: str) -> bool:
        """True the first time a key is offered, False for every repeat still remembered."""
        with self._lock:
            if key in self._keys:
                self._keys.move_to_end(key)
                return False
            self._keys[key] = None
            if len(self._keys) > self.size:
                self._keys.popitem(last=False)
            return True
