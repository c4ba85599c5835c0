"""Nothing is silently dropped: refused messages are kept, retried with backoff, in order per room."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot import delivery
from storage.models import OutboundMessage
from tests.conftest import START, make_console


class Flaky:
    """Wraps a chat method so its first `failures` calls raise, like a platform that is down."""

    def __init__(self, real, failures: int) -> None:
        self.real, self.left, self.calls = real, failures, 0

    def __call__(self, **kwargs):
        self.calls += 1
        if self.left > 0:
            self.left -= 1
            raise ConnectionError("platform unavailable")
        return self.real(**kwargs)


def war_room_texts(console) -> list[str]:
    return [s.text for s in console.chat.sent if s.op == "post" and s.room == "breach-1"]


def test_refused_posts_arrive_once_in_order(engine):
    console = make_console(engine)
    console.say("alice", "/breach declare Payroll export leaked")
    console.chat.post = Flaky(console.chat.post, failures=3)  # type: ignore[method-assign]
    sent = console.say("alice", "/breach log first", "breach-1")
    assert "kept and retried" in sent[-1].text
    console.say("alice", "/breach log second", "breach-1")
    console.say("alice", "/breach log third", "breach-1")
    with Session(engine) as s:
        assert delivery.pending_count(s, platform="console") == 3
    console.advance(START + timedelta(minutes=5))
    notes = [t for t in war_room_texts(console) if t.startswith("📝")]
    assert notes == ["📝 Noted by @alice in the BR-1 timeline (#6).", "📝 Noted by @alice in the BR-1 timeline (#7).",
                     "📝 Noted by @alice in the BR-1 timeline (#8)."]
    with Session(engine) as s:
        assert delivery.pending_count(s, platform="console") == 0
        assert all(r.state == "sent" for r in s.exec(select(OutboundMessage)))


def test_a_long_outage_is_told_to_the_war_room_once(sqlite_engine):
    console = make_console(sqlite_engine)
    console.say("alice", "/breach declare Payroll export leaked")
    console.say("alice", "/breach assign @bob it_security", "breach-1")
    real_direct = console.chat.direct
    console.chat.direct = Flaky(real_direct, failures=10_000)  # type: ignore[method-assign]
    console.say("alice", "/breach assign @erin legal", "breach-1")  # erin's DM is refused
    console.advance(START + timedelta(minutes=30))
    warnings = [t for t in war_room_texts(console) if t.startswith("⚠️")]
    assert len(warnings) == 1
    assert warnings[0].startswith("⚠️ A message to @erin has not been delivered since 10:05 (platform unavailable).")
    tries = console.chat.direct.calls
    assert 4 <= tries <= 12  # backed off: 30 s, 1, 2, 4, 8 min … not once a second
    console.chat.direct = real_direct  # type: ignore[method-assign]
    console.advance(START + timedelta(hours=1))
    assert [s.text for s in console.chat.sent if s.op == "direct" and s.user == "erin"] == [
        "You are Legal / compliance for BR-1. War room: #breach-1"]


def test_kept_messages_survive_a_restart(engine):
    first = make_console(engine)
    first.say("alice", "/breach declare Payroll export leaked")
    first.chat.post = Flaky(first.chat.post, failures=1)  # type: ignore[method-assign]
    first.say("alice", "/breach decision Call the bank", "breach-1")
    second = make_console(engine, start=START + timedelta(minutes=1))
    second.chat.ensure_room("breach-1")
    second.advance(START + timedelta(minutes=2))
    assert [s.text for s in second.chat.sent if s.op == "post"] == [
        "🧭 Decision by @alice: Call the bank (BR-1 timeline #6)"]


def test_a_kept_digest_keeps_each_questions_buttons_under_it():
    from bot.chat import Button, Message, Text, message_from_dict, message_to_dict

    digest = Message(lines=((Text("❓ two questions"),), (Text("  Q6 [encrypted] …"),), (Text("  Q9 [press] …"),)),
                     buttons=(Button("Yes", "answer", "1:encrypted:yes", line=1),
                              Button("Yes", "answer", "1:press:yes", line=2), Button("Next phase", "phase_next", "1")),
                     kind="question")
    stored = message_to_dict(digest)
    assert message_from_dict(stored) == digest
    assert [b.get("line") for b in stored["buttons"]] == [1, 2, None]
    assert "line" not in stored["buttons"][2]  # a button below the message is stored as before
