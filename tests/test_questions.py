"""Guided prompts: asked when a phase starts, asked again, escalated, answered in one line."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from storage.models import Deadline, Incident, QuestionState, TimelineEvent
from tests.conftest import START, joined, make_console


def incident(console) -> Incident:
    with Session(console.bot.engine) as s:
        return s.exec(select(Incident)).one()


def posts(sent, start: str) -> list[str]:
    return [s.text for s in sent if s.op == "post" and s.text.startswith(start)]


def test_declare_asks_the_first_phase_questions_in_one_message(quick):
    sent = quick.say("alice", "/breach declare Payroll export leaked")
    [asked] = posts(sent, "❓")
    assert asked.splitlines() == [
        "❓ BR-1 · phase 1/10 Immediate response: 2 questions for Incident lead @alice",
        "  Q1 [discovered] How was the leak discovered? — Incident lead @alice",
        "    1. System alert (system_alert)",
        "    2. A client told us (client_report)",
        "    3. A member of staff reported it (staff_report)",
        "    4. A third party told us (third_party)",
        "    Answer: /breach answer discovered <answer> — 1 system_alert · 2 client_report · 3 staff_report · "
        "4 third_party",
        "  Q2 [aware] When did the firm first become aware? (e.g. 09:30, 2h ago) — Incident lead @alice",
        "    Answer: /breach answer aware <answer> — a time, e.g. 09:30, 2h ago, yesterday 18:00 or 2026-11-28 09:30",
    ]
    prompt = next(s for s in sent if s.op == "post" and s.text.startswith("❓"))
    # Each question's buttons sit under its own lines: the choices under Q1's hint, the form under Q2's.
    assert [(b.value, b.line) for b in prompt.message.buttons] == [
        ("1:discovered:system_alert", 6), ("1:discovered:client_report", 6), ("1:discovered:staff_report", 6),
        ("1:discovered:third_party", 6), ("1:aware", 8)]
    with Session(quick.bot.engine) as s:
        [event] = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "asked")).all()
        states = {q.key: q.asked_at for q in s.exec(select(QuestionState))}
    assert event.data == {"questions": ["discovered", "aware"]}
    assert set(states) == {"discovered", "aware"} and None not in states.values()


def test_an_answer_sets_the_fact_and_a_later_one_supersedes(console):
    console.say("alice", "/breach declare Payroll export leaked")
    sent = console.say("bob", "/breach answer discovered 2", "breach-1")
    assert posts(sent, "✅") == ["✅ @bob answered discovered (How was the leak discovered?): A client told us"]
    sent = console.say("alice", "/breach answer 1 staff_report", "breach-1")
    assert posts(sent, "✅") == ["✅ @alice changed the answer to discovered (How was the leak discovered?): "
                                 "A member of staff reported it (was A client told us)"]
    assert incident(console).facts["discovered_via"] == "staff_report"
    with Session(console.bot.engine) as s:
        changes = [e.data["changes"] for e in s.exec(select(TimelineEvent).where(
            TimelineEvent.kind == "facts_changed").order_by(TimelineEvent.seq))]
        state = s.exec(select(QuestionState).where(QuestionState.key == "discovered")).one()
    assert changes == [{"discovered_via": {"from": None, "to": "client_report"}},
                       {"discovered_via": {"from": "client_report", "to": "staff_report"}}]
    assert (state.answered_by, state.answer) == ("alice", {"value": "staff_report"})
    assert "No open questions" not in joined(console.say("alice", "/breach questions", "breach-1"))


def test_invalid_answers_list_the_valid_choices_and_change_nothing(quick):
    quick.say("alice", "/breach declare Payroll export leaked")
    before = incident(quick).facts
    for typed, expected in [
        ("/breach answer discovered psychic", "'psychic' is not a valid answer to discovered. Valid: 1 system_alert"),
        ("/breach answer aware whenever", "I can't read 'whenever' as a time."),
        ("/breach answer aware tomorrow", "That time is in the future"),
        ("/breach answer aware 2099-01-01 00:00", "That time is in the future"),
        ("/breach answer people CN=-5", "I can't read 'CN=-5': write CODE=number"),
        ("/breach answer people XX=5", "codes: CN EU UK US-CA"),
        ("/breach answer clients -3", "'-3' is not a valid answer to clients. Valid: a whole number"),
        ("/breach answer encrypted maybe", "Valid: yes or no"),
        ("/breach answer data 1,99", "Valid: 1 name · 2 contact"),
        ("/breach answer nosuch yes", "No question 'nosuch'."),
        ("/breach answer discovered", "Type an answer after the question"),
    ]:
        sent = quick.say("alice", typed, "breach-1")
        assert [s.op for s in sent] == ["reply"], typed
        assert expected in sent[0].text, (typed, sent[0].text)
    assert incident(quick).facts == before


def test_unanswered_questions_are_asked_again_then_escalated_exactly(quick):
    quick.say("alice", "/breach declare Payroll export leaked")
    quick.say("alice", "/breach answer aware 10m ago", "breach-1")  # answer one of the two
    timeline = quick.advance(START + timedelta(hours=3))
    asked_again = posts(timeline, "❓ BR-1 Q1")
    assert [a.splitlines()[0] for a in asked_again] == [
        f"❓ BR-1 Q1 for Incident lead @alice: How was the leak discovered? (asked {n} of 4 times)" for n in (2, 3, 4)]
    escalated = posts(timeline, "❗")
    assert escalated == ["❗ BR-1 Q1 (discovered) is still unanswered after 4 asks. @alice, please answer or "
                         "assign someone: How was the leak discovered?"]
    assert not posts(timeline, "❓ BR-1 Q2")  # answered, so never asked again
    with Session(quick.bot.engine) as s:
        kinds = [e.kind for e in s.exec(select(TimelineEvent))]
    assert kinds.count("asked_again") == 3 and kinds.count("question_escalated") == 1


def test_answering_when_aware_moves_every_phase_deadline(console):
    console.say("alice", "/breach declare Payroll export leaked")
    sent = console.say("alice", "/breach answer aware 09:35", "breach-1")
    assert "🕑 The firm became aware at 09:35: every phase deadline now counts from then." in joined(sent)
    with Session(console.bot.engine) as s:
        due = {d.ref: d.due_at for d in s.exec(select(Deadline).where(Deadline.kind == "phase"))}
    assert due["immediate_response"] == START - timedelta(minutes=30) + timedelta(hours=1)
    assert due["review"] == START - timedelta(minutes=30) + timedelta(days=45)
    # The moved reminder (10:20) fires, not the old one (10:50).
    timeline = console.advance(START + timedelta(minutes=20))
    assert [s.text for s in timeline if s.op == "direct"] == [
        "⏰ BR-1: phase 1/10 Immediate response is due 10:35, in 15m. War room: #breach-1"]
    assert "status" and "due Sat 28 Nov 10:35" in console.chat.pinned("breach-1")[0].plain_text()


def test_a_later_phase_asks_its_own_questions_with_residence_counts(quick):
    quick.say("alice", "/breach declare Payroll export leaked")
    sent = quick.say("alice", '/breach phase next --reason "moving"', "breach-1")
    [asked] = posts(sent, "❓")  # eight questions, one message
    lines = asked.splitlines()
    assert lines[0] == ("❓ BR-1 · phase 2/10 Preliminary investigation: 8 questions for IT security unassigned · "
                        "Legal / compliance unassigned · Communications unassigned")
    assert [ln.split(" — ")[0] for ln in lines if ln.startswith("  Q")] == [
        "  Q3 [data] Which data categories are exposed?", "  Q4 [clients] How many clients are affected?",
        "  Q5 [people] How many people are affected, by where they live? (e.g. CN=1200 US-CA=40 EU=3)",
        "  Q6 [encrypted] Was the leaked data encrypted?",
        "  Q7 [key_safe] Is the encryption key safe (not leaked with the data)?",
        "  Q8 [crime] Is a crime suspected (theft, insider sale, extortion)? If so, the police must be told.",
        "  Q9 [on_behalf] Is the leaked data held on behalf of clients (their payroll or ledgers)? If so, each client "
        "that owns it must be told, often first.",
        "  Q10 [press] Do the press or the public know about the leak?"]
    assert [ln.split(" — ")[-1] for ln in lines if ln.startswith("  Q")] == (
        ["IT security unassigned"] * 5 + ["Legal / compliance unassigned"] * 2 + ["Communications unassigned"])
    # Every question says how to answer it; the hints are the commands that work.
    hints = [ln.strip() for ln in lines if ln.strip().startswith("Answer: ")]
    assert [h.split()[3] for h in hints] == ["data", "clients", "people", "encrypted", "key_safe", "crime", "on_behalf",
                                              "press"]
    assert "    Answer: /breach answer clients <answer> — a whole number, e.g. 40" in lines
    quick.say("dave", "/breach answer people CN=1,200 us-ca=40", "breach-1")
    quick.say("dave", "/breach answer data 3,8", "breach-1")
    quick.say("dave", "/breach answer encrypted no", "breach-1")
    quick.say("dave", "/breach answer clients 1240", "breach-1")
    facts = incident(quick).facts
    assert facts["affected"] == {"CN": 1200, "US-CA": 40}
    assert facts["data"] == ["bank_account", "payroll"]
    assert facts["encrypted"] is False and facts["clients"] == 1240
    listing = joined(quick.say("alice", "/breach questions", "breach-1"))
    # Not encrypted: there is no key to keep safe, so that question is no longer open.
    assert "[key_safe]" not in listing and "[crime]" in listing and "[people]" not in listing
    assert "[discovered]" in listing


def test_empty_roles_are_asked_for_after_15_minutes(quick):
    quick.say("alice", "/breach declare Payroll export leaked")
    quick.say("alice", "/breach assign @erin legal", "breach-1")
    timeline = quick.advance(START + timedelta(minutes=20))
    assert posts(timeline, "👥") == [
        "👥 BR-1: nobody is IT security yet. @alice — assign someone: /breach assign @user it_security"]


def test_roster_roles_are_never_prompted(sqlite_engine):
    console = make_console(sqlite_engine, roster={"legal": ["erin"], "it_security": ["dave"]})
    console.say("alice", "/breach declare Payroll export leaked")
    assert posts(console.advance(START + timedelta(minutes=30)), "👥") == []


def test_facts_set_at_declare_are_not_asked_again(quick):
    sent = quick.say("alice", '/breach declare Payroll export leaked --data payroll --clients 40 --aware "10m ago"')
    [asked] = posts(sent, "❓")  # phase 1 asks only how it was discovered: --aware answered the other
    assert asked.startswith("❓ BR-1 Q1 for Incident lead @alice: How was the leak discovered?")
    assert "aware" not in asked
    sent = quick.say("alice", '/breach phase next --reason "x"', "breach-1")
    [asked] = posts(sent, "❓")
    assert "[clients]" not in asked  # --clients 40 answered it
    # --data answered it too (more categories go in with /breach facts --data).
    assert "[data]" not in asked and "[people]" in asked
    listing = joined(quick.say("alice", "/breach questions", "breach-1"))
    assert "[data]" not in listing and "[clients]" not in listing and "[aware]" not in listing
    # Changing what the declarer said says what it was.
    sent = quick.say("alice", "/breach answer aware 09:30", "breach-1")
    assert posts(sent, "✅") == ["✅ @alice changed the answer to aware (When did the firm first become aware?): "
                                 "09:30 (was 09:55)"]


def test_a_first_answer_is_an_answer_and_examples_stay_in_the_question(quick):
    sent = quick.say("alice", "/breach declare Payroll export leaked")
    [asked] = posts(sent, "❓")
    assert "Q2 [aware] When did the firm first become aware? (e.g. 09:30, 2h ago) — Incident lead @alice" in asked
    quick.say("alice", '/breach phase next --reason "x"', "breach-1")
    sent = quick.say("alice", "/breach answer data 3,8", "breach-1")
    assert posts(sent, "✅") == ["✅ @alice answered data (Which data categories are exposed?): Bank accounts, Payroll"]
    sent = quick.say("alice", "/breach answer people CN=2", "breach-1")
    assert posts(sent, "✅") == ["✅ @alice answered people (How many people are affected, by where they live?): CN=2"]
    # /breach questions says how to answer each one, with its choices (no bare "…").
    listing = quick.say("alice", "/breach questions", "breach-1")[-1].text
    assert "…" not in listing
    assert "  4. [clients] How many clients are affected? — IT security" in listing
    assert "/breach answer clients" in listing and "/breach answer encrypted" in listing


def test_prompts_and_commands_reach_the_same_facts_clocks_and_report(sqlite_engine):
    from bot.law import clocks
    from bot.report import document
    from storage.models import Workspace

    by_prompts = [
        "alice #general> /breach declare Payroll export leaked",
        "alice #breach-1> /breach answer aware 09:35",
        "alice #breach-1> /breach phase next --reason go",
        "dave #breach-1> /breach answer data 3,8",
        "dave #breach-1> /breach answer people CN=1200 US-CA=40",
        "dave #breach-1> /breach answer encrypted no",
        "erin #breach-1> /breach answer crime yes",
    ]
    by_commands = [  # the same incident again, on purpose
        "alice #general> /breach declare Payroll export leaked --aware 09:35 --data bank_account,payroll --new",
        "alice #breach-2> /breach phase next --reason go",
        "dave #breach-2> /breach affected CN=1200 US-CA=40",
        "dave #breach-2> /breach facts --encrypted no --crime yes",
    ]
    console = make_console(sqlite_engine)
    assert console.run_script(by_prompts + by_commands, out=__import__("io").StringIO()) == 0
    with Session(sqlite_engine) as s:
        first, second = s.exec(select(Incident).order_by(Incident.number)).all()
        ws = s.get(Workspace, first.workspace_id)
        facts = [{k: v for k, v in i.facts.items() if k != "discovered_via"} for i in (first, second)]
        assert facts[0]["data"] == ["bank_account", "payroll"] and facts[0] == {**facts[1], "data": facts[0]["data"]}
        assert sorted(facts[0]["data"]) == sorted(facts[1]["data"])
        assert first.aware_at == second.aware_at
        due = [{r.result.clock_id: (r.status, r.result.due_at) for r in clocks.rows(
            s, incident=i, book=console.bot.regimes, firm_profile=frozenset(), now=console.clock.now())}
            for i in (first, second)]
        assert due[0] == due[1] and due[0]["cn-police/report"][0] == "pending"
        reports = [document.build(s, incident=i, playbook=console.bot.playbook, regimes=console.bot.regimes,
                                firm_profile=frozenset(), ws=ws, lang="en", now=console.clock.now(), firm_name="x")
                   for i in (first, second)]
    assert reports[0]["facts"] == reports[1]["facts"]
    assert [c["id"] for c in reports[0]["clocks"]] == [c["id"] for c in reports[1]["clocks"]]


def test_questions_due_together_are_asked_again_in_one_message(quick):
    quick.say("alice", "/breach declare Payroll export leaked")
    quick.say("alice", "/breach answer discovered 1", "breach-1")
    quick.say("alice", "/breach answer aware now", "breach-1")
    quick.say("alice", '/breach phase next --reason "go"', "breach-1")
    quick.say("dave", "/breach answer data 3", "breach-1")
    timeline = quick.advance(START + timedelta(hours=3))
    digests = [s.text for s in timeline if s.op == "post" and s.text.startswith("❓")]
    assert [d.splitlines()[0] for d in digests] == [
        f"❓ BR-1: still waiting for 7 answers (asked {n} of 4 times):" for n in (2, 3, 4)]
    assert "  Q4 [clients] How many clients are affected? — IT security unassigned" in digests[0]
    assert "[data]" not in digests[0]
    escalations = [s.text for s in timeline if s.op == "post" and s.text.startswith("❗")]
    assert len(escalations) == 1 and escalations[0].startswith(
        "❗ BR-1: 7 questions are still unanswered after every ask. @alice, please answer or assign someone:")
    with Session(quick.bot.engine) as s:
        kinds = [e.kind for e in s.exec(select(TimelineEvent))]
    assert kinds.count("asked_again") == 7 * 3 and kinds.count("question_escalated") == 7


def test_every_phase_start_asks_in_one_message_and_a_lone_question_as_itself(quick):
    asked_at_declare = posts(quick.say("alice", "/breach declare Payroll export leaked"), "❓")
    asked_at_phase_2 = posts(quick.say("alice", '/breach phase next --reason "go"', "breach-1"), "❓")
    asked_at_phase_4 = posts(quick.say("alice", '/breach phase containment --reason "go"', "breach-1"), "❓")
    assert [len(a) for a in (asked_at_declare, asked_at_phase_2, asked_at_phase_4)] == [1, 1, 1]
    assert [a.count("\n  Q") for a in asked_at_declare + asked_at_phase_2] == [2, 8]
    assert asked_at_phase_4[0].splitlines()[0] == (
        "❓ BR-1 Q11 for IT security unassigned: Is the leak contained (no more data going out)?")
    with Session(quick.bot.engine) as s:
        asked = [e.data["questions"] for e in s.exec(select(TimelineEvent).where(TimelineEvent.kind == "asked")
                                                     .order_by(TimelineEvent.seq))]
    assert [len(a) for a in asked] == [2, 8, 1]  # each question recorded as asked, once, when its phase started


def test_the_answer_hints_of_a_phase_digest_are_commands_that_work(quick):
    quick.say("alice", "/breach declare Payroll export leaked")
    [digest] = posts(quick.say("alice", '/breach phase next --reason "go"', "breach-1"), "❓")
    samples = {"data": "3,8", "clients": "40", "people": "CN=1200", "encrypted": "yes", "key_safe": "no",
               "crime": "yes", "on_behalf": "yes", "press": "no"}
    hints = [ln.strip().removeprefix("Answer: ").split(" — ")[0] for ln in digest.splitlines()
             if ln.startswith("    Answer: ")]
    assert len(hints) == 8
    for hint in hints:
        key = hint.split()[2]
        sent = quick.say("dave", hint.replace("<answer>", samples[key]), "breach-1")
        [said] = posts(sent, "✅")
        assert said.startswith((f"✅ @dave answered {key} (", f"✅ @dave changed the answer to {key} (")), hint
    # The number each question shows answers it too.
    sent = quick.say("dave", "/breach answer 4 41", "breach-1")
    assert posts(sent, "✅") == ["✅ @dave changed the answer to clients (How many clients are affected?): 41 (was 40)"]
    assert "[press]" not in joined(quick.say("alice", "/breach questions", "breach-1"))
    facts = incident(quick).facts
    assert (facts["clients"], facts["affected"], facts["crime_suspected"]) == (41, {"CN": 1200}, True)


def test_the_on_behalf_question_is_asked_with_the_early_facts_and_opens_the_owner_clocks(quick):
    """The data owner's clocks (GDPR Art. 33(2): without undue delay; Fla. Stat. §501.171(6): 10 days) turn on
    whether the data is held on behalf of clients: phase 2 asks it, not phase 7 (issue #21)."""
    quick.say("alice", "/breach declare Payroll export leaked --data payroll,tax_id")
    [asked] = posts(quick.say("alice", '/breach phase next --reason "go"', "breach-1"), "❓")
    assert "  Q9 [on_behalf] Is the leaked data held on behalf of clients" in asked
    quick.say("alice", "/breach answer people US-FL=3 DE=2", "breach-1")
    said = joined(quick.say("alice", "/breach answer on_behalf yes", "breach-1"))
    assert "GDPR: tell each client that owns the data now applies: due" in said
    assert "Florida data breach notification: tell each client that owns the data now applies: due" in said
