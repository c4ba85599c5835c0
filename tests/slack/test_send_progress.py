"""The progress bar of `/breach send` goes through the outbox like every other message: when Slack refuses it
(429 with Retry-After, 5xx, the bar deleted) the notices to clients still go out, each exactly once, and the
bar and the run's summary arrive later, in order, with nothing lost.

The fake refuses the way Slack does: chat.update and chat.postMessage answer 429 `ratelimited` with a
Retry-After header (docs.slack.dev/apis/web-api/rate-limits), and chat.update of a deleted message answers
`message_not_found` (docs.slack.dev/reference/methods/chat.update, "Errors").
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlmodel import Session, select

from bot.statements.sending import EMAIL, Notice
from storage.models import OutboundMessage, SendRun, TimelineEvent
from tests.send_fixtures import EN_LETTER
from tests.slack.conftest import USERS, SlackBot, make_slack

ALICE, ERIN = USERS["alice"], USERS["erin"]
CLIENTS = 60  # the bar moves every 25 notices: at 25, 50 and at the end


class Mailer:
    """The firm's mail server as the sender sees it: takes every notice, counts each recipient."""

    def __init__(self) -> None:
        self.to: list[str] = []

    def send(self, notice: Notice) -> str:
        self.to.append(notice.to)
        return f"<{notice.message_id}>"

    def close(self) -> None:
        """Nothing to close."""


def ready(engine, fake) -> tuple[SlackBot, str, Mailer]:
    """A Slack workspace with an incident, its approved English letter and 60 clients; e-mail goes to a Mailer."""
    slack = make_slack(engine, fake, send_per_minute=1000, mail_from="notices@lotus.example")
    mailer = Mailer()
    slack.bot.__dict__["send_transports"] = {EMAIL: mailer}  # the cached transports: no SMTP server needed
    slack.bot.firm.roster = {"legal": [ERIN]}
    slack.slash(ALICE, "declare Payroll export leaked --data payroll,bank_account")
    room = fake.channel_named("breach-1").id
    slack.slash(ERIN, "draft client --lang en", channel=room)
    slack.slash(ERIN, f"draft edit D-1 {EN_LETTER}", channel=room)
    slack.slash(ERIN, "approve D-1", channel=room)
    slack.slash(ALICE, "clients import", channel=room)
    rows = "name,type,contact,language,residence,data\n" + "".join(
        f"Client {i:03d},individual,c{i}@clients.example,en,EU,payroll\n" for i in range(CLIENTS))
    slack.submit(ALICE, fake.calls_to("views.open")[-1]["view"],
                 {"file": {"value": {"type": "file_input", "files": [fake.share_file("c.csv", rows.encode())]}}},
                 view_id="V0IMPORT")
    return slack, room, mailer


def in_room(fake, room: str, needle: str) -> list[dict]:
    """The messages the war room shows now (after updates), oldest first."""
    return [m for (where, _), m in sorted(fake.messages.items()) if where == room and needle in m["text"]]


def test_a_bar_slack_rate_limits_never_stops_the_notices_and_arrives_later(engine, fake):
    slack, room, mailer = ready(engine, fake)
    fake.fail("chat.update", "ratelimited", status=429, retry_after=60, times=2, text="📨 S-1 ")

    slack.slash(ALICE, "send D-1 --confirm", channel=room)

    assert len(mailer.to) == CLIENTS and set(Counter(mailer.to).values()) == {1}  # every client, once
    [bar] = in_room(fake, room, "📨 S-1 ")
    assert "0/60" in bar["text"]  # posted before the first notice; the updates wait out Slack's Retry-After
    assert in_room(fake, room, "✅ S-1 finished") == []  # the summary waits behind the bar: the room's order
    refused = [c for c in fake.calls_to("chat.update") if "📨 S-1 " in c.get("text", "")]
    assert len(refused) == 1  # one try at 25; at 50 and at the end the waiting row will say the latest
    with Session(engine) as s:
        waiting = [(r.op, r.state, r.reason) for r in s.exec(select(OutboundMessage))
                   if r.op == "progress" and r.state != "sent"]
    assert waiting == [("progress", "pending", "ratelimited")]

    start = slack.clock.now()
    slack.bot.advance(start + timedelta(seconds=59))
    assert len([c for c in fake.calls_to("chat.update") if "📨 S-1 " in c.get("text", "")]) == 1  # Retry-After
    slack.bot.advance(start + timedelta(seconds=61))  # refused once more: another minute
    assert len([c for c in fake.calls_to("chat.update") if "📨 S-1 " in c.get("text", "")]) == 2
    assert in_room(fake, room, "✅ S-1 finished") == []
    slack.bot.advance(start + timedelta(seconds=122))
    [bar] = in_room(fake, room, "📨 S-1 ")
    assert "▓" * 20 + " 60/60 · sent 60 · refused 0 · unconfirmed 0" in bar["text"]
    [summary] = in_room(fake, room, "✅ S-1 finished")
    assert summary["text"].startswith("✅ S-1 finished: 60 sent (60 by e-mail, 0 by SMS)")
    assert float(summary["ts"]) > float(bar["ts"])
    assert len(mailer.to) == CLIENTS  # nothing sent again
    slack.bot.advance(slack.clock.now() + timedelta(hours=1))
    assert len(in_room(fake, room, "✅ S-1 finished")) == 1 and len(in_room(fake, room, "📨 S-1 ")) == 1
    with Session(engine) as s:
        assert {r.state for r in s.exec(select(OutboundMessage)) if r.op == "progress"} == {"sent"}


