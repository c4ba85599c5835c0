"""A report that verifies: it states its last event and that event's hash, and `breachbot verify --upto` or
`--report <file>` confirms the report's prefix of the timeline is intact, even after later events."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from handlers.cli import main
from storage.db import make_engine, upgrade
from storage.models import TimelineEvent
from tests.conftest import make_console

SCRIPT = """
alice #general> /breach declare Ledger backup on a lost laptop --severity high --data ledgers,bank_account
alice #breach-1> /breach assign @erin legal
alice #breach-1> /breach affected CN=1200 US-CA=40
alice #breach-1> /breach log Laptop was in a taxi
~ +2h
erin #breach-1> /breach notified us-ca-1798-82 --ref CA-77
alice #breach-1> /breach close --cause external_attack --lessons "Encrypt laptops" --confirm
"""


@pytest.fixture
def reported(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url = f"sqlite:///{tmp_path / 'v.db'}"
    engine = make_engine(url)
    upgrade(engine)
    console = make_console(engine)
    assert console.run_script(SCRIPT.strip().splitlines(), out=io.StringIO()) == 0
    files = {}
    for fmt in ("md", "html", "pdf", "json"):
        sent = console.say("alice", f"/breach report --format {fmt}", "breach-1")
        files[fmt] = Path(next(s for s in sent if s.op == "upload").text)
    with Session(engine) as s:
        last = s.exec(select(TimelineEvent).order_by(TimelineEvent.seq.desc())).first()  # type: ignore[union-attr]
    # 30 more virtual days: the follow-ups' reminders fire and add events after the report.
    console.advance(console.clock.now() + timedelta(days=30))
    return url, engine, files, last


def test_the_report_states_its_last_event_and_verifies_after_later_events(reported, capsys):
    url, engine, files, last = reported
    md = files["md"].read_text(encoding="utf-8")
    assert f"This report includes events #1–#{last.seq}; the hash of #{last.seq} is {last.hash}." in md
    assert f"`breachbot verify BR-1 --upto {last.seq}`" in md
    with Session(engine) as s:
        assert s.exec(select(TimelineEvent).where(TimelineEvent.seq > last.seq)).first() is not None  # later events
    assert main(["--db", url, "verify", "BR-1"]) == 0
    assert last.hash not in capsys.readouterr().out  # the head moved on
    assert main(["--db", url, "verify", "BR-1", "--upto", str(last.seq)]) == 0
    assert f"events #1–#{last.seq} intact, hash of #{last.seq} {last.hash}" in capsys.readouterr().out
    for fmt, path in files.items():
        assert main(["--db", url, "verify", "BR-1", "--report", str(path)]) == 0, fmt
        assert f"matches the database up to event #{last.seq}" in capsys.readouterr().out, fmt


def test_a_changed_event_or_a_forged_report_fails(reported, capsys, tmp_path):
    url, engine, files, last = reported
    forged = tmp_path / "forged.md"
    forged.write_text(files["md"].read_text(encoding="utf-8").replace(last.hash, "0" * 64), encoding="utf-8")
    assert main(["--db", url, "verify", "BR-1", "--report", str(forged)]) == 1
    assert "does NOT match the database" in capsys.readouterr().out
    with Session(engine) as s:
        event = s.exec(select(TimelineEvent).where(TimelineEvent.seq == 3)).one()
        event.text = "something else"
        s.add(event)
        s.commit()
    assert main(["--db", url, "verify", "BR-1", "--report", str(files["pdf"])]) == 1
    assert "BROKEN at event #3" in capsys.readouterr().out
    assert main(["--db", url, "verify", "BR-1", "--upto", "0"]) == 2
