"""What a tired person types for a time, read the same way every time; what it cannot read, said in their language."""

from __future__ import annotations

import time as wall
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.text.times import FUTURE, PAST, parse_duration, parse_when

TZ = "Asia/Shanghai"
# Saturday 28 November 2026, 02:05 in Shanghai: the middle of the night, as in the UX review.
NOW = datetime(2026, 11, 28, 2, 5, tzinfo=ZoneInfo(TZ))


def local(text: str, facing: str = PAST, lang: str = "en") -> str:
    return f"{parse_when(text, now=NOW, tz=TZ, facing=facing, lang=lang).astimezone(ZoneInfo(TZ)):%a %d %H:%M}"


@pytest.mark.parametrize(("typed", "expected"), [
    ("yesterday 11pm", "Fri 27 23:00"),
    ("yesterday at 11 p.m.", "Fri 27 23:00"),
    ("昨晚11点", "Fri 27 23:00"),
    ("昨晚11点半", "Fri 27 23:30"),
    ("昨天晚上11点", "Fri 27 23:00"),
    ("昨天 23:00", "Fri 27 23:00"),
    ("昨晚1点", "Sat 28 01:00"),  # the small hours after last evening
    ("凌晨1点", "Sat 28 01:00"),
    ("2小时前", "Sat 28 00:05"),
    ("2 hours ago", "Sat 28 00:05"),
    ("30分钟前", "Sat 28 01:35"),
    ("半小时前", "Sat 28 01:35"),
    ("一小时前", "Sat 28 01:05"),
    ("一个半小时前", "Sat 28 00:35"),
    ("２小时前", "Sat 28 00:05"),
    ("2h ago", "Sat 28 00:05"),
    # A clock time with no day is the last one that has passed: at 02:05, 23:00 was last night.
    ("23:00", "Fri 27 23:00"),
    ("11pm", "Fri 27 23:00"),
    ("晚上11点", "Fri 27 23:00"),
    ("１：３０", "Sat 28 01:30"),
    ("01:30", "Sat 28 01:30"),
    ("last friday 18:00", "Fri 27 18:00"),
    ("last monday", "Mon 23 00:00"),
    ("上周一 9点", "Mon 16 09:00"),
    ("周五 18:00", "Fri 27 18:00"),
    ("11月27日 9点", "Fri 27 09:00"),
    ("today 01:00", "Sat 28 01:00"),
    ("2026-11-27 23:00", "Fri 27 23:00"),
    ("2026-11-27T15:00+00:00", "Fri 27 23:00"),
    ("now", "Sat 28 02:05"),
])
def test_past_facing_times(typed, expected):
    assert local(typed) == expected


@pytest.mark.parametrize(("typed", "expected"), [
    ("tomorrow", "Sun 29 09:00"),
    ("明天 09:00", "Sun 29 09:00"),
    ("next friday", "Fri 04 09:00"),
    ("下周五", "Fri 04 09:00"),
    ("friday", "Fri 04 09:00"),
    ("in 2h", "Sat 28 04:05"),
    ("2小时后", "Sat 28 04:05"),
    ("+14d", "Sat 12 02:05"),
    ("+14天", "Sat 12 02:05"),
    # A clock time with no day is the next one: at 02:05, 01:00 is tomorrow night's.
    ("01:00", "Sun 29 01:00"),
    ("23:00", "Sat 28 23:00"),
])
def test_future_facing_times(typed, expected):
    assert local(typed, FUTURE) == expected


def test_an_explicit_day_is_never_moved():
    # "today 23:00" at 02:05 is in the future: the flow says so, the reader does not guess yesterday.
    assert local("today 23:00") == "Sat 28 23:00"
    assert local("yesterday", FUTURE) == "Fri 27 09:00"


@pytest.mark.parametrize(("typed", "lang", "start"), [
    ("昨晚", "zh", "无法把「昨晚」读成时间。可以写：「2小时前」"),  # which hour?
    ("whenever", "en", "I can't read 'whenever' as a time. Try '2h ago'"),
    ("25:00", "en", "'25:00' is not a time of day"),
    ("13pm", "zh", "「13pm」不是一天中的时间"),
    ("yesterday ago", "en", "I can't read 'yesterday ago' as a time."),
])
def test_what_it_cannot_read_is_said_in_the_workspace_language(typed, lang, start):
    with pytest.raises(ValueError) as err:
        parse_when(typed, now=NOW, tz=TZ, lang=lang)
    assert str(err.value).startswith(start)


def test_a_due_date_it_cannot_read_shows_due_date_examples():
    with pytest.raises(ValueError) as err:
        parse_when("someday", now=NOW, tz=TZ, lang="zh", facing=FUTURE)
    assert "「+14天」、「2小时后」、「明天 09:00」、「下周五」" in str(err.value)


@pytest.mark.parametrize("typed", ["²", "①", "½", "2²h ago", "BR-1", "10:7", "0x10", "1e9 ago", "3000000d ago"])
def test_look_alike_numbers_and_huge_durations_are_refused(typed):
    with pytest.raises(ValueError):
        parse_when(typed, now=NOW, tz=TZ)


def test_reading_stays_bounded():
    started = wall.perf_counter()
    for typed in ("1 " * 49 + "x", "昨" * 100, "a" * 100_000, "1" * 99 + "h ago", "in " + "1h" * 40):
        with pytest.raises(ValueError):
            parse_when(typed, now=NOW, tz=TZ)
    assert wall.perf_counter() - started < 0.5


@pytest.mark.parametrize(("typed", "minutes"), [
    ("30m", 30), ("1h30m", 90), ("2 hours", 120), ("30分钟", 30), ("半小时", 30), ("1小时半", 90), ("两天", 2880),
    ("１４天", 14 * 1440),
])
def test_durations(typed, minutes):
    assert parse_duration(typed) == timedelta(minutes=minutes)


def test_a_bad_duration_is_refused_in_chinese():
    with pytest.raises(ValueError) as err:
        parse_duration("一会儿", lang="zh")
    assert str(err.value) == "「一会儿」不是时长，请写成 90m、8小时、30分钟 或 30天。"