def test_the_first_bar_refused_by_a_slack_outage_comes_after_it_and_the_notices_go_meanwhile(sqlite_engine, fake):
    slack, room, mailer = ready(sqlite_engine, fake)
    fake.fail("chat.postMessage", "internal_error", status=500, times=2, text="📨 S-1 ")

    slack.slash(ALICE, "send D-1 --confirm", channel=room)

    assert len(mailer.to) == CLIENTS and set(Counter(mailer.to).values()) == {1}
    assert in_room(fake, room, "📨 S-1 ") == [] and in_room(fake, room, "✅ S-1 finished") == []
    slack.bot.advance(slack.clock.now() + timedelta(minutes=2))  # backoff 5 s, 10 s …
    [bar] = in_room(fake, room, "📨 S-1 ")
    assert "60/60 · sent 60" in bar["text"]  # one bar, already saying where the run ended
    [summary] = in_room(fake, room, "✅ S-1 finished")
    assert float(summary["ts"]) > float(bar["ts"])
    assert len(mailer.to) == CLIENTS


def test_a_bar_someone_deleted_is_posted_again_and_kept_as_the_runs(sqlite_engine, fake):
    slack, room, mailer = ready(sqlite_engine, fake)
    fake.fail("chat.update", "ratelimited", status=429, retry_after=30, times=1, text="📨 S-1 ")
    slack.slash(ALICE, "send D-1 --confirm", channel=room)
    [bar] = in_room(fake, room, "📨 S-1 ")
    fake.delete_message(room, bar["ts"])  # someone deletes the bar while its update waits

    slack.bot.advance(slack.clock.now() + timedelta(seconds=31))
    [again] = in_room(fake, room, "📨 S-1 ")
    assert again["ts"] != bar["ts"] and "60/60" in again["text"]
    with Session(sqlite_engine) as s:
        assert s.exec(select(SendRun)).one().progress_message == again["ts"]
    assert len(in_room(fake, room, "✅ S-1 finished")) == 1 and len(mailer.to) == CLIENTS


def test_a_war_room_archived_mid_send_sets_the_bar_aside_and_the_summary_reaches_the_lead(sqlite_engine, fake):
    slack, room, mailer = ready(sqlite_engine, fake)
    fake.archive(room)  # someone archives the war room: every post there is refused for good (is_archived)

    slack.slash(ALICE, "send D-1 --confirm", channel=room)

    assert len(mailer.to) == CLIENTS and set(Counter(mailer.to).values()) == {1}
    assert in_room(fake, room, "📨 S-1 ") == []
    [summary] = [m for (where, _), m in fake.messages.items() if where == ALICE and "✅ S-1 finished" in m["text"]]
    assert summary["text"].startswith("⚠️ BR-1: this could not be posted in the war room")
    with Session(sqlite_engine) as s:
        rows = [(r.op, r.state) for r in s.exec(select(OutboundMessage)) if r.op in ("progress", "post")
                and ("S-1" in str(r.payload) or r.op == "progress")]
        events = [e.data for e in s.exec(select(TimelineEvent)) if e.kind in ("delivery_fallback", "delivery_failed")]
    assert ("progress", "dead") in rows and ("post", "dead") in rows  # set aside at once, never retried blindly
    ops = [e["op"] for e in events]  # the posts' fallbacks (the send's start, its summary) are recorded
    assert ops and set(ops) == {"post"}  # a bar is no record: set aside without a timeline event
    slack.bot.advance(slack.clock.now() + timedelta(hours=1))
    assert len(mailer.to) == CLIENTS
