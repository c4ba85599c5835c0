"""The pinned status's "还剩 …" is refreshed by itself (#18): when the time left of a deadline it shows crosses a
whole hour (a day while more than a day is left) and at the workspace's local midnight, through the scheduler and
the outbox like any alert; it says nothing in the room, records nothing, and stops once the incident is closed."""

from __future__ import annotations

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


@pytest.mark.parametrize("lang, declare, next_phase, stale, hour, later", [
    ("zh", "/breach 宣布 工资表泄露", "/breach 完成 全部", "还剩 7小时59分", "还剩 7小时）", "还剩 6小时）"),
    ("en", "/breach declare payroll leak", "/breach done all", "in 7h 59m", "in 7h 00m", "in 6h 00m"),
])
def test_the_time_left_on_the_pin_is_refreshed_when_it_crosses_an_hour(sqlite_engine, lang, declare, next_phase,
                                                                        stale, hour, later):
    console = make_console(sqlite_engine, lang=lang, start=START)
    console.say("alice", declare, "general")
    console.bot.advance(START + timedelta(minutes=1))
    console.say("alice", next_phase, "breach-1")  # phase 2 is due at 20:50: 7h 59m left
    assert stale in _pin(console)
    events = _events(sqlite_engine)
    console.bot.advance(START + timedelta(minutes=59))
    assert stale in _pin(console)  # nothing crossed yet: nothing refreshed
    console.bot.advance(START + timedelta(hours=1))  # 13:50: seven whole hours left
    assert hour in _pin(console) and stale not in _pin(console)
    console.bot.advance(START + timedelta(hours=2))
    assert later in _pin(console)
    with Session(sqlite_engine) as s:  # each refresh went through the scheduler as an alert, recorded nothing
        fired = s.exec(select(Alert).join(Deadline).where(Deadline.kind == "status", Alert.state == "sent")).all()
    assert len(fired) == 2 and not [e for e in _events(sqlite_engine)[len(events):] if e.startswith("status")]
    assert "status:pin" not in str(_texts(sqlite_engine))


def test_the_next_refresh_is_local_midnight_or_the_next_crossing_whichever_comes_first(sqlite_engine):
    late = START.replace(hour=22, minute=20)  # phase 1 due 23:20; the first questions' answers due 00:20
    console = make_console(sqlite_engine, lang="zh", start=late)
    console.say("alice", "/breach 宣布 工资表泄露", "general")
    with Session(sqlite_engine) as s:
        incident, ws = s.exec(select(Incident)).one(), s.exec(select(Workspace)).one()
        at = lambda now: next_refresh(s, incident=incident, playbook=console.bot.playbook, ws=ws, now=now)  # noqa: E731
        assert at(late + timedelta(minutes=1)) == late + timedelta(hours=1)  # phase 1 falls due
        assert at(late + timedelta(hours=1)) == late + timedelta(hours=1, minutes=1)  # … and then reads overdue
        assert at(START.replace(hour=23, minute=40)) == datetime(2026, 12, 6, 0, 0, tzinfo=ZONE)  # midnight first
        assert at(datetime(2026, 12, 6, 0, 10, tzinfo=ZONE)) == datetime(2026, 12, 6, 0, 20, tzinfo=ZONE)
    console.bot.advance(START.replace(hour=23, minute=59))
    before, said = _pin(console), len(console.chat.sent)
    console.bot.advance(datetime(2026, 12, 6, 0, 0, tzinfo=ZONE))  # local midnight: refreshed, nothing said
    assert _pin(console) != before and "超时 40分" in _pin(console)
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
