"""A phase that starts asks all its questions in one Slack message, each question under its own buttons."""

from __future__ import annotations

import json
import re

from sqlmodel import Session, select

from bot.settings import FirmConfig
from bot.views.questions import QUESTIONS_PER_MESSAGE, question_digest
from handlers.slack.render import BLOCKS_MAX, render
from storage.models import Incident, Workspace
from tests.slack.conftest import USERS, blocks_text, buttons

ALICE, BOB, ERIN = USERS["alice"], USERS["bob"], USERS["erin"]
PHASE_2 = ["data", "clients", "people", "encrypted", "key_safe", "crime", "on_behalf", "press"]


def questions_posted(fake, room: str, since: int = 0) -> list[dict]:
    return [p for p in fake.posted(room)[since:] if p["text"].startswith("❓")]


def blocks_of(posted: dict) -> list[dict]:
    return posted["blocks"] if isinstance(posted["blocks"], list) else json.loads(posted["blocks"])


def layout(blocks: list[dict]) -> list[tuple[str, list[str]]]:
    """Each question's key (from its section) with the buttons of the actions block right under it."""
    out = []
    for block, after in zip(blocks, [*blocks[1:], {}], strict=True):
        keys = re.findall(r"\[(\w+)\]", block.get("text", {}).get("text", "")) if block["type"] == "section" else []
        if keys:
            values = [e["value"] for e in after.get("elements", [])] if after.get("type") == "actions" else []
            out.append((keys[-1], values))
    return out


def test_a_phase_start_posts_its_seven_questions_as_one_message_with_each_ones_buttons(slack, fake):
    slack.slash(ALICE, "declare Payroll export leaked")
    room = fake.channel_named("breach-1").id
    slack.slash(ALICE, f"assign <@{BOB}|bob> it_security", channel=room)
    before = len(fake.posted(room))

    slack.slash(ALICE, 'phase next --reason "go"', channel=room)
    # Left phase 1, the phase 2 prompt, then one message for all eight questions (not eight).
    new = fake.posted(room)[before:]
    assert [p["text"].split(" ", 2)[:2] for p in new] == [["⏭", "Immediate"], ["▶️", "BR-1"], ["❓", "BR-1"]]
    [digest] = questions_posted(fake, room, before)
    assert digest["text"].startswith(f"❓ BR-1 · phase 2/10 Preliminary investigation: 8 questions for "
                                     f"IT security <@{BOB}> · Legal / compliance unassigned · Communications unassigned")
    blocks = blocks_of(digest)
    assert len(blocks) <= BLOCKS_MAX
    # Every question's section is followed by its own buttons, and only its own.
    assert layout(blocks) == [
        ("data", ["1:data"]), ("clients", ["1:clients"]), ("people", ["1:people"]),
        ("encrypted", ["1:encrypted:yes", "1:encrypted:no"]), ("key_safe", ["1:key_safe:yes", "1:key_safe:no"]),
        ("crime", ["1:crime:yes", "1:crime:no"]), ("on_behalf", ["1:on_behalf:yes", "1:on_behalf:no"]),
        ("press", ["1:press:yes", "1:press:no"])]
    forms = [b for b in buttons(blocks) if b["action_id"].startswith("answer_form")]
    assert [b["text"]["text"] for b in forms] == ["Answer…"] * 3
    for key in PHASE_2:  # each says how to answer it
        assert f"Answer: /breach answer {key} &lt;answer&gt; — " in blocks_text(blocks)


