"""Chat names people by their display names (#18 trial finding 8): a letter not yet approved names who approves
it by role and name (`请 法务合规 陈晓 用 /breach 批准 D-1 批准`), never by platform id (`@erin`)."""

from __future__ import annotations

import pytest

from tests.conftest import make_console

ROSTER = {"legal": ["erin"], "client_liaison": ["cathy"]}
PEOPLE = {"erin": "陈晓", "cathy": "Cathy Wu"}


@pytest.mark.parametrize("lang, typed, wanted", [
    ("zh", "/breach 信函 D-1", "请 法务合规 @陈晓 用 /breach 批准 D-1 批准"),
    ("en", "/breach letters D-1", "Legal / compliance @陈晓"),
])
def test_a_letter_not_approved_names_its_approver_by_display_name(sqlite_engine, lang, typed, wanted):
    console = make_console(sqlite_engine, roster=ROSTER, people=PEOPLE, lang=lang)
    console.say("alice", "/breach declare Payroll export leaked --data payroll", "general")
    console.say("cathy", "/breach draft client", "breach-1")
    console.chat.out.seek(0)
    console.chat.out.truncate()
    console.say("cathy", typed, "breach-1")
    shown = console.chat.out.getvalue()
    assert wanted in shown, shown
    assert "@erin" not in shown, shown


@pytest.mark.parametrize("lang, typed, wanted", [
    ("zh", "/breach 配置", "法务合规: 陈晓; 客户联络: Cathy Wu"),
    ("en", "/breach config", "Legal / compliance: 陈晓; Client liaison: Cathy Wu"),
])
def test_the_settings_show_the_roster_by_display_name(sqlite_engine, lang, typed, wanted):
    console = make_console(sqlite_engine, roster=ROSTER, people=PEOPLE, lang=lang)
    said = "\n".join(s.text for s in console.say("cathy", typed, "general"))
    assert wanted in said, said
    assert "@erin" not in said and "@cathy" not in said, said
