"""The notices still owed after close (README: client letters and regulator reports are drafted, approved and
merged, and clients recorded as told, after close too): letters first merged after the close count, the facts a
draft lacks can be filled, and commands typed outside the war room find the closed incident."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from storage.models import Client, Incident, TimelineEvent
from tests.conftest import said
from tests.test_care import LETTER, team_of
from tests.test_statements import write_csv

CLOSE = '/breach close --cause staff_error --lessons "Check shares" --confirm'


def three_clients(team, tmp_path) -> None:
    rows = [{"name": n, "type": "individual", "contact": f"{i}@x.example", "language": "en", "residence": "CN",
             "data": "payroll"} for i, n in enumerate(["Ann Lee", "Bo Chen", "Cy Wu"])]
    team.say("lily", f"/breach clients import {write_csv(tmp_path / 'c.csv', rows)}", "breach-1")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_letters_first_merged_after_close_let_clients_be_recorded_as_told(sqlite_engine, tmp_path, lang):
    """No letter was merged before the close: the merge after it is what `clients notified` checks."""
    team = team_of(sqlite_engine, lang)
    team.say("alice", "/breach declare Payroll export leaked --data payroll")
    team.say("alice", "/breach public A payroll file was shared by mistake", "breach-1")
    three_clients(team, tmp_path)
    team.say("alice", CLOSE, "breach-1")
    team.say("erin", "/breach draft client --lang en", "breach-1")
    team.say("erin", f"/breach draft edit D-1 {LETTER}", "breach-1")
    assert "✅" in said(team, "erin", "/breach approve D-1")
    assert "📦" in said(team, "lily", "/breach letters D-1")
    out = said(team, "lily", "/breach clients notified all --via email")
    assert "📬" in out, out
    with Session(team.bot.engine) as s:
        assert all(c.notified_at is not None for c in s.exec(select(Client)))
        merged = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "letters_merged")).one()
        assert merged.data["count"] == 3


FACTS = {"en": '/breach facts --encrypted no --from "2026-11-20 09:00" --to "2026-11-27 18:00" --measures 4.1',
         "zh": '/breach 事实 --加密 否 --开始时间 "2026-11-20 09:00" --结束时间 "2026-11-27 18:00" --措施 4.1'}
ENCRYPTED_GAP = {"en": "[whether the data was encrypted — to be confirmed]", "zh": "[数据是否加密——待确认]"}
AFTER_CLOSE = {"en": "📎 BR-1 is closed: this is recorded after the close, for the notices still owed (draft them "
                     "again to bring it in).",
               "zh": "📎 BR-1 已结案：以上为结案后补充记录，用于仍需发出的通知（重新起草即可写入）。"}
DRAFT = {"en": "/breach draft client --lang en", "zh": "/breach 起草 客户通知 --语言 中文"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_facts_a_draft_lacks_are_filled_after_close_so_it_can_be_approved(sqlite_engine, lang):
    team = team_of(sqlite_engine, lang)
    team.say("alice", "/breach declare Payroll export leaked --data payroll")
    team.say("alice", "/breach public A payroll file was shared by mistake", "breach-1")
    team.say("alice", CLOSE, "breach-1")
    assert ENCRYPTED_GAP[lang] in said(team, "erin", DRAFT[lang])
    refused = said(team, "erin", "/breach approve D-1")  # a gap: not approved
    assert "✅" not in refused and ("D-1 v1" in refused or "D-1 第1版" in refused), refused
    filled = said(team, "erin", FACTS[lang])
    assert filled.splitlines()[-1] == AFTER_CLOSE[lang], filled
    redrafted = said(team, "erin", DRAFT[lang])
    assert "D-1 v2" in redrafted or "D-1 第2版" in redrafted
    assert "to be confirmed" not in redrafted and "待确认" not in redrafted, redrafted
    assert "✅" in said(team, "erin", "/breach approve D-1")
    with Session(team.bot.engine) as s:
        event = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "facts_changed")
                       .order_by(TimelineEvent.seq.desc())).first()
        assert event.data["after_close"] is True and event.data["set"]["encrypted"] is False
    # People affected too (a notice's count), after close.
    assert said(team, "erin", "/breach affected CN=3").splitlines()[-1] == AFTER_CLOSE[lang]


def test_a_closed_drill_takes_no_facts(sqlite_engine):
    team = team_of(sqlite_engine)
    team.say("alice", "/breach declare Payroll export leaked --drill")
    team.say("alice", CLOSE, "breach-1")
    assert said(team, "erin", "/breach facts --encrypted no") == (
        "BR-1 is closed; it can be read but no longer changed.")


CONTRACT_REMINDER = {
    "en": "📑 BR-1: the contractual notice to 2 clients (#1, #2 in /breach clients) is due 18:05, in 2h 00m. @lily "
          "@alice — when they are told: /breach clients notified 1 --via email",
    "zh": "📑 BR-1：合同约定须通知的 2 个客户（/breach 客户 中的 #1、#2）截止 18:05，还剩 2小时。@lily @alice —— "
          "告知后请记录：/breach 客户 已通知 1 --方式 邮件"}
CONTRACT_MISSED = {
    "en": "🔴 BR-1: the contractual notice deadline for 1 client (#2 in /breach clients) passed at 18:05 with nobody "
          "recorded as told. @lily @alice @erin",
    "zh": "🔴 BR-1：合同约定须通知的 1 个客户（/breach 客户 中的 #2）已于 18:05 超过通知时限，尚未记录告知。"
          "@lily @alice @erin"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_clients_contractual_notice_deadline_is_reminded_and_escalated_once(sqlite_engine, tmp_path, lang):
    """Clients whose contract gives 8 hours (the register's notice_hours): one reminder for both 2h before, one
    escalation for the one still untold when it passes, once; after close too, like the legal clocks."""
    team = team_of(sqlite_engine, lang)
    team.say("alice", "/breach declare Payroll export leaked --data payroll")
    team.say("alice", "/breach public A payroll file was shared by mistake", "breach-1")
    rows = [{"name": n, "type": "individual", "contact": f"{i}@x.example", "language": "en", "residence": "CN",
             "data": "payroll", "notice_hours": h} for i, (n, h) in enumerate([("Ann Lee", "8"), ("Bo Chen", "8"),
                                                                                 ("Cy Wu", "")])]
    team.say("lily", f"/breach clients import {write_csv(tmp_path / 'c.csv', rows)}", "breach-1")
    team.say("erin", "/breach draft client --lang en", "breach-1")
    team.say("erin", f"/breach draft edit D-1 {LETTER}", "breach-1")
    team.say("erin", "/breach approve D-1", "breach-1")
    team.say("lily", "/breach letters D-1", "breach-1")
    start = team.clock.now()
    reminded = [m.text for m in team.advance(start + timedelta(hours=6, minutes=1)) if m.text.startswith("📑 BR-1")]
    assert reminded == [CONTRACT_REMINDER[lang]], reminded
    team.say("lily", "/breach clients notified 1 --via email", "breach-1")
    team.say("alice", CLOSE, "breach-1")  # still owed after close
    passed = [m.text for m in team.advance(start + timedelta(days=3)) if m.text.startswith("🔴") and "#2" in m.text]
    assert passed == [CONTRACT_MISSED[lang]], passed
    with Session(team.bot.engine) as s:
        kinds = [e.kind for e in s.exec(select(TimelineEvent)) if e.kind.startswith("client_notice")]
    assert kinds == ["client_notice_reminder", "client_notice_reminder", "client_notice_missed"]


NAME_CLOSED = {
    "en": "You have no open incident; the last one you were on, BR-1, is closed. To act on it (the notices still owed "
          "after close), type the command in its war room #breach-1, or name it right after the command: "
          "/breach <command> BR-1 …",
    "zh": "你没有进行中的事件；你参与的最近一起事件 BR-1 已结案。如要处理它（结案后仍需发出的通知），请在其应急群 "
          "#breach-1 中输入命令，或在命令后写明编号：/breach <命令> BR-1 …"}
CLOCKS = {"en": "/breach clocks --all", "zh": "/breach 时限 --全部"}
CLOCKS_HEAD = {"en": "⚖️ Notification clocks for BR-1:", "zh": "⚖️ BR-1 的通报时限："}
APPROVE = {"en": "/breach approve D-1,D-2", "zh": "/breach 批准 D-1、D-2"}
REGULATOR = {"en": "/breach draft regulator BR-1 --regime PIPL", "zh": "/breach 起草 监管报告 BR-1 --法规 个保"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_outside_the_war_room_after_close_reading_finds_the_closed_incident_and_acting_says_how_to_name_it(
        sqlite_engine, lang):
    team = team_of(sqlite_engine, lang)
    team.say("alice", "/breach declare Payroll export leaked --data payroll")
    team.say("erin", "/breach draft client --lang en", "breach-1")
    team.say("alice", CLOSE, "breach-1")
    # Reading falls back to the closed incident as /breach status does.
    assert said(team, "erin", CLOCKS[lang], "general").splitlines()[0] == CLOCKS_HEAD[lang]
    assert said(team, "erin", "/breach drafts", "general").splitlines()[1].startswith(("  D-1 v1", "  D-1 第1版"))
    assert said(team, "erin", "/breach facts", "general").startswith(("📋 Facts recorded for BR-1:", "📋 BR-1 已记录的事实："))
    assert said(team, "erin", "/breach facts --encrypted no", "general") == NAME_CLOSED[lang]
    # Acting is refused, naming the closed incident, its room and how to name it; named, it goes through.
    assert said(team, "erin", APPROVE[lang], "general") == NAME_CLOSED[lang]
    named = said(team, "erin", APPROVE[lang].replace("D-1", "BR-1 D-1", 1), "general")
    assert named.startswith(("D-1 v1 cannot be approved while it has gaps", "D-1 第1版 仍有待补充项")), named
    # An incident named after a statement's kind is read as the incident.
    drafted = said(team, "erin", REGULATOR[lang], "general")
    assert "D-2 v1" in drafted or "D-2 第1版" in drafted, drafted
    # Someone on no team still learns nothing about it.
    assert said(team, "zoe", CLOCKS[lang], "general").startswith(("You have no open incident.", "你没有进行中的事件。"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_question_a_draft_names_is_answered_after_close_but_not_when_the_firm_became_aware(sqlite_engine, lang):
    """A gap says `/breach answer contained yes`: after close that is recorded too (marked after the close); the
    awareness time, which every deadline counts from, stays as it was closed."""
    team = team_of(sqlite_engine, lang)
    team.say("alice", "/breach declare Payroll export leaked --data payroll")
    team.say("alice", CLOSE, "breach-1")
    answered = said(team, "erin", "/breach answer contained yes")
    assert answered.splitlines()[-1] == AFTER_CLOSE[lang], answered
    with Session(team.bot.engine) as s:
        assert s.exec(select(Incident)).one().facts["contained"] is True
    described = said(team, "erin", "/breach public A payroll file was shared by mistake")  # the letters' gap
    assert described.splitlines()[-1] == AFTER_CLOSE[lang], described
    assert said(team, "erin", '/breach answer aware "2h ago"') == {
        "en": "BR-1 is closed; it can be read but no longer changed.", "zh": "BR-1 已结案，只能查看，不能再修改。"}[lang]
