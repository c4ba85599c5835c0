"""What the bot shows reads once and types back (#18): a missed clock says so once, standard follow-ups name
their owners as people, `done all` ticks the current phase, and questions take their titles and n/a answers."""

from __future__ import annotations

from datetime import timedelta

from bot.chat import Mention
from tests.conftest import START, joined, make_console


def _clock_line(said: str, clock: str) -> str:
    return next(line for line in said.splitlines() if line.startswith(clock))


def test_a_missed_clock_says_it_is_overdue_once(sqlite_engine):
    for lang, affected, clocks, missed, late in (
            ("zh", "/breach 影响 中国=1200", "/breach 时限", "已逾期", "超时"),
            ("en", "/breach affected CN=1200", "/breach clocks", "MISSED", "late")):
        console = make_console(sqlite_engine, lang=lang)
        console.say("alice", "/breach declare payroll leak" if lang == "en" else "/breach 宣布 工资表泄露", "general")
        room = max((r for r in console.chat.rooms if r.startswith("breach-")), key=lambda r: int(r.split("-")[1]))
        console.say("alice", affected, room)
        console.advance(START + timedelta(days=2))
        row = _clock_line(joined(console.say("alice", clocks, room)), "cn-pipl-57/authority")
        assert row.count(missed) == 1 and late in row, row
        assert ("已逾期 · 截止 " if lang == "zh" else "MISSED · due ") in row, row


ROSTER = {"legal": ["erin"], "executive": ["frank"], "comms": ["carl"], "client_liaison": ["cathy"]}


def test_standard_follow_ups_name_their_owners_as_people(sqlite_engine):
    for lang, declare, close, shown in (
            ("en", "/breach declare Payroll export leaked", '/breach close --cause staff_error --lessons "x" --confirm',
             "F-1 Client satisfaction check with the affected clients (@cathy, "),
            ("zh", "/breach 宣布 工资表泄露", '/breach 结案 --原因 员工操作失误 --教训 "外链须设密码" --确认',
             "（@cathy，")):
        console = make_console(sqlite_engine, lang=lang, roster=ROSTER)
        console.say("alice", declare, "general")
        room = max((r for r in console.chat.rooms if r.startswith("breach-")), key=lambda r: int(r.split("-")[1]))
        sent = console.say("alice", close, room)
        scheduled = next(s for s in sent if s.op == "post" and s.text.startswith("📌"))
        assert shown in scheduled.text and "(cathy" not in scheduled.text, scheduled.text
        spans = [span for line in scheduled.message.lines for span in line]
        assert Mention("cathy") in spans and Mention("frank") in spans  # rendered as each platform names people
