"""Client care after close: clients still untold when the incident closes, and a state clock that waits for
every person recorded there (the team and helpers are in test_care)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from storage.models import Client, Deadline
from tests.conftest import said
from tests.test_care import LETTER, team_of, told
from tests.test_statements import write_csv


@pytest.fixture
def team(sqlite_engine):
    console = team_of(sqlite_engine)
    console.say("alice", "/breach declare Payroll export leaked --data payroll")
    console.say("alice", "/breach public A payroll file was shared by mistake", "breach-1")
    return console


def test_clients_still_untold_at_close_are_written_to_and_recorded_after_it(team, tmp_path):
    """Closing with clients untold keeps the notice owed: a letter can be drafted, edited, approved, merged
    and the clients recorded as told after close, and the legal clock reminders go on meanwhile."""
    told(team, tmp_path)  # client 1 of 3 told
    team.say("alice", '/breach close --cause staff_error --lessons "Check shares" --confirm', "breach-1")
    assert "📝 D-2" in said(team, "erin", "/breach draft client --lang en")
    team.say("erin", f"/breach draft edit D-2 {LETTER}", "breach-1")
    assert "✅" in said(team, "erin", "/breach approve D-2")
    team.say("lily", "/breach letters D-2", "breach-1")
    assert "📬" in said(team, "lily", "/breach clients notified all --via email")
    with Session(team.bot.engine) as s:
        assert all(c.notified_at is not None for c in s.exec(select(Client)))
    assert "closed" in said(team, "erin", "/breach draft press --lang en").lower()


PEOPLE_UNTOLD = {
    "en": "⚖️ California data breach notification (California residents): 1/1 clients in the register reached, but 30 people are recorded as affected "
          "there (/breach affected) — not met until every one of them is told: import them into the register, or "
          "record the notice with /breach notified us-ca-1798-82/residents.",
    "zh": "⚖️ 加利福尼亚州数据泄露通知（加利福尼亚州居民）：客户登记册中 1/1 个客户已送达，但该地区记录的受影响人数为 30 人（/breach 影响）"
          "—— 每个人都告知前不算满足：请把他们导入客户登记册，或用 /breach 已通报 us-ca-1798-82/residents 记录通知。"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_state_clock_is_not_met_while_people_recorded_as_affected_there_are_untold(sqlite_engine, tmp_path, lang):
    """30 California residents recorded as affected, one of them in the register: telling that one client
    does not meet the residents' clock (it is met once everyone recorded there is told), and the count says clients
    against clients, people as people (not '1/30 clients')."""
    team = team_of(sqlite_engine, lang)
    team.say("alice", "/breach declare Payroll export leaked --data payroll")
    team.say("alice", "/breach public A payroll file was shared by mistake", "breach-1")
    team.say("erin", "/breach facts --data name,bank_account,tax_id --encrypted no", "breach-1")
    team.say("erin", "/breach affected US-CA=30", "breach-1")
    rows = [{"name": "Ann Lee", "type": "individual", "contact": "a@x.example", "language": "en",
             "residence": "US-CA", "data": "payroll"}]
    team.say("lily", f"/breach clients import {write_csv(tmp_path / 'c.csv', rows)}", "breach-1")
    team.say("erin", "/breach draft client --lang en", "breach-1")
    team.say("erin", f"/breach draft edit D-1 {LETTER}", "breach-1")
    team.say("erin", "/breach approve D-1", "breach-1")
    team.say("lily", "/breach letters D-1", "breach-1")
    out = said(team, "lily", "/breach clients notified all --via email")
    assert PEOPLE_UNTOLD[lang] in out, out
    with Session(team.bot.engine) as s:
        clock = s.exec(select(Deadline).where(Deadline.ref == "us-ca-1798-82/residents")).one()
        assert clock.met_at is None


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_company_is_named_in_full_everywhere_a_person_is_masked(sqlite_engine, tmp_path, lang):
    """The register shows `Acme GmbH · company`; compensation and feedback name it the same way, never `Ac** Gm**`
    (a company's name is not personal data), while a person stays masked."""
    team = team_of(sqlite_engine, lang)
    team.say("alice", "/breach declare Payroll export leaked --data payroll")
    rows = [{"name": "Acme GmbH", "type": "company", "contact": "ap@acme.example", "language": "en",
             "residence": "EU", "data": "payroll"},
            {"name": "Ann Lee", "type": "individual", "contact": "a@x.example", "language": "en",
             "residence": "CN", "data": "payroll"}]
    team.say("lily", f"/breach clients import {write_csv(tmp_path / 'c.csv', rows)}", "breach-1")
    register = said(team, "lily", "/breach clients")
    assert "Acme GmbH" in register and "Ann Lee" not in register
    paid = said(team, "lily", '/breach clients compensate "Acme GmbH" 500 goodwill')
    scored = said(team, "lily", '/breach clients feedback "Acme GmbH" 4 quick answers')
    person = said(team, "lily", '/breach clients compensate "Ann Lee" 100')
    assert "Acme GmbH" in paid and "Acme GmbH" in scored and "Ac**" not in paid + scored
    assert "A** L**" in person and "Ann Lee" not in person
