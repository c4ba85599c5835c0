"""The war room's topic and pinned status against a Slack that posts a line for every topic change and lets
people delete messages: the topic is set only when its text changes, a deleted status comes back pinned,
and Slack's own error text never reaches a person."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import Incident, OutboundMessage
from tests.slack.conftest import USERS, make_slack

ALICE, BOB, ERIN = USERS["alice"], USERS["bob"], USERS["erin"]


def test_the_topic_is_set_only_when_its_text_changes(sqlite_engine, fake):
    slack = make_slack(sqlite_engine, fake)
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1").id
    for text in (f"assign <@{BOB}|bob> legal", f"assign <@{ERIN}|erin> it_security", f"unassign <@{ERIN}|erin>",
                 f"assign <@{ERIN}|erin> comms"):
        slack.slash(ALICE, text, channel=room)
    topics = [p["topic"] for p in fake.calls_to("conversations.setTopic")]
    assert len(fake.calls_to("chat.update")) >= 3  # the status did follow every change
    assert topics == list(dict.fromkeys(topics)) and len(topics) == 1  # but the topic did not change

    slack.slash(ALICE, "severity critical --reason 'payroll of 40 clients'", channel=room)
    topics = [p["topic"] for p in fake.calls_to("conversations.setTopic")]
    assert len(topics) == 2 and topics[0] != topics[1]
    assert fake.channels[room].topic == topics[1]


def test_a_deleted_status_is_posted_and_pinned_again_and_nobody_sees_slack_text(sqlite_engine, fake):
    slack = make_slack(sqlite_engine, fake)
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1").id
    with Session(sqlite_engine) as s:
        first = s.exec(select(Incident)).one().status_message
    fake.delete_message(room, first)  # someone removes the pinned status
    assert first not in fake.channels[room].pins

    slack.slash(ALICE, f"assign <@{BOB}|bob> legal", channel=room)
    slack.slash(ALICE, f"assign <@{ERIN}|erin> comms", channel=room)

    with Session(sqlite_engine) as s:
        now = s.exec(select(Incident)).one().status_message
        assert {r.state for r in s.exec(select(OutboundMessage))} == {"sent"}
    assert now != first and fake.channels[room].pins == [now]
    assert fake.messages[(room, now)]["text"].startswith("🚨")
    assert "U0BOB" in str(fake.messages[(room, now)]["blocks"])  # and it is kept up to date
    assert "U0ERIN" in str(fake.messages[(room, now)]["blocks"])
    said = [body.get("text", "") for _, body in fake.responses] + [p.get("text", "") for p in fake.posted()]
    assert not any("slack.com" in text or "/api/" in text or "message_not_found" in text for text in said)
