"""Reading and writing times the way people type and read them, in the workspace's timezone.

The reader is deliberately small and bounded: a fixed grammar of what people type at 2 a.m.
(relative times, day words, clock times with am/pm or 上午/下午/晚上, weekdays, ISO), never a
fuzzy guess at arbitrary text. Errors come from the message catalogue in the workspace's language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal
from babel.units import format_unit

from bot.text.facts import narrow
from bot.text.i18n import text as t

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_SECONDS = 10 * 366 * 86400
WHEN_MAX = 100  # no way of writing a moment needs more; longer input is refused before any parsing
DURATION_MAX = 40
PAST, FUTURE = "past", "future"  # which way a field faces: when something happened, or when it is due

_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_NUM = "[零〇一二两三四五六七八九十]{1,3}"
_UNIT_WORDS = (
    ("w", r"weeks?|wks?|w|个星期|星期|周"),
    ("d", r"days?|d|天|日"),
    ("h", r"hours?|hrs?|h|个小时|小时|个钟头|钟头"),
    ("m", r"minutes?|mins?|m|分钟|分"),
    ("s", r"seconds?|secs?|s|秒钟|秒"),
)
_UNIT_OF = {}
for _unit, _words in _UNIT_WORDS:
    for _word in _words.split("|"):
        _UNIT_OF[_word.replace("?", "")] = _unit
        if _word.endswith("s?"):
            _UNIT_OF[_word[:-2]] = _UNIT_OF[_word[:-1]] = _unit
_UNIT_RE = "|".join(words for _, words in _UNIT_WORDS)
_DURATION = re.compile(rf"(\d+|{_ZH_NUM})?\s*(个)?\s*(半)?\s*({_UNIT_RE})(半)?", re.I | re.A)


def _fold(text: str) -> str:
    """Full-width and compatibility forms as plain ones, lower case, single spaces."""
    return " ".join(narrow(text).lower().split())


def zh_number(text: str) -> int | None:
    """'12' → 12, '十一' → 11, '二十三' → 23, '两' → 2 (up to 99); None for anything else."""
    if text.isascii() and text.isdigit():
        return int(text) if len(text) <= 9 else None
    if "十" in text:
        tens, _, ones = text.partition("十")
        high = _ZH_DIGITS.get(tens) if tens else 1
        low = _ZH_DIGITS.get(ones) if ones else 0
        return None if high is None or low is None else high * 10 + low
    return _ZH_DIGITS.get(text) if len(text) == 1 else None


class TooLong(ValueError):
    """A duration or moment further away than anything a breach response needs."""


def parse_duration(text: str, *, lang: str = "en") -> timedelta:
    """'90m', '1h30m', '30d', '2 hours', '2 小时', '半小时', '一个半小时' → timedelta; ValueError on anything else."""
    raw = _fold(text)
    if len(raw) > DURATION_MAX:
        raise ValueError(t(lang, "time.duration", value=text[:DURATION_MAX] + "…"))
    seconds, matched = 0, False
    for number, _, half_before, unit, half_after in _DURATION.findall(raw):
        if number.isdigit() and len(number) > 9:
            raise TooLong(t(lang, "time.duration_long", value=text))
        count = zh_number(number) if number else 0
        size = _UNITS[_UNIT_OF[unit.lower()]]
        half = bool(half_before or half_after)
        if count is None or (not number and not half) or count > MAX_SECONDS:
            raise ValueError(t(lang, "time.duration", value=text))
        seconds += count * size + (size // 2 if half else 0)
        matched = True
    leftover = _DURATION.sub("", raw).replace(" ", "").replace("and", "").replace("又", "")
    if not matched or leftover:
        raise ValueError(t(lang, "time.duration", value=text))
    if seconds > MAX_SECONDS:
        raise TooLong(t(lang, "time.duration_long", value=text))
    return timedelta(seconds=seconds)


def is_duration(text: str) -> bool:
    """Whether `text` reads as a duration (for telling `30m` from a phase name)."""
    try:
        parse_duration(text)
    except ValueError:
        return False
    return True


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


# The steps the pinned status counts the time left in (it is refreshed as each is crossed): days while more than a
# day is left, hours while more than an hour, then five minutes.
DAY, HOUR, FINAL_STEP = timedelta(days=1), timedelta(hours=1), timedelta(minutes=5)


def left_step(left: timedelta) -> timedelta:
    """The step the time left `left` is counted in on text that stays on screen (see `within`)."""
    return DAY if left > DAY else HOUR if left > HOUR else FINAL_STEP


def within(left: timedelta, lang: str = "en") -> str:
    """The time left rounded up to its step ('8h' for 7h 12m, '3d', '45m'): true until the next step is crossed."""
    step = left_step(left)
    span = step * -(-left // step) if left > timedelta(0) else timedelta(0)
    if span >= DAY and not span % DAY:
        return _unit(span // DAY, "day", lang)
    if span >= HOUR and not span % HOUR:
        return _unit(span // HOUR, "hour", lang)
    return _unit(span // timedelta(minutes=1), "minute", lang)


def _unit(count: int, unit: str, lang: str) -> str:
    """A count of a duration unit from the CLDR data: '3d', '8h', '45m' (zh: '3天', '8小时', '45分钟')."""
    return format_unit(count, f"duration-{unit}", length=_UNIT_LENGTH.get(lang, "narrow"),
                       locale=LOCALES.get(lang, "en"))


_UNIT_LENGTH = {"en": "narrow", "zh": "short"}  # zh has no narrow duration units in CLDR


# CLDR locales (Babel) and the patterns each language shows a moment in; a later language adds a row.
LOCALES = {"en": "en", "zh": "zh_Hans_CN"}
_MOMENT = {"en": "EEE dd MMM HH:mm", "zh": "M月d日E HH:mm"}  # CLDR zh MMMEd: 12月4日周五 09:40


_DATED: ContextVar[bool] = ContextVar("dated", default=False)


def is_dated() -> bool:
    """Whether the text being made stays on screen (inside `dated()`)."""
    return _DATED.get()


@contextmanager
def dated() -> Iterator[None]:
    """Within it every moment carries its date: for text that stays on screen across days (the pinned status, the
    room's topic), where a bare '13:50' would be read against the day someone looks, not the day it was written."""
    token = _DATED.set(True)
    try:
        yield
    finally:
        _DATED.reset(token)


def format_time(when: datetime, tz: str, *, now: datetime | None = None, lang: str = "en") -> str:
    """'11:05' today, 'Sat 28 Nov 11:05' (or '11月28日周六 11:05') on any other day than `now`, in the workspace
    timezone, and always inside `dated()`; month and weekday names from the kept CLDR data (Babel), not by hand."""
    local = when.astimezone(ZoneInfo(tz))
    if now is not None and not _DATED.get() and local.date() == now.astimezone(ZoneInfo(tz)).date():
        return format_datetime(local, "HH:mm", locale=LOCALES.get(lang, "en"))
    return format_datetime(local, _MOMENT.get(lang, _MOMENT["en"]), locale=LOCALES.get(lang, "en"))


def format_stamp(when: datetime, tz: str, *, lang: str = "en", seconds: bool = False) -> str:
    """A full timestamp for logs and lists read later (`2026-12-04 09:40 UTC+8`), from the CLDR data; a naive
    time is taken as UTC (as stored)."""
    local = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(ZoneInfo(tz))
    pattern = "yyyy-MM-dd HH:mm:ss" if seconds else "yyyy-MM-dd HH:mm"
    return f"{format_datetime(local, pattern, locale=LOCALES.get(lang, 'en'))} {zone_label(tz, local)}"


def format_number(value: int | float, lang: str = "en") -> str:
    """A count as the language writes it (`1,200`), from the CLDR data."""
    return format_decimal(value, locale=LOCALES.get(lang, "en"))


def zone_label(tz: str, at: datetime) -> str:
    """A timezone as nobody can misread it: `UTC+8`, `UTC-5`, `UTC+5:30`, `UTC` (never CST: China or Central?)."""
    offset = at.astimezone(ZoneInfo(tz)).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    if not minutes:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else '-'}{hours}" + (f":{rest:02d}" if rest else "")


