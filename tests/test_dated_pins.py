"""Deadlines that stay on screen say which day (#18): the pinned status and the war room's topic are read for days
after they were written, so their times carry the date (12月5日周六 13:50 / Sat 05 Dec 13:50) even when the deadline
fell on the day they were written; an answer read at once (/breach status) keeps the bare time for today and the
date for any other day."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import make_console
from tests.conftest import said as say

START = datetime(2026, 12, 5, 12, 50, tzinfo=ZoneInfo("Asia/Shanghai"))  # phase 1 is due at 13:50 the same day


@pytest.mark.parametrize("lang, declare, status, dated, bare", [
    ("zh", "/breach 宣布 工资表泄露", "/breach 状态", "截止 12月5日周六 13:50", "截止 13:50"),
    ("en", "/breach declare payroll leak", "/breach status", "due Sat 05 Dec 13:50", "due 13:50"),
])
def test_the_pin_and_the_topic_carry_the_date_and_a_reply_today_the_time(sqlite_engine, lang, declare, status, dated,
                                                                          bare):
    console = make_console(sqlite_engine, lang=lang, start=START)
    console.say("alice", declare, "general")
    pin = console.chat.pinned("breach-1")[-1].plain_text()
    topic = console.chat.rooms["breach-1"]["topic"]
    assert dated in pin, pin
    assert dated.split(" ", 1)[1] in topic, topic  # the topic names the day too
    answer = say(console, "alice", status)
    assert bare in answer and dated not in answer, answer


@pytest.mark.parametrize("lang, status, tomorrow", [
    ("zh", "/breach 状态", "截止 12月6日周日 "),
    ("en", "/breach status", "due Sun 06 Dec "),
])
def test_a_deadline_on_another_day_shows_its_date_in_every_answer(sqlite_engine, lang, status, tomorrow):
    late = START.replace(hour=23, minute=30)  # phase 1 falls due after midnight
    console = make_console(sqlite_engine, lang=lang, start=late)
    console.say("alice", "/breach declare payroll leak", "general")
    answer = say(console, "alice", status)
    assert tomorrow + "00:30" in answer, answer
