"""/breach declare on Slack, through Bolt: the war room, the living status, the modal, failures."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from handlers.slack.modals import Origin
from storage.models import Incident, RoleAssignment, TimelineEvent
from tests.slack.conftest import GENERAL, USERS, blocks_text, make_slack

ALICE, BOB, ERIN = USERS["alice"], USERS["bob"], USERS["erin"]
TITLE = "Payroll export for 40 clients found on a public file share"


def incidents(engine) -> list[Incident]:
    with Session(engine) as s:
        return list(s.exec(select(Incident)))


def test_declare_opens_a_private_war_room_pins_the_status_and_announces(sqlite_engine, fake):
    slack = make_slack(sqlite_engine, fake, roster={"it_security": [BOB], "legal": [ERIN]})
    response = slack.slash(ALICE, f"declare {TITLE} --severity high --clients 40 --data payroll,bank_account")

    assert (response.status, response.body) == (200, "")  # the ack: nothing shown, work done lazily
    assert fake.calls_to("conversations.create") == [{"name": "breach-1-payroll-export-for-40", "is_private": "1"}]
    room = fake.channel_named("breach-1")
    assert room.is_private and {ALICE, BOB, ERIN} <= room.members
    # One invite per person, each its own step: one bad id cannot keep the others out.
    assert sorted(c["users"] for c in fake.calls_to("conversations.invite")) == [ALICE, BOB, ERIN]
    assert room.topic == "BR-1 · high · phase 1/10 Immediate response · due Sat 28 Nov 11:05 · open"
    status = fake.posted(room.id)[0]
    assert status["text"].startswith("🚨 *BR-1* · severity high · phase 1/10 Immediate response (due Sat 28 Nov 11:05, within 1h)"
                                     " · lead: <@U0ALICE>")
    assert room.pins == [fake.messages[(room.id, fake.calls_to("pins.add")[0]["timestamp"])]["ts"]]
    prompt = fake.posted(room.id)[1]
    assert "*Immediate response*" in prompt["text"] and prompt["blocks"][-1]["type"] == "actions"
    where, announce = fake.responses[-1]
    assert where == "slash1" and announce["response_type"] == "in_channel"
    # The public channel is told an incident exists and where the team works, never the internal title.
    assert announce["text"] == f"🚨 *BR-1* declared by <@U0ALICE>. The team works in the private war room " \
                               f"<#{room.id}>; details stay there."
    dms = {p["channel"]: p["text"] for p in fake.posted() if p["channel"].startswith("U")}
    assert dms["U0BOB"] == f"You are IT security for BR-1. War room: <#{room.id}>"
    [incident] = incidents(sqlite_engine)
    assert (incident.war_room, incident.status_message) == (room.id, room.pins[0])
    assert (incident.title, incident.declared_by, incident.declared_in) == (TITLE, ALICE, GENERAL)
    assert incident.facts == {"clients": 40, "data": ["payroll", "bank_account"]}


def test_the_same_slash_command_delivered_twice_declares_once(slack, fake, sqlite_engine):
    slack.slash(ALICE, f"declare {TITLE}", trigger="trigger.same")
    slack.slash(ALICE, f"declare {TITLE}", trigger="trigger.same")

    assert len(incidents(sqlite_engine)) == 1
    assert len(fake.calls_to("conversations.create")) == 1
    room = fake.channel_named("breach-1").id
    assert fake.responses[-1][1]["text"] == f"BR-1 is already declared; its war room is <#{room}>."


def test_a_bare_declare_opens_the_modal_and_its_answers_declare(slack, fake, sqlite_engine):
    slack.slash(ALICE, "declare")

    [opened] = fake.calls_to("views.open")
    view = opened["view"]
    assert opened["trigger_id"] == "trigger.1" and view["callback_id"] == "breach_declare"
    assert Origin.load(view["private_metadata"]) == Origin(channel=GENERAL, response_url=fake.response_url("slash1"))
    labels = [b["label"]["text"] for b in view["blocks"]]
    assert labels == ["What happened", "Severity", "When did the firm become aware?", "Data involved",
                      "Clients affected (estimate)", "Drill"]
    assert not incidents(sqlite_engine)

    values = {
        "title": {"value": {"type": "plain_text_input", "value": "Ledgers <!channel> emailed to the wrong client"}},
        "severity": {"value": {"type": "static_select", "selected_option": {"value": "critical"}}},
        "aware": {"value": {"type": "plain_text_input", "value": "2h ago"}},
        "data": {"value": {"type": "multi_static_select", "selected_options": [{"value": "ledgers"},
                                                                               {"value": "tax_id"}]}},
        "clients": {"value": {"type": "number_input", "value": "3"}},
        "drill": {"value": {"type": "checkboxes", "selected_options": [{"value": "drill"}]}},
    }
    assert slack.submit(ALICE, view, values).status == 200
    assert slack.submit(ALICE, view, values).status == 200  # a double click on Declare

    [incident] = incidents(sqlite_engine)
    assert (incident.title, incident.severity, incident.drill) == (
        "Ledgers <!channel> emailed to the wrong client", "critical", True)
    assert incident.aware_at == slack.clock.now() - timedelta(hours=2)
    assert incident.facts == {"clients": 3, "data": ["ledgers", "tax_id"]}
    assert (incident.declared_in, incident.declare_key) == (GENERAL, "view:V0MODAL1")
    announce = next(body for where, body in fake.responses if body.get("response_type") == "in_channel")
    assert announce["text"].startswith("[DRILL] 🚨 *BR-1* declared by <@U0ALICE>. The team works")
    assert "Ledgers" not in announce["text"] and "<!channel>" not in announce["text"]
    assert len(fake.calls_to("conversations.create")) == 1


def test_text_people_type_is_never_a_live_broadcast_or_link(slack, fake, sqlite_engine):
    # Slack escapes what was typed, and marks up what it recognised (a typed @channel is <!channel>).
    slack.slash(ALICE, "declare &lt;!channel&gt; wire money to &lt;https://evil.example|your bank&gt; "
                       "ping <!here> now")
    [incident] = incidents(sqlite_engine)
    assert incident.title == "<!channel> wire money to <https://evil.example|your bank> ping @here now"
    room = fake.channel_named("breach-1").id
    slack.slash(BOB, "log &lt;@U0ALICE&gt; said pay <!channel>", channel=room)
    wire = repr([c.params for c in fake.calls] + [body for _, body in fake.responses])
    assert "<!channel>" not in wire and "<!here>" not in wire and "<https://evil" not in wire
    assert "&lt;!channel&gt; wire money to &lt;https://evil.example|your bank&gt; ping @here now" in wire
    with Session(sqlite_engine) as s:
        note = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "note")).one()
    assert (note.actor, note.text) == (BOB, "<@U0ALICE> said pay @channel")


def test_assign_by_mention_invites_and_tells_the_person(slack, fake, sqlite_engine):
    slack.slash(ALICE, f"declare {TITLE}")
    room = fake.channel_named("breach-1").id
    slack.slash(ALICE, "assign <@U0BOB|bob> it_security", channel=room)

    with Session(sqlite_engine) as s:
        roles = {a.role: a.user for a in s.exec(select(RoleAssignment).where(RoleAssignment.ended_at.is_(None)))}
    assert roles == {"lead": ALICE, "it_security": BOB}
    assert {"channel": room, "users": BOB, "force": "1"} in fake.calls_to("conversations.invite")
    assert "👤 <@U0BOB> is now IT security (assigned by <@U0ALICE>)." in [p["text"] for p in fake.posted(room)]
    status_ts = fake.channel_named("breach-1").pins[0]
    update = fake.calls_to("chat.update")[-1]
    assert update["ts"] == status_ts and "IT security <@U0BOB>" in blocks_text(update["blocks"])


def test_a_typo_is_answered_only_to_the_person(slack, fake):
    slack.slash(ALICE, "declar Payroll leak")
    [(_, answer)] = fake.responses
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("I don't know /breach declar. Did you mean /breach declare?")
    assert fake.methods() == ["auth.test"]


def test_a_workspace_where_only_admins_make_private_channels_still_gets_its_incident(slack, fake, sqlite_engine):
    fake.admins_only_private_channels = True
    slack.slash(ALICE, f"declare {TITLE}")

    [incident] = incidents(sqlite_engine)
    assert incident.number == 1 and incident.war_room is None  # the incident stands without a room
    told = [body["text"] for _, body in fake.responses]
    assert told[0].startswith("🚨 *BR-1* declared by <@U0ALICE>")
    assert told[-1].startswith("Saved, but some things could not be done: creating the war room: only admins may "
                               "create private channels in this workspace; ask an admin to allow it "
                               "(restricted_action)")
    dms = [p["text"] for p in fake.posted(ALICE)]
    assert any(text.startswith("⚠️ BR-1: the war room could not be made") for text in dms)
    # What would have gone to the war room reaches the lead (alice) by DM, once each.
    assert sum("phase 1/10: *Immediate response*" in text for text in dms) == 1
    assert len(fake.calls_to("conversations.create")) == 1  # refused for good: not tried again and again
    slack.clock.set(slack.clock.now() + timedelta(hours=1))
    slack.bot.advance(slack.clock.now())
    assert len(fake.calls_to("conversations.create")) == 1
    slack.slash(ALICE, "status 1")
    assert fake.responses[-1][1]["text"].startswith("🚨 *BR-1*")  # the incident works without its room


def test_a_taken_channel_name_gets_a_suffix(slack, fake):
    fake.add_channel("C0ARCHIVED", "breach-1-payroll-export-for-40", private=True)
    slack.slash(ALICE, f"declare {TITLE}")
    assert [c["name"] for c in fake.calls_to("conversations.create")] == [
        "breach-1-payroll-export-for-40", "breach-1-payroll-export-for-40-2"]
    assert fake.channel_named("breach-1-payroll-export-for-40-2").is_private


def test_a_rate_limit_is_waited_out_in_bot_time_and_holds_nothing_else_up(slack, fake, sqlite_engine):
    fake.fail("chat.postMessage", "ratelimited", status=429, retry_after=20)
    slack.slash(ALICE, f"declare {TITLE}")

    room = fake.channel_named("breach-1")
    assert room.pins == [] and incidents(sqlite_engine)[0].number == 1  # committed; the status waits 20 s
    assert fake.responses[-1][1]["text"].startswith("Saved, but some messages could not be delivered yet")
    # Meanwhile other commands run at once: no database lock is held while Slack makes us wait.
    slack.slash(BOB, "declare Second leak on the shared drive")
    slack.slash(ALICE, "status 2")
    assert [i.number for i in incidents(sqlite_engine)] == [1, 2]
    assert fake.channel_named("breach-2").pins  # BR-2's room is complete
    slack.bot.advance(slack.clock.now() + timedelta(seconds=19))
    assert room.pins == []  # Retry-After is honoured: not a second early
    slack.bot.advance(slack.clock.now() + timedelta(seconds=1))
    assert len(room.pins) == 1 and fake.messages[(room.id, room.pins[0])]["text"].startswith("🚨 *BR-1*")
    assert incidents(sqlite_engine)[0].status_message == room.pins[0]
    posts = [m["text"].split(" ", 1)[0] for (channel, _), m in sorted(fake.messages.items()) if channel == room.id]
    assert posts[:3] == ["🚨", "▶️", "❓"]  # the order in the room is kept after the wait
    kinds = [type(h).__name__ for h in slack.app.client.retry_handlers]
    assert kinds == ["RateLimitErrorRetryHandler", "ConnectionErrorRetryHandler"]  # forms and replies still retry
