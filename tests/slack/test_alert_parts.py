"""Every part of an alert (the war-room post, a direct message, the status refresh) is its own outbox row:
delivered, retried and recorded on its own, in order per target. A DM Slack refuses for a while is
retried alone; the war room never gets the post twice; the alert is recorded in the timeline once.

The fake refuses the way Slack does: chat.postMessage to a member's id is their DM with the app
(docs.slack.dev/reference/methods/chat.postMessage, "channel": "a user ID … to send a DM"); a 5xx
is Slack being down, which the bot reads as temporary.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from storage.models import Deadline, OutboundMessage, TimelineEvent
from tests.slack.conftest import USERS, make_slack

ALICE, BOB, ERIN = USERS["alice"], USERS["bob"], USERS["erin"]


def delivered(fake, channel: str, needle: str) -> list[str]:
    return [m["text"] for (where, _), m in sorted(fake.messages.items()) if where == channel and needle in m["text"]]


def overdue(engine):
    with Session(engine) as s:
        due = s.exec(select(Deadline).where(Deadline.kind == "followup")).one().due_at
        events = [e.kind for e in s.exec(select(TimelineEvent)) if e.kind.startswith("followup_")]
    return due, events


def test_a_dm_slack_refuses_for_a_while_is_retried_alone_and_the_war_room_post_goes_once(engine, fake):
    slack = make_slack(engine, fake)
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1").id
    slack.slash(ALICE, f"followup Rotate the share keys --owner <@{ERIN}|erin> --due +2d", channel=room)
    due, _ = overdue(engine)
    slack.bot.advance(due - timedelta(minutes=1))
    fake.fail("chat.postMessage", "internal_error", status=500, times=3, channel=ERIN)  # her DMs fail 3 times
    slack.bot.advance(due + timedelta(seconds=2))

    assert len(delivered(fake, room, "F-1 is overdue")) == 1  # the war room has it at once
    assert delivered(fake, ERIN, "F-1 is overdue") == []
    _, events = overdue(engine)
    assert events.count("followup_missed") == 1  # said: a part of it was delivered
    slack.bot.advance(due + timedelta(minutes=5))  # backoff 5 s, 10 s, 20 s …
    assert len(delivered(fake, ERIN, "F-1 is overdue")) == 1
    assert len(delivered(fake, room, "F-1 is overdue")) == 1  # never posted again for the DM's retries
    dm_tries = [c for c in fake.calls_to("chat.postMessage") if c["channel"] == ERIN and "F-1 is overdue" in c["text"]]
    assert len(dm_tries) == 4
    _, events = overdue(engine)
    assert events.count("followup_missed") == 1  # recorded once, whatever the DM's retries


def test_a_dm_refused_for_good_goes_to_the_war_room_and_the_post_is_not_sent_again(sqlite_engine, fake):
    slack = make_slack(sqlite_engine, fake)
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1").id
    slack.slash(ALICE, f"followup Rotate the share keys --owner <@{ERIN}|erin> --due +2d", channel=room)
    due, _ = overdue(sqlite_engine)
    slack.bot.advance(due - timedelta(minutes=1))
    fake.deactivate(ERIN)
    slack.bot.advance(due + timedelta(hours=2))

    in_room = delivered(fake, room, "F-1 is overdue")
    assert len(in_room) == 2  # the alert's own post, and the DM's fallback naming her
    assert in_room[1].startswith(f"⚠️ <@{ERIN}> could not be reached by direct message")
    assert delivered(fake, ERIN, "F-1 is overdue") == []
    with Session(sqlite_engine) as s:
        states = {(r.op, r.target): r.state for r in s.exec(select(OutboundMessage))
                  if "F-1 is overdue" in str(r.payload)}
    assert states[("direct", ERIN)] == "dead" and states[("post", "")] == "sent"


def test_an_escalation_is_posted_once_while_the_status_refresh_it_asks_for_waits_out_slack(sqlite_engine, fake):
    slack = make_slack(sqlite_engine, fake)
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1")
    with Session(sqlite_engine) as s:
        phase_due = min(d.due_at for d in s.exec(select(Deadline).where(Deadline.kind == "phase")))
    slack.bot.advance(phase_due - timedelta(seconds=1))
    fake.fail("chat.update", "ratelimited", status=429, retry_after=60)
    slack.bot.advance(phase_due + timedelta(seconds=30))
    escalations = delivered(fake, room.id, "missed its deadline")
    assert len(escalations) == 1
    status = fake.messages[(room.id, room.pins[0])]["text"]
    slack.bot.advance(phase_due + timedelta(seconds=61))
    assert fake.messages[(room.id, room.pins[0])]["text"] != status  # the refresh went after its Retry-After
    assert len(delivered(fake, room.id, "missed its deadline")) == 1
