"""The satisfaction survey as a link (#20): each client's survey letter carries their own signed link to a short
form served by `breachbot serve`; the answers are recorded as that client's feedback, in the timeline and the
report; a tampered or foreign link gets the plain 403; the form keeps the strict CSP (its one form posts back
to itself), speaks the client's language and escapes what was typed."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session, select

from handlers.page import register
from storage.models import Incident, TimelineEvent
from tests.conftest import joined, make_console, make_settings, said
from tests.test_statements import write_csv

PUBLIC = "https://breach.lotus.example"
ROSTER = {"lead": ["carol"], "client_liaison": ["lily"], "legal": ["erin"]}


def _closed_with_survey(engine, tmp_path, *, lang: str = "en", public: str | None = PUBLIC):
    console = make_console(engine, roster=ROSTER, lang=lang)
    console.bot.settings = make_settings(lang=lang, public_url=public)
    console.say("alice", "/breach declare Payroll export leaked --data payroll", "general")
    rows = [{"name": n, "type": "individual", "contact": f"{i}@x.example", "language": cl, "residence": "CN",
             "data": "payroll"} for i, (n, cl) in enumerate([("Ann Lee", "en"), ("Bo Chen", "zh")])]
    console.say("lily", f"/breach clients import {write_csv(tmp_path / 'c.csv', rows)}", "breach-1")
    for number, (draft_lang, text) in enumerate((("en", "Dear «CLIENT», we lost some of your data."),
                                                 ("zh", "尊敬的«CLIENT»：您的数据被泄露。")), start=1):
        console.say("erin", f"/breach draft client --lang {draft_lang}", "breach-1")
        console.say("erin", f"/breach draft edit D-{number} {text}", "breach-1")
        assert "✅" in said(console, "erin", f"/breach approve D-{number}")
    console.say("lily", "/breach letters D-1 D-2", "breach-1")
    assert "📬" in said(console, "lily", "/breach clients notified all --via email")
    console.say("carol", '/breach close --cause staff_error --lessons "Check shares" --confirm', "breach-1")
    for draft_lang in ("en", "zh"):
        console.say("lily", f"/breach draft survey --lang {draft_lang}", "breach-1")
    console.say("lily", "/breach approve D-3", "breach-1")
    console.say("lily", "/breach approve D-4", "breach-1")
    return console


def _letters(console) -> dict[str, str]:
    sent = console.say("lily", "/breach letters D-3 D-4", "breach-1")
    assert "📦 2 letters merged" in joined(sent), joined(sent)
    archive = zipfile.ZipFile(io.BytesIO(Path(next(s.text for s in sent if s.op == "upload")).read_bytes()))
    return {n: archive.read(n).decode("utf-8") for n in archive.namelist() if n != "manifest.csv"}


def _app(console, lang: str = "en") -> Flask:
    app = Flask("breachbot-test")
    register(app, settings=make_settings(lang=lang, public_url=PUBLIC), engine=console.bot.engine,
             clock=console.clock)
    return app


def _links(letters: dict[str, str]) -> dict[str, str]:
    """Client name in the letter → the path and query of their survey link."""
    found = {}
    for text in letters.values():
        name = "Ann Lee" if "Ann Lee" in text else "Bo Chen"
        found[name] = re.search(re.escape(PUBLIC) + r"(/survey\?k=\S+)", text)[1]
    return found


def _incident(console) -> Incident:
    with Session(console.bot.engine) as s:
        return s.exec(select(Incident)).one()


def test_each_client_answers_by_their_own_link_and_it_is_their_feedback(engine, tmp_path):
    """On SQLite and PostgreSQL (the answer takes the incident's row lock, as a command does)."""
    sqlite_engine = engine
    console = _closed_with_survey(sqlite_engine, tmp_path)
    letters = _letters(console)
    links = _links(letters)
    assert links["Ann Lee"] != links["Bo Chen"]
    assert any("Or answer online, in a minute: https://breach.lotus.example/survey?k=" in t for t in letters.values())
    assert any("也可在线填写（约一分钟）：https://breach.lotus.example/survey?k=" in t for t in letters.values())
    client = _app(console).test_client()

    form = client.get(links["Ann Lee"])
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "form-action 'self'" in form.headers["Content-Security-Policy"]
    assert "default-src 'none'" in form.headers["Content-Security-Policy"]
    assert "1. How satisfied are you with how we told you about the incident? (1-5)" in html
    assert 'name="q1" value="5"' in html and '<textarea name="q4"' in html and "Ann Lee" not in html
    zh_form = client.get(links["Bo Chen"]).get_data(as_text=True)  # in the client's own language
    assert "1. 您对我们告知此次事件的方式是否满意？（1-5分）" in zh_form and "提交" in zh_form

    nothing = client.post(links["Ann Lee"], data={"q4": "no score"})
    assert nothing.status_code == 400 and "Please choose a score from 1 to 5" in nothing.get_data(as_text=True)
    assert "no score</textarea>" in nothing.get_data(as_text=True)  # what was typed is kept
    assert "feedback" not in _incident(console).facts

    done = client.post(links["Ann Lee"], data={"q1": "5", "q2": "4", "q3": "4", "q4": "Call <b>sooner</b>"})
    assert done.status_code == 200 and "Thank you. Your answers were recorded." in done.get_data(as_text=True)
    [entry] = _incident(console).facts["feedback"]
    assert (entry["name"], entry["score"], entry["comment"]) == ("A** L**", 4, "Call <b>sooner</b>")
    with Session(sqlite_engine) as s:
        event = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "client_feedback")).one()
        assert event.actor == "A** L** (online survey)" and event.data["score"] == 4
    again = client.get(links["Ann Lee"]).get_data(as_text=True)
    assert "We have your answers from" in again
    history = said(console, "carol", "/breach history")
    assert "BR-1 · 4/5 · A** L**: Call <b>sooner</b>" in history


def test_tampered_and_other_links_open_no_survey(sqlite_engine, tmp_path):
    console = _closed_with_survey(sqlite_engine, tmp_path)
    link = _links(_letters(console))["Ann Lee"]
    client = _app(console).test_client()
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    for bad in (tampered, "/survey", "/survey?k=", "/survey?k=not-a-token"):
        assert client.get(bad).status_code == 403, bad
        assert client.post(bad, data={"q1": "1"}).status_code == 403, bad
    page_link = joined(console.say("carol", "/breach link", "breach-1")).split("k=")[1].split()[0]
    assert client.get("/survey?k=" + page_link).status_code == 403  # a page link answers no survey
    assert "feedback" not in _incident(console).facts


@pytest.mark.parametrize("public", [None])
def test_without_a_public_address_the_letter_has_no_link_line(sqlite_engine, tmp_path, public):
    console = _closed_with_survey(sqlite_engine, tmp_path, public=public)
    letters = _letters(console)
    assert all("survey?k=" not in t and "«SURVEY»" not in t and "answer online" not in t for t in letters.values())