def test_declare_asks_phase_one_in_one_message(slack, fake, sqlite_engine):
    slack.bot.firm = FirmConfig(roster={"it_security": [BOB], "legal": [ERIN]})
    calls = len(fake.calls)
    slack.slash(ALICE, "declare Payroll export leaked")
    room = fake.channel_named("breach-1").id
    posted = [p["text"].split(" ", 1)[0] for p in fake.posted(room)]
    assert posted == ["🚨", "▶️", "❓"]  # status, phase 1 prompt, both questions in one message
    [digest] = questions_posted(fake, room)
    assert layout(blocks_of(digest)) == [
        ("discovered", ["1:discovered:system_alert", "1:discovered:client_report", "1:discovered:staff_report",
                        "1:discovered:third_party"]), ("aware", ["1:aware"])]
    # The room, one invite per person beside the status, its pin and the topic (lanes that do not wait for each
    # other; the topic beside the status post), the phase prompt, the questions, one DM per role holder (alice, bob, erin): 12 Web API calls.
    made = fake.methods()[calls:]
    steps = made[1:7]
    assert made[0] == "conversations.create" and made[7:] == ["chat.postMessage"] * 5
    assert sorted(steps) == sorted(["conversations.invite"] * 3 + ["chat.postMessage", "pins.add",
                                                                   "conversations.setTopic"])
    assert steps.index("chat.postMessage") < steps.index("pins.add")  # the topic goes beside them
    assert [p["channel"] for p in fake.posted()[-3:]] == [ALICE, BOB, ERIN]


def test_each_button_of_the_digest_answers_its_own_question_and_leaves_the_others(slack, fake, sqlite_engine):
    slack.slash(ALICE, "declare Payroll export leaked")
    room = fake.channel_named("breach-1").id
    slack.slash(ALICE, 'phase next --reason "go"', channel=room)
    [digest] = questions_posted(fake, room)[-1:]
    ts = next(t for (channel, t), m in fake.messages.items() if channel == room and m["text"] == digest["text"])

    def press(user: str, value: str) -> None:
        shown = fake.messages[(room, ts)]
        [button] = [b for b in buttons(blocks_of(shown)) if b["value"] == value]
        slack.press(user, button, channel=room, message_ts=ts,
                    message={"text": shown["text"], "blocks": blocks_of(shown)})

    press(BOB, "1:encrypted:no")
    press(ERIN, "1:crime:yes")
    with Session(sqlite_engine) as s:
        facts = s.exec(select(Incident)).one().facts
    assert (facts["encrypted"], facts["crime_suspected"]) == (False, True)
    blocks = blocks_of(fake.messages[(room, ts)])
    # The answered questions show who answered what where their buttons were; the rest keep theirs.
    assert [(key, values) for key, values in layout(blocks) if values] == [
        ("data", ["1:data"]), ("clients", ["1:clients"]), ("people", ["1:people"]),
        ("key_safe", ["1:key_safe:yes", "1:key_safe:no"]), ("on_behalf", ["1:on_behalf:yes", "1:on_behalf:no"]),
        ("press", ["1:press:yes", "1:press:no"])]
    notes = [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]
    assert notes == [f"✅ <@{BOB}> answered: No", f"✅ <@{ERIN}> answered: Yes"]
    said = [p["text"] for p in fake.posted(room)]
    assert f"✅ <@{BOB}> answered encrypted (Was the leaked data encrypted?): No" in said


def test_a_digest_too_long_for_one_message_is_split_within_slacks_block_limit(slack, sqlite_engine):
    slack.slash(ALICE, "declare Payroll export leaked")
    playbook = slack.bot.playbook
    specs = (playbook.questions() * 3)[:36]  # 36 questions: three messages
    with Session(sqlite_engine) as s:
        incident = s.exec(select(Incident)).one()
        ws = s.get(Workspace, incident.workspace_id)
        messages = question_digest(incident=incident, playbook=playbook, ws=ws, heading=(), specs=specs, holders={})
    assert [sum(bool(ln) and ln[0].text.startswith("  Q") for ln in m.lines) for m in messages] == [
        QUESTIONS_PER_MESSAGE, QUESTIONS_PER_MESSAGE, len(specs) - 2 * QUESTIONS_PER_MESSAGE]
    for message in messages:
        blocks = render(message).blocks
        assert len(blocks) <= BLOCKS_MAX and blocks_text(blocks[-1:]) != "…"
        assert len(buttons(blocks)) == len(message.buttons)  # no question lost its buttons
