"""Statements and the client register: drafts, edits, approvals, CSV import, letters, who was told."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.errors import UserError
from storage.models import Client, DraftVersion, TimelineEvent
from tests.conftest import TEST_DATA_KEY, joined, make_console

ROSTER = {"legal": ["erin"], "comms": ["carl"], "executive": ["frank"], "client_liaison": ["lily"]}


def setup(engine):
    console = make_console(engine, roster=ROSTER)
    console.say("alice", "/breach declare 工资表在公共网盘泄露 {{ 7*7 }} --data payroll,bank_account --clients 500")
    console.say("alice", "/breach public 工资表在公共网盘泄露 {{ 7*7 }}", "breach-1")  # what statements say
    console.say("erin", "/breach affected CN=480 US-CA=20", "breach-1")
    return console


def write_csv(path: Path, rows: list[dict], encoding: str = "utf-8") -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def clients_csv(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        rows.append({"name": f"客户{i:04d}" if i % 5 else f"Client Co {i:04d}", "type": "company" if i % 5 == 0 else "individual",
                     "contact": f"client{i}@example.cn", "language": "en" if i % 5 == 0 else "zh",
                     "residence": "US-CA" if i % 25 == 0 else "CN",
                     "data": "" if i == 2 else "payroll" if i % 5 == 0 else "bank_account,tax_id",
                     "notice_hours": "48" if i == 1 else ""})
    return rows


def test_full_statement_scenario(engine, tmp_path):
    console = setup(engine)
    say = console.say
    sent = say("erin", "/breach draft client --lang zh", "breach-1")
    card = joined(sent)
    assert "📝 D-1 v1 · client · zh · draft" in card
    assert "数据泄露事件告知书" in card and "工资表在公共网盘泄露 {{ 7*7 }}" in card and "49" not in card
    assert "[原因——待确认]" in card and "Gaps to fill before it can be approved: cause" in card
    assert "  • cause: /breach answer cause <answer> (1 technical · 2 insider" in card
    assert "尊敬的«CLIENT»：" in card and "国家反诈中心" in card

    # Edit with a console text block; the old version is kept.
    script = ["lily #breach-1> /breach draft edit D-1 <<<", "数据泄露事件告知书", "",
              "尊敬的«CLIENT»：", "我们于 2026年11月28日 10:05 知悉……", ">>>"]
    assert console.run_script(script, out=io.StringIO()) == 0
    assert "📝 D-1 v2 · client · zh · draft" in joined(console.chat.sent[-2:])

    refused = joined(say("lily", "/breach approve D-1", "breach-1"))
    assert refused == "Only Legal / compliance @erin may approve D-1."
    assert "✅ D-1 v2 approved by @erin (legal)." in joined(say("erin", "/breach approve D-1", "breach-1"))
    assert "already approved" in joined(say("erin", "/breach approve D-1", "breach-1"))

    # Import 500 clients, merge the letters, mark them told.
    path = write_csv(tmp_path / "clients.csv", clients_csv(500))
    sent = say("lily", f"/breach clients import {path}", "breach-1")
    assert "📇 @lily imported 500 affected clients (500 in the register: US-CA 20 · CN 480; the file was read as UTF-8)." in joined(sent)
    assert "client1@example.cn" not in joined(sent)
    register = joined(say("lily", "/breach clients", "breach-1"))
    assert "Clients of BR-1: 500 · told 0 · company=100 individual=400" in register
    assert "客户**** · individual" in register and "客户0001" not in register

    # The company letter is drafted from recorded facts only, so it has no gap and can be approved.
    say("dave", "/breach answer cause staff_error", "breach-1")
    say("dave", '/breach facts --encrypted no --from "2026-11-20 09:00" --to "2026-11-27 18:00"', "breach-1")
    say("dave", "/breach facts --measures 4.1", "breach-1")
    # the description was typed in Chinese: an English letter asks for it in English instead of carrying it
    card = joined(say("erin", "/breach draft client --lang en --variant company", "breach-1"))
    assert "Gaps to fill before it can be approved: description of what happened in English" in card
    assert "工资表" not in card and "/breach public <what happened, in English>" in card
    say("alice", "/breach public Payroll sheets were shared on a public drive", "breach-1")
    card = joined(say("erin", "/breach draft client --lang en --variant company", "breach-1"))
    assert "Gaps" not in card and "- We isolated the affected systems." in card and "«DATA». " in card
    assert "incident: Payroll sheets were shared on a public drive." in card
    say("erin", "/breach approve D-2", "breach-1")
    sent = say("lily", "/breach letters D-1 D-2", "breach-1")
    done = joined(sent)
    assert "📦 500 letters merged: " in done and "No letter for" not in done
    archive = zipfile.ZipFile(next(Path(s.text) for s in sent if s.op == "upload"))
    names = archive.namelist()
    assert len(names) == 501 and "manifest.csv" in names
    manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert manifest[1] == {"file": "00002-客户0001.txt", "client": "客户0001", "type": "individual",
                           "language": "Chinese", "residence": "CN", "data": "Bank accounts, Tax identification numbers",
                           "draft": "D-1", "version": "2", "told at": ""}
    assert "尊敬的客户0001：" in archive.read("00002-客户0001.txt").decode("utf-8")
    company = archive.read("00001-Client_Co_0000.txt").decode("utf-8")
    assert "To: Client Co 0000" in company
    # each letter names that client's own data (the CSV's data column), not the incident's
    assert "What Information Was Involved\nPayroll. The information was not encrypted." in company
    assert "«" not in company and "[" not in company
    assert not any("@example.cn" in archive.read(n).decode("utf-8") for n in names)

    sent = say("lily", "/breach clients notified 客户0001 --via email", "breach-1")
    assert "📬 @lily recorded 1 client told via email (1/500 told)." in joined(sent)
    # All this happened at the moment of declaring: "10m ago" is before the firm knew, and refused.
    sent = say("lily", '/breach clients notified all --via post --at "10m ago"', "breach-1")
    assert "--at 09:55 is before the firm became aware of the breach (10:05); nothing was recorded" in joined(sent)
    sent = say("lily", '/breach clients notified all --via post --at "0m ago"', "breach-1")
    assert "(500/500 told)" in joined(sent)

    with Session(engine) as s:
        versions = s.exec(select(DraftVersion).order_by(DraftVersion.id)).all()
        assert [(v.version, v.status) for v in versions] == [(1, "superseded"), (2, "approved"), (1, "superseded"),
                                                               (2, "approved")]
        assert versions[1].approvals[0]["user"] == "erin"
        stored = s.exec(select(Client).where(Client.name == "客户0001")).one()
        assert "@" not in stored.contact_encrypted and stored.notified_via == "email"
        kinds = [e.kind for e in s.exec(select(TimelineEvent))]
    assert {"draft_created", "draft_edited", "draft_approved", "clients_imported", "clients_notified"} <= set(kinds)
    status = joined(say("lily", "/breach status", "breach-1"))
    assert "Clients told: 500/500" in status
    from bot.report.export import as_dict
    from storage.models import Incident, Workspace

    with Session(engine) as s:
        incident = s.exec(select(Incident)).one()
        data = as_dict(s, incident=incident, playbook=console.bot.playbook, ws=s.get(Workspace, incident.workspace_id),
                       now=console.clock.now(), regimes=console.bot.regimes)
    assert data["clients"]["total"] == 500 and data["clients"]["notified"] == 500
    assert [(d["id"], d["kind"], d["version"], d["status"], d["approved_by"]) for d in data["drafts"]] == [
        ("D-1", "client", 2, "approved", ["erin"]), ("D-2", "client", 2, "approved", ["erin"])]
    from bot.statements import keys
    from bot.statements.clients import Vault

    with Session(engine) as s:  # sealed under the firm's own key, which the deployment's key unwraps
        firm_vault = keys.firm_vault(s, workspace_id=incident.workspace_id, master=TEST_DATA_KEY)
    assert firm_vault.open(stored.contact_encrypted) == "client1@example.cn"
    with pytest.raises(UserError):
        Vault(TEST_DATA_KEY).open(stored.contact_encrypted)


def test_media_needs_comms_and_the_executive(quick):
    quick.bot.firm.roster = ROSTER
    quick.say("alice", "/breach declare Payroll export leaked")
    quick.say("carl", "/breach answer contained no", "breach-1")
    quick.say("carl", "/breach draft media", "breach-1")
    sent = joined(quick.say("carl", "/breach approve D-1", "breach-1"))
    assert "still needed: Executive sponsor @frank." in sent
    assert "approved by @frank (executive)" in joined(quick.say("frank", "/breach approve D-1", "breach-1"))
    edited = joined(quick.say("carl", "/breach draft edit D-1 Holding statement, shorter.", "breach-1"))
    assert "D-1 v2 · media · en · draft" in edited


def test_every_template_renders_in_both_languages(quick):
    quick.say("alice", "/breach declare Payroll export leaked")
    for kind, extra in [("client", ""), ("client", "--variant company"), ("media", ""), ("press", ""),
                        ("regulator", "--regime cn-pipl-57"), ("regulator", "--regime eu-gdpr-33"), ("staff", "")]:
        for lang in ("en", "zh"):
            sent = quick.say("alice", f"/breach draft {kind} --lang {lang} {extra}", "breach-1")
            text = joined(sent)
            assert f"· {kind} · {lang} · draft" in text, (kind, lang, text[:300])
            assert "Something went wrong" not in text


def test_drill_drafts_say_drill(quick):
    quick.say("alice", "/breach declare Phishing exercise --drill")
    text = joined(quick.say("alice", "/breach draft press", "breach-1"))
    assert "*** DRILL — EXERCISE ONLY — NOT FOR SENDING ***" in text


def test_bad_csv_imports_nothing(quick, tmp_path):
    quick.say("alice", "/breach declare Payroll export leaked")
    rows = clients_csv(3)
    rows[1]["residence"] = "Mars"
    rows[2]["name"] = rows[0]["name"]
    sent = joined(quick.say("alice", f"/breach clients import {write_csv(tmp_path / 'bad.csv', rows)}", "breach-1"))
    assert "Nothing was imported: 2 rows need fixing." in sent
    assert "line 3: residence 'Mars' is not one of CN" in sent
    assert "line 4: '客户0000' is already on line 2" not in sent and "is already on line 2" in sent
    western = tmp_path / "cp1252.csv"
    western.write_bytes("name,type,contact,language,residence\nCafé,company,m@x.example,en,EU\n".encode("cp1252"))
    assert "neither UTF-8 nor GBK" in joined(quick.say("alice", f"/breach clients import {western}", "breach-1"))
    missing = tmp_path / "cols.csv"
    missing.write_text("name,contact\nA,a@x\n", encoding="utf-8")
    assert "The CSV is missing columns: type/类型, language/语言, residence/居住地. Required: name/姓名, type/类型, " \
           "contact/联系方式, language/语言, residence/居住地" in joined(
        quick.say("alice", f"/breach clients import {missing}", "breach-1"))
    assert "No file" in joined(quick.say("alice", "/breach clients import /nope.csv", "breach-1"))
    with Session(quick.bot.engine) as s:
        assert s.exec(select(Client)).all() == []


def test_a_contractual_notice_duty_becomes_a_clock(quick, tmp_path):
    quick.say("alice", "/breach declare Payroll export leaked")
    quick.say("alice", f"/breach clients import {write_csv(tmp_path / 'c.csv', clients_csv(3))}", "breach-1")
    from storage.models import Deadline

    with Session(quick.bot.engine) as s:
        [clock] = s.exec(select(Deadline).where(Deadline.kind == "client")).all()
        assert clock.due_at == quick.clock.now() + __import__("datetime").timedelta(hours=48)
    assert "📑 Clients with a contractual notice duty not yet told: 1; the first is due Mon 30 Nov 10:05, in 2d" in \
        joined(quick.say("alice", "/breach status", "breach-1"))
    # Told only once an approved letter was merged for them; refused before, and the clock keeps running.
    refused = joined(quick.say("alice", "/breach clients notified 客户0001 --via phone", "breach-1"))
    assert refused.startswith("Nobody was recorded as told")
    assert "zh/individual: 1 (客户****) — no approved letter: /breach draft client --lang zh" in refused
    with Session(quick.bot.engine) as s:
        assert s.exec(select(Deadline).where(Deadline.kind == "client")).one().met_at is None
    quick.say("alice", "/breach draft client --lang zh", "breach-1")
    quick.say("alice", "/breach draft edit D-1 尊敬的«CLIENT»：涉及的数据为«DATA»。", "breach-1")
    quick.say("alice", "/breach assign @erin legal", "breach-1")
    assert "✅ D-1 v2 approved by @erin" in joined(quick.say("erin", "/breach approve D-1", "breach-1"))
    merged = joined(quick.say("alice", "/breach letters D-1", "breach-1"))
    # 客户0002 has no data column and the incident records none: no letter for them, and what to type
    assert "📦 1 letter merged" in merged
    assert "  • zh/individual: 1 (客户****) — no data categories (none in their CSV row, none recorded for the " \
           "incident): /breach facts --data bank_account,tax_id,…, then /breach letters D-1" in merged
    assert "en/company: 1 (Client Co 0000) — no approved letter: /breach draft client --lang en --variant company" \
        in merged
    quick.say("alice", "/breach clients notified 客户0001 --via phone", "breach-1")
    with Session(quick.bot.engine) as s:
        assert s.exec(select(Deadline).where(Deadline.kind == "client")).one().met_at is not None


def test_a_broken_firm_template_names_file_and_line(sqlite_engine, tmp_path):
    firm = tmp_path / "templates" / "en"
    firm.mkdir(parents=True)
    (firm / "media.txt.j2").write_text("Line one\n{{ firm.name }}\n{% if %}\n", encoding="utf-8")
    (firm / "press.txt.j2").write_text("Hello\n{{ nonsense_variable }}\n", encoding="utf-8")
    console = make_console(sqlite_engine)
    console.bot.settings = console.bot.settings.model_copy(update={"templates_dir": tmp_path / "templates"})
    console.say("alice", "/breach declare Payroll export leaked")
    broken = joined(console.say("alice", "/breach draft media", "breach-1"))
    assert broken.startswith(f"Template {firm / 'media.txt.j2'} line 3: ")
    unknown = joined(console.say("alice", "/breach draft press", "breach-1"))
    assert unknown.startswith(f"Template {firm / 'press.txt.j2'} line 2: 'nonsense_variable' is undefined")


def test_a_contained_leak_is_a_measure_taken_in_the_press_release_and_the_qa(sqlite_engine):
    """The gap's own hint says recording containment fills "measures taken": the press release and the
    Q&A sheet must then say so instead of keeping the gap (en and zh)."""
    cases = (("en", ("press", "qa"), "[measures taken"), ("zh", ("媒体", "qa"), "[已采取的措施"))
    for number, (lang, kinds, gap) in enumerate(cases, start=1):
        console = make_console(sqlite_engine, lang=lang)
        console.say("alice", "/breach declare Share exposed", "general")
        room = f"breach-{number}"
        console.say("alice", "/breach answer contained yes", room)
        for kind in kinds:
            out = joined(console.say("alice", f"/breach draft {kind}", room))
            assert gap not in out, (lang, kind, out)
            assert ("The leak has been contained" in out) if lang == "en" else ("泄露已得到控制" in out), (lang, kind, out[:3000])


def test_a_public_description_typed_with_its_full_stop_ends_the_sentence_once(sqlite_engine):
    for number, (lang, stop, kind) in enumerate((("zh", "。", "客户"), ("en", ".", "client")), start=1):
        console = make_console(sqlite_engine, lang=lang)
        console.say("alice", "/breach declare Share exposed", "general")
        console.say("alice", f"/breach public A link was made public by mistake{stop}", f"breach-{number}")
        out = joined(console.say("alice", f"/breach draft {kind}", f"breach-{number}"))
        assert f"by mistake{stop}" in out and f"by mistake{stop}{stop}" not in out, out


def test_the_drafts_list_says_whom_each_client_letter_is_for(quick):
    quick.say("alice", "/breach declare Share exposed", "general")
    quick.say("alice", "/breach draft client", "breach-1")
    quick.say("alice", "/breach draft client --variant company", "breach-1")
    listing = joined(quick.say("alice", "/breach drafts", "breach-1"))
    assert "D-1 v1 · client · individual · en" in listing and "D-2 v1 · client · company · en" in listing, listing


def test_a_letter_names_the_authority_told_not_the_users_in_the_same_notice(sqlite_engine):
    """The Data Security Law's notice goes to "users and the competent department": a client letter saying
    whom the firm reported to names the department only."""
    console = make_console(sqlite_engine, lang="zh", roster={"legal": ["erin"]})
    console.say("alice", "/breach 宣布 工资表泄露 --数据 工资", "general")
    console.say("erin", "/breach 影响 中国=100", "breach-1")
    console.say("erin", "/breach 已通报 数据安全法", "breach-1")
    from bot.law import clocks
    from bot.statements.template_context import authorities_told
    from storage.models import Incident
    bot = console.bot
    with Session(sqlite_engine) as s:
        incident = s.exec(select(Incident)).one()
        rows = clocks.rows(s, incident=incident, book=bot.regimes, firm_profile=bot.firm_profile, now=console.clock.now())
        names = [name for _, name in authorities_told(rows, bot.regimes, "zh")]
        english = [name for _, name in authorities_told(rows, bot.regimes, "en")]
    assert "有关主管部门" in names and not any("用户" in n for n in names), names
    assert "the competent department" in english and not any("Users" in n for n in english), english
