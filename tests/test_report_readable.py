"""What a new user reads in the record: people by the roster's display names (the "already holds" answer, the
command line's export, the incident page and its downloads), never by platform id."""

from __future__ import annotations

import re

from flask import Flask

from handlers.page import register
from tests.conftest import make_console, make_settings, said
from tests.page_site import give_link

ROSTER = {"lead": ["U01CAROL"], "it_security": ["U02DAVE"], "legal": ["U03ERIN"]}
PEOPLE = {"U01CAROL": "Carol Wu", "U02DAVE": "Dave Wang", "U03ERIN": "陈晓"}
TOML = """[roster]
lead = ["U01CAROL"]
it_security = ["U02DAVE"]
legal = ["U03ERIN"]

[people]
U01CAROL = "Carol Wu"
U02DAVE = "Dave Wang"
U03ERIN = "陈晓"
"""
IDS = re.compile(r"U0\d[A-Z]+")


def declared(engine, lang: str = "en"):
    console = make_console(engine, roster=ROSTER, people=PEOPLE, lang=lang)
    console.say("U01CAROL", "/breach declare Payroll sheet (Q4) found on a public share", "general")
    said(console, "U01CAROL", "/breach followup Rotate the keys --owner @U02DAVE --due +2d")
    return console


def test_giving_a_role_to_its_holder_names_them_by_display_name(sqlite_engine):
    console = declared(sqlite_engine)
    answer = said(console, "U01CAROL", "/breach assign @U02DAVE it_security")
    assert answer == "@Dave Wang already holds IT security."
    zh = make_console(sqlite_engine, roster=ROSTER, people=PEOPLE, lang="zh")
    assert said(zh, "U01CAROL", "/breach 指派 @U02DAVE 信息安全") == "@Dave Wang 已经是信息安全。"


def test_the_command_line_export_names_people_by_display_name(sqlite_engine, tmp_path, monkeypatch, capsys):
    from handlers.cli import main

    declared(sqlite_engine)
    config = tmp_path / "breachbot.toml"
    config.write_text(TOML, encoding="utf-8")
    monkeypatch.setenv("BREACHBOT_CONFIG", str(config))
    url = sqlite_engine.url.render_as_string(hide_password=False)
    assert main(["--db", url, "export", "BR-1", "--format", "md"]) == 0
    text = capsys.readouterr().out
    assert "- Incident lead: Carol Wu" in text and "- IT security: Dave Wang" in text and "Legal / compliance: 陈晓" in text
    assert "F-1 · Rotate the keys · Dave Wang" in text
    assert not IDS.search(text), [ln for ln in text.splitlines() if IDS.search(ln)][:5]


def test_the_incident_page_and_its_downloads_name_people_by_display_name(sqlite_engine, tmp_path):
    console = declared(sqlite_engine)
    config = tmp_path / "breachbot.toml"
    config.write_text(TOML, encoding="utf-8")
    app = Flask("breachbot-test")
    register(app, settings=make_settings(config_file=str(config)), engine=console.bot.engine, clock=console.clock)
    client = app.test_client()
    link = give_link(console, user="U01CAROL")
    base, query = link.split("?")
    page = client.get(link).get_data(as_text=True)
    md = client.get(f"{base}/download/md?{query}").get_data(as_text=True)
    for shown in (page, md):
        assert "Carol Wu" in shown and "Dave Wang" in shown and "陈晓" in shown
        assert not IDS.search(shown), [ln for ln in shown.splitlines() if IDS.search(ln)][:5]


def report_of(console, lang: str, fmt: str = "md") -> str:
    from pathlib import Path

    typed = f"/breach report --format {fmt}" if lang == "en" else f"/breach 报告 --格式 {fmt}"
    answer = said(console, "U01CAROL", typed)
    return Path(re.search(rf"(/\S+\.{fmt})", answer)[1]).read_text(encoding="utf-8")


def test_the_report_states_the_zone_its_times_are_in(sqlite_engine):
    en = report_of(declared(sqlite_engine), "en")
    assert "· status: open · all times Asia/Shanghai (UTC+8)\n" in en
    assert "· all times Asia/Shanghai (UTC+8)" in report_of(declared(sqlite_engine), "en", "html")
    zh_console = make_console(sqlite_engine, roster=ROSTER, people=PEOPLE, lang="zh")
    zh = report_of(zh_console, "zh")
    assert "· 状态: 进行中 · 时间均为 UTC+8\n" in zh, zh.splitlines()[2]
    assert "CST" not in en + zh


