"""Withdrawing a no-harm decision (`/breach noharm withdraw …`, zh `撤回`): the clocks it closed come back as the law
counts them, the filing it opened drops, and the timeline and report keep the decision and its withdrawal."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from bot.commands import NoHarm
from bot.flows.no_harm import parse
from bot.law.conditions import NoHarmDecision
from bot.law.regimes import evaluate, load_regimes
from storage.models import Deadline, TimelineEvent
from tests.conftest import joined, make_console
from tests.test_clocks import shanghai_firm
from tests.test_regimes import DEFAULT, T0, H, applicable, end, facts


def test_the_command_reads_withdraw_in_either_language():
    assert parse("en", "noharm", 'withdraw us-fl-501-171 --reason "police found misuse"') == NoHarm(
        regime="us-fl-501-171", reason="police found misuse", withdraw=True)
    assert parse("zh", "无害认定", '撤回 GDPR --理由 "发现已被转发"') == NoHarm(
        regime="GDPR", reason="发现已被转发", withdraw=True)
    assert parse("en", "noharm", 'us-fl-501-171 --reason "x"').withdraw is False


def test_without_the_decision_the_clocks_are_what_they_were_before_it():
    """Fla. Stat. §501.171(4)(a), (4)(c): the 30 days count from reason to believe, not from the withdrawal."""
    book = load_regimes([DEFAULT])
    before = applicable(book, facts({"US-FL": 40}))
    decided = applicable(book, facts({"US-FL": 40}, no_harm={"us-fl-501-171": NoHarmDecision(
        at=T0 + 5 * H, by="erin", reason="x")}))
    assert "us-fl-501-171/individuals" not in decided and decided["us-fl-501-171/no-harm"] == end(T0 + 5 * H, 30)
    assert before["us-fl-501-171/individuals"] == end(T0, 30) and "us-fl-501-171/no-harm" not in before
    assert not any(r.decided for r in evaluate(book, facts({"US-FL": 40})))


def test_a_withdrawn_decision_brings_the_notices_back_and_the_timeline_keeps_both(sqlite_engine):
    console = shanghai_firm(sqlite_engine)
    console.say("erin", "/breach affected US-FL=40 EU=2", "breach-1")
    console.say("erin", '/breach noharm us-fl-501-171 --reason "sent to our auditor; deleted unread"', "breach-1")
    refused = joined(console.say("bob", '/breach noharm withdraw us-fl-501-171 --reason "x"', "breach-1"))
    assert "may record a no-harm decision here" in refused
    assert "Name the law whose decision you take back and say why" in joined(
        console.say("erin", "/breach noharm withdraw us-fl-501-171", "breach-1"))
    nothing = joined(console.say("erin", '/breach noharm withdraw eu-gdpr-33 --reason "x"', "breach-1"))
    assert nothing.startswith("No no-harm decision under eu-gdpr-33 is recorded, so there is nothing to withdraw "
                              "(recorded: us-fl-501-171). Nothing was changed.")
    sent = joined(console.say("erin", '/breach noharm withdraw florida --reason "the auditor forwarded it"',
                              "breach-1"))
    assert ("⚖️ @erin withdrew the no-harm decision under Florida data breach notification (recorded by erin: sent "
            "to our auditor; deleted unread). Reasons: the auditor forwarded it The notices it closed apply again.") \
        in sent
    assert "Florida data breach notification (Individuals affected) now applies: due Mon 28 Dec 23:59" in sent  # 30 days from awareness, as before
    assert "Florida data breach notification (Florida Department of Legal Affairs (the written no-harm determination)) no longer applies" in sent
    listing = joined(console.say("erin", "/breach clocks", "breach-1"))
    assert "us-fl-501-171/individuals · Florida data breach notification → Individuals affected · pending" in listing
    assert "us-fl-501-171/no-harm" not in listing and "closed by a no-harm decision" not in listing
    with Session(sqlite_engine) as s:
        kinds = [e.kind for e in s.exec(select(TimelineEvent).order_by(TimelineEvent.seq))]
        assert kinds.index("no_harm") < kinds.index("no_harm_withdrawn")
        event = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "no_harm_withdrawn")).one()
        assert event.data["decided_reason"] == "sent to our auditor; deleted unread"
        live = {d.ref for d in s.exec(select(Deadline).where(Deadline.cancelled_at.is_(None)))}
        assert "us-fl-501-171/individuals" in live and "us-fl-501-171/no-harm" not in live
    path = joined(console.say("erin", "/breach report --format md", "breach-1")).split(": ", 1)[1].strip()
    report = Path(path).read_text(encoding="utf-8")
    assert "no-harm decision under Florida data breach notification by erin: sent to our auditor" in report
    assert ("no-harm decision under Florida data breach notification by erin withdrawn by erin: the auditor "
            "forwarded it") in report
    again = joined(console.say("erin", '/breach noharm us-fl-501-171 --reason "recalled by court order"', "breach-1"))
    assert "recorded a no-harm decision" in again  # a new decision may be recorded after a withdrawal


def test_withdrawing_in_chinese(sqlite_engine):
    console = make_console(sqlite_engine, roster={"legal": ["erin"]}, lang="zh")
    console.say("alice", "/breach 宣布 员工误发邮件 --数据 bank_account", None)
    console.say("erin", "/breach 影响 欧盟=3", "breach-1")
    console.say("erin", '/breach 无害认定 eu-gdpr-33 --理由 "误发给本所同事，已删除"', "breach-1")
    sent = joined(console.say("erin", '/breach 无害认定 撤回 GDPR --理由 "同事已转发给外部"', "breach-1"))
    assert "⚖️ @erin 撤回了依GDPR：通知监管机构作出的无害认定（原由erin记录：误发给本所同事，已删除）。" in sent
    assert "该认定免除的通知义务恢复适用" in sent and "GDPR：通知监管机构（受影响者所在各成员国的监管机构" in sent
    none = joined(console.say("erin", '/breach 无害认定 撤回 GDPR --理由 "再次"', "breach-1"))
    assert "没有依GDPR作出的无害认定记录，无可撤回（已记录：（无））。没有做任何更改。" in none
