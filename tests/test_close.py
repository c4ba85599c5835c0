"""Closing safely: what is open is shown and confirmed first; the law's clocks outlive the close."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot import commands as c
from bot.chat import Mention
from bot.errors import UserError
from bot.flows.dispatch import rules
from bot.flows.permissions import check
from handlers.router import parse
from storage.models import Alert, Deadline, FollowUp, Incident, TimelineEvent
from tests.conftest import START, joined, make_console
from tests.conftest import said as say
from tests.test_bad_input import only_replies, snapshot

ROSTER = {"legal": ["erin"], "executive": ["frank"], "comms": ["carl"], "client_liaison": ["cathy"]}
CLOSE = '/breach close --cause staff_error --lessons "Shares must not be public"'


@pytest.fixture
def team(sqlite_engine):
    console = make_console(sqlite_engine, roster=ROSTER)
    console.say("alice", "/breach declare Payroll export leaked --data bank_account --clients 3")
    return console




AUTHORITY = "PIPL: personal information leak (Personal information protection authority)"  # never its id

def kinds(console) -> list[str]:
    with Session(console.bot.engine) as s:
        return [e.kind for e in s.exec(select(TimelineEvent).order_by(TimelineEvent.seq))]


def test_closing_with_things_open_lists_them_and_changes_nothing(team):
    say(team, "alice", "/breach affected CN=10")
    say(team, "alice", "/breach draft media")
    before = snapshot(team.bot.engine)
    [text] = only_replies(team.say("alice", CLOSE, "breach-1"))
    assert snapshot(team.bot.engine) == before
    lines = text.splitlines()
    assert lines[0] == "⚠️ BR-1 is not closed yet. Closing is final, and this is still open:"
    assert ("  ⚖️ Legal clock PIPL: personal information leak (Personal information protection authority) has no notice "
            "recorded: due Sun 29 Nov 10:05, in 1d") in lines
    assert "  📝 Drafts not approved: D-1 (media)" in lines
    assert any(ln.startswith("  ☐ Phase 1 Immediate response: 3 open tasks: Assemble the team") for ln in lines)
    assert "  🛡 Containment not recorded: /breach facts --contained yes once the leak is stopped" in lines
    assert lines[-1] == ("To close anyway, repeat it with --confirm: /breach close BR-1 --cause staff_error "
                         '--lessons "Shares must not be public" --confirm')
    # Repeating it as told closes it, and the timeline keeps what was open at that moment.
    assert "✅ BR-1 closed by @alice. Cause: Staff error." in say(team, "alice", CLOSE + " --confirm")
    with Session(team.bot.engine) as s:
        closed = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "closed")).one()
    assert closed.data["still_open"]["drafts"] == ["D-1"] and closed.data["still_open"]["containment_missing"]
    assert "cn-pipl-57/authority" in closed.data["still_open"]["clocks"]


def test_a_wrong_cause_is_said_before_what_is_open(team):
    [text] = only_replies(team.say("alice", '/breach close --cause aliens --lessons "x"', "breach-1"))
    assert text.startswith("No cause 'aliens'.")


def test_with_nothing_open_it_closes_at_once(team):
    first = team.bot.playbook.phases[0].model_copy(update={"waits_for_lead": True})  # phase 2 does not start
    team.bot.playbook = team.bot.playbook.model_copy(update={"phases": [first, *team.bot.playbook.phases[1:]]})
    for typed in ("/breach done 1", "/breach done 2", "/breach done 3", "/breach facts --contained yes"):
        say(team, "alice", typed)
    text = say(team, "alice", CLOSE)
    assert "not closed yet" not in text
    assert ("✅ BR-1 closed by @alice. Cause: Staff error. The post-incident report: /breach report "
            "(add --format html, pdf or json for another format).") in text
    assert "breachbot export" not in text


def test_the_close_form_without_confirmation_closes_nothing():
    assert parse(CLOSE, lang="en") == c.Close(cause="staff_error", lessons="Shares must not be public")
    assert parse(CLOSE + " --confirm", lang="en").confirm is True
    assert parse("/breach close BR-2 --confirm --cause insider --lessons x", lang="en") == c.Close(
        cause="insider", lessons="x", incident=2, confirm=True)


def test_long_lessons_are_not_echoed_into_the_confirm_command(team):
    lessons = "Shares must not be public. " * 20
    [text] = only_replies(team.say("alice", f'/breach close --cause insider --lessons "{lessons}"', "breach-1"))
    assert text.splitlines()[-1].endswith('--lessons "<the same lessons>" --confirm')


def test_legal_clock_reminders_outlive_the_close_and_notices_are_still_recorded(team):
    say(team, "alice", "/breach affected CN=10")
    text = say(team, "alice", CLOSE + " --confirm")
    assert ("⚖️ Still owed after close; these reminders keep running until each notice is recorded with "
            '/breach notified BR-1 <clock> --ref "<reference>":') in text
    with Session(team.bot.engine) as s:
        pending = {s.get(Deadline, a.deadline_id).kind for a in s.exec(select(Alert).where(Alert.state == "pending"))}
    assert pending == {"regime", "followup"}  # the phases, questions and role prompts stopped
    # The reminders come, after the close, with who must act.
    later = team.advance(START + timedelta(hours=19))  # a quarter of the 24 hours before the deadline
    reminders = [x.text for x in later if "cn-pipl-57/authority" in x.text]
    assert reminders and reminders[0].startswith("⚖️ BR-1: PIPL")
    assert "/breach notified cn-pipl-57/authority" in reminders[0]
    assert not [x for x in later if "phase 2/10" in x.text]
    # Legal records the notice on the closed incident; it is in the timeline after "closed".
    done = say(team, "erin", '/breach notified cn-pipl-57/authority --ref "CAC-2026-1"')
    assert f"✅ @erin recorded the notice for {AUTHORITY}" in done and "reference CAC-2026-1" in done
    assert kinds(team)[-1] == "notified" and "closed" in kinds(team)
    with Session(team.bot.engine) as s:
        deadline = s.exec(select(Deadline).where(Deadline.ref == "cn-pipl-57/authority")).one()
        assert deadline.met_at is not None
        assert all(a.state != "pending" for a in s.exec(select(Alert).where(Alert.deadline_id == deadline.id)))
    # The other clocks still remind; once the last notice is in, the war room hears so.
    for clock in ("cn-pipl-57/individuals", "cn-dsl-29/report", "cn-ndsmr-11/notice"):
        last = say(team, "erin", f'/breach notified {clock} --ref "R-{clock}"')
    assert "⚖️ Every legal clock of BR-1 now has its notice recorded." in last
    assert "Legal clocks still owed" not in say(team, "alice", "/breach status")
    # Everything else stays closed.
    assert say(team, "alice", "/breach log more") == "BR-1 is closed; it can be read but no longer changed."


def test_status_after_close_says_closed_and_which_clocks_are_owed(team):
    say(team, "alice", "/breach affected CN=10")
    team.clock.advance(timedelta(minutes=30))
    say(team, "alice", CLOSE + " --confirm")
    status = say(team, "carl", "/breach status").splitlines()
    assert status[0] == "🗂 BR-1 · severity high · CLOSED · lead: @alice"
    assert "✅ Closed 10:35 by @alice · cause: Staff error" in status
    assert f"  ⚖️ {AUTHORITY} · due Sun 29 Nov 10:05, in 23h 30m" in status
    assert not any("phase 1/10" in ln or "Next:" in ln or "Overdue" in ln for ln in status)


def test_a_closed_status_in_chinese(sqlite_engine):
    console = make_console(sqlite_engine, roster=ROSTER, lang="zh")
    console.say("alice", "/breach 宣布 工资表泄露 --clients 3", "general")
    say(console, "alice", "/breach 影响 CN=10")
    listing = say(console, "alice", '/breach 结案 --cause insider --lessons "审查权限"')
    assert listing.startswith("⚠️ BR-1 尚未结案。结案后不能撤销，以下事项仍未完成：")
    assert listing.endswith('仍要结案，请加 --确认 再输入一次：/breach 结案 BR-1 --原因 内部人员 --教训 "审查权限" --确认')
    closed = say(console, "alice", '/breach 结案 --cause insider --lessons "审查权限" --confirm')
    assert "✅ @alice 已将 BR-1 结案。原因：内部人员。事后报告：/breach 报告" in closed
    status = say(console, "alice", "/breach 状态").splitlines()
    assert status[0] == "🗂 BR-1 · 严重程度 高 · 已结案 · 负责人：@alice"
    assert "✅ @alice 已于 10:05 结案 · 原因：内部人员" in status
    say(console, "alice", "/breach unassign lead")
    assert say(console, "carl", '/breach 结案 --cause insider --lessons "x" --confirm') == "BR-1 已经结案。"


def test_a_drill_close_schedules_no_real_follow_ups_and_says_drill(sqlite_engine):
    console = make_console(sqlite_engine, roster=ROSTER)
    console.say("alice", "/breach drill public-share", "general")
    sent = console.say("alice", CLOSE + " --confirm", "breach-1")
    shown = [x.text for x in sent if x.op in ("post", "reply", "direct")]
    assert shown and all(text.startswith("[DRILL]") for text in shown)
    assert any("A drill schedules no follow-ups; a real close would add: Client satisfaction check" in text
               for text in shown)
    with Session(sqlite_engine) as s:
        assert s.exec(select(FollowUp)).all() == []
    # A closed drill takes no follow-ups (nothing about it pages anyone again), and says so.
    sent = console.say("alice", "/breach followup Fix the share settings --owner @erin --due +14d", "breach-1")
    assert "is a closed drill: it takes no follow-ups" in joined(sent)
    assert say(console, "alice", "/breach followups").startswith("[DRILL] Follow-ups of BR-1:")
    assert [x for x in console.advance(START + timedelta(days=14)) if x.op in ("post", "direct")] == []


def test_a_real_close_still_schedules_the_standard_follow_ups(team):
    text = say(team, "alice", CLOSE + " --confirm")
    assert "📌 Standard follow-ups scheduled: F-1 Client satisfaction check with the affected clients (@cathy" in text
    with Session(team.bot.engine) as s:
        assert len(s.exec(select(FollowUp)).all()) == 3
        assert s.exec(select(Incident)).one().status == "closed"


def test_the_permission_check_never_falls_back_to_everyone():
    names = {"lead": "Incident lead", "executive": "Executive sponsor", "legal": "Legal / compliance"}
    needs = rules()
    for action in ("assign", "unassign", "close", "notified"):
        with pytest.raises(UserError) as refused:
            check(action, needed=needs[action], user="mallory", holders={}, declarer="alice", lang="en",
                  role_names=names)
        assert Mention("alice") in refused.value.message.lines[0]
        check(action, needed=needs[action], user="alice", holders={}, declarer="alice", lang="en", role_names=names)
    check("close", needed=needs["close"], user="frank", holders={"executive": "frank"}, declarer="alice", lang="en",
          role_names=names)
    with pytest.raises(UserError):  # with a lead in place, the declarer is just a team member
        check("close", needed=needs["close"], user="alice", holders={"lead": "bob"}, declarer="alice", lang="en",
              role_names=names)


def test_follow_ups_are_listed_from_outside_the_war_room_after_close(quick):
    """Follow-ups keep running after close: asked for from #general they are the closed incident's."""
    from tests.conftest import joined
    quick.say("alice", "/breach declare Payroll export leaked", "general")
    quick.say("alice", '/breach close --cause staff_error --lessons "Vet shares" --confirm', "breach-1")
    listing = joined(quick.say("alice", "/breach followups", "general"))
    assert "F-1" in listing and "no open incident" not in listing, listing
