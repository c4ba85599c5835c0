"""The console remembers its rooms: a second run on the same database goes on where the first stopped."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import Session, select

from storage.models import OutboundMessage, QuestionState, TimelineEvent
from tests.conftest import START, make_console


def test_a_restart_keeps_the_war_room_and_every_alert_goes_out_once(engine, caplog):
    first = make_console(engine)
    first.say("alice", "/breach declare test")
    assert first.chat.rooms["breach-1"]["pins"]

    caplog.set_level(logging.WARNING)
    second = make_console(engine, start=START + timedelta(minutes=1))  # a new process: nothing in memory
    assert second.chat.rooms["breach-1"]["members"] == {"alice"}
    assert [m.plain_text().split(" · ")[0] for m in second.chat.pinned("breach-1")] == ["🚨 BR-1"]
    sent = second.advance(START + timedelta(hours=2))
    texts = [s.text for s in sent]
    assert len([t for t in texts if t.startswith("⏰ BR-1: phase 1/10")]) == 1  # the reminder, once
    assert len([t for t in texts if t.startswith("🔴 BR-1: phase 1/10")]) == 1  # the escalation, once
    asked = [t.split("\n")[0] for t in texts if t.startswith("❓ BR-1: still waiting")]
    assert asked == ["❓ BR-1: still waiting for 2 answers (asked 2 of 4 times):",
                     "❓ BR-1: still waiting for 2 answers (asked 3 of 4 times):",
                     "❓ BR-1: still waiting for 2 answers (asked 4 of 4 times):"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []  # no traceback, nothing lost
    with Session(engine) as s:
        assert {q.times_asked for q in s.exec(select(QuestionState)) if q.answered_at is None} == {4}
        assert all(r.state == "sent" for r in s.exec(select(OutboundMessage)))
        kinds = [e.kind for e in s.exec(select(TimelineEvent))]
    assert kinds.count("reminder_sent") == 1 and kinds.count("escalated") == 1
    # The status message is still the living one: an update edits it, no new pin.
    second.say("alice", "/breach assign @bob legal", "breach-1")
    assert len(second.chat.rooms["breach-1"]["pins"]) == 1
    assert "Legal / compliance @bob" in second.chat.pinned("breach-1")[0].plain_text()


def test_a_refused_post_in_the_console_is_logged_not_shown_as_a_traceback(sqlite_engine, caplog):
    console = make_console(sqlite_engine)
    console.say("alice", "/breach declare test")
    del console.chat.rooms["breach-1"]  # the room is gone (another process, a hand edit)
    sent = console.say("alice", "/breach log checked the share", "general")
    assert "Traceback" not in "".join(s.text for s in sent)
    assert any("a war-room message" in s.text and "channel_not_found" in s.text for s in sent if s.op == "reply")
