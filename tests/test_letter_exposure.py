"""Client letters say when the data was exposed (the exposure window from /breach facts --from --to), in both
letter variants and both languages; an end not recorded yet is a gap that blocks approval and says how to fill it."""

from __future__ import annotations

from tests.conftest import make_console
from tests.conftest import said as say
from tests.test_statement_facts import ROSTER, record_facts

EN = "The information was exposed from 20 November 2026, 09:00 to 27 November 2026, 18:00 (UTC+8)."
ZH = "相关信息的暴露时间为 2026年11月20日 09:00 至 2026年11月27日 18:00 UTC+8。"


def declared(engine, lang: str):
    console = make_console(engine, roster=ROSTER, lang=lang)
    console.bot.settings = console.bot.settings.model_copy(update={"firm_contact": "privacy@lin.example"})
    console.say("alice", "/breach declare Payroll export found on a public share --data payroll,bank_account", "general")
    say(console, "alice", "/breach public Payroll export found on a public share")
    record_facts(console, exposure=False)
    return console


def test_en_letters_carry_the_exposure_window_or_a_gap_for_each_end(sqlite_engine):
    console = declared(sqlite_engine, "en")
    card = say(console, "cathy", "/breach draft client")
    assert ("The information was exposed from [when the exposure began — to be confirmed] to "
            "[when the exposure ended — to be confirmed].") in card
    assert "Gaps to fill before it can be approved: when the exposure began, when the exposure ended" in card
    assert '  • when the exposure began: /breach facts --from "<when>"' in card
    refused = say(console, "erin", "/breach approve D-1")
    assert refused.startswith("D-1 v1 cannot be approved while it has gaps (when the exposure began, when the "
                              "exposure ended)")

    say(console, "bob", '/breach facts --from "2026-11-20 09:00"')
    card = say(console, "cathy", "/breach draft client")
    assert ("The information was exposed from 20 November 2026, 09:00 (UTC+8) to [when the exposure ended — to be "
            "confirmed].") in card
    say(console, "bob", '/breach facts --to "2026-11-27 18:00"')
    for command in ("/breach draft client", "/breach draft client --variant company"):
        card = say(console, "cathy", command)
        assert EN in card and "Gaps" not in card
    assert "✅ D-1 v3 approved" in say(console, "erin", "/breach approve D-1")


def test_zh_letters_carry_the_exposure_window_or_a_gap_for_each_end(sqlite_engine):
    console = declared(sqlite_engine, "zh")
    card = say(console, "cathy", "/breach 起草 客户通知")
    assert "相关信息的暴露时间为 [泄露开始时间——待确认] 至 [泄露结束时间——待确认]。" in card
    assert "批准前需补充：泄露开始时间、泄露结束时间" in card
    assert "  • 泄露开始时间：/breach 事实 --开始时间 <时间>" in card
    say(console, "bob", '/breach 事实 --开始时间 "2026-11-20 09:00" --结束时间 "2026-11-27 18:00"')
    for command in ("/breach 起草 客户通知", "/breach 起草 客户通知 --对象 企业", "/breach 起草 客户通知 --语言 英文"):
        card = say(console, "cathy", command)
        assert (ZH if "--语言" not in command else EN) in card and "待补充" not in card, card
