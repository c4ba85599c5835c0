"""Drafts show facts in the reader's words: the CAC level's label (一般 / general), never its key."""

from __future__ import annotations

import pytest

from tests.conftest import said as say
from tests.test_statement_facts import team

LEVEL = {"en": ("/breach facts --cac-level relatively_major", "/breach draft regulator --regime cn-pipl-57",
                "4. Level: relatively major\n"),
         "zh": ("/breach 事实 --事件级别 较大", "/breach 起草 监管报告 --法规 个保法", "四、事件级别：较大\n")}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_regulator_report_shows_the_cac_level_label_not_its_key(sqlite_engine, lang):
    console = team(sqlite_engine, contact="privacy@lin.example", lang=lang)
    record, draft, expected = LEVEL[lang]
    say(console, "erin", record)
    text = say(console, "cathy", draft)
    assert expected in text
    assert "relatively_major" not in text


TOLD = ("eu-gdpr-33/authorities", "cn-pipl-57/authority", "cn-pipl-57/owner", "eu-gdpr-33/owner",
        "us-ca-1798-82/owner", "us-ca-1798-82/ag", "hk-pdpo/notice")
AUTHORITIES = {
    "en": ("Every EU supervisory authority where affected people live", "Personal information protection authority",
           "California Attorney General", "the Privacy Commissioner for Personal Data (PCPD)"),
    "zh": ("受影响者所在各成员国的数据保护监管机构", "履行个人信息保护职责的部门", "加利福尼亚州总检察长", "个人资料私隐专员公署")}
NOT_AUTHORITIES = {"en": ("Each client that owns the data", "data subjects", "residents", "Individuals"),
                   "zh": ("委托客户", "资料当事人", "居民", "个人、")}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_media_and_press_name_only_the_authorities_told_each_once(sqlite_engine, lang):
    console = team(sqlite_engine, contact="privacy@lin.example", lang=lang)
    say(console, "alice", "/breach affected CN=2 US-CA=600 EU=1 HK=1")
    say(console, "bob", "/breach facts --on-behalf yes --encrypted no")
    for clock in TOLD:
        assert "✅" in say(console, "erin", f"/breach notified {clock} --ref R-1"), clock
    for kind in ("media", "press"):
        text = say(console, "gina", f"/breach draft {kind}")
        told = next(line for line in text.splitlines() if "authorities concerned" in line or "以下机关" in line)
        for name in AUTHORITIES[lang]:
            assert told.count(name) == 1, (kind, name, told)
        for name in NOT_AUTHORITIES[lang]:
            assert name not in told, (kind, name, told)
