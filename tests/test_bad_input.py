"""Bad input gets one clear message saying what to type instead, and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from bot.chat import Sent
from storage.models import Alert, Incident, RoleAssignment, TaskState, TimelineEvent
from tests.conftest import joined


def snapshot(engine) -> tuple:
    """Everything a command could change, in a comparable form."""
    with Session(engine) as s:
        incidents = [(i.number, i.title, i.status, i.current_phase, i.severity, i.cause, i.war_room)
                     for i in s.exec(select(Incident).order_by(Incident.number))]
        return (
            incidents,
            s.exec(select(func.count()).select_from(TimelineEvent)).one(),
            [(r.role, r.user, r.ended_at) for r in s.exec(select(RoleAssignment).order_by(RoleAssignment.id))],
            [(t.key, t.done_at) for t in s.exec(select(TaskState).order_by(TaskState.id))],
            [(a.id, a.state) for a in s.exec(select(Alert).order_by(Alert.id))],
        )


def only_replies(sent: list[Sent]) -> list[str]:
    assert {s.op for s in sent} <= {"reply"}, f"bad input must only answer, got {[s.op for s in sent]}"
    assert len(sent) == 1, "one clear message"
    return [s.text for s in sent]


CASES = [
    ("/breach declare", "A breach needs a title: /breach declare <what happened>."),
    ("/breach declare    --severity high", "A breach needs a title"),
    ("/breach declare " + "x" * 2000, "That title is 2000 characters; keep it under 300"),
    ("/breach declare Leak --severity apocalyptic", "No severity 'apocalyptic'. Choose one of: low, medium, high, critical."),
    ("/breach declare Leak --aware whenever", "I can't read 'whenever' as a time. Try '2h ago'"),
    ("/breach declare Leak --aware tomorrow", "--aware is in the future"),
    ("/breach declare Leak --aware 2099-01-01T00:00", "--aware is in the future"),
    ("/breach declare Leak --clients many", "--clients takes a whole number, not 'many'."),
    ("/breach declare Leak --data payroll,horoscope", "Unknown data categories: horoscope. Use: name, contact, bank_account"),
    ("/breach declare Leak --colour red", "--colour is not an option of this command."),
    ("/breach declare Leak --severity", "--severity needs a value."),
    ("/breach declare Leak --severity high --severity low", "--severity is given twice."),
    ("/breach frobnicate", "I don't know /breach frobnicate. Subcommands: declare, status"),
    ("/breach assign @bob astronaut", "No role called 'astronaut'. Roles: lead, it_security, legal, executive, comms"),
    ("/breach assign lead", "Name one person with @: /breach assign @user <role>."),
    ("/breach assign @bob", "Name one role: lead, it_security"),
    ("/breach assign @alice lead", "@alice already holds Incident lead."),
    ("/breach unassign legal", "Nobody holds Legal / compliance."),
    ("/breach log", "Nothing to record: type the note after the command."),
    ("/breach log " + "y" * 5000, "That note is 5000 characters; the limit is 4000."),
    ("/breach done 99", "No task '99'. Type /breach tasks to see the numbers."),
    ("/breach done", "Which task? /breach done <number>"),
    ("/breach phase warp", "No phase 'warp'. Phases: 1 immediate_response"),
    ("/breach phase 1", "The team is already in Immediate response."),
    ("/breach close", "Closing needs the lessons, and the cause unless it was already recorded"),
    ("/breach close --cause aliens --lessons x", "No cause 'aliens'. Causes: technical, insider, external_attack"),
    ("/breach close --cause insider --lessons \"  \"", "Nothing to record: type the lessons after the command."),
    ("/breach status BR-99", "There is no incident BR-99 here."),
    ("/breach help nothing", "No subcommand 'nothing'."),
    ("/breach status extra words", "I don't understand 'extra words' here."),
    # A near miss says what was probably meant; nothing moves on a guess.
    ("/breach phase nxt", "No phase 'nxt'. Phases: 1 immediate_response"),
    ("/breach phase nxt", "Did you mean next?"),
    ("/breach assign @bob legl", "Did you mean legal?"),
    ("/breach declare Leak --severity hihg", "Did you mean high?"),
    ("/breach facts --data bnak_account", "Did you mean bank_account?"),
    ("/breach facts --data number", "\"number\" could be card, tax_id, national_id: type one of them as shown."),
    ("/breach done 1 2 99 laptops wiped", "No task '99'."),
    ("/breach done 1 2 99 laptops wiped", 'If \'99\' starts the note, type: /breach done 1,2 --note "99 laptops wiped"'),
    ("/breach done 1 2 99", "No task '99'."),
    ("/breach approve", "No draft of BR-1 is waiting for approval."),
    ("/breach declare Leak --aware 25:00", "'25:00' is not a time of day"),
    ("/breach snooze 1 fortnight --reason x", "Say why: /breach snooze"),
]


@pytest.mark.parametrize(("typed", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_bad_input_answers_and_changes_nothing(quick, typed, expected):
    quick.say("alice", "/breach declare Payroll export leaked")
    before = snapshot(quick.bot.engine)
    sent = quick.say("alice", typed, "breach-1")
    [text] = only_replies(sent)
    assert expected in text
    assert snapshot(quick.bot.engine) == before


def test_bad_input_on_both_databases(console):
    console.say("alice", "/breach declare Payroll export leaked")
    before = snapshot(console.bot.engine)
    for typed in ("/breach assign @bob astronaut", "/breach close --cause aliens --lessons x", "/breach done 42"):
        only_replies(console.say("alice", typed, "breach-1"))
    assert snapshot(console.bot.engine) == before


def test_closed_incident_refuses_changes(quick):
    quick.say("alice", "/breach declare Payroll export leaked")
    quick.say("alice", '/breach close --cause insider --lessons "Vet staff access" --confirm', "breach-1")
    before = snapshot(quick.bot.engine)
    for typed, expected in [
        ("/breach log more", "BR-1 is closed; it can be read but no longer changed."),
        ("/breach assign @bob legal", "BR-1 is closed"),
        ("/breach done 1", "BR-1 is closed"),
        ("/breach phase next", "BR-1 is closed"),
        ('/breach close --cause insider --lessons "x"', "BR-1 is already closed."),
    ]:
        [text] = only_replies(quick.say("alice", typed, "breach-1"))
        assert expected in text
    assert snapshot(quick.bot.engine) == before
    assert "Closed" in joined(quick.say("alice", "/breach status", "breach-1"))


def test_hostile_text_is_stored_and_shown_literally(console):
    title = "<!channel> @everyone **bold** {{ 7*7 }} {% raw %} [x](https://evil) '; DROP TABLE incident; --"
    sent = console.say("alice", f"/breach declare {title}")
    assert "{{ 7*7 }}" in joined(sent) and "49" not in joined(sent)
    note = "<@U123|boss> <https://evil|bank> {0} {title} %s \u202eRTL\u200b"
    sent = console.say("alice", f"/breach log {note}", "breach-1")
    with Session(console.bot.engine) as s:
        incident = s.exec(select(Incident)).one()
        assert incident.title == title
        logged = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "note")).one()
        assert logged.text == note
    assert "Noted by @alice" in joined(sent)
    status = joined(console.say("alice", "/breach status", "breach-1"))
    assert title in status


def test_a_crash_mid_command_leaves_the_incident_as_it_was(quick, monkeypatch):
    quick.say("alice", "/breach declare Payroll export leaked")
    before = snapshot(quick.bot.engine)
    from bot.incident import incidents

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    # assign_role writes the role's timeline event, then the crash hits before commit.
    monkeypatch.setattr(incidents, "add_participant", explode)
    sent = quick.say("alice", "/breach assign @bob legal", "breach-1")
    [text] = only_replies(sent)
    assert text.startswith("Something went wrong (error ") and "the incident is unchanged" in text
    assert snapshot(quick.bot.engine) == before
