"""A declare queued behind other declares for its BR number waits longer than a statement's usual limit.

Found by a fresh clone's `make test` on a loaded machine: 50 declares at once on PostgreSQL, each holding the
workspace row (the numbering lock) for its whole transaction; the last ones waited more than the 30 s
statement_timeout (lock waits count) and 20 of 50 answered "Something went wrong".
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from storage import db
from storage.models import Incident, Workspace
from tests.conftest import make_console, said

HELD_S = 2.5  # the numbering lock held by another declare, longer than the statement limit below


def test_a_declare_waits_for_the_numbering_lock_beyond_the_statement_limit(engine, monkeypatch):
    if engine.dialect.name == "postgresql":
        monkeypatch.setattr(db, "STATEMENT_TIMEOUT", 1)  # seconds: every statement of the bot's engine
        schema = engine._breachbot_schema  # type: ignore[attr-defined]
        engine = db.make_engine(engine.url.render_as_string(hide_password=False),
                                connect_args={"options": f"-csearch_path={schema}", "application_name": schema})
    console = make_console(engine)
    assert "BR-1" in said(console, "alice", "/breach declare First leak", room="general")
    locked, release = threading.Event(), threading.Event()

    def hold_the_numbering_lock() -> None:  # what a slow declare in the same workspace does
        with Session(engine) as other:
            if engine.dialect.name == "postgresql":
                other.exec(select(Workspace).with_for_update()).all()
            else:
                other.connection().exec_driver_sql("UPDATE workspace SET name = name")
            locked.set()
            release.wait(10)
            other.rollback()

    holder = threading.Thread(target=hold_the_numbering_lock)
    holder.start()
    assert locked.wait(10)
    threading.Timer(HELD_S, release.set).start()
    started = time.monotonic()
    answer = said(console, "bob", "/breach declare Second leak", room="general")
    waited = time.monotonic() - started
    holder.join()
    assert "went wrong" not in answer and "BR-2" in answer, answer
    assert waited >= HELD_S - 0.5  # it did queue behind the lock
    with Session(engine) as s:
        assert sorted(i.number for i in s.exec(select(Incident))) == [1, 2]
        if engine.dialect.name == "postgresql":  # the longer wait was for the lock only
            assert s.execute(text("SHOW statement_timeout")).scalar() == "1s"


@pytest.mark.parametrize("seconds", [db.NUMBERING_WAIT])
def test_the_numbering_wait_is_longer_than_a_statement(seconds):
    assert seconds > db.STATEMENT_TIMEOUT * 3
