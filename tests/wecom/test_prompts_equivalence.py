"""On WeCom too, answering the bot's questions reaches the same facts and clocks as fact-setting commands."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.law import clocks
from storage.models import Incident
from tests.wecom.conftest import WeComSide


def test_prompts_and_commands_reach_the_same_facts_and_clocks_on_wecom(wecom_quick: WeComSide, sqlite_engine):
    side = wecom_quick
    side.say("alice", "宣布 工资表泄露")
    side.say("alice", '下一阶段 --reason "继续"')
    side.say("alice", "回答 data 3,8")           # answering the bot's questions …
    side.say("alice", "回答 people CN=1200 US-CA=40")
    side.say("alice", "回答 encrypted 否")

    side.say("bob", "宣布 工资表泄露 --data bank_account,payroll --仍然新建")  # … or typing the facts
    side.say("bob", '下一阶段 --reason "继续"')
    side.say("bob", "影响 CN=1200 US-CA=40")
    side.say("bob", "事实 --encrypted no")

    with Session(sqlite_engine) as s:
        first, second = s.exec(select(Incident).order_by(Incident.number)).all()
        assert (first.declared_by, second.declared_by) == ("alice", "bob")
        assert {**first.facts, "data": sorted(first.facts["data"])} == {**second.facts,
                                                                          "data": sorted(second.facts["data"])}
        due = [{r.result.clock_id: (r.status, r.result.due_at) for r in clocks.rows(
            s, incident=i, book=side.bot.regimes, firm_profile=frozenset(), now=side.bot.now())}
            for i in (first, second)]
    assert due[0] == due[1] and due[0]["cn-pipl-57/authority"][0] == "pending"
