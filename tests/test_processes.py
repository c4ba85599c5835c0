"""Several bot processes on one database: each reminder goes out once, a killed worker loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, select

from bot.chat import message_from_dict
from storage.models import Alert, Deadline, OutboundMessage, TimelineEvent
from tests.conftest import START, make_console

ROOT = Path(__file__).resolve().parent.parent


def _target(engine) -> tuple[str, str]:
    """URL and schema a child process needs to reach the same database."""
    url = engine.url.render_as_string(hide_password=False)
    options = (engine.dialect.name == "postgresql" and getattr(engine, "_breachbot_schema", None)) or "-"
    return url, options


def spawn(engine, now, out: Path, *extra: str) -> subprocess.Popen:
    url, schema = _target(engine)
    return subprocess.Popen([sys.executable, "-m", "tests.worker_process", url, schema, now.isoformat(), str(out),
                             *extra], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def sent(*files: Path) -> list[dict]:
    lines = []
    for path in files:
        if path.exists():
            lines += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return lines


def declared(engine):
    console = make_console(engine)
    console.say("alice", "/breach declare Payroll export leaked")
    return console


def test_two_workers_one_deadline_one_reminder(engine, tmp_path):
    declared(engine)
    moment = START + timedelta(minutes=46)  # phase 1's reminder (10:50) is due, nothing else
    workers = [spawn(engine, moment, tmp_path / f"w{i}.jsonl") for i in range(2)]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
    got = sent(tmp_path / "w0.jsonl", tmp_path / "w1.jsonl")
    # Everything due by then (the phase reminder, empty-role prompts, questions asked again) went out once.
    texts = [g["text"] for g in got]
    assert len(texts) == len(set(texts)) and len([t for t in texts if t.startswith("⏰ BR-1")]) == 1
    with Session(engine) as s:
        due = s.exec(select(Alert).where(Alert.fire_at <= moment, Alert.state != "cancelled")).all()
        assert {a.state for a in due} == {"sent"}  # all of it went out (questions together, in one message)
        assert [e.kind for e in s.exec(select(TimelineEvent))].count("reminder_sent") == 1


def test_a_killed_worker_loses_nothing(engine, tmp_path):
    declared(engine)
    moment = START + timedelta(minutes=46)
    marker = tmp_path / "hanging"
    victim = spawn(engine, moment, tmp_path / "victim.jsonl", "--hang-marker", str(marker))
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert victim.poll() is None, victim.stderr.read() if victim.stderr else ""
        assert time.monotonic() < deadline, "the worker never reached the send"
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    with Session(engine) as s:
        # It died holding one message: claimed in the outbox (the idempotency record) before the send.
        [held] = s.exec(select(OutboundMessage).where(OutboundMessage.state == "sending")).all()
        alert_ids = held.meta["alerts"]
        assert {s.get(Alert, i).state for i in alert_ids} == {"queued"}  # not said until delivered
    # Within the lease nobody else takes it (the rest of what is due goes out)…
    early = spawn(engine, moment + timedelta(minutes=1), tmp_path / "early.jsonl")
    early.communicate(timeout=120)
    with Session(engine) as s:
        assert s.get(OutboundMessage, held.id).state == "sending"
    # …after the lease another worker sends it, once, and only then is the alert said.
    late = spawn(engine, moment + timedelta(minutes=6), tmp_path / "late.jsonl")
    late.communicate(timeout=120)
    with Session(engine) as s:
        assert s.get(OutboundMessage, held.id).state == "sent"
        assert {s.get(Alert, i).state for i in alert_ids} == {"sent"}
        assert s.exec(select(Alert).where(Alert.state.in_(("claimed", "queued")))).all() == []
    texts = [g["text"].split("\n")[0] for g in sent(*(tmp_path / f for f in ("victim.jsonl", "early.jsonl",
                                                                             "late.jsonl")))]
    assert sent(tmp_path / "victim.jsonl") == [] and len(texts) == len(set(texts))
    assert len([t for t in texts if t.startswith("⏰ BR-1")]) == 1


def test_a_deadline_missed_while_down_fires_at_start_marked_late(engine, tmp_path):
    declared(engine)
    # The bot was down from 10:06 to 11:30: the reminder (10:50) and the escalation (11:05) are overdue.
    back = START + timedelta(hours=1, minutes=25)
    worker = spawn(engine, back, tmp_path / "back.jsonl")
    _, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    got = sent(tmp_path / "back.jsonl")
    texts = [g["text"] for g in got if "Immediate response" in g["text"]]
    assert len(texts) == 1 and texts[0].startswith("🔴")  # the escalation; a "due in 15m" reminder would be false
    assert all("⏱ Sent late: this should have gone out at " in t for t in texts)
    with Session(engine) as s:
        phase_one = s.exec(select(Deadline).where(Deadline.ref == "immediate_response")).one()
        states = {a.kind: a.state for a in s.exec(select(Alert).where(Alert.deadline_id == phase_one.id))}
        late = [e.data["late"] for e in s.exec(select(TimelineEvent)) if e.kind in ("reminder_sent", "escalated")]
    assert states == {"reminder": "cancelled", "escalation": "sent"} and late == [True]


def test_a_worker_killed_while_a_fallback_is_in_flight_sends_it_once(engine, tmp_path):
    declared(engine)
    moment = START + timedelta(minutes=46)
    fallback = "could not be posted in the war room"
    marker = tmp_path / "hanging"
    # The war room refuses every post for good (archived): the reminder goes to the lead by DM instead,
    # and the worker dies while sending that DM.
    victim = spawn(engine, moment, tmp_path / "victim.jsonl", "--refuse-posts", "--hang-marker", str(marker),
                   "--hang-on", fallback)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert victim.poll() is None, victim.stderr.read() if victim.stderr else ""
        assert time.monotonic() < deadline, "the worker never reached the fallback"
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    with Session(engine) as s:
        [held] = s.exec(select(OutboundMessage).where(OutboundMessage.state == "sending")).all()
        assert held.op == "direct" and held.meta.get("depth") == 1  # a fallback of a set-aside post
        assert s.exec(select(OutboundMessage).where(OutboundMessage.state == "dead")).all()
        fallbacks = [e for e in s.exec(select(TimelineEvent)) if e.kind == "delivery_fallback"]
        assert fallbacks  # the fallback was recorded with the set-aside, before the kill
    early = spawn(engine, moment + timedelta(minutes=1), tmp_path / "early.jsonl", "--refuse-posts")
    early.communicate(timeout=120)
    with Session(engine) as s:
        assert s.get(OutboundMessage, held.id).state == "sending"  # nobody takes it within the lease
    late = spawn(engine, moment + timedelta(minutes=6), tmp_path / "late.jsonl", "--refuse-posts")
    late.communicate(timeout=120)
    with Session(engine) as s:
        assert s.get(OutboundMessage, held.id).state == "sent"
        assert s.exec(select(OutboundMessage).where(OutboundMessage.state.in_(("pending", "sending")))).all() == []
        alert_ids = held.meta["alerts"]
        assert {s.get(Alert, i).state for i in alert_ids} == {"sent"}
        dead = s.exec(select(OutboundMessage).where(OutboundMessage.state == "dead")).all()
        recorded = [e.data["row"] for e in s.exec(select(TimelineEvent)) if e.kind == "delivery_fallback"]
        assert sorted(recorded) == sorted(r.id for r in dead)  # each set-aside recorded once, none again
    got = sent(tmp_path / "victim.jsonl", tmp_path / "early.jsonl", tmp_path / "late.jsonl")
    dms = [(g["target"], g["text"]) for g in got if g["op"] == "direct" and fallback in g["text"]]
    assert dms and len(dms) == len(set(dms))  # each fallback DM once, the one in flight included
    assert dms.count((held.target, message_from_dict(held.payload).plain_text())) == 1
