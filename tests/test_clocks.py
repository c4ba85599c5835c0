"""Legal clocks in the war room: computed from facts, recomputed on change, reminded, met, exported."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, select

from bot.law import coverage
from bot.law.regimes import IncidentFacts, evaluate
from bot.report.export import as_dict
from bot.settings import FirmConfig
from bot.text.facts import DATA_CATEGORIES, RESIDENCES
from storage.models import Deadline, Incident, TimelineEvent, Workspace
from tests.conftest import START, joined, make_console


def shanghai_firm(engine):
    console = make_console(engine, roster={"legal": ["erin"], "executive": ["frank"]})
    console.say("alice", "/breach declare Client bank accounts exposed --data bank_account,name --clients 1240")
    return console


def test_the_shanghai_firm_sees_the_right_clocks(engine):
    console = shanghai_firm(engine)
    sent = console.say("erin", "/breach affected CN=1200 US-CA=40", "breach-1")
    announced = [s.text for s in sent if s.op == "post" and s.text.startswith("⚖️")]
    # the law's 30 days end at the end of the 30th calendar day in the workspace's time zone
    assert "⚖️ California data breach notification (California residents) now applies: due Mon 28 Dec 23:59, " \
           "in 30d 13h" in announced  # named, never by its id (#18 trial finding 9)
    assert len(announced) == 5 and not any("/" in a.split(" now applies")[0] for a in announced), announced
    assert any(a.startswith("⚖️ PIPL: personal information leak (Affected individuals) now") for a in announced)
    listing = joined(console.say("erin", "/breach clocks", "breach-1"))
    assert listing.splitlines()[0] == "⚖️ Notification clocks for BR-1:"
    assert ("us-ca-1798-82/residents · " in listing and "California residents · pending · due Mon 28 Dec 23:59"
            in listing)
    assert "Cal. Civ. Code §1798.82" in listing
    # provenance (#21 item 7): each clock names the text it was checked against, and when
    assert "checked against Cal. Civ. Code §1798.82 (leginfo.legislature.ca.gov) on 2026-12-04" in listing
    assert "cn-pipl-57/authority" in listing and "(no number in the law: the firm's own target)" in listing
    assert "us-ftc-safeguards" not in listing and "cn-cac-report" not in listing
    assert "not legal advice" in listing.lower()
    everything = joined(console.say("erin", "/breach clocks --all", "breach-1"))
    assert "us-ftc-safeguards/ftc" in everything and "fewer than 500 US consumers (40)" in everything


def test_a_fact_change_recomputes_and_announces(sqlite_engine):
    console = shanghai_firm(sqlite_engine)
    console.say("erin", "/breach affected CN=1200 US-CA=40", "breach-1")
    sent = console.say("erin", "/breach affected CN=1200 US-CA=40 US-NY=500", "breach-1")
    posted = [s.text for s in sent if s.op == "post"]
    assert any("FTC Safeguards Rule: notification event now applies: due" in p for p in posted)
    assert any("New York" in p and "now applies" in p for p in posted)
    sent = console.say("erin", "/breach facts --encrypted yes --key-safe yes", "breach-1")
    dropped = [s.text for s in sent if s.op == "post" and "no longer applies" in s.text]
    assert any("California data breach notification (California residents)" in d for d in dropped)
    assert any("FTC Safeguards Rule: notification event" in d for d in dropped)
    with Session(sqlite_engine) as s:
        row = s.exec(select(Deadline).where(Deadline.ref == "us-ca-1798-82/residents")).one()
        assert row.cancelled_at is not None
        assert s.exec(select(TimelineEvent).where(TimelineEvent.kind == "clocks_changed")).all()


def test_aware_time_moves_the_clocks(sqlite_engine):
    console = shanghai_firm(sqlite_engine)
    console.say("erin", "/breach affected CN=1200 US-CA=40", "breach-1")
    sent = console.say("alice", "/breach answer aware yesterday 18:00", "breach-1")
    assert any("California data breach notification (California residents) moved from Mon 28 Dec 23:59: now due "
               "Sun 27 Dec 23:59" in s.text
               for s in sent if s.op == "post")


def test_notified_marks_a_clock_met_and_stays_met(sqlite_engine):
    console = shanghai_firm(sqlite_engine)
    console.say("erin", "/breach affected CN=1200 US-CA=40", "breach-1")
    refused = joined(console.say("bob", "/breach notified us-ca-1798-82 --ref X", "breach-1"))
    assert "Only Legal / compliance @erin, Incident lead @alice may record a notice as sent here." in refused
    ambiguous = joined(console.say("erin", "/breach notified cn-pipl-57", "breach-1"))
    assert "cn-pipl-57 has several clocks: " in ambiguous
    sent = console.say("erin", '/breach notified us-ca-1798-82 --ref "CA-AG-2026-118"', "breach-1")
    assert "✅ @erin recorded the notice for California data breach notification (California residents) at 10:05, " \
           "reference CA-AG-2026-118." in joined(sent)
    console.say("erin", "/breach facts --encrypted yes --key-safe yes", "breach-1")  # would drop it
    listing = joined(console.say("erin", "/breach clocks", "breach-1"))
    assert "us-ca-1798-82/residents" in listing and "notified 10:05, ref CA-AG-2026-118" in listing
    again = joined(console.say("erin", "/breach notified us-ca-1798-82/residents", "breach-1"))
    assert "already recorded as notified" in again and "/breach correct" in again


def test_clock_reminders_fire_before_each_and_escalate_once(sqlite_engine):
    console = shanghai_firm(sqlite_engine)
    console.say("erin", "/breach affected CN=1200", "breach-1")
    timeline = console.advance(START + timedelta(days=1, hours=1))
    posted = [s.text for s in timeline if s.op == "post"]
    authority = "PIPL: personal information leak (Personal information protection authority)"
    reminders = [p for p in posted if p.startswith(f"⚖️ BR-1: {authority} is due")]
    missed = [p for p in posted if p.startswith(f"🔴 BR-1: {authority}: deadline passed")]
    assert "/breach notified cn-pipl-57/authority" in reminders[0]  # the id only where it is typed
    assert len(reminders) == 1 and "@erin @alice" in reminders[0]
    assert len(missed) == 1 and "deadline passed at" in missed[0]


def test_export_carries_the_clocks(engine):
    console = shanghai_firm(engine)
    console.say("erin", "/breach affected CN=1200 US-CA=40", "breach-1")
    console.say("erin", '/breach notified us-ca-1798-82 --ref "CA-1"', "breach-1")
    with Session(engine) as s:
        incident = s.exec(select(Incident)).one()
        data = as_dict(s, incident=incident, playbook=console.bot.playbook, ws=s.get(Workspace, incident.workspace_id),
                       now=console.clock.now(), regimes=console.bot.regimes)
    data = json.loads(json.dumps(data))
    by_id = {c["id"]: c for c in data["clocks"]}
    assert by_id["us-ca-1798-82/residents"]["status"] == "met"
    assert by_id["us-ca-1798-82/residents"]["reference"] == "CA-1"
    assert by_id["cn-pipl-57/authority"]["status"] == "pending"
    assert by_id["cn-pipl-57/authority"]["hard_deadline"] is False
    assert by_id["us-ftc-safeguards/ftc"]["status"] == "not_applicable"


def test_bad_clock_commands_change_nothing(quick):
    quick.say("alice", "/breach declare Leak")
    for typed, expected in [
        ("/breach affected CN=lots", "I can't read 'CN=lots'"),
        ("/breach affected", "Give counts by residence"),
        ("/breach facts", "Nothing is recorded yet for BR-1"),
        ("/breach facts --encrypted perhaps", "--encrypted takes yes or no, not 'perhaps'."),
        ("/breach facts --cac-level huge", "No CAC level 'huge'."),
        ("/breach facts --determined whenever", "I can't read 'whenever' as a time."),
        ("/breach facts --determined tomorrow", "--determined Sun 29 Nov 00:00 is in the future"),
        ("/breach notified gdpr", "No applicable clock 'gdpr'."),
        ("/breach notified", "Which regime?"),
    ]:
        sent = quick.say("alice", typed, "breach-1")
        assert [s.op for s in sent] == ["reply"], typed
        assert expected in sent[0].text, (typed, sent[0].text)


def test_data_held_on_behalf_of_clients_opens_the_owner_clocks(sqlite_engine):
    """#21 item 1: /breach facts --on-behalf yes gives the service provider's clock to each owning client."""
    console = shanghai_firm(sqlite_engine)
    console.say("erin", "/breach affected CN=1200 EU=3", "breach-1")
    assert "/owner" not in joined(console.say("erin", "/breach clocks", "breach-1"))
    sent = joined(console.say("erin", "/breach facts --on-behalf yes", "breach-1"))
    assert "data held on behalf of clients" in sent
    assert "GDPR: tell each client that owns the data now applies" in sent
    assert "PIPL: tell each client that owns the data now applies" in sent
    # GDPR Art. 33(2) is the processor's notice to the controller, not Art. 33(1)'s to the authority: its own title
    assert "GDPR: tell each client that owns the data now applies: due" in sent
    listing = joined(console.say("erin", "/breach clocks", "breach-1"))
    assert "eu-gdpr-33/owner" in listing and "Each client that owns the data" in listing and "GDPR Art. 33(2)" in listing
    assert ("eu-gdpr-33/owner · GDPR: tell each client that owns the data → Each client that owns the data"
            in listing)
    assert "cn-pipl-57/owner · PIPL: tell each client that owns the data → " in listing
    # Art. 33(1) is the controller's duty: a processor tells its controller, not the authorities (nor, Art. 34, people)
    assert "eu-gdpr-33/authorities · " not in listing and "eu-gdpr-34/individuals · " not in listing
    report = joined(console.say("erin", "/breach report", "breach-1")).split(": ", 1)[1].strip()
    assert "GDPR: tell each client that owns the data" in Path(report).read_text(encoding="utf-8")
    sent = joined(console.say("erin", "/breach facts --on-behalf no", "breach-1"))
    assert "GDPR: tell each client that owns the data no longer applies" in sent


