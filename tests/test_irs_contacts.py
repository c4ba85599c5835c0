"""A tax preparer's data theft: IRS Tax Tip 2021-145 lists separate contacts (the IRS Stakeholder Liaison; a local
office of the FBI or the Secret Service; local police; the tax agency and Attorney General of each state where the
firm prepares returns). Each is its own clock, and statements name only those actually told: one notice to the
Stakeholder Liaison never makes a press release claim the police, the Secret Service or the state AGs were told
(issue #21)."""

from __future__ import annotations

from bot.settings import FirmConfig
from tests.conftest import make_console
from tests.conftest import said as say

ROSTER = {"legal": ["erin"], "comms": ["gina"]}


def tax_preparer(engine):
    console = make_console(engine, roster=ROSTER)
    console.bot.firm = FirmConfig(admins=["alice"], roster=ROSTER)
    say(console, "alice", "/breach config profile us_tax_preparer", "general")
    console.say("alice", "/breach declare Payroll leak --data payroll,tax_id --clients 4", "general")
    return console


def authorities_line(text: str) -> str:
    return next(ln for ln in text.splitlines() if "notified the authorities concerned" in ln)


def test_each_contact_the_irs_guidance_names_is_its_own_clock(sqlite_engine):
    clocks = say(tax_preparer(sqlite_engine), "erin", "/breach clocks")
    for clock, audience in (
            ("us-irs-taxpro/report", "IRS Stakeholder Liaison (who tells IRS Criminal Investigation)"),
            ("us-irs-taxpro/federal", "A local office of the FBI or of the US Secret Service"),
            ("us-irs-taxpro/states", "The tax agency and the Attorney General of each state where the firm prepares "
                                     "returns"),
            ("us-irs-taxpro/police", "Local police (a police report on the data theft)")):
        assert f"{clock} · IRS data theft report (tax professionals) → {audience} · pending" in clocks


def test_a_press_release_names_only_the_contacts_told_and_the_police_apart(sqlite_engine):
    console = tax_preparer(sqlite_engine)
    say(console, "erin", "/breach notified us-irs-taxpro/report --ref SL-1")
    press = say(console, "gina", "/breach draft press")
    assert authorities_line(press).strip() == "- We notified the authorities concerned: the IRS Stakeholder Liaison."
    for not_told in ("police", "Secret Service", "Attorney General"):
        assert not_told not in press
    say(console, "erin", "/breach notified us-irs-taxpro/federal --ref USSS-7")
    say(console, "erin", "/breach notified us-irs-taxpro/states --ref AG-NY")
    press = say(console, "gina", "/breach draft press")
    line = authorities_line(press)
    assert "federal law enforcement (the FBI or the US Secret Service)" in line and "the IRS Stakeholder Liaison" in line
    assert "the tax agency and the Attorney General of each state where we prepare returns" in line
    assert "police" not in press
    say(console, "erin", "/breach notified us-irs-taxpro/police --ref P-1")
    press = say(console, "gina", "/breach draft press")
    assert "- We reported the matter to the police." in press and "police" not in authorities_line(press)
