"""A regulator report's gap for the systems affected points to the fact that fills it (`/breach facts --systems`,
`/breach 事实 --系统`), not to editing the text (finding 15); filling it that way removes the gap."""

from __future__ import annotations

import pytest

from tests.conftest import make_console
from tests.conftest import said as say

CASES = {
    "zh": ("/breach 宣布 客户银行账户泄露 --数据 银行卡号", "/breach 影响 中国=1200", "/breach 起草 监管报告 --法规 个保",
           "• 受影响的系统：/breach 事实 --系统 <", "/breach 事实 --系统 共享盘、工资软件", "受影响的系统"),
    "en": ("/breach declare Client bank accounts leaked --data bank_account", "/breach affected CN=1200",
           "/breach draft regulator --regime PIPL", "• systems affected: /breach facts --systems <",
           "/breach facts --systems shared drive, payroll software", "systems affected"),
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_systems_gap_names_the_facts_flag(sqlite_engine, lang):
    declare, affected, draft, hint, fill, gap = CASES[lang]
    console = make_console(sqlite_engine, roster={"legal": ["erin"]}, lang=lang)
    console.say("alice", declare, "general")
    say(console, "erin", affected)
    card = say(console, "erin", draft)
    assert hint in card, card
    assert f"{gap}{'：' if lang == 'zh' else ': '}{'直接写入正文' if lang == 'zh' else 'write it into the text'}" not in card
    say(console, "erin", fill)
    card = say(console, "erin", draft)
    assert hint not in card, card
    assert ("共享盘、工资软件" if lang == "zh" else "shared drive, payroll software") in card, card
