"""A company client's letter speaks to a company: its tax number is its tax ID (an EIN in the US), never a
Social Security number, in the letter and the letters' manifest (finding 14); the zh letter calls it 贵公司, not 您
(finding 20)."""

from __future__ import annotations

from tests.conftest import make_console
from tests.conftest import said as say
from tests.test_statement_facts import ROSTER, import_clients, letters_in, record_facts

CSV = ("name,type,contact,language,residence,data\n"
       "Bright Dental PC,company,office@bright.example,en,US-CA,tax_id\n"
       "Amy Lee,individual,amy@example.com,en,US-CA,tax_id\n"
       "莲花贸易有限公司,company,lotus@example.cn,zh,CN,tax_id\n")


def test_a_company_has_a_tax_id_not_a_social_security_number_and_is_called_gui_gongsi(sqlite_engine, tmp_path):
    console = make_console(sqlite_engine, roster=ROSTER)
    console.bot.settings = console.bot.settings.model_copy(update={"firm_contact": "privacy@lin.example"})
    console.say("alice", "/breach declare Payroll export leaked --data payroll,tax_id --clients 3", "general")
    say(console, "alice", "/breach public Payroll sheets were left on a public share drive")
    say(console, "alice", "/breach affected US-CA=2 CN=1")
    record_facts(console)
    say(console, "bob", "/breach answer cause third_party")
    say(console, "cathy", "/breach offer monitoring 12 months of free credit monitoring")
    import_clients(console, tmp_path, CSV)
    for command in ("/breach draft client --variant company --lang en", "/breach draft client --lang en",
                    "/breach draft client --variant company --lang zh"):
        card = say(console, "cathy", command)
        assert "Gaps" not in card, card
    zh_card = say(console, "cathy", "/breach draft show D-3")
    assert "我们为贵公司提供的补救措施" in zh_card and "我们为您提供" not in zh_card, zh_card
    for n in (1, 2, 3):
        say(console, "erin", f"/breach approve D-{n}")
    letters = letters_in(console.say("cathy", "/breach letters D-1 D-2 D-3", "breach-1"))
    bright = next(text for name, text in letters.items() if "Bright" in name)
    amy = next(text for name, text in letters.items() if "Amy" in name)
    assert "Employer Identification Numbers (EINs) and other tax IDs" in bright and "Social Security" not in bright
    assert "Social Security numbers and tax IDs" in amy  # a person still has one
    manifest = letters["manifest.csv"]
    row = next(line for line in manifest.splitlines() if line.startswith(next(n for n in letters if "Bright" in n)))
    assert "Social Security" not in row and "Employer Identification Numbers" in row, row
