"""Legal clocks in the war room: computed from facts, recomputed on change, reminded, met, exported."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import Session, select

from bot.report.export import as_dict
from storage.models import Deadline, Incident, TimelineEvent, Workspace
from tests.conftest import START, joined, make_console


def shanghai_firm(engine):
    console = make_console(engine, roster={"legal": ["erin"], "executive": ["frank"]})
    console.say("alice", "/breach declare Client bank accounts exposed --data bank_account,name --clients 1240")
    return console


def test_the_shanghai_firm_sees_the_right_clocks(engine):
    console = shanghai_firm(engine)
    sent = console.say("erin", "/breach affected CN=1200 US-CA=40", "breach-1")
    announced = [s.text for s in sent if s.op == "post" and s.text.startswith("⚖️")]
    assert "⚖️ California data breach notification now applies (us-ca-1798-82/residents): due Mon 28 Dec 10:05, " \
           "in 30d" in announced
    ids = sorted(a.split("(")[1].split(")")[0] for a in announced)
    assert ids == ["cn-dsl-29/report", "cn-ndsmr-11/notice", "cn-pipl-57/authority", "cn-pipl-57/individuals",
                   "us-ca-1798-82/residents"]
    listing = joined(console.say("erin", "/breach clocks", "breach-1"))
    assert listing.splitlines()[0] == "⚖️ Notification clocks for BR-1:"
    assert ("us-ca-1798-82/residents · " in listing and "California residents · pending · due Mon 28 Dec 10:05"
            in listing)
    assert "Cal. Civ. Code §1798.82" in listing
    assert "cn-pipl-57/authority" in listing and "(no number in the law: the firm's own target)" in listing
    assert "us-ftc-safeguards" not in listing and "cn-cac-report" not in listing
    assert "not legal advice" in listing.lower()
    everything = joined(console.say("erin", "/breach clocks --all", "breach-1"))
    assert "us-ftc-safeguards/ftc" in everything and "fewer than 500 US consumers (40)" in everything


def test_a_fact_change_recomputes_and_announces(sqlite_engine):
    console = shanghai_firm(sqlite_engine)
    console.say("erin", "/breach affected CN=1200 US-CA=40", "breach-1")
    sent = console.say("erin", "/breach affected CN=1200 US-CA=40 US-NY=500", "breach-1")
    posted = [s.text for s in sent if s.op == "post"]
    assert any("(us-ftc-safeguards/ftc): due" in p and "now applies" in p for p in posted)
    assert any("(us-ny-899aa/" in p for p in posted)
    sent = console.say("erin", "/breach facts --encrypted yes --key-safe yes", "breach-1")
    dropped = [s.text for s in sent if s.op == "post" and "no longer applies" in s.text]
    assert any("us-ca-1798-82/residents" in d for d in dropped)
    assert any("us-ftc-safeguards/ftc" in d for d in dropped)
    with Session(sqlite_engine) as s:
        row = s.exec(select(Deadline).where(Deadline.ref == "us-ca-1798-82/residents")).one()
        assert row.cancelled_at is not None
        assert s.exec(select(TimelineEvent).where(TimelineEvent.kind == "clocks_changed")).all()


def test_aware_time_moves_the_clocks(sqlite_engine):
    console = shanghai_firm(sqlite_engine)
    console.say("erin", "/breach affected CN=1200 US-CA=40", "breach-1")
    sent = console.say("alice", "/breach answer aware yesterday 18:00", "breach-1")
    assert any("(us-ca-1798-82/residents) moved from Mon 28 Dec 10:05: now due Sun 27 Dec 18:00" in s.text
               for s in sent if s.op == "post")


def test_notified_marks_a_clock_met_and_stays_met(sqlite_engine):
    console = shanghai_firm(sqlite_engine)
    console.say("erin", "/breach affected CN=1200 US-CA=40", "breach-1")
    refused = joined(console.say("bob", "/breach notified us-ca-1798-82 --ref X", "breach-1"))
    assert "Only Legal / compliance @erin, Incident lead @alice may record a notice as sent here." in refused
    ambiguous = joined(console.say("erin", "/breach notified cn-pipl-57", "breach-1"))
    assert "cn-pipl-57 has several clocks: " in ambiguous
    sent = console.say("erin", '/breach notified us-ca-1798-82 --ref "CA-AG-2026-118"', "breach-1")
    assert "✅ @erin recorded the notice for us-ca-1798-82/residents (California residents) at 10:05, " \
           "reference CA-AG-2026-118." in joined(sent)
    console.say("erin", "/breach facts --encrypted yes --key-safe yes", "breach-1")  # would drop it
    listing = joined(console.say("erin", "/breach clocks", "breach-1"))
    assert "us-ca-1798-82/residents" in listing and "notified 10:05, ref CA-AG-2026-118" in listing
    again = joined(console.say("erin", "/breach notified us-ca-1798-82/residents", "breach-1"))
    assert "already marked as notified" in again


def test_clock_reminders_fire_before_each_and_escalate_once(sqlite_engine):
    console = shanghai_firm(sqlite_engine)
    console.say("erin", "/breach affected CN=1200", "breach-1")
    timeline = console.advance(START + timedelta(days=1, hours=1))
    posted = [s.text for s in timeline if s.op == "post"]
    reminders = [p for p in posted if p.startswith("⚖️ BR-1:") and "cn-pipl-57/authority" in p]
    missed = [p for p in posted if p.startswith("🔴 BR-1:") and "cn-pipl-57/authority" in p]
    assert len(reminders) == 1 and "@erin @alice" in reminders[0]
    assert len(missed) == 1 and "deadline passed at" in missed[0]


def test_export_carries_the_clocks(engine):
    console = shanghai_firm(engine)
    console.say("erin", "/breach affected CN=1200 US-CA=40", "breach-1")
    console.say("erin", '/breach notified us-ca-1798-82 --ref "CA-1"', "breach-1")
    with Session(engine) as s:
        incident = s.exec(select(Incident)).one()
        data = as_dict(s, incident=incident, playbook=console.bot.playbook, ws=s.get(Workspace, incident.workspace_id),
                       now=console.clock.now(), regimes=console.bot.regimes)
    data = json.loads(json.dumps(data))
    by_id = {c["id"]: c for c in data["clocks"]}
    assert by_id["us-ca-1798-82/residents"]["status"] == "met"
    assert by_id["us-ca-1798-82/residents"]["reference"] == "CA-1"
    assert by_id["cn-pipl-57/authority"]["status"] == "pending"
    assert by_id["cn-pipl-57/authority"]["hard_deadline"] is False
    assert by_id["us-ftc-safeguards/ftc"]["status"] == "not_applicable"


def test_bad_clock_commands_change_nothing(quick):
    quick.say("alice", "/breach declare Leak")
    for typed, expected in [
        ("/breach affected CN=lots", "I can't read 'CN=lots'"),
        ("/breach affected", "Give counts by residence"),
        ("/breach facts", "Say which facts"),
        ("/breach facts --encrypted perhaps", "--encrypted takes yes or no, not 'perhaps'."),
        ("/breach facts --cac-level huge", "No CAC level 'huge'."),
        ("/breach facts --determined whenever", "I can't read 'whenever' as a time."),
        ("/breach facts --determined tomorrow", "That time is in the future"),
        ("/breach notified gdpr", "No applicable clock 'gdpr'."),
        ("/breach notified", "Which regime?"),
    ]:
        sent = quick.say("alice", typed, "breach-1")
        assert [s.op for s in sent] == ["reply"], typed
        assert expected in sent[0].text, (typed, sent[0].text)
