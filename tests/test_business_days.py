"""Deadlines the law counts in business days (9 V.S.A. §2435(b)(3)(A)(i): the Vermont AG within 14 business days):
weekends and the firm's holidays are skipped, and the days are the workspace's local days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.law.reasons import render
from bot.law.regimes import BusinessDays, RegimeError, business_day_end, due_after, evaluate, load_regimes
from tests.conftest import joined
from tests.test_clocks import shanghai_firm
from tests.test_regimes import DEFAULT, facts
from tests.test_regimes_file import write

SH = "Asia/Shanghai"


@pytest.mark.parametrize(("start", "days", "zone", "holidays", "due"), [
    # Thursday 20:00 UTC: a UTC workspace is still on Thursday, so one business day is Friday
    pytest.param(datetime(2026, 3, 5, 20, tzinfo=UTC), 1, "UTC", (), datetime(2026, 3, 6, 23, 59, 59, tzinfo=UTC),
                 id="utc-thursday-evening"),
    # the same instant is Friday 04:00 in Shanghai: the next business day there is Monday, to its local end
    pytest.param(datetime(2026, 3, 5, 20, tzinfo=UTC), 1, SH, (),
                 datetime(2026, 3, 9, 23, 59, 59, tzinfo=ZoneInfo(SH)), id="shanghai-friday-morning"),
    # an event on a Saturday: Monday is the first business day
    pytest.param(datetime(2026, 3, 7, 12, tzinfo=UTC), 1, "UTC", (), datetime(2026, 3, 9, 23, 59, 59, tzinfo=UTC),
                 id="saturday"),
    # a firm holiday on the Monday moves it to Tuesday
    pytest.param(datetime(2026, 3, 7, 12, tzinfo=UTC), 1, "UTC", (date(2026, 3, 9),),
                 datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC), id="holiday-skipped"),
    # 14 business days across the US daylight-saving change (8 March): the end of the local day, not 00:59
    pytest.param(datetime(2026, 3, 2, 15, tzinfo=UTC), 14, "America/New_York", (),
                 datetime(2026, 3, 20, 23, 59, 59, tzinfo=ZoneInfo("America/New_York")), id="dst-new-york"),
])
def test_business_day_end(start, days, zone, holidays, due):
    assert business_day_end(start, days, zone, frozenset(holidays)) == due.astimezone(UTC)
    assert due_after(start, BusinessDays(days=days), zone, frozenset(holidays)) == due.astimezone(UTC)

# chat names the clock, never by its id
VT_AG = ("Vermont data breach notification (Vermont Attorney General, preliminary notice (the Department of Financial "
         "Regulation for firms it regulates))")


def test_the_vermont_ag_clock_counts_business_days_and_says_so():
    book = load_regimes([DEFAULT])
    start = datetime(2026, 12, 17, 9, tzinfo=UTC)  # a Thursday; 24 and 25 December a firm's holidays
    result = {r.clock_id: r for r in evaluate(book, facts({"US-VT": 5}, aware_at=start))}["us-vt-2435/ag"]
    assert result.due_at == datetime(2027, 1, 6, 23, 59, 59, tzinfo=UTC)  # 18, 21-25, 28-31 Dec, 1, 4-6 Jan
    off = facts({"US-VT": 5}, aware_at=start, holidays=frozenset({date(2026, 12, 24), date(2026, 12, 25)}))
    assert {r.clock_id: r for r in evaluate(book, off)}["us-vt-2435/ag"].due_at == datetime(
        2027, 1, 8, 23, 59, 59, tzinfo=UTC)
    assert "14 business days (Saturdays, Sundays and holidays not counted)" in render(result.reason, "en")
    assert "14个工作日（周六、周日及节假日不计）" in render(result.reason, "zh")
    assert result.hard_deadline and result.citation.en == "9 V.S.A. §2435(b)(3)(A)(i)"


def test_a_regimes_file_takes_business_days_and_refuses_zero(tmp_path):
    rule = """
disclaimer: {en: x, zh: 仅供参考}
regimes:
  - key: test-bd
    jurisdiction: US-VT
    title: {en: t, zh: 测试}
    citation: {en: c, zh: 引用}
    source: {en: s, zh: 来源}
    verified_on: 2026-12-04
    clocks:
      - id: notice
        audience: {en: a, zh: 对象}
        starts: aware
        deadline: DEADLINE
        when: {affected: {in: [US-VT], at_least: 1}}
        content: [x]
"""
    book = load_regimes([write(tmp_path, rule.replace("DEADLINE", "3bd"))])
    assert isinstance(book.regimes["test-bd"].clocks[0].deadline, BusinessDays)
    with pytest.raises(RegimeError, match="must be longer than zero"):
        load_regimes([write(tmp_path, rule.replace("DEADLINE", "0bd"))])


def test_a_shanghai_workspace_sees_the_vermont_ag_due_on_its_14th_business_day(sqlite_engine):
    console = shanghai_firm(sqlite_engine)  # aware Saturday 28 November 2026, 10:05 Shanghai time
    sent = joined(console.say("erin", "/breach affected US-VT=12", "breach-1"))
    assert f"{VT_AG} now applies: due Thu 17 Dec 23:59" in sent  # Mon 30 Nov is the first business day
    listing = joined(console.say("erin", "/breach clocks", "breach-1"))
    assert "us-vt-2435/ag · Vermont data breach notification → Vermont Attorney General, preliminary notice" in listing
    assert "9 V.S.A. §2435(b)(3)(A)(i) — Within 14 business days of discovery" in listing
