"""Incident facts that change after declare (#20): severity, internal title, public description, exposure
window, systems, reputational impact and the costs of the response, typed in en and zh."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import Session, select

from bot.errors import UserError
from bot.incident.changes import Amount, parse_amount
from storage.models import Incident, TimelineEvent
from tests.conftest import make_console, said

ROSTER = {"it_security": ["dave"], "legal": ["erin"], "executive": ["frank"], "comms": ["carl"]}


@pytest.fixture
def team(sqlite_engine):
    console = make_console(sqlite_engine, roster=ROSTER)
    console.say("alice", "/breach declare Payroll export leaked --severity medium")
    return console


@pytest.fixture
def zh_team(sqlite_engine):
    console = make_console(sqlite_engine, roster=ROSTER, lang="zh")
    console.say("alice", "/breach 宣布 工资表在公共网盘泄露 --severity 中")
    return console


def incident(console) -> Incident:
    with Session(console.bot.engine) as s:
        return s.exec(select(Incident)).one()


def events(console, kind: str) -> list[TimelineEvent]:
    with Session(console.bot.engine) as s:
        return list(s.exec(select(TimelineEvent).where(TimelineEvent.kind == kind)))


@pytest.mark.parametrize(("typed", "value", "currency"), [
    ("12000", "12000", "CNY"), ("¥12,000", "12000", "CNY"), ("1.2万", "12000", "CNY"), ("12000元", "12000", "CNY"),
    ("$5,000", "5000", "USD"), ("5000 USD", "5000", "USD"), ("€300.50", "300.5", "EUR"), ("HK$3,500", "3500", "HKD"),
    ("２０００", "2000", "CNY"),  # full-width digits from a Chinese keyboard
])
def test_amounts_as_people_type_them(typed, value, currency):
    amount = parse_amount(typed, default_currency="CNY", lang="zh")
    assert amount == Amount(Decimal(value), currency)


@pytest.mark.parametrize("typed", ["abc", "-5", "0", "¥$5", "1e9999", "12.345", "10000亿"])
def test_unreadable_amounts_say_what_to_type(typed):
    with pytest.raises(UserError) as refused:
        parse_amount(typed, default_currency="USD", lang="en")
    assert "Type e.g. 12000, ¥12,000" in refused.value.message.plain_text()


def test_severity_changes_with_a_reason_and_is_announced(team):
    text = said(team, "dave", '/breach severity critical --reason "payroll of 3 clients confirmed"')
    assert "@dave changed BR-1's severity from medium to critical: payroll of 3 clients confirmed" in text
    assert incident(team).severity == "critical"
    [event] = events(team, "severity_changed")
    assert event.data == {"from": "medium", "to": "critical", "reason": "payroll of 3 clients confirmed"}
    assert "severity critical" in said(team, "alice", "/breach status")


def test_severity_needs_a_reason_a_known_level_and_the_right_role(team):
    assert said(team, "dave", "/breach severity high").startswith("Say the level and why")
    assert "No severity 'urgent'" in said(team, "dave", '/breach severity urgent --reason "x"')
    refused = said(team, "carl", '/breach severity high --reason "x"')
    assert refused.startswith("Only ") and "@alice" in refused
    assert incident(team).severity == "medium" and events(team, "severity_changed") == []


def test_zh_severity_by_its_chinese_name(zh_team):
    text = said(zh_team, "alice", "/breach 严重程度 特别严重 --reason 确认涉及三家客户工资")
    assert "调整为" in text and "确认涉及三家客户工资" in text
    assert incident(zh_team).severity == "critical"


def test_the_internal_title_never_reaches_a_client_letter(team):
    said(team, "alice", "/breach rename Bob's laptop left on the Eurostar")
    assert incident(team).title == "Bob's laptop left on the Eurostar"
    draft = said(team, "alice", "/breach draft client")
    assert "Eurostar" not in draft
    assert "[public description of what happened — to be confirmed]" in draft
    assert "/breach public <text>" in draft  # the gap says how to fill it
    said(team, "alice", "/breach public A laptop holding payroll files was lost in transit.")
    redrafted = said(team, "alice", "/breach draft client")
    assert "A laptop holding payroll files was lost in transit." in redrafted and "Eurostar" not in redrafted
    [renamed] = events(team, "renamed")
    assert renamed.data["from"] == "Payroll export leaked"


def test_exposure_window_and_systems_are_facts(team):
    text = said(team, "dave", '/breach facts --from "2026-11-20 08:00" --to "2026-11-28 09:00" --systems 网盘, payroll server')
    assert "exposure began" in text and "exposure ended" in text and "systems involved: 网盘, payroll server" in text
    facts = incident(team).facts
    assert facts["exposure_from"].startswith("2026-11-20T00:00") and facts["exposure_to"].startswith("2026-11-28T01:00")
    assert facts["systems"] == "网盘, payroll server"


def test_every_restricted_command_names_its_action_in_both_languages():
    from bot.flows.dispatch import rules
    from bot.text.i18n import catalogue

    for word in rules():
        assert f"permission.{word}" in catalogue("en") and f"permission.{word}" in catalogue("zh")


def test_reputation_is_a_question_of_the_media_phase(team):
    playbook = team.bot.playbook
    question = playbook.question("reputation")
    assert question.sets == "reputation" and [o.key for o in question.options] == ["low", "medium", "high"]


def test_costs_are_recorded_listed_and_totalled(team):
    text = said(team, "alice", "/breach cost ¥12,000 forensics outside examiner")
    assert "recorded C-1 for BR-1: ¥12,000 (forensics). Total so far: ¥12,000" in text
    said(team, "erin", "/breach cost 8000 legal counsel retainer")
    said(team, "alice", "/breach cost $500 monitoring")
    listing = said(team, "alice", "/breach cost")
    assert "Costs of BR-1: ¥12,000 + $8,500" in listing
    assert "C-2 $8,000 · legal · counsel retainer · @erin" in listing  # en workspace: no currency = USD
    assert "credit monitoring: $500" in listing
    assert "💰 Costs so far:" in said(team, "alice", "/breach status")
    assert [e.data["category"] for e in events(team, "cost_recorded")] == ["forensics", "legal", "monitoring"]


def test_bad_costs_change_nothing(team):
    assert "Categories: forensics, legal" in said(team, "alice", "/breach cost 100 lunch")
    assert "Can't read 'lots'" in said(team, "alice", "/breach cost lots forensics")
    assert said(team, "alice", "/breach cost 100").startswith("Say the amount and the category")
    assert events(team, "cost_recorded") == [] and "costs" not in incident(team).facts


def test_zh_costs_in_chinese_words(zh_team):
    text = said(zh_team, "alice", "/breach 费用 1.2万 取证 外部取证机构")
    assert "¥12,000（取证）" in text
    assert "C-1 ¥12,000 · 取证 · 外部取证机构" in said(zh_team, "alice", "/breach 费用")


def test_costs_survive_close_and_a_restart(team, sqlite_engine):
    said(team, "alice", "/breach cost 300 fines")
    said(team, "alice", '/breach close --cause insider --lessons "x" --confirm')
    assert "C-2" in said(team, "alice", "/breach cost 200 legal late invoice")  # invoices come after close
    again = make_console(sqlite_engine, roster=ROSTER)
    assert "Costs of BR-1: $500" in said(again, "alice", "/breach cost BR-1")


def test_the_media_desk_logs_enquiries_and_answers(team):
    text = said(team, "carl", "/breach media Caixin When will clients be told?")
    assert "@carl logged M-1 for BR-1 from Caixin. When the firm has answered: /breach media answered M-1 <answer>" in text
    said(team, "carl", "/breach media Reuters Was bank data involved?")
    assert "📰 Media enquiries waiting for an answer: 2" in said(team, "alice", "/breach status")
    assert "answered M-1 (Caixin)" in said(team, "carl", "/breach media answered M-1 Clients are told by 1 Dec.")
    listing = said(team, "alice", "/breach media")
    assert "1 of 2 waiting for an answer" in listing
    assert listing.index("M-2 Reuters") < listing.index("M-1 Caixin")  # the unanswered first
    assert "No enquiry M-7. Enquiries: M-1, M-2." in said(team, "carl", "/breach media answered M-7 x")
    assert [e.kind for e in events(team, "media_answered")] == ["media_answered"]


def test_zh_media_desk(zh_team):
    said(zh_team, "alice", "/breach 媒体 财新 何时通知客户？")
    assert "已答复" in said(zh_team, "alice", "/breach 媒体 已答复 M-1 已于12月1日前通知全部客户")
    assert "共 1 条，0 条待答复" in said(zh_team, "alice", "/breach 媒体")