def test_on_behalf_in_chinese(sqlite_engine):
    console = make_console(sqlite_engine, roster={"legal": ["erin"]}, lang="zh")
    console.say("alice", "/breach 宣布 客户银行账户泄露 --数据 bank_account", None)
    console.say("erin", "/breach 影响 中国=20 欧盟=2", "breach-1")
    sent = joined(console.say("erin", "/breach 事实 --受托 是", "breach-1"))
    assert "数据系受客户委托处理" in sent and "GDPR：通知作为数据所有者的委托客户 现已适用" in sent
    listing = joined(console.say("erin", "/breach 时限", "breach-1"))
    assert "作为数据所有者的每一位委托客户" in listing and "第33条第2款" in listing
    assert "eu-gdpr-33/owner · GDPR：通知作为数据所有者的委托客户 → " in listing  # GDPR第33条第2款，非通知监管机构
    assert "cn-pipl-57/owner · 个人信息保护法：通知作为数据所有者的委托客户 → " in listing
    bad = joined(console.say("erin", "/breach 事实 --受托 也许", "breach-1"))
    assert "受托" in bad


def test_the_california_ag_clock_moves_when_the_residents_notice_is_recorded(sqlite_engine):
    """#21 item 3: Cal. Civ. Code §1798.82 (SB 446): the AG sample is due 15 days after residents are actually told."""
    console = shanghai_firm(sqlite_engine)
    console.say("erin", "/breach affected US-CA=600", "breach-1")
    listing = joined(console.say("erin", "/breach clocks", "breach-1"))
    assert "California Attorney General · pending · due Tue 12 Jan 23:59" in listing  # 30 + 15 days, provisional
    console.advance(START + timedelta(days=3))
    sent = joined(console.say("erin", '/breach notified us-ca-1798-82/residents --ref "mail-1"', "breach-1"))
    assert "California data breach notification (California Attorney General) moved from Tue 12 Jan 23:59: now due " \
           "Wed 16 Dec 23:59" in sent  # day 3 + 15 days
    listing = joined(console.say("erin", "/breach clocks", "breach-1"))
    assert "California Attorney General · pending · due Wed 16 Dec 23:59" in listing


