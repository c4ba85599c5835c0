"""Declare commits first; the war room is made by steps after the commit, each retried on its own."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from storage.models import Incident, OutboundMessage, TimelineEvent
from tests.conftest import START, make_console


class Down:
    """A chat method that fails (temporarily) until `up` is set."""

    def __init__(self, real) -> None:
        self.real, self.up, self.calls = real, False, 0

    def __call__(self, **kwargs):
        self.calls += 1
        if not self.up:
            raise ConnectionError("chat platform down")
        return self.real(**kwargs)


def test_the_incident_exists_even_when_the_war_room_cannot_be_made_yet(sqlite_engine):
    console = make_console(sqlite_engine)
    create = Down(console.chat.create_room)
    console.chat.create_room = create  # type: ignore[method-assign]
    sent = console.say("alice", "/breach declare Payroll export leaked")
    replies = [s.text for s in sent if s.op == "reply"]
    assert replies[0].startswith("🚨 BR-1 declared by @alice")
    assert "creating the war room: not delivered yet (chat platform down); kept and retried" in replies[-1]
    assert [s.op for s in sent if s.op != "reply"] == []  # nothing said in a room that does not exist
    with Session(sqlite_engine) as s:
        incident = s.exec(select(Incident)).one()
        assert incident.number == 1 and incident.war_room is None
    # Other commands work meanwhile, outside the war room.
    assert "BR-1" in console.say("alice", "/breach status 1")[-1].text
    create.up = True
    console.advance(START + timedelta(minutes=1))
    assert console.chat.rooms["breach-1"]["pins"]  # the status is pinned
    posts = [s.text for s in console.chat.sent if s.op == "post" and s.room == "breach-1"]
    assert sum(p.startswith("▶️ BR-1 phase 1/10") for p in posts) == 1
    directs = [s.text for s in console.chat.sent if s.op == "direct"]
    assert directs == ["You are Incident lead for BR-1. War room: #breach-1"]
    with Session(sqlite_engine) as s:
        assert s.exec(select(Incident)).one().war_room == "breach-1"
        assert len([r for r in s.exec(select(OutboundMessage)) if r.op == "room"]) == 1
        kinds = [e.kind for e in s.exec(select(TimelineEvent))]
        assert kinds.count("war_room_opened") == 1
    assert create.calls >= 2 and len([r for r in console.chat.rooms if r.startswith("breach")]) == 1



def test_data_categories_may_be_typed_as_words_in_a_list(quick):
    from sqlmodel import Session, select

    from storage.models import Incident
    quick.say("alice", '/breach declare Payroll leaked --data "payroll, tax id, bank account"', "general")
    with Session(quick.bot.engine) as s:
        assert s.exec(select(Incident)).one().facts["data"] == ["payroll", "tax_id", "bank_account"]
