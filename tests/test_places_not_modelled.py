"""A residence whose law is not modelled (South Korea, India, Taiwan, Macau, Brazil …) is typed like any other, so
/breach clocks says "not modelled" for the people living there instead of refusing the count (issue #21 item 6:
silence, or a refusal, must never read as "no duty")."""

from __future__ import annotations

import pytest

from bot.incident.answers import parse_residences
from tests.conftest import make_console, said


@pytest.mark.parametrize(("typed", "lang", "expected"), [
    ("KR=2", "en", {"KR": 2}),
    ('"South Korea"=2 India=3', "en", {"KR": 2, "IN": 3}),
    ("TW=4 MO=1 BR=7", "en", {"TW": 4, "MO": 1, "BR": 7}),
    ("韩国=2 台湾=4 澳门=1 印尼=5", "zh", {"KR": 2, "TW": 4, "MO": 1, "ID": 5}),
    ("US-ID=3 ID=5", "en", {"US-ID": 3, "ID": 5}),  # Idaho is not Indonesia
])
def test_places_not_modelled_are_typed_like_any_residence(typed, lang, expected):
    assert parse_residences(typed.replace('"', ""), lang) == expected


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_clocks_say_not_modelled_for_the_people_living_there(sqlite_engine, lang):
    console = make_console(sqlite_engine, roster={"legal": ["erin"]}, lang=lang)
    console.say("alice", "/breach declare Payroll leak --data payroll", "general")
    recorded = said(console, "erin", "/breach affected KR=2 CN=10" if lang == "en" else "/breach 影响 韩国=2 中国=10")
    assert ("KR 2" if lang == "en" else "韩国 2") in recorded, recorded
    clocks = said(console, "erin", "/breach clocks" if lang == "en" else "/breach 时限")
    assert ("South Korea" if lang == "en" else "韩国") in clocks
    assert ("not modelled" if lang == "en" else "尚未建模") in clocks, clocks


def test_a_bad_residence_lists_member_states_and_places_not_modelled(sqlite_engine):
    console = make_console(sqlite_engine, roster={"legal": ["erin"]})
    console.say("alice", "/breach declare Payroll leak --data payroll", "general")
    refused = said(console, "erin", "/breach affected Mars=2")
    assert "DE FR … (EU member states)" in refused and "KR IN MY" in refused, refused