def test_a_ransom_payment_time_starts_the_nydfs_extortion_clocks(sqlite_engine):
    """#21 item 3: 23 NYCRR 500.17(c): notice within 24 h of the payment, written reasons within 30 days."""
    console = make_console(sqlite_engine, roster={"legal": ["erin"]}, lang="zh")
    console.bot.firm = FirmConfig(roster={"legal": ["erin"]}, firm_profile=["nydfs_covered"])
    console.bot.firm_profile = frozenset({"nydfs_covered"})  # the deployment's profile (no firm set its own)
    console.say("alice", "/breach 宣布 勒索软件 --数据 bank_account", None)
    console.advance(START + timedelta(hours=2))
    sent = joined(console.say("erin", "/breach 事实 --付款时间 今天 11:00", "breach-1"))
    assert "支付赎金：11:00" in sent and "已支付赎金" in sent
    listing = joined(console.say("erin", "/breach 时限", "breach-1"))
    assert "us-nydfs-500-17/extortion ·" in listing and "us-nydfs-500-17/extortion-reasons ·" in listing
    assert "第500.17条(c)款(2)项" in listing
    bad = joined(console.say("erin", "/breach 事实 --付款时间 明天", "breach-1"))
    assert "--付款时间 11月29日周日 00:00 是将来的时间，未作记录" in bad


