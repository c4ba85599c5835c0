"""Delivery against a Slack that answers like Slack: bad roster ids, archived war rooms, deactivated
people, oversized messages and refused posts; nothing is lost, nothing is sent twice."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import yaml
from sqlmodel import Session, select

from bot.settings import DEFAULT_PLAYBOOK
from storage.models import Incident, OutboundMessage, RoleAssignment, TimelineEvent
from tests.slack.conftest import USERS, blocks_text, make_slack
from tests.slack.fake_slack import BLOCKS_MAX, BLOCKS_TEXT_MAX, SECTION_MAX

ALICE, BOB, ERIN = USERS["alice"], USERS["bob"], USERS["erin"]


def delivered(fake, channel: str) -> list[str]:
    """What is in a channel (or a person's DMs) now, in order: only messages Slack accepted."""
    return [m["text"] for (where, _), m in sorted(fake.messages.items()) if where == channel]


def test_one_bad_roster_id_still_gives_a_working_incident_and_tells_the_lead(sqlite_engine, fake):
    # "erin" typed as a name instead of her member ID.
    slack = make_slack(sqlite_engine, fake, roster={"it_security": [BOB], "legal": ["erin"]})
    slack.slash(ALICE, "declare Payroll export on a public share")

    room = fake.channel_named("breach-1")
    assert {ALICE, BOB} <= room.members and room.pins  # the others are in, the status pinned
    told = fake.responses[-1][1]["text"]
    assert told.startswith("Saved, but some things could not be done: inviting @erin: not a member ID of this "
                           "workspace (a name instead of an ID?) (user_not_found)")
    assert any(text.startswith("⚠️ BR-1: could not invite @erin to the war room") and
               "/breach assign @erin &lt;role&gt;" in text for text in delivered(fake, room.id))
    with Session(sqlite_engine) as s:
        assert s.exec(select(Incident)).one().war_room == room.id
        events = [e for e in s.exec(select(TimelineEvent)) if e.kind.startswith("delivery_")]
    assert [(e.data["op"], e.data["target"], e.data["reason"]) for e in events][0] == ("invite", "erin",
                                                                                       "user_not_found")


def test_an_archived_war_room_sends_the_next_escalation_to_the_lead_once(sqlite_engine, fake):
    slack = make_slack(sqlite_engine, fake, roster={"executive": [BOB]})
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1")
    fake.archive(room.id)
    slack.bot.advance(slack.clock.now() + timedelta(hours=1, minutes=5))

    for person in (ALICE, BOB):  # the lead and the executive sponsor
        escalations = [t for t in delivered(fake, person) if "missed its deadline" in t]
        assert len(escalations) == 1, person
        assert escalations[0].startswith("⚠️ BR-1: this could not be posted in the war room")
    assert not any("missed its deadline" in t for t in delivered(fake, room.id))
    slack.bot.advance(slack.clock.now() + timedelta(hours=1))  # nothing is retried against the archived room
    assert len([t for t in delivered(fake, ALICE) if "missed its deadline" in t]) == 1
    slack.slash(ALICE, "status 1")
    assert "could not be delivered" in fake.responses[-1][1]["text"]  # the status says so


def test_a_deactivated_role_holder_is_named_in_the_war_room_and_the_rest_goes_on(sqlite_engine, fake):
    slack = make_slack(sqlite_engine, fake)
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1").id
    slack.slash(ALICE, f"assign <@{ERIN}|erin> legal", channel=room)
    fake.deactivate(ERIN)  # she leaves the firm
    slack.slash(ALICE, f"assign <@{BOB}|bob> legal", channel=room)  # her "you were replaced" DM cannot go
    slack.slash(ALICE, "log called the bank", channel=room)

    texts = delivered(fake, room)
    assert any(t.startswith(f"⚠️ <@{ERIN}> could not be reached by direct message (this person cannot get "
                            "direct messages from the app") for t in texts)
    assert texts[-1].startswith("📝 Noted by <@U0ALICE>")  # what came after is not held up
    with Session(sqlite_engine) as s:
        holder = s.exec(select(RoleAssignment).where(RoleAssignment.role == "legal",
                                                     RoleAssignment.ended_at.is_(None))).one()
        assert holder.user == BOB
        assert {r.state for r in s.exec(select(OutboundMessage))} == {"sent", "dead"}
    # Giving her a role now is refused before anything changes.
    slack.slash(ALICE, f"assign <@{ERIN}|erin> scribe", channel=room)
    assert fake.responses[-1][1]["text"].startswith("No Slack account matches @U0ERIN.")


def test_a_name_typed_as_text_is_resolved_to_the_member_or_refused(sqlite_engine, fake):
    slack = make_slack(sqlite_engine, fake)
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1").id
    slack.slash(ALICE, "assign @bob it_security", channel=room)  # typed, not picked from the list
    slack.slash(ALICE, "assign @dave legal", channel=room)  # nobody of that name
    with Session(sqlite_engine) as s:
        holders = {a.role: a.user for a in s.exec(select(RoleAssignment).where(RoleAssignment.ended_at.is_(None)))}
    assert holders == {"lead": ALICE, "it_security": BOB}
    assert BOB in fake.channels[room].members
    assert fake.responses[-1][1]["text"] == (
        "No Slack account matches @dave. Pick the person from the list that opens when you type @, or give their "
        "member ID; nothing was changed.")


def test_a_75_task_phase_arrives_whole_in_parts_slack_accepts(sqlite_engine, fake, tmp_path: Path):
    book = yaml.safe_load(DEFAULT_PLAYBOOK.read_text(encoding="utf-8"))
    book["phases"][0]["tasks"] = [
        {"key": f"t{n}", "text": {"en": f"Task {n}: check ledger export <{n}> & the share's access log, "
                                        f"then write down who opened which file and when ({'x' * 60})",
                                  "zh": f"任务 {n}"}} for n in range(1, 76)]
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")
    slack = make_slack(sqlite_engine, fake, playbook=path)
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1").id

    posts = [p for p in fake.posted(room)]
    refused = [c for c in fake.calls if c.method == "chat.postMessage" and c.params.get("channel") == room]
    assert len(refused) == len(posts)  # every call was accepted: nothing refused, nothing retried
    prompt_parts = [p for p in posts if "Task " in blocks_text(p["blocks"])]
    assert len(prompt_parts) >= 2
    for part in prompt_parts:
        assert len(part["blocks"]) <= BLOCKS_MAX
        assert all(len(b.get("text", {}).get("text", "")) <= SECTION_MAX for b in part["blocks"])
        assert len(blocks_text(part["blocks"])) <= BLOCKS_TEXT_MAX
    assert all(blocks_text(p["blocks"]).startswith(f"(continued {n}/{len(prompt_parts)})")
               for n, p in enumerate(prompt_parts[1:], start=2))
    whole = "\n".join(blocks_text(p["blocks"]) for p in prompt_parts)
    assert all(f"Task {n}: check ledger export &lt;{n}&gt; &amp; the share" in whole for n in range(1, 76))
    assert "…" not in whole  # nothing cut
    assert prompt_parts[-1]["blocks"][-1]["type"] == "actions"  # the buttons come with the last part

    # An answer only the person sees (`/breach tasks all`, 75 + the other phases' tasks) is cut the same way.
    before = len(fake.responses)
    slack.slash(ALICE, "tasks all", channel=room)
    answers = [body for _, body in fake.responses[before:]]
    assert len(answers) >= 2 and all(a["response_type"] == "in_channel" for a in answers)
    for answer in answers:
        assert len(answer["blocks"]) <= BLOCKS_MAX and len(blocks_text(answer["blocks"])) <= BLOCKS_TEXT_MAX
    listed = "\n".join(blocks_text(a["blocks"]) for a in answers)
    assert all(f"1.{n} " in listed for n in range(1, 76)) and "…" not in listed


def test_nothing_queued_behind_a_refused_message_is_lost(sqlite_engine, fake):
    slack = make_slack(sqlite_engine, fake)
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1").id
    fake.fail("chat.postMessage", "internal_error", status=500, times=3)  # Slack has a bad minute
    slack.slash(ALICE, "log first", channel=room)
    slack.slash(ALICE, "log second", channel=room)
    fake.fail_call("chat.postMessage", 4, "msg_blocks_too_long")  # then measures one bigger than we did
    slack.slash(ALICE, "decision third", channel=room)
    slack.bot.advance(slack.clock.now() + timedelta(minutes=5))

    texts = delivered(fake, room)
    tail = [t.split(" ", 1)[0] for t in texts[-3:]]
    assert tail == ["📝", "📝", "🧭"] and "first" not in texts[-2]
    with Session(sqlite_engine) as s:
        assert {r.state for r in s.exec(select(OutboundMessage))} == {"sent"}
