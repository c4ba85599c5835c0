"""Leaving a phase with open tasks: the way on is shown as the person can type it back, never as a key."""

from __future__ import annotations

from tests.conftest import make_console, said


def test_zh_the_reason_hint_names_the_phase_in_chinese_and_works_when_typed_back(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh")
    said(console, "alice", "/breach 宣布 工资表泄露", room="general")
    hint = said(console, "alice", "/breach 阶段 控制")
    assert "/breach 阶段 控制事态 --理由" in hint and "containment" not in hint, hint
    moved = said(console, "alice", '/breach 阶段 控制事态 --理由 "范围已清楚"')
    assert "控制事态" in moved and "--理由" not in moved, moved


def test_en_the_reason_hint_names_the_phase_by_its_title(sqlite_engine):
    console = make_console(sqlite_engine)
    said(console, "alice", "/breach declare Payroll leak", room="general")
    hint = said(console, "alice", "/breach phase 2")  # a title with spaces is quoted
    assert '/breach phase "Preliminary investigation" --reason' in hint and "brief" not in hint, hint
    moved = said(console, "alice", '/breach phase "Preliminary investigation" --reason "scope known"')
    assert "Preliminary investigation" in moved and "--reason" not in moved, moved


def test_zh_where_to_asks_for_a_name_or_number_not_a_key(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh")
    said(console, "alice", "/breach 宣布 工资表泄露", room="general")
    assert "<阶段名称或编号>" in said(console, "alice", "/breach 阶段") and "键" not in said(console, "alice", "/breach 阶段")