def zone_named(tz: str, *moments: datetime, lang: str = "en") -> str:
    """The workspace's zone as a record states it once for all its times: `Asia/Shanghai (UTC+8)`,
    `America/New_York (UTC-4 / UTC-5)` across a change of clocks, `UTC`; in Chinese by its offsets alone
    (`UTC+8`), with no English zone name in Chinese text."""
    offsets = " / ".join(dict.fromkeys(zone_label(tz, at) for at in moments)) or tz
    if lang == "zh" or offsets == tz:
        return offsets
    return f"{tz} ({offsets})"


def format_iso(when: datetime | None, tz: str) -> str | None:
    """ISO-8601 with the workspace's offset, for exports."""
    return None if when is None else when.astimezone(ZoneInfo(tz)).isoformat()


# -- reading a moment ------------------------------------------------------------------------------
_DAY_WORDS = {
    "today": (0, None), "今天": (0, None), "今日": (0, None), "yesterday": (-1, None), "昨天": (-1, None),
    "昨日": (-1, None), "tomorrow": (1, None), "明天": (1, None), "明日": (1, None), "前天": (-2, None),
    "后天": (2, None), "tonight": (0, "evening"), "今晚": (0, "evening"), "last night": (-1, "evening"),
    "昨晚": (-1, "evening"), "昨夜": (-1, "evening"), "明晚": (1, "evening"), "this morning": (0, "morning"),
    "今早": (0, "morning"), "今晨": (0, "morning"), "今天早上": (0, "morning"), "明早": (1, "morning"),
}
_PERIODS = {
    "上午": "morning", "早上": "morning", "早晨": "morning", "清晨": "morning", "morning": "morning",
    "凌晨": "small", "中午": "noon", "下午": "afternoon", "afternoon": "afternoon", "傍晚": "evening",
    "晚上": "evening", "夜里": "evening", "夜间": "evening", "深夜": "evening", "evening": "evening", "night": "evening",
}
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
             "一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_DAY = (r"(?P<day>" + "|".join(sorted(map(re.escape, _DAY_WORDS), key=len, reverse=True)) + r")"
        r"|(?:(?P<rel>last|next|this)\s+)?(?P<wd>(?:mon|tue|wed|thu|fri|sat|sun)[a-z]{0,6})"
        r"|(?P<zrel>上|下|这|本)?个?(?:周|星期|礼拜)(?P<zwd>[一二三四五六日天1-7])"
        r"|(?:(?P<y>\d{4})年)?(?P<mo>\d{1,2})月(?P<d>\d{1,2})[日号]?(?:\s*(?:周|星期|礼拜)[一二三四五六日天])?")
