"""What the bot shows reads once and types back (#18): a missed clock says so once, standard follow-ups name
their owners as people, `done all` ticks the current phase, and questions take their titles and n/a answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.chat import Mention
from storage.models import Incident, QuestionState, TaskState
from tests.conftest import START, joined, make_console


def _clock_line(said: str, clock: str) -> str:
    return next(line for line in said.splitlines() if line.startswith(clock))


def test_a_missed_clock_says_it_is_overdue_once(sqlite_engine):
    for lang, affected, clocks, missed, late in (
            ("zh", "/breach 影响 中国=1200", "/breach 时限", "已逾期", "超时"),
            ("en", "/breach affected CN=1200", "/breach clocks", "MISSED", "late")):
        console = make_console(sqlite_engine, lang=lang)
        console.say("alice", "/breach declare payroll leak" if lang == "en" else "/breach 宣布 工资表泄露", "general")
        room = max((r for r in console.chat.rooms if r.startswith("breach-")), key=lambda r: int(r.split("-")[1]))
        console.say("alice", affected, room)
        console.advance(START + timedelta(days=2))
        row = _clock_line(joined(console.say("alice", clocks, room)), "cn-pipl-57/authority")
        assert row.count(missed) == 1 and late in row, row
        assert ("已逾期 · 截止 " if lang == "zh" else "MISSED · due ") in row, row


ROSTER = {"legal": ["erin"], "executive": ["frank"], "comms": ["carl"], "client_liaison": ["cathy"]}


def test_standard_follow_ups_name_their_owners_as_people(sqlite_engine):
    for lang, declare, close, shown in (
            ("en", "/breach declare Payroll export leaked", '/breach close --cause staff_error --lessons "x" --confirm',
             "F-1 Client satisfaction check with the affected clients (@cathy, "),
            ("zh", "/breach 宣布 工资表泄露", '/breach 结案 --原因 员工操作失误 --教训 "外链须设密码" --确认',
             "（@cathy，")):
        console = make_console(sqlite_engine, lang=lang, roster=ROSTER)
        console.say("alice", declare, "general")
        room = max((r for r in console.chat.rooms if r.startswith("breach-")), key=lambda r: int(r.split("-")[1]))
        sent = console.say("alice", close, room)
        scheduled = next(s for s in sent if s.op == "post" and s.text.startswith("📌"))
        assert shown in scheduled.text and "(cathy" not in scheduled.text, scheduled.text
        spans = [span for line in scheduled.message.lines for span in line]
        assert Mention("cathy") in spans and Mention("frank") in spans  # rendered as each platform names people


def _done(engine, incident_number: int = 1) -> list[tuple[str, str, bool]]:
    with Session(engine) as s:
        rows = s.exec(select(TaskState).join(Incident).where(Incident.number == incident_number)).all()
        return sorted((r.phase_key, r.key, r.done_at is not None) for r in rows)


def test_done_all_ticks_every_open_task_of_the_current_phase_and_lists_them(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh")
    console.say("alice", "/breach 宣布 工资表泄露", "general")
    console.say("alice", "/breach 完成 1", "breach-1")  # one done already: `全部` ticks the other two
    said = joined(console.say("alice", "/breach 完成 全部 已由合伙人确认", "breach-1"))
    assert ("☑️ @alice 勾选了“紧急响应”的全部未完成任务（2 项）：开启应急群并分配所有角色；"
            "保全证据：日志、访问记录、泄露文件副本") in said, said
    assert "组建应急小组" not in said.split("勾选了")[1].splitlines()[0]
    assert "紧急响应" in said and "初步调查" in said  # the phase completed and the next one started
    done = {(p, k) for p, k, d in _done(sqlite_engine) if d}
    assert done == {("immediate_response", "assemble_team"), ("immediate_response", "open_war_room"),
                    ("immediate_response", "preserve_evidence")}
    with Session(sqlite_engine) as s:
        notes = [x.note for x in s.exec(select(TaskState).where(TaskState.done_at.is_not(None))).all()]
        assert notes.count("已由合伙人确认") == 2
    # `1 2` still ticks two by number, in the phase that is now current
    console.say("alice", "/breach 完成 1 2", "breach-1")
    assert len([d for p, k, d in _done(sqlite_engine) if d and p == "investigation"]) == 2


def test_done_all_in_english_and_a_phase_with_nothing_open(sqlite_engine):
    console = make_console(sqlite_engine, roster=ROSTER)
    console.say("alice", "/breach declare payroll leak", "general")
    said = joined(console.say("alice", "/breach done all", "breach-1"))
    assert "☑️ @alice ticked every open task of Immediate response (3): Assemble the team" in said, said
    assert all(d for p, k, d in _done(sqlite_engine) if p == "immediate_response")
    before = _done(sqlite_engine)
    with Session(sqlite_engine) as s:  # the lead goes back to the finished phase: nothing is open there
        incident = s.exec(select(Incident)).one()
        incident.current_phase = "immediate_response"
        s.add(incident)
        s.commit()
    refused = joined(console.say("alice", "/breach done all", "breach-1"))
    assert refused.startswith("Every task of Immediate response is already done."), refused
    assert _done(sqlite_engine) == before


def _fact_and_state(engine, fact: str, question: str) -> tuple[object, bool, object]:
    """(the fact's value, whether it is recorded at all, when the question was answered)."""
    with Session(engine) as s:
        incident = s.exec(select(Incident)).one()
        state = s.exec(select(QuestionState).where(QuestionState.key == question)).first()
        return incident.facts.get(fact), fact in incident.facts, state.answered_at if state else None


def test_a_question_is_answered_by_its_chinese_title_and_with_chinese_yes_no(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh")
    console.say("alice", "/breach 宣布 工资表泄露", "general")
    said = joined(console.say("alice", "/breach 回答 泄露是否已控制 是", "breach-1"))
    assert "回答了" in said and "泄露是否已得到控制" in said and "：是" in said, said
    assert _fact_and_state(sqlite_engine, "contained", "contained")[0] is True
    said = joined(console.say("alice", "/breach 回答 密钥是否安全 否", "breach-1"))  # the report's title for key_safe
    assert _fact_and_state(sqlite_engine, "key_safe", "key_safe")[0] is False, said
    said = joined(console.say("alice", "/breach 回答 密钥是否安全 不适用", "breach-1"))
    assert "不适用" in said and _fact_and_state(sqlite_engine, "key_safe", "key_safe")[:2] == (None, True), said
    assert _fact_and_state(sqlite_engine, "key_safe", "key_safe")[2] is not None  # n/a closes the question
    said = joined(console.say("alice", "/breach 回答 是否涉嫌犯罪 不知道", "breach-1"))
    assert "暂不清楚" in said and "稍后会再问" in said, said
    value, _, answered = _fact_and_state(sqlite_engine, "crime_suspected", "crime")
    assert value is None and answered is None  # unknown: still open, asked again
    # n/a where the question does not take it: refused in Chinese, saying what it takes, nothing changed
    said = joined(console.say("alice", "/breach 回答 泄露是否已控制 不适用", "breach-1"))
    assert "「不适用」不是" in said and "是 或 否，或 不知道" in said, said
    assert _fact_and_state(sqlite_engine, "contained", "contained")[0] is True


def test_english_answers_n_a_and_unknown_where_the_question_takes_them(sqlite_engine):
    console = make_console(sqlite_engine)
    console.say("alice", "/breach declare payroll leak", "general")
    said = joined(console.say("alice", "/breach answer key_safe n/a", "breach-1"))
    assert "answered key_safe" in said and ": n/a" in said, said
    assert _fact_and_state(sqlite_engine, "key_safe", "key_safe")[:2] == (None, True)
    console.say("alice", "/breach answer contained yes", "breach-1")
    said = joined(console.say("alice", "/breach answer contained unknown", "breach-1"))
    assert "does not know contained" in said and "asked again" in said, said
    assert _fact_and_state(sqlite_engine, "contained", "contained")[:2] == (None, True)
    said = joined(console.say("alice", "/breach answer contained n/a", "breach-1"))
    assert "'n/a' is not a valid answer to contained. Valid: yes or no, or unknown" in said, said
    said = joined(console.say("alice", "/breach answer discovered unknown", "breach-1"))
    assert "is not a valid answer to discovered" in said, said


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_drill_scenario_is_named_as_the_refusal_lists_it(sqlite_engine, lang):
    console = make_console(sqlite_engine, lang=lang)
    refused = joined(console.say("alice", "/breach 演练 网盘X" if lang == "zh" else "/breach drill nope", "general"))
    assert refused.strip() == ("没有演练场景「网盘X」。场景：公共网盘（public-share）。" if lang == "zh"
                               else "No drill scenario 'nope'. Scenarios: public-share.")
    said = joined(console.say("alice", "/breach 演练 公共网盘" if lang == "zh" else '/breach drill "public share"',
                              "general"))
    assert ("🎭 已根据场景“公共网盘”开始演练 BR-1。" if lang == "zh"
            else "🎭 Drill BR-1 started from scenario public-share.") in said
    with Session(sqlite_engine) as s:
        assert s.get(Incident, 1).drill
