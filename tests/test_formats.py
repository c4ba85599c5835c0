"""Dates, times and numbers come from the kept CLDR data (Babel): one table per language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.incident.wording import residences
from bot.text.times import LOCALES, format_number, format_time

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
LATER = datetime(2026, 12, 4, 1, 40, tzinfo=UTC)  # Friday 4 December, 09:40 in Shanghai


@pytest.mark.parametrize(("lang", "moment", "today", "count", "places"), [
    ("en", "Fri 04 Dec 09:40", "10:30", "1,200", "CN 1,300 · EU 3"),
    ("zh", "12月4日 09:40", "10:30", "1,200", "中国大陆 1,300 · 欧盟 3"),
])
def test_each_language_formats_by_cldr(lang, moment, today, count, places):
    assert lang in LOCALES
    assert format_time(LATER, "Asia/Shanghai", now=NOW, lang=lang) == moment
    assert format_time(datetime(2026, 12, 3, 2, 30, tzinfo=UTC), "Asia/Shanghai", now=NOW, lang=lang) == today
    assert format_number(1200, lang) == count
    assert residences({"CN": 1300, "EU": 3}, lang) == places


def test_a_language_without_a_table_row_falls_back_to_english():
    assert format_time(LATER, "Asia/Shanghai", now=NOW, lang="fr") == "Fri 04 Dec 09:40"