_PERIOD = "(?P<period>" + "|".join(sorted(_PERIODS, key=len, reverse=True)) + ")"
_CLOCK = (r"(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>[ap])\.?m\.?"
          r"|(?P<h2>\d{1,2}):(?P<m2>\d{2})"
          rf"|(?P<h3>\d{{1,2}}|{_ZH_NUM})\s*[点时](?:\s*(?P<half>半)|\s*(?P<m3>\d{{1,2}}|{_ZH_NUM})\s*分?)?")
_PHRASE = re.compile(rf"(?:{_DAY})?\s*的?\s*(?:{_PERIOD})?\s*(?:at\s+)?(?:{_CLOCK})?", re.A)
_FULL_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_when(text: str, *, now: datetime, tz: str, lang: str = "en", facing: str = PAST) -> datetime:
    """A moment typed by a person, as aware UTC; ValueError (in `lang`) says what to type instead.

    Reads 'now', '2h ago', '2小时前', '半小时前', 'in 2h', '+14d', '2小时后', '09:30', '11pm', '晚上11点',
    'yesterday 18:00', '昨晚11点', '明天 09:00', 'last friday 18:00', 'next friday', '上周一', '下周五',
    '11月28日 9点', '2026-11-28 09:30' and ISO-8601 (no offset = workspace time). A clock time with no
    day is the latest such moment for a `facing="past"` field (23:00 typed at 02:05 is last night) and
    the next one for a `facing="future"` field.
    """
    if len(text.strip()) > WHEN_MAX:
        raise ValueError(t(lang, "time.too_long", length=len(text.strip())))
    raw = _fold(text)
    if not raw or len(raw) > 2 * WHEN_MAX:
        raise ValueError(_unreadable(text, lang, facing))
    if raw in ("now", "现在", "刚才", "刚刚", "此刻"):
        return now
    delta = _relative(raw, text, lang)
    if delta is not None:
        return now + delta
    moment = _phrase(raw, text, now=now, zone=ZoneInfo(tz), lang=lang, facing=facing)
    if moment is not None:
        return moment.astimezone(UTC)
    try:
        parsed = datetime.fromisoformat(raw.upper().replace("/", "-"))
    except ValueError:
        raise ValueError(_unreadable(text, lang, facing)) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed.astimezone(UTC)


def _unreadable(text: str, lang: str, facing: str) -> str:
    return t(lang, "time.unreadable_future" if facing == FUTURE else "time.unreadable_past", value=text.strip())


_AGO = re.compile(r"(.+?)\s*(?:ago|之前|以前|前)", re.A)
_LATER = re.compile(r"(?:in\s+|\+\s*)(.+)|(.+?)\s*(?:later|from now|之后|以后|后)", re.A)


