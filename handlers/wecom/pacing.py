"""WeCom's per-person limit on app messages, kept by the bot instead of being met by silence.

message/send: "每应用对同一个成员不可超过30次/分钟，1000次/小时，超过部分会被丢弃不下发"
(发送应用消息, developer.work.weixin.qq.com/document/path/90236): past 30 messages a minute to one
person WeCom still answers errcode 0 but drops the rest. So the bot counts what it sent to each person
and, before a message would be dropped, raises a temporary DeliveryError that names when it may go:
the outbox keeps it and sends it then, in order.

`handlers.wecom_shared.DatabasePace` keeps the count in the database (table `wecom_sent`), so every `serve` and `worker` on it counts
the same messages: two web processes each sending 30 a minute to one person would otherwise be 60, and half
dropped. Taking is one transaction per send: the rows are written first (on PostgreSQL under a per-person
advisory lock; SQLite has one writer at a time), then counted, and rolled back if they go past the limit.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

from bot.chat import DeliveryError

PER_MINUTE = 30
PER_HOUR = 1000


class Pace:
    """Messages sent to each person in the last minute and hour; says how long to wait before more."""

    def __init__(self, *, per_minute: int = PER_MINUTE, per_hour: int = PER_HOUR) -> None:
        self.limits = ((timedelta(minutes=1), per_minute), (timedelta(hours=1), per_hour))
        self._sent: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def take(self, users: list[str], count: int, now: datetime) -> None:
        """Count `count` messages to each of `users` as sent now, or raise (nothing counted) if one would
        go past WeCom's limit: DeliveryError("wecom_pace", temporary, retry_after=seconds)."""
        with self._lock:
            wait = 0.0
            for user in users:
                times = self._sent.setdefault(user, deque())
                while times and now - times[0] >= self.limits[-1][0]:
                    times.popleft()
                wait = max(wait, self.wait(list(times), count, now))
            self.check(wait)
            for user in users:
                self._sent[user].extend([now] * count)

    def wait(self, times: list[datetime], count: int, now: datetime) -> float:
        """Seconds before `count` more messages may go to a person who was sent one at each of `times`."""
        wait = 0.0
        ordered = sorted(times)
        for span, limit in self.limits:
            recent = [t for t in ordered if now - t < span]
            if len(recent) + count > limit:
                oldest = recent[len(recent) + count - limit - 1]
                wait = max(wait, (oldest + span - now).total_seconds())
        return wait

    def check(self, wait: float) -> None:
        """Raise the temporary DeliveryError that holds a message back `wait` seconds (none if 0)."""
        if wait > 0:
            raise DeliveryError("wecom_pace", permanent=False, retry_after=max(wait, 1.0),
                                detail=f"WeCom takes at most {self.limits[0][1]} app messages a minute "
                                       f"for one person; the rest waits {wait:.0f}s")
