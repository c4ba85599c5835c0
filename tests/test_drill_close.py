"""Drills end cleanly: once a drill is closed, none of its legal clocks, reminders or follow-ups page anyone,
not even weeks later, while a real incident's legal clocks keep reminding after close."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import joined, make_console


def test_a_closed_drill_sends_nothing_more_for_weeks(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh")
    console.say("alice", "/breach 宣布 演练：网盘泄露 --severity high --data payroll,bank_account --drill", "general")
    console.say("alice", "/breach 影响 中国=1200 US-CA=40", "breach-1")  # legal clocks start (fictitious ones)
    console.say("alice", "/breach 跟进 复核网盘权限 --owner @alice --due +3d", "breach-1")
    console.advance(console.clock.now() + timedelta(hours=2))
    said = joined(console.say("alice", "/breach 结案 --cause staff_error --lessons 演练顺利 --confirm", "breach-1"))
    assert "是演练：其通报时限、提醒和后续行动现已全部停止" in said
    later = console.advance(console.clock.now() + timedelta(days=45))
    assert [s for s in later if s.op in ("post", "direct", "reply")] == []
    refused = joined(console.say("alice", "/breach 跟进 再次复核 --owner @alice --due +3d", "breach-1"))
    assert "是已结束的演练，不再添加后续行动" in refused
    assert [s for s in console.advance(console.clock.now() + timedelta(days=10)) if s.op != "upload"] == []


def test_a_real_incident_still_reminds_its_legal_clocks_after_close(sqlite_engine):
    console = make_console(sqlite_engine)
    console.say("alice", "/breach declare Payroll share --severity high --data payroll,bank_account", "general")
    console.say("alice", "/breach affected CN=1200", "breach-1")
    console.say("alice", "/breach close --cause staff_error --lessons Fine --confirm", "breach-1")
    later = joined(console.advance(console.clock.now() + timedelta(days=2)))
    assert "cn-pipl-57" in later
