"""No Slack call is made inside a database transaction, so Slack making the bot wait (a 429 with
Retry-After 20, a call that stalls) holds no lock and no connection, and every other command goes on.

Slack answers a rate-limited call with HTTP 429 and a Retry-After header in seconds
(docs.slack.dev/apis/web-api/rate-limits, "Responding to rate limiting conditions"); the bot hands
such a call back to the outbox, which waits the Retry-After out in the bot's time. Each Web API call the
the bot makes is checked, in the thread making it, against the transactions that thread has open on the
bot's engine: one open at that moment is a failure.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.models import Incident, OutboundMessage, TimelineEvent
from tests.slack.conftest import USERS, make_slack

ALICE, BOB, ERIN = USERS["alice"], USERS["bob"], USERS["erin"]


class Watch:
    """The bot's open database transactions, by thread, checked at every Web API call the bot makes (in the
    thread making it: the outbox may send to several lanes at once)."""

    def __init__(self, engine: Engine, fake: Any, monkeypatch: Any) -> None:
        self.open: dict[int, set[int]] = {}
        self.calls: list[str] = []
        self.inside: list[tuple[str, int]] = []  # (method, transactions open) for each call made inside one
        self.entered: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        event.listen(engine, "begin", lambda conn: self._mark(conn, True))
        event.listen(engine, "commit", lambda conn: self._mark(conn, False))
        event.listen(engine, "rollback", lambda conn: self._mark(conn, False))
        api_call = WebClient.api_call

        def watched_call(client: WebClient, api_method: str, *args: Any, **kw: Any) -> Any:
            with self._lock:
                self.calls.append(api_method)
                mine = self.open.get(threading.get_ident())
                if mine:
                    self.inside.append((api_method, len(mine)))
            return api_call(client, api_method, *args, **kw)

        monkeypatch.setattr(WebClient, "api_call", watched_call)
        answer = fake.answer

        def answered(method: str, params: dict[str, Any], **kw: Any) -> Any:
            if method in self.entered:
                self.entered[method].set()
            return answer(method, params, **kw)

        fake.answer = answered

    def _mark(self, conn: Any, opened: bool) -> None:
        with self._lock:
            mine = self.open.setdefault(threading.get_ident(), set())
            (mine.add if opened else mine.discard)(id(conn))


def numbers(engine: Engine) -> list[tuple[int, str | None]]:
    with Session(engine) as s:
        return [(i.number, i.war_room) for i in s.exec(select(Incident).order_by(Incident.number))]


def test_a_429_held_20_s_during_declare_holds_no_transaction_and_other_commands_go_on(engine, fake, monkeypatch):
    slack = make_slack(engine, fake, roster={"it_security": [BOB]})
    watch = Watch(engine, fake, monkeypatch)
    fake.fail("conversations.create", "ratelimited", status=429, retry_after=20)
    slack.slash(ALICE, "declare Payroll export on a public share")
    assert numbers(engine) == [(1, None)]  # committed; its war room waits 20 s
    assert "creating the war room: not delivered yet" in fake.responses[-1][1]["text"]

    # Meanwhile, everything else: another declare, a status, notes and a role in the other incident.
    slack.slash(BOB, "declare Second leak on the shared drive")
    second = fake.channel_named("breach-2")
    slack.slash(ALICE, "status 1")
    assert fake.responses[-1][1]["text"].startswith("🚨 *BR-1*")
    slack.slash(BOB, "log disconnected the share", channel=second.id)
    slack.slash(BOB, f"assign <@{ERIN}|erin> legal", channel=second.id)
    assert ERIN in second.members and second.pins
    slack.bot.advance(slack.clock.now() + timedelta(seconds=19))
    assert numbers(engine)[0] == (1, None)  # not a second before Slack said
    slack.bot.advance(slack.clock.now() + timedelta(seconds=1))
    first = fake.channel_named("breach-1")
    assert numbers(engine)[0] == (1, first.id) and {ALICE, BOB} <= first.members and first.pins

    with Session(engine) as s:
        kinds = [e.kind for e in s.exec(select(TimelineEvent).order_by(TimelineEvent.id))
                 if e.incident_id == 2]
    assert kinds[0] == "declared" and "role_assigned" in kinds[kinds.index("note"):]  # in the order typed
    assert len(watch.calls) > 25 and watch.inside == []  # not one call inside a transaction


def test_a_slack_call_that_stalls_during_declare_leaves_the_database_free(engine, fake, monkeypatch):
    slack = make_slack(engine, fake)
    watch = Watch(engine, fake, monkeypatch)
    watch.entered["chat.postMessage"] = threading.Event()
    gate = fake.hold("chat.postMessage")  # Slack stops answering posts until the gate opens
    declaring = threading.Thread(target=slack.slash, args=(ALICE, "declare Payroll export on a public share"))
    declaring.start()
    try:
        assert watch.entered["chat.postMessage"].wait(10)  # the declare is now waiting on Slack
        started = time.monotonic()
        slack.slash(BOB, "status 1")  # answered by response_url, not held
        room = fake.channel_named("breach-1").id
        slack.slash(BOB, "log called the bank", channel=room)  # a write to the same incident
        slack.slash(ALICE, "severity critical --reason ransom note found", channel=room)
        took = time.monotonic() - started
    finally:
        gate.set()
        declaring.join(20)
    assert took < 5  # not held by the declare's stalled call (a lock would hold them for its 10 s)
    with Session(engine) as s:
        kinds = [e.kind for e in s.exec(select(TimelineEvent).order_by(TimelineEvent.id))]
    assert "note" in kinds and "severity_changed" in kinds
    assert watch.inside == []


def test_a_report_upload_held_by_a_429_for_20_s_waits_in_the_outbox_and_other_commands_go_on(engine, fake,
                                                                                            monkeypatch):
    slack = make_slack(engine, fake, roster={"it_security": [BOB]})
    watch = Watch(engine, fake, monkeypatch)
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1").id
    slack.slash(BOB, "log before the report", channel=room)
    fake.fail("files.getUploadURLExternal", "ratelimited", status=429, retry_after=20)
    slack.slash(ALICE, "report", channel=room)
    answer = fake.responses[-1][1]["text"]
    assert "sharing the file BR-1-report-en.md: not delivered yet" in answer and "in 20 s" in answer
    assert fake.uploads == {}

    # Meanwhile, everything else: a note in the same room (it waits behind the file to keep the order), another
    # declare, a status.
    slack.slash(BOB, "decision after the report", channel=room)
    slack.slash(BOB, "declare Second leak on the shared drive")
    second = fake.channel_named("breach-2")
    slack.slash(BOB, "decision disconnect the share", channel=second.id)
    assert any("disconnect the share" in p["text"] for p in fake.posted(second.id))
    slack.slash(ALICE, "status 1")
    assert fake.responses[-1][1]["text"].startswith("🚨 *BR-1*")
    with Session(engine) as s:
        kinds = [e.kind for e in s.exec(select(TimelineEvent).where(TimelineEvent.incident_id == 1)
                                        .order_by(TimelineEvent.id))]
    assert kinds[-1] == "decision"  # what was typed after the report is recorded at once

    slack.bot.advance(slack.clock.now() + timedelta(seconds=19))
    assert fake.uploads == {}  # not a second before Slack said
    slack.bot.advance(slack.clock.now() + timedelta(seconds=1))
    [report] = fake.uploads.values()
    assert b"before the report" in report
    texts = [p["text"] for p in fake.posted(room)]
    saved = next(i for i, x in enumerate(texts) if "BR-1-report" in x or "files/" in x)
    after = next(i for i, x in enumerate(texts) if "after the report" in x)
    assert saved < after  # the message naming the file, then what was typed after it: the room's order
    assert "https://firm.slack.com/files/" in texts[saved] and "\ue000" not in texts[saved]
    with Session(engine) as s:
        [row] = s.exec(select(OutboundMessage).where(OutboundMessage.op == "upload")).all()
    assert row.state == "sent" and "content" not in row.payload  # the file's bytes are not kept
    assert "files.getUploadURLExternal" in watch.calls and "files.completeUploadExternal" in watch.calls
    # The report names people the roster's [people] does not by their Slack names (users.info): asked before the
    # command's transaction, like every other call.
    assert "users.info" in watch.calls and watch.inside == []
    assert b"IT security" in report and b"Bob" in report and BOB.encode() not in report


def test_a_report_upload_refused_for_good_is_said_in_the_war_room(engine, fake, monkeypatch):
    slack = make_slack(engine, fake)
    slack.slash(ALICE, "declare Payroll export on a public share")
    room = fake.channel_named("breach-1").id
    fake.fail("files.completeUploadExternal", "invalid_arguments")
    slack.slash(ALICE, "report", channel=room)
    assert "sharing the file BR-1-report-en.md: invalid_arguments" in fake.responses[-1][1]["text"]
    note = fake.posted(room)[-1]["text"]
    assert "BR-1-report-en.md could not be shared in the war room (invalid_arguments)" in note
    with Session(engine) as s:
        kinds = [e.kind for e in s.exec(select(TimelineEvent).order_by(TimelineEvent.id))]
    assert kinds[-1] == "delivery_fallback"
