"""The incident page over HTTP: signed links, what the page shows, live versions, downloads, refusals."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from storage.models import PageLink, TimelineEvent
from tests.conftest import joined, said
from tests.page_site import TITLE, give_link, incident, page_app


def _events(console, kind):
    with console.bot.unit(write=False) as session:
        return list(session.exec(select(TimelineEvent).where(TimelineEvent.kind == kind)))


def test_a_link_is_told_only_to_the_asker_and_the_war_room_hears_of_it(sqlite_engine):
    console = incident(sqlite_engine)
    sent = console.say("carol", "/breach link --for Insurer breach coach --hours 48", "breach-1")
    private = [s for s in sent if s.op == "reply"]
    public = joined([s for s in sent if s.op == "post"])
    assert "/incidents/BR-1?k=" in private[0].text and "30 November 2026, 10:05" in private[0].text
    assert "?k=" not in public and "L-1 for Insurer breach coach" in public
    created = _events(console, "link_created")
    assert created[0].data["for"] == "Insurer breach coach" and created[0].actor == "carol"


def test_the_page_shows_the_incident_and_records_each_opening(sqlite_engine):
    console = incident(sqlite_engine)
    console.say("carol", "/breach decision Take the share offline now", "breach-1")
    link = give_link(console, "--for", "insurer")
    client = page_app(console).test_client()
    page = client.get(link, headers={"User-Agent": "Mozilla/5.0 test"}, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"
    for shown in (TITLE, "BR-1", "Severity: high", "Lead: carol", "Take the share offline now", "PIPL",
                  "Phases and clocks: planned against actual", "<svg"):
        assert shown in html, shown
    assert "http://" not in html.split("</head>")[0].replace('http://www.w3.org', '')  # nothing from elsewhere
    opened = _events(console, "link_opened")
    assert [(e.actor, e.data["from"], e.data["link"]) for e in opened] == [("insurer", "203.0.113.9", 1)]
    client.get(link)
    assert len(_events(console, "link_opened")) == 2


def test_tampered_expired_revoked_and_other_incident_links_get_a_plain_403(sqlite_engine):
    console = incident(sqlite_engine)
    console.say("carol", "/breach declare Second leak", "general")
    link = give_link(console, "--hours", "2")
    client = page_app(console).test_client()
    assert client.get(link).status_code == 200
    token = link.split("k=")[1]
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    forged_payload = link.replace(token.split(".")[0], "eyJ3IjoxLCJsIjoyfQ")
    for bad in (tampered, forged_payload, "/incidents/BR-1", "/incidents/BR-1?k=", "/incidents/BR-2?k=" + token,
                "/incidents/nonsense?k=" + token, "/incidents/BR-1?k=not-a-token"):
        refused = client.get(bad)
        assert refused.status_code == 403, bad
        assert "This link does not open anything" in refused.get_data(as_text=True)
        assert TITLE not in refused.get_data(as_text=True)
    console.bot.advance(console.clock.now() + timedelta(hours=2))
    assert client.get(link).status_code == 403
    fresh = give_link(console)
    assert client.get(fresh).status_code == 200
    said(console, "carol", "/breach link revoke")
    assert client.get(fresh).status_code == 403
    assert client.get(fresh.replace("/incidents/BR-1", "/incidents/BR-1/live")).status_code == 403
    assert client.get(fresh.replace("/incidents/BR-1", "/incidents/BR-1/download/pdf")).status_code == 403


def test_user_text_is_shown_as_text(sqlite_engine):
    console = incident(sqlite_engine, title='Leak <script>alert("x")</script> & "quotes"')
    console.say("carol", "/breach log <img src=x onerror=alert(1)> called", "breach-1")
    html = page_app(console).test_client().get(give_link(console)).get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "Leak &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quotes&#34;" in html
    assert "&lt;img src=x onerror=alert(1)&gt; called" in html


def test_live_answers_no_change_until_the_record_changes(sqlite_engine):
    console = incident(sqlite_engine)
    link = give_link(console)
    client = page_app(console).test_client()
    first = client.get(link)
    version = first.get_data(as_text=True).split('data-version="')[1].split('"')[0]
    live = link.replace("/incidents/BR-1?", "/incidents/BR-1/live?") + f"&v={version}"
    assert client.get(live).status_code == 204
    console.say("carol", "/breach decision Call the insurer today", "breach-1")
    changed = client.get(live)
    assert changed.status_code == 200 and "Call the insurer today" in changed.get_data(as_text=True)
    assert changed.headers["X-Page-Version"] != version


def test_downloads_give_the_report_and_the_export(sqlite_engine):
    console = incident(sqlite_engine)
    link = give_link(console)
    client = page_app(console).test_client()
    base, query = link.split("?")
    pdf = client.get(f"{base}/download/pdf?{query}")
    assert pdf.data.startswith(b"%PDF") and "BR-1-report-en.pdf" in pdf.headers["Content-Disposition"]
    md = client.get(f"{base}/download/md?{query}&lang=zh").get_data(as_text=True)
    assert TITLE in md and "事件总结报告" in md
    export = json.loads(client.get(f"{base}/download/export?{query}").get_data(as_text=True))
    assert export["id"] == "BR-1" and export["timeline"][0]["kind"] == "declared"
    assert client.get(f"{base}/download/exe?{query}").status_code == 403


def test_the_page_speaks_the_workspace_language_and_switches(sqlite_engine):
    console = incident(sqlite_engine, lang="zh")
    link = give_link(console)
    client = page_app(console, lang="zh").test_client()
    zh = client.get(link).get_data(as_text=True)
    assert "法定通报时限" in zh and "接下来到期" in zh and 'lang="zh-CN"' in zh
    en = client.get(link + "&lang=en").get_data(as_text=True)
    assert "Legal clocks" in en and "What is due next" in en


def test_a_drill_page_says_drill(sqlite_engine):
    console = incident(sqlite_engine, drill=True)
    html = page_app(console).test_client().get(give_link(console)).get_data(as_text=True)
    assert "DRILL — an exercise, not a real breach" in html and "<title>[DRILL] BR-1" in html


def test_bad_link_commands_change_nothing_and_say_what_to_type(sqlite_engine):
    console = incident(sqlite_engine)
    assert "--hours takes a whole number of hours from 1 to 720" in said(console, "carol", "/breach link --hours 0")
    assert "--hours takes" in said(console, "carol", "/breach link --hours lots")
    assert "has no live page links" in said(console, "carol", "/breach link revoke")
    assert "--for takes a name of at most 200 characters (this one has 201)" in said(
        console, "carol", "/breach link --for " + "x" * 201)
    give_link(console)
    assert "no live page link L-7" in said(console, "carol", "/breach link revoke L-7")
    assert "Say which link" in said(console, "carol", "/breach link revoke L-x")
    assert "Only Incident lead @carol, Executive sponsor @frank, Legal / compliance @erin may give or revoke links" \
        in said(console, "dave", "/breach link")
    with console.bot.unit(write=False) as session:
        assert len(list(session.exec(select(PageLink)))) == 1


def test_links_survive_a_restart(sqlite_engine):
    console = incident(sqlite_engine)
    link = give_link(console)
    restarted = page_app(console).test_client()  # a new app and site on the same database
    assert restarted.get(link).status_code == 200


def test_serve_mounts_the_pages_and_a_firm_admin_link_opens_the_history(sqlite_engine):
    from bot.flows.page import admin_link
    from handlers.web import create_web_app
    from storage.models import Workspace
    from tests.conftest import make_settings

    console = incident(sqlite_engine)
    console.say("alice", "/breach drill", "general")
    app, bots = create_web_app(make_settings(), engine=sqlite_engine, clock=console.clock)
    client = app.test_client()
    assert bots == [] and client.get(give_link(console)).status_code == 200
    with console.bot.unit(write=False) as session:
        ws = session.exec(select(Workspace)).one()
    url = admin_link(make_settings(), engine=sqlite_engine, workspace=ws, hours=1, now=console.clock.now())
    assert url.startswith("http://localhost:3000/history?k=")
    history = client.get(url.removeprefix("http://localhost:3000"))
    html = history.get_data(as_text=True)
    assert history.status_code == 200 and "Incidents and drills" in html and TITLE in html and "DRILL" in html
    assert "Key times of real incidents" in html
    assert client.get("/history?k=" + url.split("k=")[1][:-2] + "zz").status_code == 403
    incident_link = give_link(console).split("k=")[1]
    assert client.get("/history?k=" + incident_link).status_code == 403  # an incident link opens no history
    console.bot.advance(console.clock.now() + timedelta(hours=1))
    assert client.get(url.removeprefix("http://localhost:3000")).status_code == 403


def test_the_command_line_prints_a_history_link(tmp_path, capsys):
    from handlers.cli import main

    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["--db", db, "db", "upgrade"]) == 0
    from storage.db import make_engine
    from tests.conftest import make_console

    make_console(make_engine(db)).say("alice", "/breach declare Laptop stolen", "general")
    capsys.readouterr()
    assert main(["--db", db, "history", "--link", "12"]) == 0
    assert capsys.readouterr().out.startswith("http://localhost:3000/history?k=")
    assert main(["--db", db, "history", "--link", "0"]) == 2


def _sections(html: str) -> dict[str, str]:
    """The page's response cards: heading → the card's text."""
    import re

    return {m[1]: m[2] for m in re.finditer(r'class="card response" data-live>\s*<h2>(.*?)</h2>(.*?)</section>', html,
                                            re.S)}


@pytest.mark.parametrize(("lang", "typed", "expected"), [
    ("en", ["/breach cost ¥12,000 forensics outside examiner", "/breach offer hotline 400-000-0000",
            "/breach media spokesperson Wang Wei", "/breach media Caixin When will clients be told?"],
     {"Costs of the response and reputational impact": ["Total: ¥12,000", "outside examiner"],
      "Client care": ["Hotline: 400-000-0000"],
      "Media desk": ["Wang Wei", "Caixin: When will clients be told? — NOT ANSWERED"],
      "Client satisfaction": ["No client feedback recorded."]}),
    ("zh", ["/breach 费用 1.2万 取证 外部鉴定", "/breach 补救 热线 400-000-0000",
            "/breach 媒体 发言人 王伟", "/breach 媒体 财新 何时通知客户？"],
     {"处置费用与声誉影响": ["合计：¥12,000", "外部鉴定"], "客户关怀": ["咨询热线：400-000-0000"],
      "媒体应对": ["发言人：王伟", "财新：何时通知客户？ — 未答复"], "客户满意度": ["未记录客户反馈。"]}),
])
def test_the_page_shows_costs_client_care_media_and_satisfaction(sqlite_engine, lang, typed, expected):
    console = incident(sqlite_engine, lang=lang)
    for line in typed:
        assert "?k=" not in said(console, "carol", line)
    html = page_app(console, lang=lang).test_client().get(give_link(console)).get_data(as_text=True)
    cards = _sections(html)
    for title, lines in expected.items():
        assert title in cards, (title, list(cards))
        for line in lines:
            assert line in cards[title], (title, line, cards[title])


def test_satisfaction_and_compensation_show_masked_names_and_the_score(sqlite_engine, tmp_path):
    from tests.test_statements import write_csv

    console = incident(sqlite_engine)
    rows = [{"name": n, "type": "individual", "contact": f"{i}@x.example", "language": "en", "residence": "CN",
             "data": "payroll"} for i, n in enumerate(["Ann Lee", "Bo Chen"])]
    console.say("carol", f"/breach clients import {write_csv(tmp_path / 'c.csv', rows)}", "breach-1")
    console.say("carol", "/breach clients notified all --via email", "breach-1")
    console.say("carol", "/breach clients compensate 2 ¥5,000 goodwill payment", "breach-1")
    console.say("carol", '/breach close --cause staff_error --lessons "Check shares" --confirm', "breach-1")
    console.say("carol", "/breach clients feedback 1 4 quick and clear", "breach-1")
    html = page_app(console).test_client().get(give_link(console)).get_data(as_text=True)
    cards = _sections(html)
    assert "4.0/5" in cards["Client satisfaction"] and "A** L**: quick and clear" in cards["Client satisfaction"]
    assert "B* Ch** · ¥5,000 · goodwill payment" in cards["Client care"]
    assert "Ann Lee" not in html and "Bo Chen" not in html and "@x.example" not in html


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_corrected_time_is_struck_through_and_says_what_corrected_it(sqlite_engine, lang):
    console = incident(sqlite_engine, lang=lang)
    console.bot.advance(console.clock.now() + timedelta(hours=2))
    console.say("carol", "/breach decision Take the share offline now", "breach-1")
    with console.bot.unit(write=False) as session:
        seq = session.exec(select(TimelineEvent).where(TimelineEvent.kind == "decision")).one().seq
    reason = "typed late" if lang == "en" else "补记"
    console.say("carol", f'/breach correct #{seq} --at "2026-11-28 11:00" --reason "{reason}"', "breach-1")
    html = page_app(console, lang=lang).test_client().get(give_link(console)).get_data(as_text=True)
    item = html.split(f'<span class="seq muted">#{seq}</span>')[0].rsplit("<li ", 1)[1]
    assert 'class="k-decision corrected"' in item
    after = html.split(f'<span class="seq muted">#{seq}</span>')[1].split("</li>")[0]
    said_en = f"corrected by #{seq + 1}: it happened at 28 November 2026, 11:00 (typed late)"
    said_zh = f"已被 #{seq + 1} 更正：实际时间为 2026年11月28日 11:00（补记）"
    assert (said_en if lang == "en" else said_zh) in after, after


def test_revoking_and_opening_are_in_the_timeline_with_who_when_and_where(sqlite_engine):
    console = incident(sqlite_engine)
    link = give_link(console, "--for", "outside counsel")
    client = page_app(console).test_client()
    opened_at = console.clock.now()
    client.get(link, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    console.bot.advance(opened_at + timedelta(minutes=30))
    said(console, "erin", "/breach link revoke L-1")
    revoked = _events(console, "link_revoked")
    assert [(e.actor, e.text, e.at) for e in revoked] == [("erin", "L-1", opened_at + timedelta(minutes=30))]
    opened = _events(console, "link_opened")[0]
    assert (opened.actor, opened.data["from"], opened.at) == ("outside counsel", "198.51.100.7", opened_at)
    fresh = give_link(console)
    html = client.get(fresh).get_data(as_text=True)
    timeline = html.split('id="timeline-list"')[1]
    assert "outside counsel" in timeline and "198.51.100.7" in timeline and "erin" in timeline


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_history_page_shows_client_satisfaction_and_comments(sqlite_engine, tmp_path, lang):
    from bot.flows.page import admin_link
    from storage.models import Workspace
    from tests.conftest import make_settings
    from tests.test_statements import write_csv

    console = incident(sqlite_engine, lang=lang)
    rows = [{"name": n, "type": "individual", "contact": f"{i}@x.example", "language": "en", "residence": "CN",
             "data": "payroll"} for i, n in enumerate(["Ann Lee", "Bo Chen"])]
    console.say("carol", f"/breach clients import {write_csv(tmp_path / 'c.csv', rows)}", "breach-1")
    console.say("carol", "/breach clients notified all --via email", "breach-1")
    console.say("carol", '/breach close --cause staff_error --lessons "Check shares" --confirm', "breach-1")
    console.say("carol", "/breach clients feedback 1 4 quick <b>and</b> clear", "breach-1")
    console.say("carol", "/breach clients feedback 2 3", "breach-1")
    with console.bot.unit(write=False) as session:
        ws = session.exec(select(Workspace)).one()
    url = admin_link(make_settings(lang=lang), engine=sqlite_engine, workspace=ws, hours=1, now=console.clock.now())
    html = page_app(console, lang=lang).test_client().get(url.removeprefix("http://localhost:3000")).get_data(
        as_text=True)
    header, colon = ("client satisfaction", ": ") if lang == "en" else ("客户满意度", "：")
    assert f"<th>{header}</th>" in html and '<td class="num">3.5/5 (2)</td>' in html
    assert '<td class="num"><strong>3.5/5</strong></td>' in html  # the average of real incidents
    assert f"<li>4/5 · A** L**{colon}quick &lt;b&gt;and&lt;/b&gt; clear</li>" in html
    assert "Ann Lee" not in html and "B* Ch**" not in html  # no comment, no line; never a name


@pytest.mark.parametrize(("lang", "typed", "refused"), [
    ("en", "/breach history link 12", "Only the firm's admins may give the history page's link: @frank."),
    ("zh", "/breach 历史 链接 12小时", "只有事务所管理员可以获取历史页面链接：@frank。"),
])
def test_a_firm_admin_gets_the_history_link_in_chat_told_only_to_them(sqlite_engine, lang, typed, refused):
    from bot.settings import FirmConfig
    from tests.page_site import ROSTER

    console = incident(sqlite_engine, lang=lang)
    console.bot.firm = FirmConfig(roster=ROSTER, admins=["frank"])
    assert said(console, "carol", typed).startswith(refused)
    sent = console.say("frank", typed, "breach-1")
    assert [s.op for s in sent] == ["reply"] and sent[0].extra.get("public") is False
    url = sent[0].text.split("/history?k=")[1].split()[0]
    assert ("valid until 28 November 2026, 22:05" if lang == "en" else "有效期至 2026年11月28日 22:05") in sent[0].text
    client = page_app(console, lang=lang).test_client()
    page = client.get("/history?k=" + url)
    assert page.status_code == 200 and TITLE in page.get_data(as_text=True)
    console.bot.advance(console.clock.now() + timedelta(hours=12))
    assert client.get("/history?k=" + url).status_code == 403
    bad = said(console, "frank", "/breach history link 0" if lang == "en" else "/breach 历史 链接 0")
    assert ("from 1 to 720" if lang == "en" else "1 到 720 的整数") in bad
