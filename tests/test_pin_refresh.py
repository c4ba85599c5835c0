"""The pinned status's time left ("8小时内到期", "within 8h") is refreshed by itself (#18): when the time left of a
deadline it shows crosses a whole day (more than a day left), hour (more than an hour) or five minutes, and at the
workspace's local midnight; what it shows is rounded up to that step, so it is never stale; through the scheduler and
the outbox like any alert; it says nothing in the room, records nothing, and stops once the incident is closed."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.flows.status_out import next_refresh
from storage.models import Alert, Deadline, Incident, TimelineEvent, Workspace
from tests.conftest import make_console

ZONE = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 5, 12, 50, tzinfo=ZONE)


def _pin(console) -> str:
    return console.chat.pinned("breach-1")[-1].plain_text()


def _events(engine) -> list[str]:
    with Session(engine) as s:
        return [e.kind for e in s.exec(select(TimelineEvent))]


def _texts(engine) -> list[str]:
    with Session(engine) as s:
        return [e.text for e in s.exec(select(TimelineEvent))]


@pytest.mark.parametrize("lang, declare, next_phase, first, same, hour, later", [
    ("zh", "/breach 宣布 工资表泄露", "/breach 完成 全部", "20:50，8小时内到期", "20:50，8小时内到期", "20:50，7小时内到期",
     "20:50，6小时内到期"),
    ("en", "/breach declare payroll leak", "/breach done all", "20:50, within 8h", "20:50, within 8h",
     "20:50, within 7h", "20:50, within 6h"),
])
def test_the_time_left_on_the_pin_is_refreshed_when_it_crosses_an_hour(sqlite_engine, lang, declare, next_phase,
                                                                        first, same, hour, later):
    console = make_console(sqlite_engine, lang=lang, start=START)
    console.say("alice", declare, "general")
    console.bot.advance(START + timedelta(minutes=1))
    console.say("alice", next_phase, "breach-1")  # phase 2 is due at 20:50: 7h 59m left
    assert first in _pin(console)
    events = _events(sqlite_engine)
    console.bot.advance(START + timedelta(minutes=59))
    assert same in _pin(console)  # 7h 01m left: still within 8h, true as shown
    console.bot.advance(START + timedelta(hours=1))  # 13:50: seven whole hours left
    assert hour in _pin(console) and first not in _pin(console)
    console.bot.advance(START + timedelta(hours=2))
    assert later in _pin(console)
    with Session(sqlite_engine) as s:  # each refresh went through the scheduler as an alert, recorded nothing
        fired = s.exec(select(Alert).join(Deadline).where(Deadline.kind == "status", Alert.state == "sent")).all()
    assert fired and not [e for e in _events(sqlite_engine)[len(events):] if e.startswith("status")]
    assert "status:pin" not in str(_texts(sqlite_engine))


_CLAIM = {"en": re.compile(r"due \w{3} (\d\d) Dec (\d\d):(\d\d), within (\d+)([dhm])"),
          "zh": re.compile(r"截止 12月(\d+)日周. (\d\d):(\d\d)，(\d+)(天|小时|分钟)内到期")}
_SIZE = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1), "天": timedelta(days=1),
         "小时": timedelta(hours=1), "分钟": timedelta(minutes=1)}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_time_left_on_the_pin_is_true_minute_by_minute(sqlite_engine, lang):
    """In virtual time, every seven minutes and then minute by minute through the last hour until the phase is
    overdue: every 'within N' the pin shows holds (the deadline is no further than N away) and is no coarser than
    its step (a day, an hour, five minutes)."""
    console = make_console(sqlite_engine, lang=lang, start=START)
    console.say("alice", "/breach declare payroll leak", "general")
    console.bot.advance(START + timedelta(minutes=1))
    console.say("alice", "/breach done all", "breach-1")  # phase 2 due 20:50
    checked = 0
    for minute in [*range(2, 7 * 60, 7), *range(7 * 60, 8 * 60 + 3)]:
        now = START + timedelta(minutes=minute)
        console.bot.advance(now)
        for day, hh, mm, count, unit in _CLAIM[lang].findall(_pin(console)):
            due = datetime(2026, 12, int(day), int(hh), int(mm), tzinfo=ZONE)
            said, left = int(count) * _SIZE[unit], due - now
            step = timedelta(days=1) if left > timedelta(days=1) else (
                timedelta(hours=1) if left > timedelta(hours=1) else timedelta(minutes=5))
            assert left <= said < left + step, (now, due, said)
            checked += 1
    assert checked > 2 * (60 + 60)
    overdue = "已逾期：截止 12月5日周六 20:50" if lang == "zh" else "OVERDUE since Sat 05 Dec 20:50"
    assert overdue in _pin(console)


def test_the_next_refresh_is_local_midnight_or_the_next_crossing_whichever_comes_first(sqlite_engine):
    late = START.replace(hour=22, minute=20)  # phase 1 due 23:20; the first questions' answers due 00:20
    console = make_console(sqlite_engine, lang="zh", start=late)
    console.say("alice", "/breach 宣布 工资表泄露", "general")
    with Session(sqlite_engine) as s:
        incident, ws = s.exec(select(Incident)).one(), s.exec(select(Workspace)).one()
        at = lambda now: next_refresh(s, incident=incident, playbook=console.bot.playbook, ws=ws, now=now)  # noqa: E731
        assert at(late + timedelta(minutes=1)) == late + timedelta(minutes=5)  # 59m left: five-minute steps
        assert at(late + timedelta(hours=1)) == late + timedelta(hours=1, minutes=1)  # phase 1 falls due, reads overdue
        assert at(START.replace(hour=23, minute=40)) == START.replace(hour=23, minute=45)  # answers in 40m
        assert at(datetime(2026, 12, 6, 0, 10, tzinfo=ZONE)) == datetime(2026, 12, 6, 0, 15, tzinfo=ZONE)
    console.bot.advance(START.replace(hour=23, minute=59))
    before, said = _pin(console), len(console.chat.sent)
    console.bot.advance(datetime(2026, 12, 6, 0, 0, tzinfo=ZONE))  # local midnight: refreshed, nothing said
    assert _pin(console) != before and "已逾期：截止 12月5日周六 23:20" in _pin(console) and "20分钟内到期" in _pin(console)
    assert {s.op for s in console.chat.sent[said:]} == {"update", "topic"}


def test_a_closed_incident_is_not_refreshed_any_more(sqlite_engine):
    console = make_console(sqlite_engine, lang="en", start=START)
    console.say("alice", "/breach declare payroll leak", "general")
    console.say("alice", "/breach close --cause staff_error --lessons \"share links need a password\" --confirm",
                "breach-1")
    with Session(sqlite_engine) as s:
        incident, ws = s.exec(select(Incident)).one(), s.exec(select(Workspace)).one()
        assert incident.status != "open"
        assert next_refresh(s, incident=incident, playbook=console.bot.playbook, ws=ws, now=START) is None
    updates = [s for s in console.chat.sent if s.op == "update"]
    console.bot.advance(START + timedelta(days=2))
    assert [s for s in console.chat.sent if s.op == "update"] == updates
