"""People mentioned in what is typed on Slack: stored as the person (id and display name), shown as a
live mention in the war room and as the name in the timeline and the report, never as Slack's markup."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from storage.models import TimelineEvent
from tests.slack.conftest import USERS

ALICE, BOB, ERIN = USERS["alice"], USERS["bob"], USERS["erin"]


def test_a_decision_naming_people_is_stored_with_them_and_shown_as_names(slack, fake, sqlite_engine):
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1").id
    slack.slash(ALICE, f"decision <@{BOB}|bob> and <@{ERIN}> take the share offline; <@{BOB}|bob> calls the bank",
                channel=room)
    slack.slash(ALICE, f"log told <@{ERIN}> about it", channel=room)

    with Session(sqlite_engine) as s:
        decision = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "decision")).one()
        note = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "note")).one()
    assert decision.text == "@Bob and @Erin take the share offline; @Bob calls the bank"
    assert decision.data["mentions"] == [{"user": BOB, "name": "Bob"}, {"user": ERIN, "name": "Erin"}]
    assert (note.text, note.data["mentions"]) == ("told @Erin about it", [{"user": ERIN, "name": "Erin"}])

    posted = next(p["text"] for p in fake.posted(room) if "take the share offline" in p["text"])
    assert f"<@{BOB}> and <@{ERIN}> take the share offline; <@{BOB}> calls the bank" in posted  # live mentions
    assert "&lt;@" not in posted and "|bob" not in posted

    slack.slash(ALICE, "report", channel=room)
    report = list(fake.uploads.values())[-1].decode()
    assert "@Bob and @Erin take the share offline" in report and "told @Erin about it" in report
    assert "<@" not in report and "&lt;@" not in report


def test_a_captured_message_keeps_the_people_it_names(slack, fake, sqlite_engine):
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1").id
    fake.add_message(room, user=BOB, text=f"<@{ERIN}> please rotate the share password", ts="1795830900.000100")
    slack.event({"type": "reaction_added", "user": ALICE, "reaction": "pushpin", "item_user": BOB,
                 "item": {"type": "message", "channel": room, "ts": "1795830900.000100"}, "event_ts": "1795831600.1"},
                event_id="EvM1")
    with Session(sqlite_engine) as s:
        event = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "captured")).one()
    assert event.text == "@Erin please rotate the share password"
    assert event.data["mentions"] == [{"user": ERIN, "name": "Erin"}]


def test_a_long_decision_is_split_into_whole_parts_never_cut(slack, fake, sqlite_engine):
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1").id
    words = " ".join(f"step{n}&amp;check" for n in range(250))  # Slack escapes the & people type
    slack.slash(ALICE, f"decision {words}", channel=room)
    parts = [p for p in fake.posted(room) if "step" in p["text"]]
    said = json.dumps([p["blocks"] for p in parts])  # what people read (the fallback text is for notifications)
    for n in range(250):  # every word arrives whole, its escape intact
        assert f"step{n}&amp;check" in said
    assert "…" not in json.dumps([p["blocks"] for p in parts], ensure_ascii=False)
