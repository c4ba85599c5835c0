"""Direct messages after a crash: exactly once when the app may read its DMs back (the im:history scope), at
least once when it may not (the manifest does not ask for it; the README says so).

A process that dies after Slack took a DM but before it recorded the send leaves the row `sending`; the
process that takes it over looks for the DM's key (message metadata) in the bot's DM with the person
(conversations.open, then conversations.history, which needs im:history: docs.slack.dev/reference/methods/
conversations.history, "Required scopes"; without it Slack answers `missing_scope`).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, select

from bot import delivery
from storage.models import Deadline, OutboundMessage
from tests.slack.conftest import USERS, make_slack
from tests.slack.fake_slack import MANIFEST_SCOPES

ALICE, ERIN = USERS["alice"], USERS["erin"]
MANIFEST = Path(__file__).resolve().parents[2] / "handlers/slack/manifest.yml"


class Died(BaseException):
    """The process is gone (kill -9) at this point."""


def dms(fake, user: str, needle: str) -> int:
    return len([m for (where, _), m in fake.messages.items() if where == user and needle in m["text"]])


def test_the_fake_has_the_scopes_the_manifest_asks_for():
    asked = yaml.safe_load(MANIFEST.read_text())["oauth_config"]["scopes"]["bot"]
    assert sorted(asked) == sorted(MANIFEST_SCOPES) and "im:history" not in asked


@pytest.mark.parametrize("im_history", [True, False])
def test_a_dm_taken_over_after_a_crash_is_sent_once_when_the_app_may_read_it_back(sqlite_engine, fake,
                                                                                   monkeypatch, im_history):
    if im_history:
        fake.scopes.add("im:history")
    slack = make_slack(sqlite_engine, fake)
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1").id
    slack.slash(ALICE, f"followup Rotate the share keys --owner <@{ERIN}|erin> --due +2d", channel=room)
    with Session(sqlite_engine) as s:
        due = s.exec(select(Deadline).where(Deadline.kind == "followup")).one().due_at
    slack.bot.advance(due - timedelta(minutes=1))

    real = slack.bot.chat.direct_once

    def send_then_die(**kw: object) -> None:  # Slack took it; the process died before recording it
        real(**kw)
        raise Died()

    with monkeypatch.context() as patch:
        patch.setattr(slack.bot.chat, "direct_once", send_then_die)
        slack.clock.set(due + timedelta(seconds=2))
        with pytest.raises(Died):
            slack.bot.run_due()
    with Session(sqlite_engine) as s:
        [held] = s.exec(select(OutboundMessage).where(OutboundMessage.state == "sending")).all()
    assert (held.op, held.target) == ("direct", ERIN)
    assert dms(fake, ERIN, "F-1 is overdue") == 1
    [sent] = [c for c in fake.calls_to("chat.postMessage") if c["channel"] == ERIN and "F-1 is overdue" in c["text"]]
    assert sent["metadata"] == {"event_type": "breachbot_delivery", "event_payload": {"key": f"bb-{held.id}-0"}}

    slack.bot.advance(slack.clock.now() + delivery.LEASE + timedelta(seconds=1))  # another process takes it over
    assert [c["channel"] for c in fake.calls_to("conversations.history")][-1] == "D" + ERIN[1:]  # looked first
    assert dms(fake, ERIN, "F-1 is overdue") == (1 if im_history else 2)  # without the scope: at least once
    assert len([m for (where, _), m in fake.messages.items() if where == room and "F-1 is overdue" in m["text"]]) == 1
    with Session(sqlite_engine) as s:
        assert s.get(OutboundMessage, held.id).state == "sent"
