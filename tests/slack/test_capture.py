"""📌 and the "Log to breach timeline" shortcut: a message into the timeline as it was, once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from storage.models import TimelineEvent
from tests.slack.conftest import GENERAL, USERS

ALICE, BOB, ERIN = USERS["alice"], USERS["bob"], USERS["erin"]
SAID_AT = "1795830900.000100"  # 09:55 Shanghai, ten minutes before the declaration


def war_room(slack, fake) -> str:
    slack.slash(ALICE, "declare Payroll export found on a public share --severity high")
    room = fake.channel_named("breach-1").id
    fake.add_message(room, user=BOB, text="Share was opened by an outside IP &lt;203.0.113.9&gt; <!channel>",
                     ts=SAID_AT)
    return room


def pin(slack, user: str, room: str, *, event_id: str, retry: int | None = None, reaction: str = "pushpin"):
    return slack.event({"type": "reaction_added", "user": user, "reaction": reaction, "item_user": BOB,
                        "item": {"type": "message", "channel": room, "ts": SAID_AT}, "event_ts": "1795831600.1"},
                       event_id=event_id, retry=retry)


def captured(engine) -> list[TimelineEvent]:
    with Session(engine) as s:
        return list(s.exec(select(TimelineEvent).where(TimelineEvent.kind == "captured")))


def test_a_pin_logs_the_message_with_its_author_and_time(slack, fake, sqlite_engine):
    room = war_room(slack, fake)
    assert pin(slack, ALICE, room, event_id="Ev01").status == 200

    [event] = captured(sqlite_engine)
    assert (event.actor, event.text) == (BOB, "Share was opened by an outside IP <203.0.113.9> @channel")
    assert event.at == datetime(2026, 11, 28, 1, 55, 0, 100, tzinfo=UTC)
    assert event.data == {"source": f"{room}:{SAID_AT}", "captured_by": ALICE}
    assert fake.calls_to("conversations.history")[0] == {"channel": room, "latest": SAID_AT, "oldest": SAID_AT,
                                                         "inclusive": "1", "limit": "1"}
    assert fake.posted(room)[-1]["text"] == f"📌 <@U0ALICE> added a message by <@U0BOB> to the BR-1 timeline " \
                                            f"(#{event.seq})."


def test_slack_retrying_the_event_logs_nothing_twice(slack, fake, sqlite_engine):
    room = war_room(slack, fake)
    pin(slack, ALICE, room, event_id="Ev01")
    calls = len(fake.calls)
    assert pin(slack, ALICE, room, event_id="Ev01", retry=1).status == 200
    assert pin(slack, ALICE, room, event_id="Ev01", retry=2).status == 200

    assert len(captured(sqlite_engine)) == 1
    assert len(fake.calls) == calls  # a retry of a delivery already taken is acked and dropped


def test_a_second_pin_does_not_duplicate_and_says_so(slack, fake, sqlite_engine):
    room = war_room(slack, fake)
    pin(slack, ALICE, room, event_id="Ev01")
    pin(slack, ERIN, room, event_id="Ev02")

    assert len(captured(sqlite_engine)) == 1
    ephemeral = fake.calls_to("chat.postEphemeral")[-1]
    assert (ephemeral["channel"], ephemeral["user"]) == (room, ERIN)
    assert ephemeral["text"] == "That message is already in the BR-1 timeline."


def test_pins_outside_a_war_room_and_other_reactions_are_left_alone(slack, fake, sqlite_engine):
    room = war_room(slack, fake)
    fake.add_message(GENERAL, user=BOB, text="lunch?", ts=SAID_AT)
    before = len(fake.calls)
    pin(slack, ALICE, GENERAL, event_id="Ev01")
    pin(slack, ALICE, room, event_id="Ev02", reaction="eyes")

    assert captured(sqlite_engine) == []
    assert fake.methods()[before:] == []


def test_the_message_shortcut_logs_the_message(slack, fake, sqlite_engine):
    room = war_room(slack, fake)
    payload = {"type": "message_action", "callback_id": "log_to_timeline", "trigger_id": "trigger.s1",
               "team": {"id": "T0FIRM"}, "user": {"id": ERIN, "team_id": "T0FIRM"}, "channel": {"id": room},
               "message_ts": SAID_AT, "response_url": fake.response_url("shortcut1"),
               "message": {"type": "message", "user": BOB, "text": "Took the share offline", "ts": SAID_AT}}
    assert slack.interactive(payload).status == 200
    assert slack.interactive({**payload, "trigger_id": "trigger.s2"}).status == 200

    [event] = captured(sqlite_engine)
    assert (event.actor, event.text, event.data["captured_by"]) == (BOB, "Took the share offline", ERIN)
    assert fake.responses[-1] == ("shortcut1", {"text": "That message is already in the BR-1 timeline.",
                                                "blocks": fake.responses[-1][1]["blocks"],
                                                "response_type": "ephemeral", "replace_original": False})


def test_a_pin_on_a_reply_in_a_thread_logs_that_reply_not_its_parent(slack, fake, sqlite_engine):
    room = war_room(slack, fake)  # SAID_AT is the thread's parent
    reply_at, later_at = "1795831000.000200", "1795831100.000300"
    fake.add_message(room, user=ERIN, text="Firewall rule added for 203.0.113.9", ts=reply_at, thread_ts=SAID_AT)
    fake.add_message(room, user=BOB, text="thanks", ts=later_at, thread_ts=SAID_AT)
    slack.event({"type": "reaction_added", "user": ALICE, "reaction": "pushpin", "item_user": ERIN,
                 "item": {"type": "message", "channel": room, "ts": reply_at}, "event_ts": "1795831600.2"},
                event_id="EvThread")

    [event] = captured(sqlite_engine)
    assert (event.actor, event.text) == (ERIN, "Firewall rule added for 203.0.113.9")
    assert event.data["source"] == f"{room}:{reply_at}"
    assert fake.calls_to("conversations.history")[-1]["latest"] == reply_at  # not in the channel's history
    assert fake.calls_to("conversations.replies")[-1]["ts"] == reply_at


def test_the_shortcut_on_a_reply_in_a_thread_logs_that_reply(slack, fake, sqlite_engine):
    room = war_room(slack, fake)
    reply_at = "1795831000.000200"
    payload = {"type": "message_action", "callback_id": "log_to_timeline", "trigger_id": "trigger.s9",
               "team": {"id": "T0FIRM"}, "user": {"id": ERIN, "team_id": "T0FIRM"}, "channel": {"id": room},
               "message_ts": reply_at, "response_url": fake.response_url("shortcut9"),
               "message": {"type": "message", "user": ERIN, "text": "Rotated the share's password",
                           "ts": reply_at, "thread_ts": SAID_AT}}
    assert slack.interactive(payload).status == 200
    [event] = captured(sqlite_engine)
    assert (event.actor, event.text, event.data["source"]) == (ERIN, "Rotated the share's password",
                                                               f"{room}:{reply_at}")
