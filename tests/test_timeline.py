"""The timeline is hash-chained: any edit to a stored event is found, by the service and the CLI."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from bot.incident import timeline
from handlers.cli import main
from storage.models import Incident, TimelineEvent
from tests.conftest import make_console


def _run(console) -> None:
    console.say("alice", "/breach declare Payroll export leaked --severity high")
    console.say("alice", "/breach log Found the share", "breach-1")
    console.say("alice", "/breach decision Take it offline", "breach-1")


def _verify(engine):
    with Session(engine) as s:
        return timeline.verify(s, s.exec(select(Incident)).one())


def test_chain_links_every_event(engine):
    _run(make_console(engine))
    with Session(engine) as s:
        events = list(s.exec(select(TimelineEvent).order_by(TimelineEvent.seq)))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == timeline.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    result = _verify(engine)
    assert result.intact and result.head_hash == events[-1].hash


@pytest.mark.parametrize("column, value", [
    ("text", "'Found the shore'"),
    ("actor", "'mallory'"),
    ("kind", "'decision'"),
])
def test_editing_a_stored_event_breaks_the_chain(engine, column, value):
    _run(make_console(engine))
    with Session(engine) as s:
        note = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "note")).one()
        seq = note.seq
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE timelineevent SET {column} = {value} WHERE seq = {seq}"))
    result = _verify(engine)
    assert not result.intact and result.bad_seq == seq
    assert result.problem == f"event #{seq} was changed after it was written"


def test_deleting_an_event_breaks_the_chain(engine):
    _run(make_console(engine))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM timelineevent WHERE seq = 2"))
    result = _verify(engine)
    assert (result.intact, result.bad_seq, result.problem) == (False, 3, "event #2 is missing")


def test_one_changed_byte_fails_the_cli(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    from storage.db import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    _run(make_console(engine))
    assert main(["verify", "BR-1", "--db", url]) == 0
    assert "BR-1: timeline intact (" in capsys.readouterr().out
    with engine.begin() as conn:
        stored = conn.execute(text("SELECT text FROM timelineevent WHERE kind = 'decision'")).scalar_one()
        conn.execute(text("UPDATE timelineevent SET text = :t WHERE kind = 'decision'"),
                     {"t": stored.replace("T", "t", 1)})
    assert main(["verify", "BR-1", "--db", url]) == 1
    out = capsys.readouterr().out
    assert "timeline BROKEN at event #" in out and "was changed after it was written" in out
    assert main(["export", "BR-1", "--db", url, "--format", "json"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["id"] == "BR-1" and len(exported["timeline"]) >= 5


def test_verify_checks_an_export_against_the_database(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'ex.db'}"
    from storage.db import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    _run(make_console(engine))
    assert main(["export", "BR-1", "--db", url, "--out", str(tmp_path / "br1.json")]) == 0
    capsys.readouterr()
    assert main(["verify", "BR-1", "--db", url, "--export", str(tmp_path / "br1.json")]) == 0
    assert "br1.json matches the database" in capsys.readouterr().out
    data = json.loads((tmp_path / "br1.json").read_text(encoding="utf-8"))
    data["timeline"][1]["text"] = "something else"
    (tmp_path / "forged.json").write_text(json.dumps(data), encoding="utf-8")
    assert main(["verify", "BR-1", "--db", url, "--export", str(tmp_path / "forged.json")]) == 1
    out = capsys.readouterr().out
    assert "does NOT match the database" in out and "event #2 says something else in the export" in out


def test_concurrent_commands_on_one_incident_all_land(engine):
    """Slack runs commands on a thread pool: eight people logging at once all get their note in, in a chain."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.chat import Context
    from handlers.router import parse

    console = make_console(engine)
    console.say("alice", "/breach declare Payroll export leaked")

    def note(i: int) -> None:
        context = Context(workspace="console", user=f"u{i}", room="breach-1")
        console.bot.handle(context, parse(f"/breach log note {i}"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(note, range(40)))
    with Session(engine) as s:
        notes = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "note")).all()
    assert sorted(n.text for n in notes) == sorted(f"note {i}" for i in range(40))
    assert not [x for x in console.chat.sent if "Something went wrong" in x.text]
    assert _verify(engine).intact
