"""A notice recorded by hand is credited to the person who recorded it: clients recorded as told with
/breach clients notified meet the law's clock for the people themselves in that person's name, in the
timeline and the report, never as "breachbot send"; `/breach notified` likewise."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.settings import FirmConfig
from storage.models import TimelineEvent
from tests.conftest import said as say
from tests.test_statement_facts import ROSTER, import_clients, record_facts, team

PEOPLE = {"cathy": "Cathy Ho", "erin": "Erin Wu"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_clients_told_by_hand_credit_the_clock_to_who_recorded_it(sqlite_engine, tmp_path, lang):
    console = team(sqlite_engine, contact="privacy@lin.example", lang=lang)
    console.bot.firm = FirmConfig(roster=ROSTER, people=PEOPLE)
    say(console, "alice", "/breach affected CN=2 US-CA=1 EU=1")
    record_facts(console)
    say(console, "erin", "/breach notified eu-gdpr-33 --ref DPC-1")
    import_clients(console, tmp_path)
    for number, draft in enumerate(("/breach draft client --lang en", "/breach draft client --lang zh",
                                    "/breach draft client --lang en --variant company"), start=1):
        say(console, "cathy", draft)
        say(console, "erin", f"/breach approve D-{number}")
    say(console, "cathy", "/breach letters D-1 D-2 D-3")
    told = say(console, "cathy", "/breach clients notified all --via email")
    assert ("PIPL: personal information leak (Affected individuals)" if lang == "en" else "个人信息保护法：个人信息泄露（受影响的个人）") in told
    with Session(sqlite_engine) as s:
        notices = {e.data["clock"]: e.actor for e in s.exec(select(TimelineEvent).where(TimelineEvent.kind == "notified"))}
    assert notices == {"eu-gdpr-33/authorities": "erin", "cn-pipl-57/individuals": "cathy", "eu-gdpr-34/individuals": "cathy",
                       "us-ca-1798-82/residents": "cathy"}
    said = say(console, "alice", "/breach report")
    text = Path(re.search(r"(/\S+\.md)", said)[1]).read_text(encoding="utf-8")
    assert "breachbot send" not in text
    lines = [ln for ln in text.splitlines() if "cn-pipl-57/individuals" in ln and "→" in ln]
    assert lines and all("Cathy Ho" in ln for ln in lines), lines
    assert any("Erin Wu" in ln and "eu-gdpr-33" in ln for ln in text.splitlines())