def test_a_no_harm_decision_closes_the_notices_and_opens_the_filing(sqlite_engine):
    """#21 item 5: Fla. Stat. §501.171(4)(c) -- the written determination goes to the Department within 30 days."""
    console = shanghai_firm(sqlite_engine)
    console.say("erin", "/breach affected US-FL=40 EU=2", "breach-1")
    refused = joined(console.say("bob", '/breach noharm us-fl-501-171 --reason "x"', "breach-1"))
    assert "Only Legal / compliance @erin, Incident lead @alice may record a no-harm decision here." in refused
    assert "Name the law and say why" in joined(console.say("erin", "/breach noharm us-fl-501-171", "breach-1"))
    unknown = joined(console.say("erin", '/breach noharm us-tx-521 --reason "x"', "breach-1"))
    assert "No law with a no-harm exception called 'us-tx-521'. Laws that have one: eu-gdpr-33, uk-gdpr-33, " \
           "us-ny-899aa, us-fl-501-171, us-de-12b-102, us-mi-445-72, us-ut-13-44-202, us-ak-45-48." in unknown
    sent = joined(console.say("erin", '/breach noharm us-fl-501-171 --reason "sent by mistake to our auditor; '
                                      'deleted unread, police consulted"', "breach-1"))
    assert "⚖️ @erin recorded a no-harm decision under Florida data breach notification." in sent
    assert "Reasons: sent by mistake to our auditor; deleted unread, police consulted" in sent
    assert "Florida data breach notification (Individuals affected) no longer applies" in sent
    assert "Florida data breach notification (Florida Department of Legal Affairs (the written no-harm determination)) now applies: due Mon 28 Dec 23:59" in sent
    listing = joined(console.say("erin", "/breach clocks", "breach-1"))
    assert "us-fl-501-171/individuals · Florida data breach notification → Individuals affected · closed by a " \
           "no-harm decision · closed by the no-harm decision recorded by erin" in listing
    assert "Florida Department of Legal Affairs (the written no-harm determination) · pending" in listing
    assert "Fla. Stat. §501.171(4)(c)" in listing
    assert "eu-gdpr-33/authorities" in listing and "eu-gdpr-33/authorities · GDPR" in listing  # GDPR untouched
    again = joined(console.say("erin", '/breach noharm florida --reason "again"', "breach-1"))
    assert "already recorded (by erin: sent by mistake" in again
    with Session(sqlite_engine) as s:
        event = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "no_harm")).one()
        assert event.data == {"regime": "us-fl-501-171", "by": "erin",
                              "reason": "sent by mistake to our auditor; deleted unread, police consulted"}
    path = joined(console.say("erin", "/breach report --format md", "breach-1")).split(": ", 1)[1].strip()
    report = Path(path).read_text(encoding="utf-8")
    assert "no-harm decision under Florida data breach notification by erin: sent by mistake" in report


