"""Reading and writing times the way people type and read them, in the workspace's timezone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+)\s*(w|d|h|min|m|s)", re.I)
MAX_SECONDS = 10 * 366 * 86400
WHEN_MAX = 100  # no way of writing a moment needs more; longer input is refused before any parsing
_ZH_UNITS = {"分钟": "m", "小时": "h", "天": "d", "周": "w"}


def parse_duration(text: str) -> timedelta:
    """'90m', '1h30m', '30d', '2 小时' → timedelta; ValueError on anything else."""
    raw = text.strip().lower()
    for zh, unit in _ZH_UNITS.items():
        raw = raw.replace(zh, unit)
    raw = raw.replace(" ", "")
    if not raw or _DURATION.sub("", raw):
        raise ValueError(f"{text!r} is not a duration such as 90m, 8h or 30d")
    seconds = sum(int(n) * _UNITS[u.lower()] for n, u in _DURATION.findall(raw) if len(n) <= 9)
    if seconds > MAX_SECONDS or any(len(n) > 9 for n, _ in _DURATION.findall(raw)):
        raise ValueError(f"{text!r} is longer than anything a breach response needs (at most 10 years)")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta, lang: str = "en") -> str:
    """A short human duration: '1h 05m', '3d 4h', '12m' (Chinese: '1小时5分')."""
    negative = delta < timedelta(0)
    total = int(abs(delta).total_seconds()) // 60
    days, rest = divmod(total, 1440)
    hours, minutes = divmod(rest, 60)
    if lang == "zh":
        parts = [f"{days}天" if days else "", f"{hours}小时" if hours else "", f"{minutes}分" if minutes and not days else ""]
        out = "".join(parts) or "0分"
    elif days:
        out = f"{days}d {hours}h" if hours else f"{days}d"
    elif hours:
        out = f"{hours}h {minutes:02d}m"
    else:
        out = f"{minutes}m"
    return f"-{out}" if negative else out


def format_time(when: datetime, tz: str, *, now: datetime | None = None, lang: str = "en") -> str:
    """'11:05' today, 'Sat 28 Nov 11:05' (or '11月28日 11:05') otherwise, in the workspace timezone."""
    local = when.astimezone(ZoneInfo(tz))
    if now is not None and local.date() == now.astimezone(ZoneInfo(tz)).date():
        return local.strftime("%H:%M")
    if lang == "zh":
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    return local.strftime("%a %d %b %H:%M")


def format_iso(when: datetime | None, tz: str) -> str | None:
    """ISO-8601 with the workspace's offset, for exports."""
    return None if when is None else when.astimezone(ZoneInfo(tz)).isoformat()


_CLOCK = re.compile(r"^(?P<day>today|yesterday|今天|昨天)?\s*(?P<h>\d{1,2})[:：](?P<m>\d{2})$", re.I)


def parse_when(text: str, *, now: datetime, tz: str) -> datetime:
    """A past or present moment typed by a person, as aware UTC.

    Accepts 'now', '2h ago', '90m ago', '3小时前', '09:30', 'yesterday 18:00', '昨天 18:00',
    '2026-11-28 09:30' and ISO-8601 with or without an offset (no offset = workspace time).
    Raises ValueError with what to type instead.
    """
    raw = text.strip()
    if len(raw) > WHEN_MAX:
        raise ValueError(f"That time is {len(raw)} characters long; write it like '2h ago', '09:30' or '2026-11-28 09:30'.")
    zone = ZoneInfo(tz)
    lowered = raw.lower()
    if lowered in ("now", "现在"):
        return now
    for suffix in ("ago", "前"):
        if lowered.endswith(suffix) and lowered[:-len(suffix)].strip():
            return now - parse_duration(lowered[:-len(suffix)])
    if match := _CLOCK.match(lowered):
        day = now.astimezone(zone).date()
        if match["day"] in ("yesterday", "昨天"):
            day -= timedelta(days=1)
        hour, minute = int(match["h"]), int(match["m"])
        if hour > 23 or minute > 59:
            raise ValueError(f"{text!r} is not a time of day")
        return datetime.combine(day, time(hour, minute), zone).astimezone(UTC)
    try:
        parsed = datetime.fromisoformat(raw.replace("/", "-"))
    except ValueError:
        raise ValueError(
            f"I can't read {text!r} as a time. Try '2h ago', '09:30', 'yesterday 18:00' or '2026-11-28 09:30'."
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)
