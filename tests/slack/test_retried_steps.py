"""Invites, the pinned status and the topic go through the outbox like any message: a rate limit (429 with
Retry-After) or a Slack outage (5xx) is waited out and the step is done later, once; the answer to the
person who typed the command says what is kept and when it is tried again.

The fake answers as Slack does: a rate-limited call gets HTTP 429 with a Retry-After header in seconds
(docs.slack.dev/apis/web-api/rate-limits, "Responding to rate limiting conditions"), and the SDK raises
`SlackApiError` for any answer that is not `ok` (a 5xx included), which the bot reads as temporary.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from storage.models import Incident, OutboundMessage, RoleAssignment
from tests.slack.conftest import USERS, blocks_text, make_slack

ALICE, BOB, ERIN = USERS["alice"], USERS["bob"], USERS["erin"]


def rows(engine, op: str) -> list[OutboundMessage]:
    with Session(engine) as s:
        return list(s.exec(select(OutboundMessage).where(OutboundMessage.op == op).order_by(OutboundMessage.id)))


def test_an_invite_refused_with_a_429_is_retried_after_its_retry_after_and_the_answer_says_so(engine, fake):
    slack = make_slack(engine, fake)
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1")
    fake.fail("conversations.invite", "ratelimited", status=429, retry_after=20)
    slack.slash(ALICE, f"assign <@{BOB}|bob> legal", channel=room.id)

    with Session(engine) as s:  # the role stands at once
        assert s.exec(select(RoleAssignment).where(RoleAssignment.role == "legal")).one().user == BOB
    told = fake.responses[-1][1]["text"]
    assert told.startswith("Saved, but some messages could not be delivered yet; they are kept and retried: "
                           "inviting @Bob: not delivered yet (rate limited by the platform (ratelimited)); kept and retried in 20 s")
    assert BOB not in room.members
    assert any("legal" in m["text"].lower() for (c, _), m in fake.messages.items() if c == BOB)  # the DM went
    slack.bot.advance(slack.clock.now() + timedelta(seconds=19))
    assert BOB not in room.members  # not a second before Slack said
    slack.bot.advance(slack.clock.now() + timedelta(seconds=1))
    assert BOB in room.members
    invites = [c for c in fake.calls_to("conversations.invite") if c["users"] == BOB]
    assert len(invites) == 2  # the refused try and the one that worked: nothing more
    assert [r.state for r in rows(engine, "invite")][-1] == "sent"


def test_a_status_refresh_and_topic_slack_could_not_take_are_done_when_it_recovers(sqlite_engine, fake):
    slack = make_slack(sqlite_engine, fake)
    slack.slash(ALICE, "declare Payroll export on a public share --severity low")
    room = fake.channel_named("breach-1")
    status_ts = room.pins[0]
    fake.fail("chat.update", "service_unavailable", status=503, times=2)  # Slack down for two tries
    slack.slash(ALICE, "severity critical --reason ransom note found", channel=room.id)

    told = fake.responses[-1][1]["text"]
    assert "updating the status: not delivered yet (service_unavailable); kept and retried in " in told
    assert "severity critical" not in blocks_text(fake.messages[(room.id, status_ts)]["blocks"])
    slack.bot.advance(slack.clock.now() + timedelta(minutes=2))  # backoff 5 s, then 10 s: through
    assert "severity critical" in blocks_text(fake.messages[(room.id, status_ts)]["blocks"])
    assert room.topic.startswith("BR-1") and "critical" in room.topic
    assert len(fake.calls_to("chat.update")) == 3 and room.pins == [status_ts]  # the same living message
    assert [r.state for r in rows(sqlite_engine, "refresh")][-1] == "sent"


def test_a_topic_refused_with_a_429_is_set_later_and_nothing_else_waits(sqlite_engine, fake):
    slack = make_slack(sqlite_engine, fake)
    slack.slash(ALICE, "declare Payroll export on a public share --severity low")
    room = fake.channel_named("breach-1")
    fake.fail("conversations.setTopic", "ratelimited", status=429, retry_after=30)
    slack.slash(ALICE, "severity high --reason more clients", channel=room.id)
    assert "high" not in room.topic
    slack.slash(ALICE, "log called the bank", channel=room.id)  # another lane: not held up
    assert fake.messages[max(k for k in fake.messages if k[0] == room.id)]["text"].startswith("📝 Noted")
    slack.bot.advance(slack.clock.now() + timedelta(seconds=30))
    assert "high" in room.topic
    assert len([c for c in fake.calls_to("conversations.setTopic") if "high" in c["topic"]]) == 2


def test_the_pin_of_a_new_war_room_is_retried_after_a_slack_outage(sqlite_engine, fake):
    slack = make_slack(sqlite_engine, fake)
    fake.fail("pins.add", "internal_error", status=500, times=3)
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1")
    assert room.pins == []
    assert "posting the status: not delivered yet (internal_error); kept and retried in " in fake.responses[-1][1]["text"]
    slack.bot.advance(slack.clock.now() + timedelta(minutes=2))
    with Session(sqlite_engine) as s:
        incident = s.exec(select(Incident)).one()
    assert room.pins == [incident.status_message]  # the status posted once, pinned once it could be
    statuses = [m for (c, _), m in fake.messages.items() if c == room.id and m["text"].startswith("🚨 *BR-1*")]
    assert len(statuses) == 1


def test_a_chinese_workspace_is_told_in_chinese_what_is_kept_and_when(sqlite_engine, fake):
    slack = make_slack(sqlite_engine, fake, lang="zh")
    slack.slash(ALICE, "宣布 工资单导出到公共共享")
    room = fake.channel_named("breach-1")
    fake.fail("conversations.invite", "ratelimited", status=429, retry_after=90)
    slack.slash(ALICE, f"指派 <@{BOB}|bob> 法务", channel=room.id)
    told = fake.responses[-1][1]["text"]
    assert "邀请 @Bob：暂未送达（平台限流 (ratelimited)），已保存并会重试（2分后）" in told
    slack.bot.advance(slack.clock.now() + timedelta(seconds=90))
    assert BOB in room.members


def test_after_an_outage_a_note_typed_in_the_war_room_sends_what_waited_at_once(sqlite_engine, fake):
    slack = make_slack(sqlite_engine, fake)
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1").id
    down_at = slack.clock.now() + timedelta(minutes=1)
    slack.bot.advance(down_at)
    up_at = down_at + timedelta(seconds=60)
    answer = fake.answer

    def outage(method, params, **kw):  # Slack answers 503 to everything for 60 s
        if down_at <= slack.clock.now() < up_at:
            return 503, {"ok": False, "error": "service_unavailable"}, {}
        return answer(method, params, **kw)

    fake.answer = outage
    slack.slash(ALICE, "log disconnected the share", channel=room)
    slack.bot.advance(up_at - timedelta(seconds=1))  # its retries during the outage failed; the next is later

    def notes() -> list[str]:
        return [m["text"] for (c, _), m in sorted(fake.messages.items()) if c == room and m["text"].startswith("📝")]

    assert notes() == []
    with Session(sqlite_engine) as s:
        head = s.exec(select(OutboundMessage).where(OutboundMessage.op == "post")
                      .order_by(OutboundMessage.id.desc())).first()
    assert head.attempts >= 3 and head.next_try_at > up_at + timedelta(seconds=5)  # the backoff alone: later
    slack.clock.set(up_at + timedelta(seconds=1))
    slack.slash(ALICE, "log called the bank", channel=room)  # someone acts once Slack is back
    assert [n.rsplit("(#", 1)[1] for n in notes()] == ["6).", "7)."]  # what waited went first, at once, in order
