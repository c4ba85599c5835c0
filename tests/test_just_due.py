"""A deadline that falls due now reads 'just due' / 刚刚到期, never 'in 0m', '0m late' or '超时 0分' (#18 trial
findings 21, 22); the progress updates to clients count from when the first client was told as recorded
(`--at "30 minutes ago"`), not from when it was typed (finding 10)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.incident import care
from storage.models import Deadline
from tests.conftest import said
from tests.test_care import team_of, told


@pytest.mark.parametrize("lang, declare, just", [
    ("zh", "/breach 宣布 工资表泄露 --知悉时间 1小时前", "截止 11月28日周六 10:05，刚刚到期"),
    ("en", '/breach declare Payroll export leaked --aware "1 hour ago"', "due Sat 28 Nov 10:05, just due"),
])
def test_a_phase_due_the_moment_it_is_declared_reads_just_due(sqlite_engine, lang, declare, just):
    console = team_of(sqlite_engine, lang)
    out = said(console, "alice", declare, "general")
    assert just in out, out
    for zero in ("0分", "0分钟", "in 0m", "0m late", "within 0"):
        assert zero not in out.replace("10:05", "").replace("09:05", ""), out
    status = said(console, "alice", "/breach 状态" if lang == "zh" else "/breach status")
    assert "刚刚到期" in status or "just due" in status, status


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_progress_update_counts_from_when_the_first_client_was_told(sqlite_engine, tmp_path, lang):
    console = team_of(sqlite_engine, lang)
    console.say("alice", '/breach declare Payroll export leaked --data payroll --aware "2 hours ago"')
    console.say("alice", "/breach public A payroll file was shared by mistake", "breach-1")
    rows_told = told_at(console, tmp_path)
    assert "📬" in rows_told, rows_told
    with Session(console.bot.engine) as s:
        [deadline] = s.exec(select(Deadline).where(Deadline.kind == care.UPDATE)).all()
    every = console.bot.playbook.client_updates.every
    assert deadline.due_at == console.clock.now() - timedelta(minutes=30) + every
    due = console.advance(console.clock.now() - timedelta(minutes=30) + every)
    shown = "\n".join(s.text for s in due if s.op == "post")
    assert ("刚刚到期" if lang == "zh" else "just due") in shown and "0分" not in shown and " 0m" not in shown, shown


def told_at(console, tmp_path) -> str:
    """`told` with the first client recorded as told half an hour ago."""
    return told(console, tmp_path, at="30 minutes ago")


def test_a_phase_done_less_than_a_minute_after_its_deadline_is_not_reported_zero_minutes_late(sqlite_engine):
    console = team_of(sqlite_engine, "zh")
    console.say("alice", "/breach 宣布 工资表泄露 --知悉时间 1小时前", "general")
    console.advance(console.clock.now() + timedelta(seconds=40))
    said(console, "alice", "/breach 完成 全部")
    report = export_md(console)
    assert "逾期 0分" not in report, report
    assert "按时" in report, report


def export_md(console) -> str:
    import re
    from pathlib import Path

    out = said(console, "alice", "/breach 报告 --格式 md")
    return Path(re.search(r"(/\S+\.md)", out).group(1)).read_text(encoding="utf-8")
