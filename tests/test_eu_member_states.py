"""EU member states are kept as typed (DE, FR, 德国, 法国), so GDPR's notice for a firm with no EU establishment names
the supervisory authority of each member state where affected people live (GDPR Arts. 3(2), 33, 56(1); EDPB
Guidelines 9/2022 para. 73); EU alone stays accepted (issue #21)."""

from __future__ import annotations

from bot.incident.answers import parse_residences
from tests.conftest import make_console
from tests.conftest import said as say


def console_in(engine, lang: str = "en"):
    console = make_console(engine, roster={"legal": ["erin"]}, lang=lang)
    console.say("alice", "/breach declare Payroll leak --data payroll,tax_id --clients 4", "general")
    return console


def test_member_states_keep_their_codes_and_eu_alone_is_accepted():
    assert parse_residences("DE=3 FR=2 EU=1", "en") == {"DE": 3, "FR": 2, "EU": 1}
    assert parse_residences("德国=3 法国=2 欧盟=1", "zh") == {"DE": 3, "FR": 2, "EU": 1}
    assert parse_residences("EL=4 GR=1", "en") == {"GR": 5}  # Greece under either code


def test_the_gdpr_clock_names_the_authority_of_each_member_state_where_people_live(sqlite_engine):
    console = console_in(sqlite_engine)
    recorded = say(console, "erin", "/breach affected DE=20 FR=5")
    assert "recorded people affected by residence: DE 20 · FR 5 (25 in all)" in recorded
    clocks = say(console, "erin", "/breach clocks")
    assert ("eu-gdpr-33/authorities · GDPR: notify the supervisory authority → The supervisory authority of each "
            "member state where affected people live (no EU establishment, or none in the firm profile): the "
            "competent German data protection authority (that of the federal state concerned); the CNIL (France) · "
            "pending") in clocks
    assert "not recorded yet" not in clocks
    say(console, "erin", "/breach notified eu-gdpr-33 --ref X1")
    press = say(console, "erin", "/breach draft press")
    assert ("We notified the authorities concerned: the competent German data protection authority (that of the "
            "federal state concerned), the CNIL (France).") in press


def test_chinese_names_of_member_states_reach_the_authorities_too(sqlite_engine):
    console = console_in(sqlite_engine, "zh")
    recorded = say(console, "erin", "/breach 影响 德国=20 法国=5")
    assert "德国 20 · 法国 5（共 25 人）" in recorded
    clocks = say(console, "erin", "/breach 时限")
    assert "：德国主管数据保护监管机构（相关联邦州的监管机构）；法国国家信息与自由委员会（CNIL） · 待通报" in clocks


def test_eu_alone_still_starts_the_clock_and_asks_for_the_member_state(sqlite_engine):
    console = console_in(sqlite_engine)
    say(console, "erin", "/breach affected EU=4 IT=1")
    clocks = say(console, "erin", "/breach clocks")
    assert ("the Garante per la protezione dei dati personali (Italy); the member state of 4 people is not recorded "
            "yet: type it, e.g. /breach affected DE=3 FR=2 · pending") in clocks


def test_the_gdpr_report_counts_every_member_state(sqlite_engine):
    console = console_in(sqlite_engine)
    say(console, "erin", "/breach affected DE=20 FR=5 US-FL=3")
    text = say(console, "erin", "/breach draft regulator --regime eu-gdpr-33")
    assert "Approximate number of data subjects: 25 living in the EU (Germany 20, France 5)\n" in text
