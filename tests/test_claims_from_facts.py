"""A claim in outward text comes from a recorded fact, never from a ticked task alone: ticking "restore data
from clean backups where needed" (or every containment task) makes no letter, press release or regulator
report say "we restored data from backups"; /breach facts --measures records what was actually done."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from storage.models import Incident
from tests.conftest import said as say
from tests.test_statement_facts import team

TICKS = "/breach done 4.1 4.2 4.3 4.4 4.5"
CLAIMS = {"en": ("We restored data from clean backups", "We isolated the affected systems",
                 "We reset the exposed passwords and credentials"),
          "zh": ("已从干净的备份恢复数据", "已隔离受影响的系统", "已重置泄露的账号密码")}
GAP = {"en": "[measures taken — to be confirmed]", "zh": "[已采取的措施——待确认]"}
RECORD = {"en": "/breach facts --measures isolate, 4.3", "zh": "/breach 事实 --措施 4.1、重置泄露的账号密码"}
DRAFTS = {"en": ("/breach draft client", "/breach draft press", "/breach draft regulator --regime eu-gdpr-33"),
          "zh": ("/breach 起草 客户通知", "/breach 起草 新闻稿", "/breach 起草 监管报告 --法规 eu-gdpr-33")}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_ticked_tasks_claim_nothing_and_recorded_measures_are_stated(sqlite_engine, lang):
    console = team(sqlite_engine, contact="privacy@lin.example", lang=lang)
    say(console, "alice", "/breach affected CN=2 EU=1")
    ticked = say(console, "bob", TICKS)  # every containment task ticked, backups included
    assert ("Restore data from clean backups where needed" if lang == "en" else "必要时从干净的备份恢复数据") in ticked
    restored, isolated, reset = CLAIMS[lang]
    for command in DRAFTS[lang]:
        text = say(console, "cathy", command)
        assert restored not in text and isolated not in text, command
        assert GAP[lang] in text, command

    recorded = say(console, "bob", RECORD[lang])
    assert ("measures taken: Isolate the affected systems, Reset exposed credentials" if lang == "en"
            else "已采取的措施：隔离受影响的系统、重置泄露的账号密码") in recorded
    for command in DRAFTS[lang]:
        text = say(console, "cathy", command)
        assert isolated in text and reset in text, command
        assert restored not in text and GAP[lang] not in text, command


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_unknown_measure_is_refused_with_the_choices_and_nothing_changes(sqlite_engine, lang):
    console = team(sqlite_engine, lang=lang)
    refused = say(console, "bob", "/breach facts --measures 4.1,aliens")
    assert refused.startswith("No measure called aliens. The measures statements can state: 4.1 isolate, 4.2 fix_hole, "
                              if lang == "en" else "没有名为 aliens 的措施。可对外说明的措施：4.1 隔离受影响的系统、4.2 修复导致泄露的漏洞、")
    assert ("/breach facts --measures" if lang == "en" else "/breach 事实 --措施") in refused
    with Session(sqlite_engine) as s:
        assert "measures" not in s.exec(select(Incident)).one().facts
