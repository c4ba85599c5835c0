"""Time for the bot: every 'now' comes from an injected clock, so tests and drills can move it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """Return the current time in UTC."""
        return datetime.now(UTC)


class VirtualClock:
    """A clock that only moves when told to: scripted consoles, drills and tests."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime.now(UTC)
        if start.tzinfo is None:
            raise ValueError("VirtualClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the virtual time."""
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        """Move to `when`; time never runs backwards."""
        when = when.astimezone(UTC)
        with self._lock:
            if when < self._now:
                raise ValueError(f"the clock cannot go back from {self._now.isoformat()} to {when.isoformat()}")
            self._now = when

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta` and return the new time."""
        self.set(self.now() + delta)
        return self.now()


class OffsetClock:
    """Real time plus an offset that can grow: the interactive console's `~ +2h` on a live clock."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> datetime:
        """Return the real time shifted by the offset."""
        return datetime.now(UTC) + self.offset

    def set(self, when: datetime) -> None:
        """Shift so that now is `when` (forward only)."""
        delta = when.astimezone(UTC) - self.now()
        if delta < timedelta(0):
            raise ValueError("the clock cannot go back")
        self.offset += delta

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta` and return the new time."""
        self.offset += delta
        return self.now()
