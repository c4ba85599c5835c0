"""The permission matrix, one test per row, through the console platform."""

from __future__ import annotations

import pytest

from bot.chat import Context
from bot.flows.dispatch import rules
from tests.conftest import make_console
from tests.conftest import said as answer

ROSTER = {"legal": ["erin"], "executive": ["frank"], "comms": ["carl"], "it_security": ["dave"]}


@pytest.fixture
def team(sqlite_engine):
    console = make_console(sqlite_engine, roster=ROSTER, people={"gina": "gina"})
    console.say("alice", "/breach declare Payroll export leaked")
    return console




def test_anyone_may_declare(team):
    assert "BR-2 declared by @zoe" in answer(team, "zoe", "/breach declare Another leak", "general")


@pytest.mark.parametrize("who, allowed", [("alice", True), ("frank", True), ("dave", False), ("zoe", False)])
def test_assign_and_unassign_need_lead_or_sponsor(team, who, allowed):
    text = answer(team, who, "/breach assign @gina scribe")
    if allowed:
        assert "@gina is now Scribe" in text
        assert "no longer Scribe" in answer(team, who, "/breach unassign scribe")
    else:
        assert text == "Only Incident lead @alice, Executive sponsor @frank may give roles here."


@pytest.mark.parametrize("who, allowed", [("alice", True), ("frank", False), ("erin", False)])
def test_only_the_lead_closes(team, who, allowed):
    text = answer(team, who, '/breach close --cause insider --lessons "x" --confirm')
    assert ("closed by" in text) is allowed
    if not allowed:
        assert text == "Only Incident lead @alice may close the incident here."


# What each rule's action looks like typed, and the roles to empty (in an order the lead may empty them).
TYPED = {
    "assign": ("/breach assign @gina scribe", ("executive", "lead")),
    "unassign": ("/breach unassign comms", ("executive", "lead")),
    "close": ('/breach close --cause insider --lessons "x" --confirm', ("lead",)),
    "notified": ("/breach notified cn-dsl-29", ("legal", "lead")),
    "noharm": ('/breach noharm eu-gdpr-33 --reason "x"', ("legal", "lead")),
    "severity": ('/breach severity critical --reason "x"', ("it_security", "executive", "lead")),
    "rename": ("/breach rename Laptop lost", ("it_security", "executive", "lead")),
    "link": ("/breach link --for insurer", ("executive", "legal", "lead")),
    "correct": ('/breach correct #1 --at 10:05 --reason "x"', ("legal", "lead")),  # no scribe on this team
}
DONE = {"assign": "@gina is now Scribe", "unassign": "no longer Communications", "close": "closed by",
        "notified": "recorded the notice", "noharm": "recorded a no-harm decision", "severity": "changed BR-1's severity", "rename": "renamed BR-1",
        "link": "a link to the page of BR-1", "correct": "cannot be corrected"}  # past the check: the flow says no


def test_every_rule_is_tried_with_its_roles_empty():
    assert set(TYPED) == set(rules())


@pytest.mark.parametrize("action", sorted(TYPED))
def test_an_empty_role_never_opens_an_action_to_everyone(team, action):
    typed, empty = TYPED[action]
    answer(team, "alice", "/breach affected CN=10")
    for role in empty:
        assert "is no longer" in answer(team, "alice", f"/breach unassign {role}")
    refused = answer(team, "carl", typed)  # communications: on the team, holds none of the roles
    assert refused.startswith("Nobody holds ")
    assert refused.endswith(f"Fill the role first: /breach assign @user {rules()[action][0]}")
    assert "Declarer @alice" in refused
    assert ("Executive sponsor @frank" in refused) is ("executive" not in empty)
    assert DONE[action] in answer(team, "alice", typed)  # the declarer still may: the team is never locked out


def test_the_executive_sponsor_closes_while_nobody_leads(team):
    answer(team, "alice", "/breach unassign lead")
    assert answer(team, "carl", '/breach close --cause insider --lessons "x" --confirm') == (
        "Nobody holds Incident lead now, so only Declarer @alice, Executive sponsor @frank may close the incident. "
        "Fill the role first: /breach assign @user lead")
    assert "BR-1 closed by @frank" in answer(team, "frank", '/breach close --cause insider --lessons "x" --confirm')


@pytest.mark.parametrize("who, allowed", [("erin", True), ("alice", True), ("dave", False)])
def test_legal_or_the_lead_mark_a_clock_met(team, who, allowed):
    answer(team, "alice", "/breach affected CN=10")
    text = answer(team, who, "/breach notified cn-dsl-29")
    assert ("recorded the notice" in text) is allowed
    if not allowed:
        assert text == "Only Legal / compliance @erin, Incident lead @alice may record a notice as sent here."


@pytest.mark.parametrize("kind, approvers, refused", [
    ("client", ["erin"], "alice"),
    ("regulator", ["erin"], "carl"),
    ("media", ["carl", "frank"], "erin"),
    ("press", ["frank", "carl"], "alice"),
    ("staff", ["alice"], "erin"),
])
def test_each_statement_has_its_approvers(team, kind, approvers, refused):
    answer(team, "alice", f"/breach draft {kind}")
    answer(team, "alice", "/breach draft edit D-1 The final text, every fact filled in.")  # no gap left
    assert answer(team, refused, "/breach approve D-1").startswith("Only ")
    for user in approvers:
        text = answer(team, user, "/breach approve D-1")
    assert "approved by" in text and "still needed" not in text


@pytest.mark.parametrize("who, allowed", [("alice", True), ("frank", True), ("erin", True), ("dave", False),
                                         ("carl", False)])
def test_the_lead_the_sponsor_or_legal_give_page_links(team, who, allowed):
    text = answer(team, who, "/breach link --for insurer")
    assert ("a link to the page of BR-1" in text) is allowed
    if not allowed:
        assert text == ("Only Incident lead @alice, Executive sponsor @frank, Legal / compliance @erin may give or "
                        "revoke links to the incident page here.")
        assert answer(team, who, "/breach link revoke").startswith("Only Incident lead @alice")


def test_outsiders_learn_nothing(team):
    for typed in ("/breach status BR-1", "/breach log BR-1 hello", "/breach roles BR-1", "/breach clocks BR-1",
                  "/breach report BR-1", "/breach summary BR-1", "/breach link BR-1", "/breach link BR-1 revoke"):
        assert answer(team, "mallory", typed, "general") == "There is no incident BR-1 here."
    # the team may, from anywhere
    assert "Payroll export leaked" in answer(team, "dave", "/breach status BR-1", "general")
    # and so may anyone in the war room
    assert "Payroll export leaked" in answer(team, "mallory", "/breach status", "breach-1")
    home = team.bot.home(Context(workspace="console", user="mallory", room="general")).plain_text()
    assert "Payroll" not in home and "No open incidents" in home
    assert "Payroll export leaked" in team.bot.home(Context(workspace="console", user="erin", room="general")).plain_text()
    history = answer(team, "mallory", "/breach history", "general")
    assert "Payroll" not in history


def test_the_readme_lists_every_rule():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Permissions", 1)[1].split("\n## ", 1)[0]
    for action in rules():
        assert action in section or {"assign": "assign", "unassign": "unassign"}.get(action, "") in section, action
