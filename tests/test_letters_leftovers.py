"""Leftovers of the new-user trial (#18): what a partner forwards as it is, and what the team reads back.

`/breach facts` alone shows the facts; letters and statements put causes in sentences, counts with thousands
separators, a Chinese narrative never in an English letter, likely consequences in every individual letter,
tax numbers named as the client's country names them; the letters' manifest in the workspace's language."""

from __future__ import annotations

import pytest

from tests.conftest import make_console
from tests.conftest import said as say
from tests.test_statement_facts import ROSTER, import_clients, letters_in, record_facts


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


CSV = ("name,type,contact,language,residence,data\n"
       'Wang Fang,individual,wang@example.cn,zh,CN,"bank_account,tax_id"\n'
       "Hans Müller,individual,hans@example.de,en,EU,tax_id\n"
       "Amy Lee,individual,amy@example.com,en,US-CA,tax_id\n"
       "Jack Smith,individual,jack@example.au,en,AU,tax_id\n")


def zh_team_with_letters(engine, tmp_path, *, public: str) -> dict[str, str]:
    """A zh firm's incident with every fact a letter states, an English and a Chinese letter approved and merged."""
    console = make_console(engine, roster=ROSTER, lang="zh")
    console.bot.settings = console.bot.settings.model_copy(update={"firm_contact": "privacy@lin.example"})
    console.say("alice", "/breach 宣布 工资表泄露 --data payroll,bank_account --clients 4", "general")
    say(console, "alice", f"/breach public {public}")
    say(console, "alice", "/breach affected CN=1858 EU=1200 US-CA=1 AU=1")
    record_facts(console)
    say(console, "bob", "/breach answer cause third_party")
    import_clients(console, tmp_path, CSV)
    say(console, "cathy", "/breach draft client --lang zh")
    say(console, "erin", "/breach approve D-1")
    return console


def test_a_chinese_description_never_goes_into_an_english_letter(sqlite_engine, tmp_path):
    console = zh_team_with_letters(sqlite_engine, tmp_path, public="工资表被误放在公共共享盘上")
    card = say(console, "cathy", "/breach draft client --lang en")
    assert "工资表" not in card
    assert "[description of what happened in English (the one recorded is in Chinese) — to be confirmed]" in card
    assert "• 英文的事件说明（已记录的说明是中文）：用英文写一遍：/breach 对外说明 <英文的事件说明>" in card
    assert say(console, "erin", "/breach approve D-2").startswith("D-2 第1版 仍有待补充项（英文的事件说明（已记录的说明是中文）），不能批准")
    say(console, "alice", "/breach public Payroll sheets were left on a public share drive")
    card = say(console, "cathy", "/breach draft client --lang en")
    assert "incident: Payroll sheets were left on a public share drive." in card and "to be confirmed" not in card
    assert "知悉以下事件：工资表被误放在公共共享盘上。" in say(console, "cathy", "/breach draft client --lang zh")


def test_letters_in_a_chinese_firm_read_right_in_both_languages(sqlite_engine, tmp_path):
    console = zh_team_with_letters(sqlite_engine, tmp_path, public="工资表被误放在公共共享盘上")
    say(console, "alice", "/breach public Payroll sheets were left on a public share drive")
    say(console, "cathy", "/breach draft client --lang en")
    say(console, "erin", "/breach approve D-2")
    letters = letters_in(console.say("cathy", "/breach letters D-1 D-2", "breach-1"))
    wang, hans, amy, jack = (letters[f"0000{n}-{name}.txt"] for n, name in
                             enumerate(("Wang_Fang", "Hans_Müller", "Amy_Lee", "Jack_Smith"), start=1))
    # the likely consequences (GDPR Art. 34, PIPL Art. 17) in the English letter as in the Chinese one
    assert "What This Could Mean for You\nCriminals could use bank, tax or identity details" in hans
    assert "可能造成的影响\n不法分子可能利用" in wang
    # the cause in a sentence, not a label
    assert "Our investigation found that it was caused by a third party that works with our firm (a supplier or " \
           "service provider)." in hans and "Third party" not in hans
    assert "经调查，事件由与本所合作的第三方（供应商或服务商）造成。" in wang and "原因为：第三方" not in wang
    # a tax number is named as the client's own country names it: no TFN or SSN for a German, no TFN in Chinese
    assert "What Information Was Involved\nTax identification numbers." in hans and "TFN" not in hans
    assert "Social Security numbers and tax IDs." in amy and "TFN" not in amy
    assert "What Information Was Involved\nTax file numbers." in jack and "SSN" not in jack
    assert "涉及哪些信息\n银行账户、税号。" in wang and "TFN" not in wang and "社保号" not in wang
    # the manifest a partner forwards: headers and values in the workspace's language
    manifest = letters["manifest.csv"].splitlines()
    assert manifest[0] == "文件,客户,类型,语言,居住地,涉及数据,文书,版本,通知时间"
    assert manifest[1] == "00001-Wang_Fang.txt,Wang Fang,个人,中文,中国大陆,银行账户、税号,D-1,1,"
    assert manifest[2] == "00002-Hans_Müller.txt,Hans Müller,个人,英文,欧盟,税号,D-2,1,"


