"""Statements say only what was recorded: gaps block approval and letters, each letter is that client's own,
clients are recorded as told only with an approved, merged letter, and every refusal says what to type."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from sqlmodel import Session, select

from bot.statements import gaps as draft_gaps
from bot.statements import letters as letter_merge
from storage.models import Client, DraftVersion, TimelineEvent
from tests.conftest import joined, make_console
from tests.conftest import said as say

ROSTER = {"it_security": ["bob"], "legal": ["erin"], "executive": ["frank"], "comms": ["gina"],
          "client_liaison": ["cathy"]}
CSV = ("name,type,contact,language,residence,data\n"
       'Wang Fang,individual,wang@example.cn,zh,CN,"bank_account,tax_id"\n'
       "Acme Trading Ltd,company,ops@acme.example,en,US-CA,payroll\n"
       "Li Lei,individual,+86 138 0000 0000,zh,CN,\n"
       "Hans Müller,individual,hans@example.de,en,EU,tax_id\n")
INTERNAL = ("Assemble the team", "Open the war room", "组建应急小组", "开启应急群")


def team(engine, *, contact: str = "", lang: str = "en"):
    console = make_console(engine, roster=ROSTER, lang=lang)
    console.bot.settings = console.bot.settings.model_copy(update={"firm_contact": contact})
    console.say("alice", "/breach declare Payroll export found on a public share --data payroll,bank_account "
                         "--clients 4", "general")
    console.say("alice", "/breach public Payroll export found on a public share", "breach-1")
    return console




def import_clients(console, tmp_path: Path, text: str = CSV) -> str:
    path = tmp_path / "clients.csv"
    path.write_text(text, encoding="utf-8")
    return say(console, "cathy", f"/breach clients import {path}")


def record_facts(console, *, exposure: bool = True) -> None:
    """Everything a client letter states, recorded the way the team would."""
    say(console, "bob", "/breach answer cause staff_error")
    say(console, "bob", "/breach facts --encrypted no")
    if exposure:
        say(console, "bob", '/breach facts --from "2026-11-20 09:00" --to "2026-11-27 18:00"')
    say(console, "bob", "/breach facts --measures 4.1")
    say(console, "bob", "/breach answer contained yes")


def letters_in(sent: list) -> dict[str, str]:
    path = next(Path(s.text) for s in sent if s.op == "upload")
    archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    return {name: archive.read(name).decode("utf-8-sig") for name in archive.namelist()}


def test_a_draft_with_gaps_cannot_be_approved_and_the_refusal_says_how_to_fill_each(sqlite_engine):
    console = team(sqlite_engine)
    sent = console.say("cathy", "/breach draft client", "breach-1")
    card = joined(sent)
    assert ("Gaps to fill before it can be approved: cause, when the exposure began, when the exposure ended, "
            "whether the data was encrypted, measures taken, contact point") in card
    assert not [s for s in sent if s.message and s.message.buttons]  # no Approve button while gaps remain
    refused = say(console, "erin", "/breach approve D-1")
    assert refused.startswith("D-1 v1 cannot be approved while it has gaps (cause, when the exposure began, when the "
                              "exposure ended, whether the data was encrypted, measures taken, contact point)")
    assert "  • cause: /breach answer cause <answer> (1 technical · 2 insider · 3 external_attack" in refused
    assert "  • whether the data was encrypted: /breach facts --encrypted yes|no" in refused
    assert "  • measures taken: record each measure actually taken (a ticked task is not enough): /breach facts " \
           "--measures <task numbers or keys>, e.g. --measures 4.1,4.3 — measures: 4.1 isolate, 4.2 fix_hole" in refused
    assert "or record that the leak is contained: /breach answer contained yes" in refused
    assert "  • contact point: write contact = " in refused
    assert "Then redraft it from the facts: /breach draft client --lang en (the next version of D-1), or write " \
           "the text yourself: /breach draft edit D-1" in refused
    assert "D-1 v1 is not approved yet: Legal / compliance @erin approves it with /breach approve D-1." == \
        say(console, "cathy", "/breach letters D-1")
    with Session(sqlite_engine) as s:
        assert s.exec(select(DraftVersion)).one().status == "draft"
        assert not s.exec(select(TimelineEvent).where(TimelineEvent.kind.in_(("draft_approved", "draft_signed")))).all()

    # Fill every gap; drafting the same letter again makes the next version of D-1, with no gap left.
    record_facts(console)
    console.bot.settings = console.bot.settings.model_copy(update={"firm_contact": "privacy@lin.example"})
    card = say(console, "cathy", "/breach draft client")
    assert "📝 D-1 v2 · client · en · draft" in card and "Gaps" not in card and "to be confirmed" not in card
    assert "✅ D-1 v2 approved by @erin (legal)." in say(console, "erin", "/breach approve D-1")


def test_an_edit_that_keeps_a_placeholder_is_still_blocked(sqlite_engine):
    console = team(sqlite_engine, contact="privacy@lin.example")
    say(console, "cathy", "/breach draft client")
    kept = say(console, "cathy", "/breach draft edit D-1 Dear «CLIENT», the cause is [cause — to be confirmed].")
    assert "Gaps to fill before it can be approved: cause" in kept
    assert say(console, "erin", "/breach approve D-1").startswith("D-1 v2 cannot be approved while it has gaps (cause)")
    say(console, "cathy", "/breach draft edit D-1 Dear «CLIENT», a member of staff shared the file by mistake.")
    assert "✅ D-1 v3 approved" in say(console, "erin", "/breach approve D-1")


def test_each_letter_names_that_clients_own_data_and_the_authorities_of_their_residence(sqlite_engine, tmp_path):
    console = team(sqlite_engine, contact="privacy@lin.example")
    say(console, "alice", "/breach affected CN=2 US-CA=1 EU=1")
    record_facts(console)
    say(console, "erin", "/breach notified eu-gdpr-33 --ref DPC-1")
    say(console, "erin", "/breach notified cn-pipl-57/authority --ref CAC-1")
    import_clients(console, tmp_path)
    for draft in ("/breach draft client --lang en", "/breach draft client --lang zh",
                  "/breach draft client --lang en --variant company"):
        card = say(console, "cathy", draft)
        assert "Gaps" not in card and "«DATA»" in card and "«REGULATORS»" in card
    for number in (1, 2, 3):
        say(console, "erin", f"/breach approve D-{number}")
    letters = letters_in(console.say("cathy", "/breach letters D-1 D-2 D-3", "breach-1"))
    hans, wang, li, acme = (letters["00004-Hans_Müller.txt"], letters["00001-Wang_Fang.txt"],
                            letters["00003-Li_Lei.txt"], letters["00002-Acme_Trading_Ltd.txt"])
    assert "What Information Was Involved\nTax identification numbers. The information was not encrypted." in hans
    assert "Payroll, Bank accounts" not in hans
    assert "涉及哪些信息\n银行账户、税号。上述信息未加密。" in wang
    assert "涉及哪些信息\n工资数据、银行账户。" in li  # no data in the CSV row: the incident's categories
    assert "- We have notified the authorities concerned: Every EU supervisory authority where affected people live." in hans
    assert "- 已向以下机关报告：履行个人信息保护职责的部门。" in wang
    assert "authorities concerned" not in acme  # nobody told for California: the line is left out
    assert not any("«" in text or "to be confirmed" in text for text in letters.values())
    assert "Hans Müller,individual,English,EU,Tax identification numbers,D-1,1," in letters["manifest.csv"]


def test_statements_state_only_recorded_measures_and_say_each_fact_once(sqlite_engine):
    console = team(sqlite_engine, contact="privacy@lin.example")
    for task in ("1", "2", "3"):
        say(console, "alice", f"/breach done {task}")  # team tasks: internal, never stated
    say(console, "alice", "/breach affected CN=2 EU=1")
    say(console, "erin", "/breach answer crime yes")
    say(console, "erin", "/breach notified cn-police --ref PSB-1")
    client = say(console, "cathy", "/breach draft client")
    regulator = say(console, "erin", "/breach draft regulator --regime eu-gdpr-33")
    zh = say(console, "cathy", "/breach draft client --lang zh")
    for text in (client, regulator, zh):
        assert not [phrase for phrase in INTERNAL if phrase in text]
    assert "- [measures taken — to be confirmed]\n" in client.replace("    ", "").replace("  ", "")
    assert client.count("reported the matter to the police") == 1 and "- We have reported the matter to the police." in client
    assert "Public security bureau" not in client and "We have notified" not in client
    assert zh.count("已向公安机关") == 1 and "已向公安机关报案。" in zh and "已向公安机关报告" not in zh
    assert "Affected individuals are being told" not in regulator
    assert "- Proposed: telling affected individuals, with advice on protecting themselves." in regulator

    media = say(console, "gina", "/breach draft media")
    assert "We acted at once" not in media and ", and that work is continuing, and" not in media
    assert "[whether the leak is contained — to be confirmed]" in media
    say(console, "bob", "/breach answer contained no")
    say(console, "bob", "/breach facts --measures 4.2")
    media = say(console, "gina", "/breach draft media")
    assert "📝 D-4 v2 · media" in media and "Work to contain the leak is continuing." in media and "Gaps" not in media
    client = say(console, "cathy", "/breach draft client")
    assert "- We are still working to contain the leak.\n" in client.replace("        ", "")
    assert "- We closed the hole that leaked the data.\n" in client.replace("        ", "")


def test_only_clients_with_an_approved_merged_letter_are_recorded_as_told(sqlite_engine, tmp_path):
    console = team(sqlite_engine, contact="privacy@lin.example")
    empty = say(console, "cathy", "/breach clients")
    assert empty.startswith("No clients in the register of BR-1 yet. Import them from a CSV: /breach clients import")
    import_clients(console, tmp_path)
    listed = say(console, "cathy", "/breach clients")
    assert "  1. [ ] Wa** Fa** · individual · CN · zh" in listed and "  4. [ ] Ha** Mü**** · individual · EU · en" in listed
    refused = say(console, "cathy", "/breach clients notified all --via email")
    assert refused.startswith("Nobody was recorded as told: a client is recorded only once an approved letter was "
                              "merged for them.")
    assert "  • en/company: 1 (Acme Trading Ltd) — no approved letter: /breach draft client --lang en --variant " \
           "company, then /breach approve D-n and /breach letters D-n" in refused

    record_facts(console)
    say(console, "cathy", "/breach draft client --lang en")
    say(console, "erin", "/breach approve D-1")
    assert say(console, "cathy", "/breach clients notified 4 --via email").endswith(
        "— D-1 is approved but not merged for them yet: /breach letters D-1")
    done = say(console, "cathy", "/breach letters D-1")
    assert "📦 1 letter merged" in done
    assert "  • en/company: 1 (Acme Trading Ltd) — no approved letter: /breach draft client --lang en --variant " \
           "company" in done
    told = say(console, "cathy", "/breach clients notified all --via email")
    assert "📬 @cathy recorded 1 client told via email (1/4 told)." in told
    assert "Not recorded as told (3): no approved, merged letter for them yet." in told
    unknown = say(console, "cathy", "/breach clients notified Zhao --via email")
    assert unknown == ("No client named 'Zhao' in the register. Name them as in the CSV or by a part of that name "
                       "(case and spaces do not matter) or by their number in /breach clients (1–4), e.g. /breach "
                       "clients notified 1 --via email.")
    say(console, "cathy", "/breach draft client --lang zh")
    say(console, "erin", "/breach approve D-2")
    say(console, "cathy", "/breach letters D-2")
    assert "(2/4 told)" in say(console, "cathy", "/breach clients notified wang  FANG --via phone")
    assert "(3/4 told)" in say(console, "cathy", "/breach clients notified 3 --via phone")
    with Session(sqlite_engine) as s:
        told = {c.name for c in s.exec(select(Client)) if c.notified_at}
    assert told == {"Wang Fang", "Li Lei", "Hans Müller"}


def test_a_version_approved_with_gaps_is_never_merged(sqlite_engine, tmp_path):
    console = team(sqlite_engine)
    import_clients(console, tmp_path)
    say(console, "cathy", "/breach draft client")
    with Session(sqlite_engine) as s:  # approved before gaps blocked approval (an older database)
        version = s.exec(select(DraftVersion)).one()
        version.status = "approved"
        s.add(version)
        s.commit()
    refused = say(console, "cathy", "/breach letters D-1")
    assert refused.startswith("D-1 v1 still has gaps (cause, when the exposure began, when the exposure ended, whether "
                              "the data was encrypted, measures taken, contact point); no letter goes out with one. "
                              "Fill each one:")
    assert "  • contact point: write contact = " in refused
    assert "the approved D-1 still has gaps" in say(console, "cathy", "/breach clients notified 4 --via email")


def test_a_chinese_csv_imports_with_chinese_headers_and_values(sqlite_engine, tmp_path):
    console = team(sqlite_engine, lang="zh")
    assert say(console, "cathy", "/breach 客户").startswith(
        "BR-1 的客户名单还是空的。请从 CSV 导入：/breach 客户 导入 <文件.csv>（列：姓名、类型")
    done = import_clients(console, tmp_path, "姓名,类型,联系方式,语言,居住地,数据\n"
                                             "王芳,个人,wang@example.cn,中文,中国,银行账户、税号\n"
                                             "某某贸易有限公司,企业,ops@example.cn,英文,美国加州,工资数据\n")
    assert "导入了 2 个受影响客户" in done
    with Session(sqlite_engine) as s:
        rows = {c.name: (c.kind, c.lang, c.residence, c.data) for c in s.exec(select(Client))}
    assert rows == {"王芳": ("individual", "zh", "CN", ["bank_account", "tax_id"]),
                    "某某贸易有限公司": ("company", "en", "US-CA", ["payroll"])}
    missing = import_clients(console, tmp_path, "姓名,联系方式\n李雷,li@example.cn\n")
    assert missing.startswith("CSV 缺少列：类型、语言、居住地。必需列：姓名、类型、联系方式、语言、居住地")


def test_approval_refusals_name_every_approver_and_how_to_fill_an_empty_role(sqlite_engine):
    console = make_console(sqlite_engine)
    console.say("alice", "/breach declare Payroll export leaked", "general")
    say(console, "alice", "/breach answer contained yes")
    say(console, "alice", "/breach assign @zed comms")
    say(console, "zed", "/breach draft client")
    assert say(console, "zed", "/breach approve D-1") == (
        "Only Legal / compliance (unassigned) may approve D-1.\nGive the role first: /breach assign @user legal")
    say(console, "zed", "/breach draft media")
    assert say(console, "alice", "/breach approve D-2") == (
        "Only Communications @zed and Executive sponsor (unassigned) may approve D-2, and all of them must. Still "
        "needed: Communications @zed and Executive sponsor (unassigned).\n"
        "Give the role first: /breach assign @user executive")
    assert say(console, "zed", "/breach approve D-2") == (
        "☑️ @zed approved D-2 v1 as comms; still needed: Executive sponsor (unassigned).\n"
        "Give the role first: /breach assign @user executive")


def test_gaps_are_found_in_the_text_in_either_language():
    text = "Dear «CLIENT», [cause — to be confirmed] … [联系方式——待确认] [our own item — to be confirmed]"
    assert draft_gaps.find_gaps(text) == ["cause", "contact", "our own item"]
    assert draft_gaps.find_gaps("All facts filled in. [1] [note]") == []
    merged = letter_merge.fill("Dear «CLIENT»,\n«DATA».\n- Notified: «REGULATORS».\nEnd", name="A «DATA» B",
                               data="Payroll", regulators="")
    assert merged == "Dear A «DATA» B,\nPayroll.\nEnd"