def test_a_no_harm_decision_in_chinese(sqlite_engine):
    """GDPR Art. 33(1)/(5): a decision that the breach is unlikely to result in a risk, recorded in a zh workspace."""
    console = make_console(sqlite_engine, roster={"legal": ["erin"]}, lang="zh")
    console.say("alice", "/breach 宣布 员工误发邮件 --数据 bank_account", None)
    console.say("erin", "/breach 影响 欧盟=3", "breach-1")
    sent = joined(console.say("erin", '/breach 无害认定 eu-gdpr-33 --理由 "邮件误发给本所另一位同事，已当面删除"', "breach-1"))
    assert "⚖️ @erin 记录了依GDPR：通知监管机构作出的无害认定。" in sent
    assert "理由：邮件误发给本所另一位同事，已当面删除" in sent
    listing = joined(console.say("erin", "/breach 时限", "breach-1"))
    assert "已因无害认定免除" in listing and "已因erin记录的无害认定而免除：邮件误发给本所另一位同事" in listing
    bad = joined(console.say("erin", '/breach 无害认定 个保法 --理由 "无"', "breach-1"))
    assert "没有名为「个保法」且设有无害例外的法规。设有该例外的法规：GDPR、英国GDPR、纽约州、佛州、特拉华州、密歇根州、犹他州、阿拉斯加州。" in bad
    assert "请写明法规和理由" in joined(console.say("erin", "/breach 无害认定", "breach-1"))
def test_a_clock_is_named_by_its_regime_and_for_whom_in_chinese_or_english(sqlite_engine):
    """`/breach 已通报 个保法 个人`: the regime's short name and a word for whom, as a partner says it."""
    console = make_console(sqlite_engine, lang="zh", roster={"legal": ["erin"]})
    console.say("alice", "/breach 宣布 客户银行账户泄露 --数据 银行卡号", "general")
    console.say("erin", "/breach 影响 中国=1200 加州=40", "breach-1")
    ambiguous = joined(console.say("erin", "/breach 已通报 个保法", "breach-1"))
    assert "个保法 有多个时限" in ambiguous and "/breach 已通报 个保法 个人" in ambiguous
    said = joined(console.say("erin", "/breach 已通报 个保法 个人 --回执 短信群发", "breach-1"))
    assert "个人信息保护法：个人信息泄露（受影响的个人）" in said and "履行个人信息保护职责的部门" not in said
    said = joined(console.say("erin", "/breach 已通报 个人信息保护法 监管部门", "breach-1"))
    assert "个人信息保护法：个人信息泄露（履行个人信息保护职责的部门）" in said
    said = joined(console.say("erin", "/breach 已通报 加州 居民", "breach-1"))
    assert "加利福尼亚州数据泄露通知（加利福尼亚州居民）" in said
    with Session(sqlite_engine) as s:
        met = {d.ref for d in s.exec(select(Deadline).where(Deadline.met_at.is_not(None)))}
    assert {"cn-pipl-57/individuals", "cn-pipl-57/authority", "us-ca-1798-82/residents"} <= met
    nobody = joined(console.say("erin", "/breach 已通报 数据安全法 媒体", "breach-1"))
    assert "数据安全法 媒体" in nobody  # a word for nobody: refused, nothing recorded


def test_for_whom_in_english(sqlite_engine):
    console = shanghai_firm(sqlite_engine)
    console.say("erin", "/breach affected CN=1200 US-CA=40", "breach-1")
    said = joined(console.say("erin", "/breach notified PIPL individuals --ref SMS", "breach-1"))
    assert "PIPL: personal information leak (Affected individuals)" in said
    said = joined(console.say("erin", "/breach notified pipl authority", "breach-1"))
    assert "PIPL: personal information leak (Personal information protection authority)" in said




def test_every_residence_gets_a_clock_or_a_visible_not_modelled_line(sqlite_engine):
    """#21 item 2: a jurisdiction typed that no regime covers is said, never silent."""
    book = make_console(sqlite_engine).bot.regimes
    every = {code: 10 for code in RESIDENCES}
    said = {gap.place for gap in coverage.gaps(book, every, everything=False)}
    for code in RESIDENCES:
        covered = any(r.applies for r in evaluate(book, IncidentFacts(
            aware_at=START, affected={code: 10}, data_categories=frozenset(DATA_CATEGORIES), encrypted=False))
            if r.regime_key not in ("us-ftc-safeguards",))
        assert covered or code in said, code
    assert "US" in said and "US-GA" in said and "US-WA" not in said


