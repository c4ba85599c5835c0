"""Client care, reporting up, the media desk's gaps and satisfaction (#20), typed in the console in en and zh."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.settings import FirmConfig
from storage.models import Incident, TimelineEvent
from tests.conftest import START, joined, make_console, said
from tests.test_statements import write_csv

ROSTER = {"it_security": ["dave"], "legal": ["erin"], "executive": ["frank"], "comms": ["carl"],
          "client_liaison": ["lily"]}
LETTER = "Dear «CLIENT», we lost some of your data. We are sorry. Lotus & Co."


def team_of(engine, lang: str = "en"):
    console = make_console(engine, roster=ROSTER, lang=lang)
    console.bot.firm = FirmConfig(roster=ROSTER, partners=["paul", "pat"])
    return console


@pytest.fixture
def team(sqlite_engine):
    console = team_of(sqlite_engine)
    console.say("alice", "/breach declare Payroll export leaked --data payroll")
    console.say("alice", "/breach public A payroll file was shared by mistake", "breach-1")
    return console


@pytest.fixture
def zh_team(sqlite_engine):
    console = team_of(sqlite_engine, "zh")
    console.say("alice", "/breach 宣布 工资表泄露 --data payroll")
    console.say("alice", "/breach 对外说明 一份工资表被误共享", "breach-1")
    return console


def incident(console) -> Incident:
    with Session(console.bot.engine) as s:
        return s.exec(select(Incident)).one()


def events(console, kind: str) -> list[TimelineEvent]:
    with Session(console.bot.engine) as s:
        return list(s.exec(select(TimelineEvent).where(TimelineEvent.kind == kind)))


def directs(sent, user: str) -> str:
    return "\n".join(s.text for s in sent if s.op == "direct" and s.user == user)


def told(console, tmp_path, at: str | None = None) -> str:
    """Three clients imported, a letter approved and merged, client 1 told (`at`: when, as typed); what was said."""
    rows = [{"name": n, "type": "individual", "contact": f"{i}@x.example", "language": "en", "residence": "CN",
             "data": "payroll"} for i, n in enumerate(["Ann Lee", "Bo Chen", "Cy Wu"])]
    console.say("lily", f"/breach clients import {write_csv(tmp_path / 'c.csv', rows)}", "breach-1")
    console.say("erin", "/breach draft client --lang en", "breach-1")
    console.say("erin", f"/breach draft edit D-1 {LETTER}", "breach-1")
    assert "✅" in said(console, "erin", "/breach approve D-1")
    console.say("lily", "/breach letters D-1", "breach-1")
    sent = said(console, "lily", "/breach clients notified 1 --via email" + (f' --at "{at}"' if at else ""))
    assert "📬" in sent
    return sent


# -- offers ---------------------------------------------------------------------------------------------------
def test_offers_are_recorded_and_go_into_client_letters(team):
    out = said(team, "lily", "/breach offer monitoring 12 months of free credit monitoring")
    assert "recorded O-1 for BR-1: Credit and identity monitoring: 12 months of free credit monitoring" in out
    team.say("lily", "/breach offer hotline 400-000-0000, 9:00-21:00", "breach-1")
    listing = said(team, "carl", "/breach offer")
    assert "O-1 Credit and identity monitoring" in listing and "O-2 Hotline: 400-000-0000, 9:00-21:00" in listing
    letter = said(team, "erin", "/breach draft client --lang en")
    assert "What We Offer You\n    - Credit and identity monitoring: 12 months of free credit monitoring" in letter
    assert "- Hotline: 400-000-0000, 9:00-21:00" in letter
    zh_letter = said(team, "erin", "/breach draft client --lang zh")
    assert "我们为您提供的补救措施\n    - 信用及身份监控服务：12 months of free credit monitoring" in zh_letter
    assert [e.data["kind"] for e in events(team, "offer_recorded")] == ["monitoring", "hotline"]


def test_offer_bad_input_says_what_to_type_and_changes_nothing(team):
    assert "Kinds: monitoring, compensation, hotline, support, other" in said(team, "lily", "/breach offer cake a free cake")
    assert "/breach offer monitoring 12 months" in said(team, "lily", "/breach offer monitoring")
    assert "No offers recorded for BR-1" in said(team, "lily", "/breach offer")
    assert not events(team, "offer_recorded")


def test_offers_in_chinese(zh_team):
    out = said(zh_team, "lily", "/breach 补救 热线 400-000-0000")
    assert "记录了补救措施 O-1：咨询热线：400-000-0000" in out
    assert "没有「蛋糕」这类补救措施" in said(zh_team, "lily", "/breach 补救 蛋糕 送蛋糕")


# -- compensation and feedback per client --------------------------------------------------------------------
def test_compensation_per_client_in_the_register(team, tmp_path):
    told(team, tmp_path)
    out = said(team, "lily", "/breach clients compensate 2 ¥5,000 goodwill payment")
    assert "recorded compensation for B* Ch** in BR-1: ¥5,000. Compensation so far: ¥5,000" in out
    team.say("lily", '/breach clients compensate "Cy Wu" 1200', "breach-1")
    entries = incident(team).facts["compensation"]
    # only masked names are kept with the facts (the export and the page carry them)
    assert [(e["name"], e["amount"], e["currency"]) for e in entries] == [("B* Ch**", "5000", "CNY"),
                                                                           ("C* W*", "1200", "USD")]
    assert entries[0]["note"] == "goodwill payment" and "Bo Chen" not in str(incident(team).facts)
    assert "Zed" in said(team, "lily", "/breach clients compensate Zed 100")
    assert "Type e.g. 12000" in said(team, "lily", "/breach clients compensate 1 lots")
    assert "/breach clients compensate <number or name>" in said(team, "lily", "/breach clients compensate 1")
    assert len(incident(team).facts["compensation"]) == 2


def test_feedback_after_close_and_its_average(team, tmp_path):
    told(team, tmp_path)
    team.say("alice", '/breach close --cause staff_error --lessons "Check shares" --confirm', "breach-1")
    assert incident(team).status != "open"
    out = said(team, "lily", "/breach clients feedback 1 4 quick and clear")
    assert "recorded A** L**'s feedback for BR-1: 4/5. Average so far: 4.0/5 from 1 client." in out
    out = said(team, "lily", "/breach clients feedback 2 2 too slow")
    assert "Average so far: 3.0/5 from 2 clients" in out
    team.say("lily", "/breach clients feedback 2 3 better after the call", "breach-1")  # a second answer replaces
    assert sorted(e["score"] for e in incident(team).facts["feedback"]) == [3, 4]
    history = said(team, "alice", "/breach history")
    assert "What clients said (survey comments):\n  BR-1 · 4/5 · A** L**: quick and clear\n" \
           "  BR-1 · 3/5 · B* Ch**: better after the call" in history and "too slow" not in history
    assert "from 1 (poor) to 5" in said(team, "lily", "/breach clients feedback 1 9")
    assert "from 1 (poor) to 5" in said(team, "lily", "/breach clients feedback 1 great")
    assert "/breach clients feedback <number or name> 4" in said(team, "lily", "/breach clients feedback 1")


def test_feedback_in_chinese(zh_team, tmp_path):
    told(zh_team, tmp_path)
    out = said(zh_team, "lily", "/breach 客户 反馈 1 5分 很及时")
    assert "对 BR-1 的反馈：5/5 分。目前平均 5.0/5 分（1 家客户）" in out
    out = said(zh_team, "lily", "/breach 客户 赔偿 1 2000元 补偿")
    assert "¥2,000" in out


# -- progress updates on the playbook's cadence ---------------------------------------------------------------
def test_progress_updates_are_reminded_until_close(team, tmp_path):
    told(team, tmp_path)  # the first client told at START: the first update is due 72h later
    sent = team.advance(START + timedelta(hours=66, minutes=1))
    assert "a progress update to the clients is due" in directs(sent, "lily")
    assert "is due due" not in directs(sent, "lily")  # the due time says "due" once
    assert "/breach draft update" in directs(sent, "carl")
    sent = team.advance(START + timedelta(hours=72, minutes=1))
    assert "a progress update to the clients is due now" in joined(sent)
    assert [e.kind for e in events(team, "update_due")] == ["update_due"]
    # Unanswered, the next one counts from that due time (reminded at 72+66h); an approved update resets it from then.
    team.advance(START + timedelta(hours=100))
    team.say("alice", "/breach answer contained yes", "breach-1")
    team.say("alice", "/breach answer cause staff_error", "breach-1")
    card = said(team, "erin", "/breach draft update --lang en")
    assert "Progress update" in card and "The leak has been contained." in card
    assert "✅" in said(team, "erin", "/breach approve D-2")
    sent = team.advance(START + timedelta(hours=100 + 60))
    assert "progress update" not in joined(sent)  # not at 72+66h any more
    sent = team.advance(START + timedelta(hours=100 + 66, minutes=1))
    assert "a progress update to the clients is due" in directs(sent, "lily")
    team.say("alice", '/breach close --lessons "Check shares" --confirm', "breach-1")
    sent = team.advance(START + timedelta(days=20))
    assert "progress update" not in joined(sent)  # closed: no more updates


def test_no_reminder_before_any_client_is_told(team):
    sent = team.advance(START + timedelta(hours=80))
    assert "progress update" not in joined(sent)


# -- reporting up --------------------------------------------------------------------------------------------
def test_brief_goes_to_the_executive_and_the_partners(team):
    sent = team.say("alice", "/breach brief", "breach-1")
    for person in ("frank", "paul", "pat"):
        assert "Briefing on BR-1 for management (sent by @alice)" in directs(sent, person)
        assert "Payroll export leaked" in directs(sent, person) and "Phase 1/10" in directs(sent, person)
    assert "The summary of BR-1 went to management: @frank, @paul, @pat." in joined(sent)
    [event] = events(team, "management_briefed")
    assert event.data == {"to": ["frank", "paul", "pat"], "why": "asked"}


def test_the_management_phase_briefs_by_itself(team):
    team.say("alice", '/breach phase next --reason "moving on"', "breach-1")
    assert not events(team, "management_briefed")
    sent = team.say("alice", '/breach phase next --reason "moving on"', "breach-1")
    assert "Briefing on BR-1" in directs(sent, "paul")
    # whoever moved the phase on did not send it: the bot did, as the phase began
    assert "(sent by the bot, automatically as the phase began)" in directs(sent, "paul")
    assert [e.data["why"] for e in events(team, "management_briefed")] == ["phase"]


def test_brief_with_nobody_to_tell_says_how(sqlite_engine):
    console = make_console(sqlite_engine)
    console.say("alice", "/breach declare Payroll export leaked")
    assert "Nobody to brief for BR-1" in said(console, "alice", "/breach brief")
    assert "汇报" in said(console, "alice", "/breach brief now") or "/breach brief" in said(console, "alice", "/breach brief now")


def test_brief_in_chinese(zh_team):
    sent = zh_team.say("alice", "/breach 汇报", "breach-1")
    assert "向管理层汇报 BR-1" in directs(sent, "frank")
    assert "已发送给管理层" in joined(sent)


# -- media desk ---------------------------------------------------------------------------------------------------
def test_spokesperson_named_in_press_texts_and_the_qa_sheet(team):
    assert "named Wang Wei the spokesperson for BR-1" in said(team, "carl", "/breach media spokesperson Wang Wei")
    press = said(team, "carl", "/breach draft press --lang en")
    assert "Spokesperson: Wang Wei" in press
    assert "(Wang Wei, our spokesperson)" in said(team, "carl", "/breach draft media --lang en")
    team.say("carl", "/breach media Caixin When will clients be told?", "breach-1")
    qa = said(team, "carl", "/breach draft qa --lang en")
    assert "Q&A sheet" in qa and "Spokesperson: Wang Wei" in qa
    assert "Q (Caixin): When will clients be told?" in qa and "A payroll file was shared by mistake" in qa
    assert "Spokesperson: Wang Wei" not in said(team, "carl", "/breach draft client --lang en")


def test_qa_sheet_without_a_spokesperson_has_a_gap_that_says_how(team):
    qa = said(team, "carl", "/breach draft qa --lang en")
    assert "[spokesperson — to be confirmed]" in qa and "/breach media spokesperson <name or @user>" in qa


def test_monitoring_notes(team):
    assert "logged monitoring note W-1 for BR-1" in said(team, "carl", "/breach media watch Weibo thread, 40 reposts")
    listing = said(team, "carl", "/breach media")
    assert "Monitoring notes (1):" in listing and "Weibo thread, 40 reposts" in listing
    assert "/breach media watch <what was said, where>" in said(team, "carl", "/breach media watch")
    assert "/breach media spokesperson <name" in said(team, "carl", "/breach media spokesperson")


def test_media_desk_in_chinese(zh_team):
    assert "指定 王伟 为 BR-1 的发言人" in said(zh_team, "carl", "/breach 媒体 发言人 王伟")
    assert "发言人：王伟" in said(zh_team, "carl", "/breach 起草 新闻稿 --语言 中文")
    assert "舆情监测 W-1" in said(zh_team, "carl", "/breach 媒体 监测 微博有讨论")
    assert "媒体问答口径" in said(zh_team, "carl", "/breach 起草 问答口径 --语言 中文")


# -- satisfaction survey ---------------------------------------------------------------------------------------
def test_survey_is_drafted_and_approved_after_close(team, tmp_path):
    told(team, tmp_path)
    team.say("alice", '/breach close --cause staff_error --lessons "Check shares" --confirm', "breach-1")
    card = said(team, "lily", "/breach draft survey --lang en")
    assert "How did we do?" in card and "1. How satisfied are you with how we told you" in card
    assert "4. What should we do better?" in card
    assert "approved" in said(team, "lily", "/breach approve D-2")
    zh = said(team, "lily", "/breach draft survey --lang zh")
    assert "客户满意度回访" in zh and "1. 您对我们告知此次事件的方式是否满意？" in zh
    # other statements stay closed (a press statement); notices the law still owes do not (client, regulator)
    assert "closed" in said(team, "erin", "/breach draft press --lang en").lower()
    assert "📝 D-" in said(team, "erin", "/breach draft client --lang en")


def test_updates_and_surveys_are_merged_for_the_clients_told(team, tmp_path):
    import io
    import zipfile
    from pathlib import Path

    team.say("alice", "/breach answer contained yes", "breach-1")
    team.say("alice", "/breach answer cause staff_error", "breach-1")
    told(team, tmp_path)  # D-1 is the first letter; client 1 (Ann Lee) of 3 is told
    team.say("erin", "/breach draft update --lang en", "breach-1")
    assert "not approved yet" in said(team, "lily", "/breach letters D-2")
    team.say("erin", "/breach approve D-2", "breach-1")
    sent = team.say("lily", "/breach letters D-2", "breach-1")
    assert "📦 1 letter merged for the clients told" in joined(sent)
    archive = zipfile.ZipFile(io.BytesIO(Path(next(s.text for s in sent if s.op == "upload")).read_bytes()))
    [letter] = [n for n in archive.namelist() if n != "manifest.csv"]
    assert archive.read(letter).decode("utf-8").count("Dear Ann Lee,") == 1
    # After close the survey goes the same way.
    team.say("alice", '/breach close --cause staff_error --lessons "Check shares" --confirm', "breach-1")
    team.say("lily", "/breach draft survey --lang en", "breach-1")
    team.say("lily", "/breach approve D-3", "breach-1")
    sent = team.say("lily", "/breach letters D-3", "breach-1")
    assert "📦 1 letter merged for the clients told" in joined(sent)
    assert [e.data["kind"] for e in events(team, "mailing_merged")] == ["update", "survey"]
    zh = said(team, "lily", "/breach draft survey --lang zh")
    assert "D-4" in zh
    team.say("lily", "/breach approve D-4", "breach-1")
    assert "No approved draft in the language of the clients told (en)" in said(team, "lily", "/breach letters D-4")


def test_an_unanswered_enquiry_is_raised_when_its_time_is_up(team):
    team.say("carl", "/breach media Caixin When will clients be told?", "breach-1")
    team.say("carl", "/breach media Weibo Is tax data involved?", "breach-1")
    team.say("carl", "/breach media answered M-2 Yes, payroll only.", "breach-1")
    sent = team.advance(START + timedelta(hours=4, minutes=1))
    out = joined(sent)
    assert "M-1 from Caixin" in out and "is still unanswered: When will clients be told?" in out
    assert "/breach media answered M-1 <answer>" in out
    assert "M-1 from Caixin" in directs(sent, "carl") and "M-1 from Caixin" in directs(sent, "alice")
    assert "M-2" not in out  # answered in time
    assert len(events(team, "enquiry_unanswered")) == 1


def test_an_enquiry_answered_in_time_raises_nothing(zh_team):
    zh_team.say("carl", "/breach 媒体 财新 何时通知客户？", "breach-1")
    zh_team.say("carl", "/breach 媒体 已答复 M-1 本周内。", "breach-1")
    assert "仍未答复" not in joined(zh_team.advance(START + timedelta(hours=5)))


def test_a_zh_unanswered_enquiry_alert_is_in_chinese(zh_team):
    zh_team.say("carl", "/breach 媒体 财新 何时通知客户？", "breach-1")
    out = joined(zh_team.advance(START + timedelta(hours=5)))
    assert "财新的问询 M-1" in out and "仍未答复：何时通知客户？" in out and "/breach 媒体 已答复 M-1 <答复>" in out


def test_typed_offers_are_values_never_template_source(team):
    team.say("lily", "/breach offer hotline {{ 7*7 }} {% if 1 %}x{% endif %}", "breach-1")
    letter = said(team, "erin", "/breach draft client --lang en")
    assert "- Hotline: {{ 7*7 }} {% if 1 %}x{% endif %}" in letter and "49" not in letter


@pytest.mark.parametrize(("edit", "expected"), [
    ("client_updates: {every: 72h, remind_before: 6h}", "client_updates: {every: 4h, remind_before: 6h}"),
    ("media_answer_within: 4h", "media_answer_within: soon"),
])
def test_playbook_check_refuses_bad_care_settings(tmp_path, edit, expected):
    from pathlib import Path

    from bot.incident.playbook import PlaybookError, load_playbook

    text = (Path(__file__).resolve().parent.parent / "playbooks" / "breach-default.yaml").read_text(encoding="utf-8")
    assert edit in text
    path = tmp_path / "p.yaml"
    path.write_text(text.replace(edit, expected), encoding="utf-8")
    with pytest.raises(PlaybookError) as refused:
        load_playbook(path)
    assert f"{path}:" in str(refused.value)


def test_a_playbook_without_a_cadence_sends_no_update_reminders(sqlite_engine, tmp_path):
    console = team_of(sqlite_engine)
    console.bot.playbook = console.bot.playbook.model_copy(update={"client_updates": None})
    console.say("alice", "/breach declare Payroll export leaked --data payroll")
    told(console, tmp_path)
    assert "progress update" not in joined(console.advance(START + timedelta(hours=80)))


def test_status_shows_client_care(team, tmp_path):
    assert "Client care" not in said(team, "alice", "/breach status")
    told(team, tmp_path)
    team.say("lily", "/breach offer hotline 400-000-0000", "breach-1")
    team.say("lily", "/breach clients compensate 1 ¥800", "breach-1")
    team.say("lily", "/breach clients feedback 1 5", "breach-1")
    assert "🤝 Client care: offers 1 (/breach offer) · compensation ¥800 · satisfaction 5.0/5 from 1 client" in \
        said(team, "alice", "/breach status")


def test_the_spokesperson_is_also_a_guided_question(team):
    team.say("carl", "/breach answer spokesperson Wang Wei, managing partner", "breach-1")
    assert "Spokesperson: Wang Wei, managing partner" in said(team, "carl", "/breach draft press --lang en")
    team.say("carl", "/breach media spokesperson Li Na", "breach-1")
    assert "Spokesperson: Li Na" in said(team, "carl", "/breach draft press --lang en")


def test_naming_the_spokesperson_answers_the_question(sqlite_engine):
    from bot.incident import questions as q

    console = team_of(sqlite_engine)
    console.say("alice", "/breach declare Payroll export leaked")
    console.say("carl", "/breach media spokesperson Li Na", "breach-1")
    with Session(console.bot.engine) as s:
        state = q._states(s, s.exec(select(Incident)).one())["spokesperson"]
        assert state.answered_by == "carl" and state.answer == {"value": "Li Na"}


def test_progress_update_reminder_in_chinese(zh_team, tmp_path):
    told(zh_team, tmp_path)
    sent = zh_team.advance(START + timedelta(hours=66, minutes=1))
    assert "向客户发送进展通报即将到期（截止 " in directs(sent, "lily") and "应于 截止" not in directs(sent, "lily") and "/breach 起草 进展通报" in directs(sent, "lily")
    sent = zh_team.advance(START + timedelta(hours=72, minutes=1))
    assert "向客户发送进展通报的时间已到" in joined(sent)
    card = said(zh_team, "erin", "/breach 起草 进展通报 --语言 中文")
    assert "事件进展通报" in card and "尊敬的«CLIENT»：" in card


def test_history_trend_in_chinese(zh_team, tmp_path):
    told(zh_team, tmp_path)
    zh_team.say("lily", "/breach 客户 反馈 1 3 一般", "breach-1")
    zh_team.say("lily", "/breach 客户 反馈 2 4", "breach-1")
    history = said(zh_team, "alice", "/breach 历史")
    assert "客户满意度（回访，1-5分）：BR-1 3.5/5 (2)；平均 3.5/5 分，共 1 起" in history
    assert "客户意见（回访留言）：\n  BR-1 · 3/5 · A** L**：一般" in history
    assert "B* Ch**" not in history  # no comment, no line
