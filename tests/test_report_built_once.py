"""/breach report builds its document once: the people it names are read from the record before the command's
transaction (document.people) and asked of the platform there, not found by building the whole report first."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.report import document
from bot.settings import FirmConfig
from storage.models import Incident
from tests.conftest import make_console, said
from tests.test_care import LETTER, ROSTER

PLATFORM = {"dave": "Dave Wong", "erin": "Erin Xu", "lily": "Lily Zhao", "carl": "Carl Sun", "alice": "Alice Chan"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_is_built_once_and_names_everyone_it_shows(sqlite_engine, monkeypatch, lang):
    console = make_console(sqlite_engine, roster=ROSTER, lang=lang)
    console.bot.firm = FirmConfig(roster=ROSTER, people={"frank": "Frank Li"})
    asked: list[str] = []

    def display_name(user: str) -> str:  # the platform's names, for everyone the roster's [people] does not name
        asked.append(user)
        return PLATFORM.get(user, user)

    monkeypatch.setattr(console.chat, "display_name", display_name)
    console.say("alice", "/breach declare Payroll export found", "general")
    console.say("alice", "/breach assign @carl scribe", "breach-1")
    console.say("alice", "/breach unassign scribe", "breach-1")
    console.say("alice", "/breach followup @dave Rotate the share keys --due +2d", "breach-1")
    console.say("erin", "/breach draft client --lang en", "breach-1")
    console.say("erin", f"/breach draft edit D-1 {LETTER}", "breach-1")
    assert "✅" in said(console, "erin", "/breach approve D-1")

    builds, named = [], set()
    real = document.build

    def counted(*args, **kwargs):
        name = kwargs["name"]

        def noting(user: str) -> str:
            named.add(user.removeprefix("@"))
            return name(user)

        builds.append(1)
        return real(*args, **{**kwargs, "name": noting})

    monkeypatch.setattr(document, "build", counted)
    asked.clear()
    shown = said(console, "alice", "/breach report" if lang == "en" else "/breach 报告", "breach-1")
    assert len(builds) == 1  # not once more to find out whom it names
    text = Path(re.search(r"(/\S+\.md)", shown)[1]).read_text(encoding="utf-8")
    # Everyone the report named had been asked of the platform before (the roster's [people] is not asked) …
    with Session(sqlite_engine) as s:
        people = document.people(s, s.exec(select(Incident)).one())
    assert named and named <= people
    assert sorted(asked) == sorted(set(asked)) and set(asked) == people - {"frank"}
    # … and is shown by name: the role holder who left, the follow-up's owner, the draft's approver.
    for person in ("Carl Sun", "Dave Wong", "Erin Xu", "Alice Chan"):
        assert person in text
    assert not re.search(r"\b(carl|dave|erin)\b", text)
