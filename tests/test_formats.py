"""Dates, times and numbers come from the kept CLDR data (Babel): one table per language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.incident.wording import residences
from bot.report.chart import Bar, svg
from bot.text.times import (
    LOCALES,
    format_duration,
    format_number,
    format_stamp,
    format_time,
    within,
    zone_named,
)

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
LATER = datetime(2026, 12, 4, 1, 40, tzinfo=UTC)  # Friday 4 December, 09:40 in Shanghai


@pytest.mark.parametrize(("lang", "moment", "today", "count", "places"), [
    ("en", "Fri 04 Dec 09:40", "10:30", "1,200", "CN 1,300 · EU 3"),
    ("zh", "12月4日周五 09:40", "10:30", "1,200", "中国大陆 1,300 · 欧盟 3"),
])
def test_each_language_formats_by_cldr(lang, moment, today, count, places):
    assert lang in LOCALES
    assert format_time(LATER, "Asia/Shanghai", now=NOW, lang=lang) == moment
    assert format_time(datetime(2026, 12, 3, 2, 30, tzinfo=UTC), "Asia/Shanghai", now=NOW, lang=lang) == today
    assert format_number(1200, lang) == count
    assert residences({"CN": 1300, "EU": 3}, lang) == places


def test_a_language_without_a_table_row_falls_back_to_english():
    assert format_time(LATER, "Asia/Shanghai", now=NOW, lang="fr") == "Fri 04 Dec 09:40"


# What each language's helpers give, exactly: a moment, a timestamp with its zone, a count, a duration (hand-made
# format_duration and the CLDR units of `within`), the zone a record states once.
@pytest.mark.parametrize(("lang", "stamp", "seconds", "duration", "rounded", "days", "zone"), [
    ("en", "2026-12-04 09:40 UTC+8", "2026-12-04 09:40:07 UTC+8", "2h 05m", "3h", "3d", "Asia/Shanghai (UTC+8)"),
    ("zh", "2026-12-04 09:40 UTC+8", "2026-12-04 09:40:07 UTC+8", "2小时5分", "3小时", "3天", "UTC+8"),
])
def test_each_language_formats_stamps_durations_and_zones(lang, stamp, seconds, duration, rounded, days, zone):
    assert format_stamp(LATER, "Asia/Shanghai", lang=lang) == stamp
    assert format_stamp(LATER.replace(tzinfo=None, second=7), "Asia/Shanghai", lang=lang, seconds=True) == seconds
    assert format_duration(timedelta(hours=2, minutes=5), lang) == duration
    assert within(timedelta(hours=2, minutes=5), lang) == rounded
    assert within(timedelta(days=2, hours=1), lang) == days
    assert zone_named("Asia/Shanghai", NOW, LATER, lang=lang) == zone
    assert zone_named("America/New_York", datetime(2026, 10, 30, tzinfo=UTC), LATER, lang=lang).endswith(
        "UTC-4 / UTC-5" + (")" if lang == "en" else ""))


def test_the_chart_without_a_zone_labels_its_axis_in_utc():
    drawn = svg([Bar("1. Immediate response", NOW, LATER, None, "phase")], now=LATER, title="t", legend=("a", "b", "c"))
    assert ">2026-12-03 02:00 UTC</text>" in drawn and ">2026-12-04 01:40 UTC</text>" in drawn
