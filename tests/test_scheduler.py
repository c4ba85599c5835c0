"""Deadlines live in the database: restarts, a second process and APScheduler all send each alert once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from bot.clock import OffsetClock
from bot.incident import deadlines
from bot.scheduler import AlertScheduler
from storage.models import Alert, Deadline, OutboundMessage, TimelineEvent
from tests.conftest import START, joined, make_console


def reminders(console) -> list[str]:
    return [s.text for s in console.chat.sent if s.op == "direct" and s.text.startswith("⏰")]


def test_restart_between_setting_and_due_sends_the_reminder_once(engine):
    first = make_console(engine)
    first.say("alice", "/breach declare Payroll export leaked")
    # The first process goes away before anything is due; a new one starts on the same database.
    del first
    second = make_console(engine, start=START + timedelta(minutes=10))
    second.advance(START + timedelta(minutes=50))
    assert reminders(second) == ["⏰ BR-1: phase 1/10 Immediate response is due 11:05, in 15m. War room: #breach-1"]
    third = make_console(engine, start=START + timedelta(minutes=51))
    third.advance(START + timedelta(minutes=55))
    assert reminders(third) == []
    with Session(engine) as s:
        kinds = [e.kind for e in s.exec(select(TimelineEvent))]
    assert kinds.count("reminder_sent") == 1


def test_two_processes_on_one_database_send_once(engine):
    a = make_console(engine)
    a.say("alice", "/breach declare Payroll export leaked")
    b = make_console(engine)
    for bot in (a, b):
        bot.clock.set(START + timedelta(hours=1, minutes=1))
    a.bot.run_due()
    b.bot.run_due()
    sent = [s for c in (a, b) for s in c.chat.sent if s.op in ("direct", "post") and s.text[:1] in "⏰🔴"]
    # The reminder moment (10:50) and the deadline (11:05) have both passed: one escalation (a reminder that
    # the phase is "due in 15m" would be false by now), sent once by the two processes.
    assert sorted(s.text[:1] for s in sent) == ["🔴"]


def test_a_claimed_alert_is_retried_after_its_lease(engine):
    console = make_console(engine)
    console.say("alice", "/breach declare Payroll export leaked")
    console.clock.set(START + timedelta(minutes=46))
    with console.bot.unit() as s:
        [alert] = [a for a in deadlines.due(s, now=console.clock.now())
                   if s.get(Deadline, a.deadline_id).kind == "phase"]
        assert deadlines.claim(s, alert_id=alert.id, worker="dead-worker", now=console.clock.now(),
                               lease=timedelta(minutes=5))
    console.bot.run_due()
    assert reminders(console) == []  # another worker holds it
    console.advance(START + timedelta(minutes=52))
    assert len(reminders(console)) == 1


def test_a_failed_send_is_kept_and_retried(quick, monkeypatch):
    quick.say("alice", "/breach declare Payroll export leaked")
    real_direct = quick.chat.direct
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("platform down")
        return real_direct(**kwargs)

    monkeypatch.setattr(quick.chat, "direct", flaky)
    quick.advance(START + timedelta(minutes=45, seconds=1))  # fired at 10:50, failed; kept in the outbox
    assert reminders(quick) == []
    with Session(quick.bot.engine) as s:
        phase_one = s.exec(select(Deadline).where(Deadline.ref == "immediate_response")).one()
        reminder = s.exec(select(Alert).where(Alert.deadline_id == phase_one.id, Alert.kind == "reminder")).one()
        assert reminder.state == "queued"  # composed, not yet said: only a delivery makes it "sent"
    quick.advance(START + timedelta(minutes=48))
    assert len(reminders(quick)) == 1
    with Session(quick.bot.engine) as s:
        assert s.get(Alert, reminder.id).state == "sent"


def test_completing_a_phase_cancels_its_alerts(quick):
    quick.say("alice", "/breach declare Payroll export leaked")
    for n in (1, 2, 3):
        quick.say("alice", f"/breach done {n}", "breach-1")
    quick.advance(START + timedelta(hours=2))
    assert not [s for s in quick.chat.sent if "Immediate response" in s.text and s.text[:1] in "⏰🔴"]


def test_apscheduler_is_armed_from_the_database(quick):
    quick.say("alice", "/breach declare Payroll export leaked")
    scheduler = AlertScheduler(quick.bot)
    scheduler.start(paused=True)
    try:
        with Session(quick.bot.engine) as s:
            pending = [a.fire_at for a in s.exec(select(Alert).where(Alert.state == "pending"))]
        # One wake-up, at the earliest pending alert (10:20, the empty-role prompts), on the wall clock.
        [(job, run_at)] = scheduler.job_times().items()
        shift = quick.bot.now() - datetime.now(UTC)
        assert job == "next-alert" and abs((run_at + shift) - min(pending)) < timedelta(seconds=5)
        assert min(pending) == START + timedelta(minutes=15)
        # Closing cancels every alert but the follow-ups' (no legal clock runs here); the wake-up follows.
        quick.say("alice", '/breach close --cause insider --lessons "Vet access" --confirm', "breach-1")
        with Session(quick.bot.engine) as s:
            still = s.exec(select(Alert).where(Alert.state == "pending")).all()
            assert {s.get(Deadline, a.deadline_id).kind for a in still} == {"followup"}
        [(_, run_at)] = scheduler.job_times().items()
        assert abs((run_at + shift) - min(a.fire_at for a in still)) < timedelta(seconds=5)
    finally:
        scheduler.shutdown()


def test_apscheduler_fires_a_due_alert_on_the_wall_clock(sqlite_engine):
    console = make_console(sqlite_engine)
    console.say("alice", "/breach declare Payroll export leaked")
    # A live bot whose clock is 46 minutes after declaring: the reminder (10:50) is already due.
    live_clock = OffsetClock((START + timedelta(minutes=46)) - datetime.now(UTC))
    console.bot.clock = live_clock
    fired = threading.Event()
    original = console.chat.direct

    def direct(**kwargs):
        ref = original(**kwargs)
        fired.set()
        return ref

    console.chat.direct = direct  # type: ignore[method-assign]
    scheduler = AlertScheduler(console.bot)
    scheduler.start()
    try:
        assert fired.wait(timeout=10), "the scheduler did not send the due reminder"
    finally:
        scheduler.shutdown()
    [reminder] = reminders(console)
    assert reminder.startswith("⏰ BR-1: phase 1/10 Immediate response is due 11:05, in 1")


def test_snoozing_a_reminder_moves_it_with_a_reason(quick):
    quick.say("alice", "/breach declare Payroll export leaked")
    sent = quick.say("alice", '/breach snooze 40m --reason "on the phone with the bank"', "breach-1")
    assert "😴 @alice put off the reminder for Immediate response until 10:45: on the phone with the bank" in \
        sent[-1].text
    early = quick.advance(START + timedelta(minutes=39))
    assert reminders(quick) == [] and not [s for s in early if s.op == "direct"]
    quick.advance(START + timedelta(minutes=41))
    [reminder] = reminders(quick)  # at 10:45, not at the planned 10:50 and not twice
    assert reminder.startswith("⏰ BR-1: phase 1/10 Immediate response is due 11:05, in 20m")
    quick.advance(START + timedelta(minutes=55))
    assert len(reminders(quick)) == 1
    assert "at or after the deadline of Immediate response" in joined(
        quick.say("alice", '/breach snooze 2h --reason "x"', "breach-1"))
    assert "Say why" in joined(quick.say("alice", "/breach snooze 10m", "breach-1"))
    with Session(quick.bot.engine) as s:
        snoozed = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "snoozed")).one()
    assert snoozed.data["reason"] == "on the phone with the bank"


def test_the_reminder_carries_a_snooze_button(quick):
    quick.say("alice", "/breach declare Payroll export leaked")
    quick.advance(START + timedelta(minutes=46))
    reminder = next(s for s in quick.chat.sent if s.op == "direct" and s.text.startswith("⏰"))
    assert [(b.action_id, b.value) for b in reminder.message.buttons] == [("snooze", "1:immediate_response:30m")]


def test_an_alert_that_went_out_is_never_sent_twice_even_if_recording_fails(quick, monkeypatch):
    from bot.flows import alerts

    quick.say("alice", "/breach declare Payroll export leaked")

    def broken(*args, **kwargs):
        raise RuntimeError("timeline write failed")

    monkeypatch.setattr(alerts, "alert_sent", broken)
    quick.advance(START + timedelta(minutes=46))
    monkeypatch.undo()
    quick.advance(START + timedelta(minutes=58))  # well past any lease
    assert len(reminders(quick)) == 1


def test_a_phase_already_overdue_at_declare_escalates_at_once_and_not_as_sent_late(quick):
    """Awareness three hours before the declare: phase 1 is past due when planned. Its escalation goes
    out at the next sweep, and does not claim the bot was down."""
    quick.say("alice", '/breach declare Share exposed --aware "3h ago"', "general")
    out = joined(quick.advance(START + timedelta(minutes=2)))
    assert "missed its deadline" in out
    assert "Sent late" not in out and "not running" not in out
    with Session(quick.bot.engine) as s:
        escalations = s.exec(select(Alert).where(Alert.kind == deadlines.ESCALATION)).all()
        assert all(a.fire_at >= START for a in escalations)


def test_a_bot_down_across_a_due_time_sends_the_escalation_not_a_stale_reminder_too(quick):
    """Down from before the reminder until after the deadline: on start-up one escalation, saying it is late,
    and no 'due in 15m' reminder for a deadline already passed."""
    engine = quick.bot.engine
    quick.say("alice", "/breach declare Payroll export leaked")
    back = make_console(engine, start=START + timedelta(hours=2))
    out = [s.text for s in back.advance(START + timedelta(hours=2, minutes=1)) if s.op == "post"]
    phase = [t for t in out if "Immediate response" in t]
    assert len(phase) == 1 and "missed its deadline" in phase[0] and "Sent late" in phase[0], out
    with Session(engine) as s:
        reminder = s.exec(select(Alert).where(Alert.kind == deadlines.REMINDER)).all()
        assert reminder and all(a.state == deadlines.CANCELLED for a in reminder if a.fire_at < START + timedelta(hours=1))


def test_a_question_escalated_in_chinese_names_it_once(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh")
    console.say("alice", "/breach 宣布 工资表泄露", "general")
    console.say("alice", "/breach 回答 Q2 09:00", "breach-1")  # Q1 is left alone: its own escalation
    out = joined(console.advance(START + timedelta(hours=6)))
    assert "❗ BR-1 问题 Q1 已询问 4 次仍未回答" in out and "Q1（Q1）" not in out


def test_shutdown_while_a_tick_rearms_the_wakeup_does_not_hang(quick):
    """APScheduler's shutdown(wait=True) holds its job-store lock while it waits for the running job; a tick
    that re-arms the wake-up at that moment (add_job needs the lock) used to hang the worker on SIGTERM."""
    quick.say("alice", "/breach declare Payroll export leaked")
    scheduler = AlertScheduler(quick.bot)
    scheduler.start(paused=True)
    go, rearmed = threading.Event(), []

    def tick() -> None:  # a sweep that is still running when the deploy's SIGTERM arrives
        go.wait(timeout=30)
        rearmed.append(scheduler.rebuild())

    scheduler.scheduler.add_job(tick, id="late-sweep")
    scheduler.scheduler.resume()
    while not [job for job in scheduler.scheduler.get_jobs() if job.id == "late-sweep"] == []:
        threading.Event().wait(0.01)  # the job has been handed to the executor
    stopper = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True)
    stopper.start()
    lock = scheduler.scheduler._jobstores_lock
    while lock.acquire(blocking=False):  # until shutdown holds APScheduler's job-store lock
        lock.release()
        threading.Event().wait(0.01)
    go.set()
    stopper.join(timeout=20)
    assert not stopper.is_alive(), "shutdown waited for ever on the tick re-arming the wake-up"
    assert rearmed == [None]  # a closed scheduler arms nothing


def test_a_sigterm_while_due_alerts_go_out_claims_no_further_alert(sqlite_engine):
    """SIGTERM while a sweep works through a batch of due alerts: the alert in hand is said and confirmed, no
    further one is claimed or composed (they wait, pending, for the next process), so the stop is not held up."""
    console = make_console(sqlite_engine)
    for title in ("Payroll export leaked", "Laptop stolen"):
        console.say("alice", f"/breach declare {title}")
    bot = console.bot
    bot.clock.set(START + timedelta(hours=2))
    with Session(sqlite_engine) as s:
        due = len(s.exec(select(Alert).where(Alert.fire_at <= bot.now(), Alert.state == deadlines.PENDING)).all())
    post = bot.chat.post

    def post_then_stop(**kwargs):
        bot.stopping.set()  # the deploy's SIGTERM arrives while the first alert is being said
        return post(**kwargs)

    bot.chat.post = post_then_stop
    assert bot.run_due() == 1
    with Session(sqlite_engine) as s:
        taken = s.exec(select(Alert).where(Alert.fire_at <= bot.now(), Alert.state != deadlines.PENDING)).all()
        rows = s.exec(select(OutboundMessage)).all()
    assert due > 3 and len(taken) == 1 and taken[0].state == deadlines.SENT
    # Nothing composed and left for the next process to redo.
    assert [r.state for r in rows if r.meta.get("alerts")] == ["sent"]
