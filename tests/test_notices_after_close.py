"""The notices still owed after close (README: client letters and regulator reports are drafted, approved and
merged, and clients recorded as told, after close too): letters first merged after the close count, the facts a
draft lacks can be filled, and commands typed outside the war room find the closed incident."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from storage.models import Client, TimelineEvent
from tests.conftest import said
from tests.test_care import LETTER, team_of
from tests.test_statements import write_csv

CLOSE = '/breach close --cause staff_error --lessons "Check shares" --confirm'


def three_clients(team, tmp_path) -> None:
    rows = [{"name": n, "type": "individual", "contact": f"{i}@x.example", "language": "en", "residence": "CN",
             "data": "payroll"} for i, n in enumerate(["Ann Lee", "Bo Chen", "Cy Wu"])]
    team.say("lily", f"/breach clients import {write_csv(tmp_path / 'c.csv', rows)}", "breach-1")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_letters_first_merged_after_close_let_clients_be_recorded_as_told(sqlite_engine, tmp_path, lang):
    """No letter was merged before the close: the merge after it is what `clients notified` checks."""
    team = team_of(sqlite_engine, lang)
    team.say("alice", "/breach declare Payroll export leaked --data payroll")
    team.say("alice", "/breach public A payroll file was shared by mistake", "breach-1")
    three_clients(team, tmp_path)
    team.say("alice", CLOSE, "breach-1")
    team.say("erin", "/breach draft client --lang en", "breach-1")
    team.say("erin", f"/breach draft edit D-1 {LETTER}", "breach-1")
    assert "✅" in said(team, "erin", "/breach approve D-1")
    assert "📦" in said(team, "lily", "/breach letters D-1")
    out = said(team, "lily", "/breach clients notified all --via email")
    assert "📬" in out, out
    with Session(team.bot.engine) as s:
        assert all(c.notified_at is not None for c in s.exec(select(Client)))
        merged = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "letters_merged")).one()
        assert merged.data["count"] == 3