def test_counts_in_statements_have_thousands_separators(sqlite_engine, tmp_path):
    console = zh_team_with_letters(sqlite_engine, tmp_path, public="Payroll sheets were left on a public share drive")
    for draft, shown in (("/breach draft press --lang en", "About 3,060 people may be affected."),
                         ("/breach draft press --lang zh", "约 3,060 人可能受到影响。"),
                         ("/breach draft regulator --regime cn-pipl-57 --lang zh", "中国大陆 1,858"),
                         ("/breach draft regulator --regime cn-pipl-57 --lang en", "5. Impact: 3,060 people (CN 1,858, EU 1,200"),
                         ("/breach draft regulator --regime eu-gdpr-33 --lang en", "1,200 living in ")):
        card = say(console, "gina", draft)
        assert shown in card, (draft, card)
        assert "1858" not in card and "3060" not in card and "1200" not in card


def test_doctor_speaks_plainly_and_leaves_healthz_out_of_a_console_setup(tmp_path, capsys, monkeypatch):
    from handlers.cli import main

    for name in ("SLACK_BOT_TOKEN", "WECOM_CORP_ID", "DATABASE_URL", "BREACHBOT_DATA_KEY", "BREACHBOT_LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'd.db'}"
    assert main(["doctor", "--db", url]) == 1
    said = capsys.readouterr().out
    assert "✓ firm config: no breachbot.toml; nobody on the roster" in said
    assert "⚠ firm identity: nothing set: name, English name (name_en), contact (each is a gap in every statement)" in said
    assert "✗ migrations: no tables yet; the code needs " in said
    assert "✓ platform: no Slack or WeCom credentials: the console workspace" in said
    assert "healthz" not in said and "liveness" not in said and "roster of" not in said and "at nothing" not in said


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_clocks_not_met_after_clients_are_told_are_one_line(sqlite_engine, tmp_path, lang):
    console = make_console(sqlite_engine, roster=ROSTER, lang=lang)
    console.bot.settings = console.bot.settings.model_copy(update={"firm_contact": "privacy@lin.example"})
    console.say("alice", "/breach declare Payroll leak --data payroll,bank_account --clients 4", "general")
    say(console, "alice", "/breach public Payroll sheets were left on a public share drive")
    say(console, "alice", "/breach affected CN=5 US-CA=2")
    record_facts(console)
    import_clients(console, tmp_path, "name,type,contact,language,residence,data\n"
                                      "Wang Fang,individual,wang@example.cn,zh,CN,bank_account\n"
                                      "Li Lei,individual,li@example.cn,zh,CN,bank_account\n"
                                      "Amy Lee,individual,amy@example.com,en,US-CA,tax_id\n"
                                      "Bob Ray,individual,bob@example.com,en,US-CA,tax_id\n")
    for number, draft in enumerate(("--lang zh", "--lang en"), start=1):
        say(console, "cathy", f"/breach draft client {draft}")
        say(console, "erin", f"/breach approve D-{number}")
    say(console, "cathy", "/breach letters D-1 D-2")
    said = say(console, "cathy", "/breach clients notified 1,3 --via email")
    if lang == "en":
        assert ("⚖️ 2 notices to people not met until every client they cover is reached: PIPL: personal information leak "
                "(Affected individuals) 1/2 (5 people recorded as affected there); California data breach notification "
                "(California residents) 1/2.") in said, said
        assert said.count("not met") == 1 and said.count("import them into the register") == 1
    else:
        assert ("⚖️ 以下 2 项对个人的告知在所涉客户全部送达前不算满足：个人信息保护法：个人信息泄露（受影响的个人） 1/2"
                "（该地区记录的受影响人数为 5 人）；加利福尼亚州数据泄露通知（加利福尼亚州居民） 1/2。") in said, said
        assert said.count("不算满足") == 1


@pytest.mark.parametrize("places, en, zh", [
    ([], "Tax identification numbers", "税号"),
    (["DE"], "Tax identification numbers", "税号"),
    (["US-CA", "CN"], "Social Security numbers and tax IDs", "美国社会安全号码和税号"),
    (["CN", "AU"], "Tax identification numbers / Tax file numbers", "税号 / 澳大利亚税务档案号码"),
])
def test_a_tax_number_is_named_for_the_readers_countries(places, en, zh):
    from bot.statements.template_context import place_label

    assert (place_label("tax_id", places, "en"), place_label("tax_id", places, "zh")) == (en, zh)
    assert place_label("payroll", places, "en") is None  # named the same everywhere: the playbook's label


def test_an_english_status_names_overdue_laws_in_english(sqlite_engine):
    from datetime import timedelta

    console = make_console(sqlite_engine, roster=ROSTER)
    console.say("alice", "/breach declare Payroll leak --data payroll,bank_account", "general")
    say(console, "alice", "/breach affected CN=20")
    console.advance(console.clock.now() + timedelta(days=2))
    status = say(console, "alice", "/breach status")
    assert "PIPL (cn-pipl-57/authority)" in status and "DSL (cn-dsl-29/report)" in status, status
    assert "个人信息保护法" not in status and "数据安全法" not in status and "条例" not in status
