"""Leftovers of the new-user trial (#18): what a partner forwards as it is, and what the team reads back.

`/breach facts` alone shows the facts; letters and statements put causes in sentences, counts with thousands
separators, a Chinese narrative never in an English letter, likely consequences in every individual letter,
tax numbers named as the client's country names them; the letters' manifest in the workspace's language."""

from __future__ import annotations

import pytest

from tests.conftest import make_console
from tests.conftest import said as say
from tests.test_statement_facts import ROSTER


def test_facts_alone_shows_what_is_recorded(sqlite_engine):
    console = make_console(sqlite_engine, roster=ROSTER)
    console.say("alice", "/breach declare Payroll export on a public share", "general")
    assert say(console, "bob", "/breach facts") == (
        "Nothing is recorded yet for BR-1. Record facts: /breach facts --encrypted no --crime yes "
        "(see /breach help facts).")
    say(console, "bob", "/breach facts --encrypted no --data payroll,bank_account")
    say(console, "bob", "/breach answer cause third_party")
    shown = say(console, "bob", "/breach facts")
    assert shown == ("📋 Facts recorded for BR-1: cause: Third party; data leaked: payroll, bank accounts; data not "
                     "encrypted.\nTo change one: /breach facts --encrypted yes (see /breach help facts).")
    assert say(console, "bob", "/breach facts --bogus") != shown  # a wrong flag is still refused


def test_facts_alone_in_chinese(sqlite_engine):
    console = make_console(sqlite_engine, roster=ROSTER, lang="zh")
    console.say("alice", "/breach 宣布 工资表出现在公共共享盘", "general")
    say(console, "bob", "/breach 事实 --加密 否")
    shown = say(console, "bob", "/breach 事实")
    assert shown.startswith("📋 BR-1 已记录的事实：数据未加密。"), shown


@pytest.mark.parametrize("lang, title, shown", [
    ("en", "Payroll export found on a public share drive in the Shanghai office", "Payroll export found on a public share… · "),
    ("zh", "工资表出现在公共共享盘上，涉及上海办公室全部客户的银行账户和身份证号码以及更多内容，请尽快处理",
     "工资表出现在公共共享盘上，涉及上海办公室全部客户的银行账户和身份证号码以及更多… · "),
])
def test_history_cuts_a_long_title_between_words(sqlite_engine, lang, title, shown):
    console = make_console(sqlite_engine, roster=ROSTER, lang=lang)
    console.say("alice", f"/breach declare {title}", "general")
    listed = say(console, "alice", "/breach history")
    assert shown in listed, listed
    assert "shar ·" not in listed and "share dr" not in listed