def _relative(raw: str, text: str, lang: str) -> timedelta | None:
    """'2h ago' → -2h, 'in 2h' / '+2h' / '2小时后' → +2h; None when it is not written that way."""
    sign, match = -1, _AGO.fullmatch(raw)
    if match is None:
        sign, match = 1, _LATER.fullmatch(raw)
    if match is None:
        return None
    amount = next(g for g in match.groups() if g is not None)
    try:
        return sign * parse_duration(amount, lang=lang)
    except TooLong:
        raise
    except ValueError:
        return None


def _phrase(raw: str, text: str, *, now: datetime, zone: ZoneInfo, lang: str, facing: str) -> datetime | None:
    """Day words, weekdays, periods and clock times; None when the text is not written that way."""
    match = _PHRASE.fullmatch(raw)
    if match is None or not any(match.groupdict().values()):
        return None
    parts = match.groupdict()
    today = now.astimezone(zone).date()
    day, period, fixed = today, _PERIODS.get(parts["period"] or ""), False
    if parts["day"]:
        offset, implied = _DAY_WORDS[parts["day"]]
        day, period, fixed = today + timedelta(days=offset), period or implied, True
    elif parts["wd"]:
        name = parts["wd"]
        if not any(full.startswith(name) for full in _FULL_WEEKDAYS) or len(name) < 3:
            return None
        day, fixed = _weekday(today, _WEEKDAYS[name[:3]], parts["rel"] or "", zh=False), bool(parts["rel"])
    elif parts["zwd"]:
        number = parts["zwd"]
        target = int(number) - 1 if number.isdigit() else _WEEKDAYS[number]
        day, fixed = _weekday(today, target, parts["zrel"] or "", zh=True), bool(parts["zrel"])
    elif parts["mo"]:
        try:
            day = date(int(parts["y"] or today.year), int(parts["mo"]), int(parts["d"]))
        except ValueError:
            raise ValueError(_unreadable(text, lang, facing)) from None
        fixed = True
    hour_text = parts["h"] or parts["h2"] or parts["h3"]
    if hour_text is None:
        if period is not None:
            return None  # '昨晚' or '下午' alone: which hour?
        clock, extra = (time(9) if facing == FUTURE else time(0)), 0
    else:
        minute_text = parts["m"] or parts["m2"] or parts["m3"]
        minute = 30 if parts["half"] else (zh_number(minute_text) if minute_text else 0)
        hour = zh_number(hour_text)
        if hour is None or minute is None:
            return None
        hour, extra = _hour(hour, period, parts["ampm"], text, lang)
        if minute > 59:
            raise ValueError(t(lang, "time.not_time_of_day", value=text.strip()))
        clock = time(hour, minute)
    moment = datetime.combine(day + timedelta(days=extra), clock, zone)
    if not fixed:  # a bare clock time or weekday: the latest one before now, or the next one after
        step = timedelta(days=7 if (parts["wd"] or parts["zwd"]) else 1)
        if facing == PAST and moment > now:
            moment -= step
        elif facing == FUTURE and moment < now:
            moment += step
    return moment


def _weekday(today: date, target: int, rel: str, *, zh: bool) -> date:
    """The date of a weekday: 'last'/'next' are the nearest before/after today; 上/下/这 are calendar weeks."""
    if zh:
        monday = today - timedelta(days=today.weekday())
        weeks = {"上": -1, "下": 1}.get(rel, 0)
        return monday + timedelta(days=7 * weeks + target)
    if rel == "last":
        return today - timedelta(days=(today.weekday() - target) % 7 or 7)
    if rel == "next":
        return today + timedelta(days=(target - today.weekday()) % 7 or 7)
    if rel == "this":
        return today + timedelta(days=target - today.weekday())
    return today - timedelta(days=(today.weekday() - target) % 7)  # this week's, rolled by facing later


def _hour(hour: int, period: str | None, ampm: str | None, text: str, lang: str) -> tuple[int, int]:
    """The 24-hour hour (and days to add) of '11pm', '晚上11点', '凌晨2点', '下午3点'."""
    bad = ValueError(t(lang, "time.not_time_of_day", value=text.strip()))
    if ampm:
        if not 1 <= hour <= 12:
            raise bad
        return (hour % 12) + (12 if ampm == "p" else 0), 0
    if hour > 23:
        raise bad
    if period == "evening":
        if 5 <= hour <= 11:
            return hour + 12, 0
        if hour == 12 or hour < 5:
            return hour % 12, 1  # 晚上12点, 昨晚1点: the small hours of the next day
    if period == "afternoon" and 1 <= hour <= 11:
        return hour + 12, 0
    if period == "noon" and hour <= 5:
        return hour + 12, 0
    if period == "small" and hour == 12:
        return 0, 0
    return hour, 0
