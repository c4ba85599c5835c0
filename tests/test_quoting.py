"""Quotes in a command never corrupt a record: a quoted item of a --data list is one category, a quoted outlet is the
whole outlet, and words whose place is unclear are refused with the command to type (trial items 14-16)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot import commands as c
from handlers.console.workspace import ConsoleWorkspace
from handlers.router import parse, tokenize
from storage.models import Incident
from tests import test_forgiving_input as forgiving
from tests.conftest import joined
from tests.test_forgiving_input import refused

# The same 2 a.m. consoles as the forgiving-input tests (zh and en), shared rather than written again.
zh = forgiving.zh
en = forgiving.en


def incidents(bot: ConsoleWorkspace) -> list[Incident]:
    with Session(bot.bot.engine) as s:
        return list(s.exec(select(Incident).order_by(Incident.number)))


def test_a_quoted_item_in_a_list_is_one_word():
    assert [t.text for t in tokenize('--data "bank account",ssn x')] == ["--data", '"bank account",ssn', "x"]
    assert [t.text for t in tokenize('--data ssn,"bank account",tax_id')] == ["--data", 'ssn,"bank account",tax_id']
    assert [t.text for t in tokenize("it's “quoted words” 'x")] == ["it's", "quoted words", "'x"]


@pytest.mark.parametrize(("typed", "expected"), [
    ('/breach declare Test quoting --data "bank account",ssn --drill',
     c.Declare(title="Test quoting", data=("bank account", "ssn"), drill=True)),
    ('/breach declare Test --data ssn,"bank account",tax_id',
     c.Declare(title="Test", data=("ssn", "bank account", "tax_id"))),
    ('/breach 宣布 测试 --数据 税号、“银行 账户”', c.Declare(title="测试", data=("税号", "银行 账户"))),
    ("/breach declare --data ssn Laptop stolen", c.Declare(title="Laptop stolen", data=("ssn",))),
    ('/breach facts --data ssn,"bank account",tax_id', c.Facts(changes=(("data", "ssn,bank account,tax_id"),))),
    ('/breach media "Albany Times Union" Is it true client SSNs were exposed?',
     c.Media(outlet="Albany Times Union", text="Is it true client SSNs were exposed?")),
    ("/breach 媒体 「南方 都市报」 客户何时会收到通知？", c.Media(outlet="南方 都市报", text="客户何时会收到通知？")),
])
def test_quotes_are_read_as_typed(typed, expected):
    assert parse(typed) == expected


def test_facts_store_a_quoted_category(en):
    en.say("alice", "/breach declare Portal exposed")
    en.say("alice", '/breach facts --data payroll,"bank account",tax_id', "breach-1")
    assert sorted(incidents(en)[0].facts["data"]) == ["bank_account", "payroll", "tax_id"]


def test_words_after_a_data_list_are_refused_not_swallowed(en, zh):
    text = refused(en, "/breach declare Client tax workpapers exposed via misconfigured client portal --severity critical "
                       "--clients 6 --data ssn,bank account", room="general")
    assert text.startswith("Is 'account' part of the title or of --data? Nothing was recorded.")
    assert '/breach declare <title> --data ssn,"bank account"' in text
    assert incidents(en) == []
    text = refused(zh, "/breach 宣布 门户泄露 --数据 税号,银行 账户", room="general")
    assert text.startswith("“账户”是标题的一部分，还是--数据的内容？未作任何记录。")
    assert '/breach 宣布 <标题> --数据 税号,"银行 账户"' in text


def test_a_quoted_outlet_is_logged_whole(en, zh):
    en.say("alice", "/breach declare Portal exposed")
    seen = joined(en.say("alice", '/breach media "Albany Times Union" Is it true client SSNs were exposed?', "breach-1"))
    assert "from Albany Times Union" in seen
    listed = joined(en.say("alice", "/breach media", "breach-1"))
    assert "Albany Times Union" in listed and 'Union"' not in listed
    text = refused(en, '/breach media "Albany Times Union Is it true?', room="breach-1")
    assert text.startswith("The quotes around the outlet are not closed")
    zh.say("alice", "/breach 宣布 门户泄露")
    text = refused(zh, "/breach 媒体 “南方都市报 客户何时会收到通知？", room="breach-1")
    assert text.startswith("媒体名称的引号没有闭合")