def test_a_us_firm_with_residents_in_twelve_states(sqlite_engine):
    console = shanghai_firm(sqlite_engine)
    console.say("erin", "/breach affected US-CA=40 US-NY=10 US-TX=300 US-FL=20 US-WA=5 US-CO=5 US-AZ=5 US-OR=5 "
                        "US-CT=5 US-NJ=12 US-GA=3 Massachusetts=7 US=4", "breach-1")
    listing = joined(console.say("erin", "/breach clocks", "breach-1"))
    for clock in ("us-ca-1798-82/residents", "us-ny-899aa/residents", "us-tx-521/ag", "us-fl-501-171/individuals",
                  "us-wa-19-255-010/residents", "us-co-6-1-716/residents", "us-az-18-552/residents",
                  "us-or-646a-604/residents", "us-ct-36a-701b/ag"):
        assert f"{clock} ·" in listing, clock
    assert "us-nj-56-8-163/police ·" in listing and "us-ma-93h-3/state ·" in listing
    # Georgia's law binds information brokers only: the line says so instead of computing a clock
    assert "⚠️ Georgia (3 people): not modelled — O.C.G.A. §10-1-912 binds only information brokers" in listing
    assert "❓ 4 people in the US with no state recorded: US state laws count by state. Which states?" in listing
    assert "Colo. Rev. Stat. §6-1-716" in listing and "RCW 19.255.010" in listing
    everything = joined(console.say("erin", "/breach clocks --all", "breach-1"))
    assert "⚠️ US jurisdictions not modelled yet" not in everything  # every one has a regime or its reason
    assert "⚠️ South Korea (— people): not modelled — Personal Information Protection Act (PIPA)" in everything
    for place in ("India", "Malaysia", "Thailand", "the Philippines", "Vietnam", "Indonesia", "Taiwan", "Macau",
                  "Brazil", "Alberta (Canada)", "Québec (Canada)"):
        assert f"⚠️ {place} (— people): not modelled" in everything, place


def test_not_modelled_lines_in_chinese(sqlite_engine):
    console = make_console(sqlite_engine, roster={"legal": ["erin"]}, lang="zh")
    book = console.bot.regimes  # a deployment whose regimes file lacks Wyoming and Mississippi says so
    console.bot.regimes = replace(book, regimes={k: v for k, v in book.regimes.items()
                                                 if k not in ("us-wy-40-12-502", "us-ms-75-24-29")})
    console.say("alice", "/breach 宣布 客户税号泄露 --数据 tax_id", None)
    console.say("erin", "/breach 影响 美国=5 怀俄明=12 华州=3", "breach-1")
    listing = joined(console.say("erin", "/breach 时限", "breach-1"))
    assert "❓ 有 5 名美国居民未注明州：美国各州法律按州计算。请写明是哪些州" in listing
    assert "⚠️ 怀俄明州（12 人）：尚未建模" in listing and "us-wa-19-255-010/residents ·" in listing
    everything = joined(console.say("erin", "/breach 时限 --全部", "breach-1"))
    assert "⚠️ 韩国（— 人）：尚未建模——韩国《个人信息保护法》" in everything
    assert "⚠️ 尚未建模的美国司法管辖区" in everything and "：密西西比州" in everything


def test_the_export_names_what_no_clock_covers(sqlite_engine):
    console = shanghai_firm(sqlite_engine)
    console.say("erin", "/breach affected US-WA=5 US-GA=3 US=2", "breach-1")
    with Session(sqlite_engine) as s:
        incident = s.exec(select(Incident)).one()
        data = as_dict(s, incident=incident, playbook=console.bot.playbook, ws=s.get(Workspace, incident.workspace_id),
                       now=console.clock.now(), regimes=console.bot.regimes)
    georgia = console.bot.regimes.not_modelled["US-GA"].note.en
    assert data["not_modelled"] == [{"place": "US-GA", "kind": "not_modelled", "people": 3, "note": georgia},
                                    {"place": "US", "kind": "state_unknown", "people": 2, "note": None}]
    assert georgia.startswith("O.C.G.A. §10-1-912 binds only information brokers")
    assert "us-wa-19-255-010/residents" in {c["id"] for c in data["clocks"] if c["applies"]}
