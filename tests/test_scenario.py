"""A whole incident through the console platform, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import Session, select

from bot.incident import timeline
from bot.report.export import as_dict
from storage.models import Alert, Deadline, Incident, PhaseState, RoleAssignment, TimelineEvent, Workspace
from tests.conftest import START, joined, make_console, texts

ROSTER = {"it_security": ["dave"], "legal": ["erin"], "executive": ["frank"]}


def _incident(console, number=1) -> Incident:
    with Session(console.bot.engine) as s:
        return s.exec(select(Incident).where(Incident.number == number)).one()


def test_declare_opens_a_private_war_room_with_pinned_status(console):
    sent = console.say("alice", "/breach declare Payroll export for 40 clients found on a public file share "
                                "--severity high --clients 40 --data payroll,bank_account", "general")
    seen = joined(sent)
    assert "🚨 BR-1 declared by @alice. The team works in the private war room #breach-1; details stay there." in seen
    assert not any("Payroll export" in line for line in seen if "declared by" in line)
    assert "BR-1 · severity high · phase 1/10 Immediate response (due Sat 28 Nov 11:05, within 1h) · lead: @alice" in seen
    room = console.chat.rooms["breach-1"]
    assert room["private"] is True and room["members"] == {"alice"}
    assert len(room["pins"]) == 1
    pinned = console.chat.pinned("breach-1")[0].plain_text()
    assert pinned.startswith("🚨 BR-1 · severity high")
    incident = _incident(console)
    assert (incident.war_room, incident.severity, incident.status) == ("breach-1", "high", "open")
    assert incident.facts == {"clients": 40, "data": ["payroll", "bank_account"]}
    assert incident.aware_at == START


def test_full_incident_from_declare_to_verify(engine):
    console = make_console(engine, roster=ROSTER, people={"carol": "carol", "gina": "gina"})
    say = console.say
    say("alice", "/breach declare Client tax IDs emailed to the wrong client --aware \"10m ago\" --severity critical",
        "general")
    # The roster joins the war room and takes its roles; each holder is told directly.
    assert console.chat.rooms["breach-1"]["members"] == {"alice", "dave", "erin", "frank"}
    directs = {s.user: s.text for s in console.chat.sent if s.op == "direct"}
    assert directs["dave"] == "You are IT security for BR-1. War room: #breach-1"
    assert set(directs) == {"alice", "dave", "erin", "frank"}

    sent = say("alice", "/breach assign @carol comms", "breach-1")
    assert "👤 @carol is now Communications (assigned by @alice)." in joined(sent)
    assert "carol" in console.chat.rooms["breach-1"]["members"]
    sent = say("alice", "/breach assign @gina comms")
    assert "👤 @gina is now Communications, taking over from @carol (assigned by @alice)." in joined(sent)
    # The person replaced is told directly, not only by a post they may not read.
    assert [(s.user, s.text) for s in sent if s.op == "direct" and s.user == "carol"] == [
        ("carol", "@gina is now Communications for BR-1 (assigned by @alice); you no longer hold that role. "
                  "War room: #breach-1")]
    roles_text = joined(say("alice", "/breach roles"))
    assert "comms — Communications: @gina" in roles_text and "scribe — Scribe: unassigned" in roles_text

    # Phase 1 (due 1h after aware, i.e. 10:55): its reminder goes to the lead 15 minutes before.
    sent = console.advance(START + timedelta(minutes=40))
    assert [s.text for s in sent if s.op == "direct"] == [
        "⏰ BR-1: phase 1/10 Immediate response is due 10:55, in 15m. War room: #breach-1"]
    for n in ("1", "2"):
        say("alice", f"/breach done {n}")
    # The last task done completes the phase and starts the next one.
    sent = say("alice", "/breach done 3 logs copied to the evidence drive")
    assert "✅ Every task of Immediate response is done; on to the next phase." in joined(sent)
    assert "▶️ BR-1 phase 2/10: Preliminary investigation — owner IT security: @dave" in joined(sent)

    say("dave", "/breach log Mail server log shows the message left at 09:52", "breach-1")
    say("frank", "/breach decision Recall the email and call the client", "breach-1")

    # Nobody finishes phase 2 (due 17:55): dave is reminded, then the lead and sponsor are paged once.
    sent = console.advance(START + timedelta(hours=8))
    assert [s.user for s in sent if s.op == "direct"] == ["dave"]
    escalations = [s.text for s in sent if s.op == "post" and s.text.startswith("🔴")]
    assert escalations == ["🔴 BR-1: phase 2/10 Preliminary investigation missed its deadline (17:55). "
                           "Owner: @dave. Escalating to @alice @frank."]
    # Moving on past the deadline again does not repeat either alert.
    later = console.advance(START + timedelta(hours=9, minutes=30))
    assert not [s for s in later if "Preliminary investigation" in s.text and s.op in ("post", "direct")]

    # Move through every phase, leaving one with a reason.
    sent = say("dave", "/breach phase next")
    assert "still has 3 open tasks" in joined(sent) and "--reason" in joined(sent)
    with Session(engine) as s:
        assert s.exec(select(Incident)).one().current_phase == "investigation"
    say("dave", '/breach phase next --reason "scope confirmed by phone with the client"')
    last: list = []
    for _ in range(8):
        console.clock.advance(timedelta(hours=1))
        last = say("alice", '/breach phase next --reason "drill-through"')
    assert "🏁 Every phase is complete." in joined(last)

    sent = say("dave", '/breach close --cause staff_error --lessons "Check recipients"')
    assert "Only Incident lead @alice may close the incident here." in joined(sent)
    sent = say("alice", '/breach close --cause staff_error --lessons "Check recipients before sending tax files"')
    assert "✅ BR-1 closed by @alice. Cause: Staff error." in joined(sent)
    assert "already closed" in joined(say("alice", '/breach close --cause staff_error --lessons "again"'))

    with Session(engine) as s:
        incident = s.exec(select(Incident)).one()
        ws = s.get(Workspace, incident.workspace_id)
        assert incident.status == "closed" and incident.cause == "staff_error"
        assert all(p.completed_at for p in s.exec(select(PhaseState)))
        # Only the standard follow-ups scheduled at close still have reminders to send.
        pending = s.exec(select(Alert).where(Alert.state == "pending")).all()
        assert {s.get(Deadline, a.deadline_id).kind for a in pending} == {"followup"}
        assert len({a.deadline_id for a in pending}) == 3
        kinds = [e.kind for e in s.exec(select(TimelineEvent).order_by(TimelineEvent.seq))]
        assert kinds.count("escalated") >= 1 and kinds.count("reminder_sent") >= 2
        assert kinds[0] == "declared" and kinds[-1] == "closed"
        assert {"role_assigned", "role_ended", "note", "decision", "task_done", "phase_completed"} <= set(kinds)
        verification = timeline.verify(s, incident)
        assert verification.intact and verification.count == len(kinds)
        data = json.loads(json.dumps(as_dict(s, incident=incident, playbook=console.bot.playbook, ws=ws,
                                             now=console.clock.now())))
    assert data["id"] == "BR-1" and data["status"] == "closed" and data["severity"] == "critical"
    assert data["aware_at"] == "2026-11-28T09:55:00+08:00" and data["declared_at"] == "2026-11-28T10:05:00+08:00"
    assert [r["user"] for r in data["roles"] if r["role"] == "comms"] == ["carol", "gina"]
    assert data["phases"][0]["status"] == "met" and data["phases"][1]["status"] == "late"
    assert data["phases"][0]["tasks"][2] == {"key": "preserve_evidence", "done": True, "done_by": "alice",
                                             "done_at": data["phases"][0]["tasks"][2]["done_at"],
                                             "note": "logs copied to the evidence drive"}
    assert data["head_hash"] == data["timeline"][-1]["hash"] == verification.head_hash
    decisions = [e for e in data["timeline"] if e["kind"] == "decision"]
    assert decisions == [{**decisions[0], "actor": "frank", "text": "Recall the email and call the client"}]


def test_status_message_is_one_living_message(quick):
    quick.say("alice", "/breach declare Ledger backup exposed")
    posts_before = len([s for s in quick.chat.sent if s.op == "post"])
    quick.say("alice", "/breach assign @bob legal", "breach-1")
    updates = [s for s in quick.chat.sent if s.op == "update"]
    assert updates and "Legal / compliance @bob" in updates[-1].text
    topics = [s.text for s in quick.chat.sent if s.op == "topic"]
    assert topics[-1].startswith("BR-1 · high · phase 1/10 Immediate response · due")
    assert len([s for s in quick.chat.sent if s.op == "post"]) == posts_before + 1  # the role notice only


def test_commands_outside_the_war_room_name_the_incident(quick):
    quick.say("alice", "/breach declare First leak")
    quick.say("alice", "/breach declare Second leak")
    sent = quick.say("alice", "/breach status", "general")
    assert "several open incidents" in joined(sent) and "BR-1" in joined(sent) and "BR-2" in joined(sent)
    sent = quick.say("alice", "/breach status BR-1", "general")
    assert "First leak" in joined(sent)
    sent = quick.say("alice", "/breach log BR-2 called the bank", "general")
    assert texts(sent)[0].startswith("Recorded in the BR-2 timeline as #")
    sent = quick.say("zed", "/breach status", "general")
    assert "You have no open incident" in joined(sent)


def test_only_one_lead_assignment_is_active(console):
    console.say("alice", "/breach declare Payroll leak")
    console.say("alice", "/breach assign @bob lead", "breach-1")
    with Session(console.bot.engine) as s:
        active = s.exec(select(RoleAssignment).where(RoleAssignment.role == "lead",
                                                     RoleAssignment.ended_at.is_(None))).all()
        assert [a.user for a in active] == ["bob"]
    # alice is no longer lead, so she cannot close; bob can.
    assert "Only Incident lead @bob may close" in joined(
        console.say("alice", '/breach close --cause insider --lessons "x"'))


def test_a_retried_delivery_acts_once(quick):
    from bot.chat import Context
    from handlers.router import parse

    quick.say("alice", "/breach declare Payroll export leaked")
    context = Context(workspace="console", user="alice", room="breach-1", delivery_id="retry-42")
    for _ in range(3):
        quick.bot.handle(context, parse("/breach log called the bank"))
    with Session(quick.bot.engine) as s:
        notes = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "note")).all()
    assert [n.text for n in notes] == ["called the bank"]
