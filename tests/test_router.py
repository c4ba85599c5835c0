"""The text grammar every platform shares."""

from __future__ import annotations

import pytest

from bot import commands as c
from bot.errors import UserError
from handlers.router import parse, tokenize, user_ref


@pytest.mark.parametrize(("typed", "expected"), [
    ("/breach", c.Help()),
    ("/breach help declare", c.Help(topic="declare")),
    ("/breach declare Payroll export leaked --severity high",
     c.Declare(title="Payroll export leaked", severity="high")),
    ('/breach declare --aware "2h ago" --clients 1,200 --data payroll,bank_account --drill "Ledger on USB"',
     c.Declare(title="Ledger on USB", aware="2h ago", clients=1200, data=("payroll", "bank_account"), drill=True)),
    ("/breach declare Client's payroll  emailed out", c.Declare(title="Client's payroll  emailed out")),
    ("/breach declare 工资表泄露 --severity critical", c.Declare(title="工资表泄露", severity="critical")),
    ("/breach status BR-2", c.Status(incident=2)),
    ("/breach status br2", c.Status(incident=2)),
    ("/breach assign @bob it_security", c.Assign(user="bob", role="it_security")),
    ("/breach assign it_security <@U024BE7LH|bob>", c.Assign(user="U024BE7LH", role="it_security")),
    ("/breach assign BR-3 @bob LEGAL", c.Assign(user="bob", role="legal", incident=3)),
    ("/breach unassign legal", c.Unassign(role="legal")),
    ("/breach log rotated keys -- all of them --force", c.Log(text="rotated keys -- all of them --force")),
    ("/breach log BR-4 called the bank", c.Log(text="called the bank", incident=4)),
    ("/breach decision Take the share offline", c.Log(text="Take the share offline", decision=True)),
    ("/breach tasks all", c.Tasks(all=True)),
    ("/breach done 4.2 reset every password", c.Done(task="4.2", note="reset every password")),
    ("/breach done isolate", c.Done(task="isolate")),
    ('/breach phase next --reason "waiting on the bank"', c.Phase(target="next", reason="waiting on the bank")),
    ("/breach phase containment", c.Phase(target="containment")),
    ('/breach close --cause insider --lessons "Vet access"', c.Close(cause="insider", lessons="Vet access")),
    ("/breach 宣布 工资表泄露", c.Declare(title="工资表泄露")),
    ("/breach 下一阶段", c.Phase(target="next")),
    ("/breach 记录 已通知银行", c.Log(text="已通知银行")),
])
def test_parse(typed, expected):
    assert parse(typed) == expected


@pytest.mark.parametrize(("typed", "first_line"), [
    ("/breach nope", "I don't know /breach nope."),
    ("/breach declare x --clients -5", "--clients takes a whole number, not '-5'."),
    ("/breach phase", "Say where to: /breach phase next, or /breach phase <key or number>."),
])
def test_errors_name_the_fix_and_show_usage(typed, first_line):
    with pytest.raises(UserError) as err:
        parse(typed)
    text = err.value.message.plain_text()
    assert text.startswith(first_line)


def test_usage_follows_flag_errors():
    with pytest.raises(UserError) as err:
        parse("/breach close --cause insider")
    assert err.value.message.plain_text().splitlines()[1].startswith("Usage: /breach close --cause")


def test_errors_in_chinese():
    with pytest.raises(UserError) as err:
        parse("/breach 乱码", lang="zh")
    assert err.value.message.plain_text().startswith("不认识 /breach 乱码")


def test_tokenize_keeps_unpaired_quotes_literal():
    assert [t.text for t in tokenize("it's “quoted words” 'x")] == ["it's", "quoted words", "'x"]


def test_user_ref():
    assert user_ref("<@U1|a>") == "U1" and user_ref("@li.wei") == "li.wei" and user_ref("bob") is None
