"""Exactly-once against Slack: a process that dies after Slack took a war-room message but before it
recorded the send leaves a row another process takes over; that process finds the message in the
war room's history by its key (message metadata) and does not post it again. One that died before
the call posts it, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot import delivery
from storage.models import OutboundMessage
from tests.slack.conftest import USERS, make_slack

ALICE = USERS["alice"]


class Died(BaseException):
    """The process is gone (kill -9) at this point."""


def copies(fake, room: str, row: OutboundMessage) -> int:
    """How many times the row's message is in the room."""
    start = row.payload["lines"][0][0]["v"][:30]
    return len([m for (where, _), m in fake.messages.items() if where == room and m["text"].startswith(start)])


def crash_at(monkeypatch, chat, where: str) -> None:
    real = chat.post_once
    if where == "after the send":  # Slack took it; nothing was recorded after the call returned
        def post_then_die(**kw: object) -> None:
            real(**kw)
            raise Died()
        monkeypatch.setattr(chat, "post_once", post_then_die)
    else:  # claimed (the idempotency record), the Web API never called
        def die(**_kw: object) -> None:
            raise Died()
        monkeypatch.setattr(chat, "post_once", die)


@pytest.mark.parametrize("where", ["after the send", "before the send"])
def test_a_war_room_message_taken_over_after_a_crash_arrives_once(sqlite_engine, fake, monkeypatch, where):
    slack = make_slack(sqlite_engine, fake)
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1").id
    with monkeypatch.context() as patch:
        crash_at(patch, slack.bot.chat, where)
        slack.clock.set(slack.clock.now() + timedelta(minutes=46))  # phase 1's reminder and role prompts are due
        with pytest.raises(Died):
            slack.bot.run_due()
    with Session(sqlite_engine) as s:
        [held] = s.exec(select(OutboundMessage).where(OutboundMessage.state == "sending")).all()
    assert held.op == "post", held
    assert copies(fake, room, held) == (1 if where == "after the send" else 0)
    history_reads = len([c for c in fake.calls if c.method == "conversations.history"])

    slack.bot.advance(slack.clock.now() + delivery.LEASE + timedelta(seconds=1))  # another process, lease over
    assert copies(fake, room, held) == 1  # exactly once either way
    assert len([c for c in fake.calls if c.method == "conversations.history"]) == history_reads + 1  # looked first
    with Session(sqlite_engine) as s:
        assert s.get(OutboundMessage, held.id).state == "sent"
    posted = [c for c in fake.calls if c.method == "chat.postMessage" and c.params.get("channel") == room]
    assert all(c.params["metadata"]["event_type"] == "breachbot_delivery" for c in posted[-1:])