def test_the_markdown_report_reads_as_typed(sqlite_engine):
    """Only what Markdown reads as markup is escaped: no \\( or \\# for a reader of the forwarded file."""
    console = declared(sqlite_engine)
    said(console, "U01CAROL", "/breach decision Take share #3 offline (for now)!")
    text = report_of(console, "en")
    assert "# Post-incident report: BR-1 — Payroll sheet (Q4) found on a public share\n" in text
    assert "· Carol Wu · decision: Take share #3 offline (for now)!\n" in text
    assert "F-1 · Rotate the keys · Dave Wang" in text
    assert "\\(" not in text and "\\#" not in text


def test_clients_affected_and_told_count_the_same_clients(sqlite_engine, tmp_path):
    """The facts said 6 clients at declaration; the register holds 4, 2 of them told: the report counts both
    lines against the register and says what the facts recorded, instead of '6' beside 'told 2/4'."""
    from datetime import timedelta

    from sqlmodel import Session, select

    from storage.models import Client
    from tests.test_statements import clients_csv, write_csv

    console = make_console(sqlite_engine, roster=ROSTER, people=PEOPLE)
    console.say("U01CAROL", "/breach declare Payroll sheet found --clients 6", "general")
    said(console, "U01CAROL", f"/breach clients import {write_csv(tmp_path / 'c.csv', clients_csv(4))}")
    with Session(sqlite_engine) as s:
        for client in s.exec(select(Client).order_by(Client.id)).all()[:2]:
            client.notified_at, client.notified_via = console.clock.now() + timedelta(minutes=5), "phone"
            s.add(client)
        s.commit()
    text = report_of(console, "en")
    assert "| Clients affected | 4 in the register, which the notification counts (the facts recorded 6) |" in text
    assert "Clients told: 2/4 " in text
    zh = report_of(make_console(sqlite_engine, roster=ROSTER, people=PEOPLE, lang="zh"), "zh")
    assert "| 受影响客户数 | 名册 4（通知进度按名册计算；事实记录为 6） |" in zh, [x for x in zh.splitlines() if "名册" in x]


def test_english_counts_take_their_singular_or_plural_form():
    """CLDR's plural rules (Babel) pick the catalogue's form: '1 client told', '2 clients told'; Chinese has one."""
    from bot.text.i18n import catalogue, plurals
    from bot.text.i18n import text as t

    told = {"actor": "@Chen", "via": "phone", "notified": 1, "total": 4}
    assert t("en", "clients.told", count=1, **told) == "📬 @Chen recorded 1 client told via phone (1/4 told)."
    assert t("en", "clients.told", count=2, **told) == "📬 @Chen recorded 2 clients told via phone (1/4 told)."
    assert t("en", "report.event_text.letters", count=1) == "1 letter merged"
    assert t("en", "report.event_text.letters", count=0) == "0 letters merged"
    assert t("en", "delivery.status_line", count=1).startswith("⚠️ 1 message could not be delivered and was set aside")
    assert t("en", "problem.pydantic.too_short", min_length=1) == "needs at least 1 item: add it"
    assert t("zh", "clients.told", count=1, **told) == t("zh", "clients.told", count=2, **told).replace("2", "1", 1)
    assert not [k for k, v in catalogue("en").items() if "(s)" in v] and not plurals("zh")
    for key, forms in plurals("en").items():
        assert set(forms) == {"one", "other"} and forms["one"] != forms["other"], key


def test_a_count_of_one_reads_in_the_singular():
    from bot.text.i18n import text as t

    assert t("en", "question.digest", id="BR-1", count=1, times=2, max=4) == \
        "❓ BR-1: still waiting for 1 answer (asked 2 of 4 times):"
    assert t("en", "letters.done", count=1, where="x.zip") == "📦 1 letter merged: x.zip."
    assert t("en", "letters.done", count=3, where="x.zip") == "📦 3 letters merged: x.zip."
    imported = t("en", "clients.imported", actor="@Chen", count=1, total=1, residences="CN 1", encoding="UTF-8")
    assert imported.startswith("📇 @Chen imported 1 affected client (1 in the register")
