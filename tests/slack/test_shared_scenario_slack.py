"""The shared scenario (tests/scenarios/basic.breach) replayed on Slack, through signed requests to Bolt."""

from __future__ import annotations

import re

from bot.text.times import parse_duration
from tests.scenarios import check_basic_outcome, script_lines
from tests.slack.conftest import GENERAL, USERS, SlackBot, make_slack

_LINE = re.compile(r"^(?P<user>\w+) #(?P<room>[\w-]+)> /breach (?P<text>.*)$")


def as_slack_sends_it(text: str) -> str:
    """What Slack puts in `text`: &, <, > escaped, and @name (a real member) as <@U…|name>."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"@(\w+)", lambda m: f"<@{USERS[m[1]]}|{m[1]}>" if m[1] in USERS else m[0], text)


def replay(slack: SlackBot) -> None:
    """Run basic.breach: `~ +50m` moves the virtual clock, every other line is a /breach from a person."""
    rooms = {"general": GENERAL}
    for line in script_lines():
        if line.startswith("~"):
            slack.bot.advance(slack.clock.now() + parse_duration(line[1:].strip().lstrip("+")))
            continue
        match = _LINE.match(line)
        assert match, line
        if match["room"] not in rooms:  # the war room: whatever channel the bot created for it
            rooms[match["room"]] = slack.fake.channel_named(match["room"]).id
        answer = slack.slash(USERS[match["user"]], as_slack_sends_it(match["text"]), channel=rooms[match["room"]])
        assert answer.status == 200, line


def test_basic_scenario_on_slack(engine, fake):
    slack = make_slack(engine, fake)
    replay(slack)

    check_basic_outcome(engine, users=USERS)
    room = fake.channel_named("breach-1")
    assert room.name == "breach-1-payroll-export-for-40" and room.is_private
    assert {USERS["alice"], USERS["bob"], USERS["erin"]} <= room.members
    status_ts = room.pins[0]
    assert len(room.pins) == 1
    updates = [u for u in fake.calls_to("chat.update") if u["ts"] == status_ts]
    assert len(updates) >= 8 and len(updates) == len(fake.calls_to("chat.update"))
    final = fake.messages[(room.id, status_ts)]["text"]
    assert "✅ Closed" in final and "cause: Staff error" in final
    assert room.topic.endswith("· closed")
    dms = [p["text"] for p in fake.posted("U0BOB")]
    assert "⏰ BR-1: phase 2/10 Preliminary investigation is due 18:05, in 1h 00m. " \
           f"War room: <#{room.id}>" in dms
    assert fake.posted(room.id)[-1]["text"].startswith("✅ BR-1 closed by <@U0ALICE>. Cause: Staff error.")
    listing = [r[1]["text"] for r in fake.responses if r[1]["text"].startswith("⚠️ BR-1 is not closed yet.")]
    assert len(listing) == 1 and listing[0].endswith('--lessons "Shares must not be public" --confirm')
