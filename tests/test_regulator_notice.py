"""A regulator notice under any law is addressed to that law's authority, cites it, lists what that law says the
notice must contain and counts the people affected who live where it applies; a law that tells no authority is
refused with the laws that do (issue #21)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from storage.models import Draft
from tests.conftest import make_console
from tests.conftest import said as say

FACTS = {"en": ("/breach affected US-FL=600 DE=30 CN=10 US-TN=5", "/breach facts --encrypted no"),
         "zh": ("/breach 影响 US-FL=600 DE=30 CN=10 US-TN=5", "/breach 事实 --加密 否")}


def incident(engine, lang: str):
    console = make_console(engine, roster={"legal": ["erin"]}, lang=lang)
    console.say("alice", "/breach declare Payroll leak --data payroll,tax_id --clients 4", "general")
    for command in FACTS[lang]:
        say(console, "erin", command)
    return console


def drafts(engine) -> list[Draft]:
    with Session(engine) as session:
        return list(session.exec(select(Draft)))


def test_a_florida_notice_goes_to_the_florida_attorney_general_with_florida_s_content_and_count(sqlite_engine):
    console = incident(sqlite_engine, "en")
    text = say(console, "erin", "/breach draft regulator --regime Florida")
    # Fla. Stat. §501.171(3): notice to the Department of Legal Affairs, its own required content
    assert "Notice of a personal information breach to Florida Department of Legal Affairs (Attorney General)" in text
    assert "Under: Florida data breach notification (Fla. Stat. §501.171)" in text
    assert "People affected who live in Florida: 600" in text
    assert "Required content (Fla. Stat. §501.171):\n    - synopsis of the events\n    - number of Floridians " \
           "affected\n    - services offered to individuals\n    - a copy of the notice\n    - contact for further " \
           "information" in text
    for gdpr in ("GDPR", "Art. 33", "Controller", "data subjects", "645", "date or date range of the breach"):
        assert gdpr not in text


def test_a_chinese_florida_notice_is_addressed_and_counted_the_same_way(sqlite_engine):
    text = say(incident(sqlite_engine, "zh"), "erin", "/breach 起草 监管报告 --法规 佛罗里达")
    assert "个人信息泄露通报：致佛罗里达州法律事务部（总检察长）" in text
    assert "依据：佛罗里达州数据泄露通知（《佛罗里达州法规》第501.171条）" in text
    assert "居住在佛罗里达州的受影响者：600 人" in text
    assert "法定内容（《佛罗里达州法规》第501.171条）：\n    - 事件概要\n    - 受影响的佛罗里达州居民人数\n" in text
    for english in ("number of Floridians affected", "synopsis of the events", "英文原文"):  # issue #18
        assert english not in text
    for gdpr in ("GDPR", "第33条", "控制者", "645"):
        assert gdpr not in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_law_with_no_authority_notice_is_refused_naming_those_that_apply(sqlite_engine, lang):
    console = incident(sqlite_engine, lang)
    typed = "/breach draft regulator --regime Tennessee" if lang == "en" else "/breach 起草 监管报告 --法规 田纳西"
    refused = say(console, "erin", typed)
    if lang == "en":
        assert refused.startswith("us-tn-47-18-2107 (Tennessee data breach notification) requires no notice to an "
                                  "authority, so there is no regulator notice to draft under it. Regulator notices "
                                  "BR-1 owes on the facts recorded: ")
        assert "us-fl-501-171 (Florida data breach notification)" in refused
        assert "eu-gdpr-33 (GDPR: notify the supervisory authority)" in refused
        assert refused.endswith("Type, for example: /breach draft regulator --lang en --regime cn-pipl-57")
    else:
        assert refused.startswith("田纳西州（田纳西州数据泄露通知）不要求向主管机关通报，因此无法依该法规起草监管报告。"
                                  "根据已记录的事实，BR-1 须依以下法规向主管机关通报：")
        assert "佛罗里达州数据泄露通知" in refused and "GDPR：通知监管机构" in refused
    listed = refused.split("：" if lang == "zh" else ": ", 1)[1]
    assert "Tennessee" not in listed and "田纳西" not in listed  # Tennessee is not among those that apply
    assert drafts(sqlite_engine) == []


def test_with_no_authority_owed_yet_the_refusal_says_to_record_the_facts(sqlite_engine):
    console = make_console(sqlite_engine, roster={"legal": ["erin"]})
    console.say("alice", "/breach declare Payroll leak --data payroll,tax_id", "general")
    refused = say(console, "erin", "/breach draft regulator --regime eu-gdpr-34")
    assert refused == ("eu-gdpr-34 (GDPR: tell the people affected) requires no notice to an authority, so there is "
                       "no regulator notice to draft under it. On the facts recorded so far no law requires BR-1 to "
                       "notify an authority: record them with /breach affected and /breach facts, then see "
                       "/breach clocks.")
    assert drafts(sqlite_engine) == []


def test_the_gdpr_notice_counts_only_the_people_living_in_the_eu(sqlite_engine):
    text = say(incident(sqlite_engine, "en"), "erin", "/breach draft regulator --regime eu-gdpr-33")
    assert "Approximate number of data subjects: 30 living in the EU\n" in text
    assert "645" not in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_law_whose_authority_threshold_is_not_met_is_refused_with_its_reason(sqlite_engine, lang):
    # Fla. Stat. §501.171(3)(a): the Department is told only when 500 or more Floridians are notified; Tex. Bus. &
    # Com. Code §521.053(i): the Attorney General only when at least 250 Texans are. 60 and 85 trigger neither.
    console = make_console(sqlite_engine, roster={"legal": ["erin"]}, lang=lang)
    console.say("alice", "/breach declare Payroll leak --data payroll,tax_id --clients 4", "general")
    say(console, "erin", "/breach affected US-FL=60 US-TX=85 CN=10" if lang == "en" else "/breach 影响 US-FL=60 US-TX=85 CN=10")
    say(console, "erin", FACTS[lang][1])
    for regime, why in (("Florida", ("500", "60")), ("Texas", ("250", "85"))):
        typed = (f"/breach draft regulator --regime {regime}" if lang == "en" else
                 f"/breach 起草 监管报告 --法规 {'佛罗里达' if regime == 'Florida' else '得克萨斯'}")
        refused = say(console, "erin", typed)
        head = ("does not require a notice to its authority on the facts recorded for BR-1: " if lang == "en"
                else "不要求向主管机关通报：")
        assert head in refused, refused
        assert all(n in refused for n in why), refused
        assert ("cn-pipl-57" if lang == "en" else "个人信息保护法") in refused
    assert drafts(sqlite_engine) == []
    # the law that applies is still drafted
    say(console, "erin", "/breach draft regulator --regime cn-pipl-57" if lang == "en" else "/breach 起草 监管报告 --法规 个保法")
    assert len(drafts(sqlite_engine)) == 1
