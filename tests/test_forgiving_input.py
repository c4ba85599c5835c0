"""What a tired person types at 2 a.m. — often with a Chinese input method — works; what cannot work changes
nothing and says exactly what to type (the UX review's console scripts, as tests)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from handlers.console.workspace import ConsoleWorkspace
from storage.models import Draft, FollowUp, Incident, RoleAssignment, TaskState, TimelineEvent
from tests.conftest import joined, make_console
from tests.test_bad_input import only_replies, snapshot

NIGHT = datetime(2026, 11, 28, 2, 5, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def zh(sqlite_engine) -> ConsoleWorkspace:
    return make_console(sqlite_engine, lang="zh", start=NIGHT)


@pytest.fixture
def en(sqlite_engine) -> ConsoleWorkspace:
    return make_console(sqlite_engine, start=NIGHT)


def incident(bot: ConsoleWorkspace, number: int = 1) -> Incident:
    with Session(bot.bot.engine) as s:
        return s.exec(select(Incident).where(Incident.number == number)).one()


def local(when: datetime) -> str:
    return f"{when.replace(tzinfo=when.tzinfo or UTC).astimezone(ZoneInfo('Asia/Shanghai')):%d %H:%M}"


def holder(bot: ConsoleWorkspace, role: str) -> str | None:
    with Session(bot.bot.engine) as s:
        rows = s.exec(select(RoleAssignment).where(RoleAssignment.role == role,
                                                   RoleAssignment.ended_at == None)).all()  # noqa: E711
        return rows[-1].user if rows else None


def done_tasks(bot: ConsoleWorkspace) -> list[str]:
    with Session(bot.bot.engine) as s:
        return [t.key for t in s.exec(select(TaskState).where(TaskState.done_at != None)  # noqa: E711
                                      .order_by(TaskState.id))]


def timeline_texts(bot: ConsoleWorkspace) -> list[str]:
    with Session(bot.bot.engine) as s:
        return [e.text for e in s.exec(select(TimelineEvent).order_by(TimelineEvent.id))]


def refused(bot: ConsoleWorkspace, typed: str, room: str = "breach-1") -> str:
    """Bad input: one answer, nothing changed."""
    before = snapshot(bot.bot.engine)
    [text] = only_replies(bot.say("alice", typed, room))
    assert snapshot(bot.bot.engine) == before
    return text


# -- 1. full-width and input-method text -------------------------------------------------------------
def test_a_chinese_keyboard_is_understood(zh):
    assert "你没有进行中的事件" in joined(zh.say("alice", "／breach 状态"))  # the full-width slash gets an answer
    zh.say("alice", "/breach　宣布　客户工资表在公共网盘被发现 --severity 高 --aware 昨晚11点")
    declared = incident(zh)
    assert (declared.title, declared.severity, local(declared.aware_at)) == ("客户工资表在公共网盘被发现", "high",
                                                                           "27 23:00")
    for typed in ("/breach 状态 BR－1", "/breach 状态 ＢＲ-1", "/breach 状态 1"):
        assert "BR-1 · 严重程度" in joined(zh.say("alice", typed, "general")), typed
    zh.say("alice", "/breach 指派 ＠bob legal", "breach-1")
    zh.say("alice", "/breach 指派 @dave 记录员", "breach-1")
    assert (holder(zh, "legal"), holder(zh, "scribe")) == ("bob", "dave")
    seen = joined(zh.say("alice", "/breach 回答　aware　2小时前", "breach-1"))
    assert "事务所知悉时间为 00:05" in seen and local(incident(zh).aware_at) == "28 00:05"
    zh.say("alice", "/breach 完成 1，2", "breach-1")
    zh.say("alice", "/breach 完成 ３", "breach-1")
    assert done_tasks(zh) == ["assemble_team", "open_war_room", "preserve_evidence"]
    zh.say("alice", "/breach 影响 CN＝1200，DE=3 FR=2", "breach-1")
    zh.say("alice", "/breach 事实 --data 银行账户、税号 --cac-level 较大", "breach-1")
    facts = incident(zh).facts
    assert (facts["affected"], facts["data"], facts["cac_level"]) == ({"CN": 1200, "DE": 3, "FR": 2},
                                                                      ["bank_account", "tax_id"], "relatively_major")


def test_dashes_from_autocorrect_are_flags(zh):
    zh.say("alice", "/breach 宣布 测试")
    zh.say("alice", "/breach 阶段 next —reason 先推进", "breach-1")
    assert incident(zh).current_phase == "investigation"
    assert "immediate_response: 先推进" in timeline_texts(zh)
    zh.say("alice", "/breach 阶段 next ——reason 还在查", "breach-1")
    assert incident(zh).current_phase == "management_report"


def test_free_text_flags_need_no_quotes(en):
    en.say("alice", "/breach declare Payroll export leaked")
    en.say("alice", "/breach phase next --reason scope known", "breach-1")
    assert "immediate_response: scope known" in timeline_texts(en)
    en.say("alice", "/breach close --cause staff error --lessons Shares must not be public --confirm", "breach-1")
    closed = incident(en)
    assert (closed.status, closed.cause, closed.lessons) == ("closed", "staff_error", "Shares must not be public")


def test_a_reason_without_its_flag_is_refused_with_the_command_to_type(en):
    en.say("alice", "/breach declare Payroll export leaked")
    text = refused(en, "/breach phase next scope known")
    assert 'Type it after --reason: /breach phase next --reason "scope known"' in text


# -- 3. times -------------------------------------------------------------------------------------------
def test_times_as_people_say_them(en):
    en.say("alice", "/breach declare Leak test --aware 23:00")  # at 02:05: last night, not "in the future"
    assert local(incident(en).aware_at) == "27 23:00"
    en.say("alice", "/breach declare Second leak --aware yesterday 11pm")
    assert (incident(en, 2).title, local(incident(en, 2).aware_at)) == ("Second leak", "27 23:00")
    en.say("alice", "/breach followup Train staff --owner @bob --due next friday", "breach-1")
    en.say("alice", "/breach followup Check backups --owner @bob --due +14d", "breach-1")
    with Session(en.bot.engine) as s:
        assert [local(f.due_at) for f in s.exec(select(FollowUp).order_by(FollowUp.id))] == ["04 09:00", "12 02:05"]
    assert "--aware is in the future" in refused(en, "/breach declare Leak --aware tomorrow")
    assert "due" in refused(en, "/breach followup Thing --owner @bob --due yesterday").lower()


def test_a_time_it_cannot_read_is_explained_in_chinese(zh):
    text = refused(zh, "/breach 宣布 测试 --aware 昨晚", "general")
    assert text.startswith("无法把「昨晚」读成时间。可以写：「2小时前」")


# -- 4. the names the bot shows ------------------------------------------------------------------------
def test_names_the_bot_shows_are_accepted(zh):
    zh.say("alice", "/breach 宣布 测试 --aware 10分钟前")
    zh.say("alice", "/breach 指派 @erin 法务合规", "breach-1")
    assert holder(zh, "legal") == "erin"
    zh.say("alice", "/breach 起草 客户通知", "breach-1")
    with Session(zh.bot.engine) as s:
        assert [d.kind for d in s.exec(select(Draft))] == ["client"]
    seen = joined(zh.say("alice", "/breach 稍后提醒 30分钟 --reason 等待合伙人", "breach-1"))
    assert "等待合伙人" in seen
    text = refused(zh, "/breach 指派 @bob 法務")
    assert "没有角色「法務」" in text and "是不是想输入 法务合规？" in text and "legal" not in text
    zh.say("alice", "/breach 结案 --cause 员工失误 --lessons 网盘不得公开 --confirm", "breach-1")
    assert (incident(zh).cause, incident(zh).lessons) == ("staff_error", "网盘不得公开")


def test_answers_read_member_states_and_names(en):
    en.say("alice", "/breach declare Leak --aware 10m ago")
    en.say("alice", "/breach phase next --reason go", "breach-1")
    en.say("alice", "/breach answer people CN=1200 DE=3", "breach-1")
    assert incident(en).facts["affected"] == {"CN": 1200, "DE": 3}


# -- 5. several tasks -----------------------------------------------------------------------------------
def test_several_tasks_are_done_together_or_not_at_all(en):
    en.say("alice", "/breach declare Payroll export leaked")
    text = refused(en, "/breach done 1 2 99 laptops wiped")  # task 99 does not exist: 1 and 2 stay open
    assert "No task '99'" in text and 'If \'99\' starts the note, type: /breach done 1,2 --note "99 laptops wiped"' in text
    assert done_tasks(en) == []
    en.say("alice", "/breach done 1 2 3 team assembled", "breach-1")
    assert done_tasks(en) == ["assemble_team", "open_war_room", "preserve_evidence"]
    with Session(en.bot.engine) as s:
        notes = [t.note for t in s.exec(select(TaskState).where(TaskState.done_at != None))]  # noqa: E711
        assert notes == ["team assembled"] * 3
    en.say("alice", "/breach done 2.1 --note 40 files copied", "breach-1")
    with Session(en.bot.engine) as s:
        task = s.exec(select(TaskState).where(TaskState.key == "affected_systems")).one()
        assert task.note == "40 files copied"


def test_several_tasks_and_a_note_in_chinese(zh):
    zh.say("alice", "/breach 宣布 工资表泄露")
    text = refused(zh, "/breach 完成 1 2 99 台电脑已清除")
    assert "没有任务「99」" in text and '/breach 完成 1,2 --备注 "99 台电脑已清除"' in text and "--note" not in text
    zh.say("alice", "/breach 完成 1 2 3 已组建团队", "breach-1")
    with Session(zh.bot.engine) as s:
        done = s.exec(select(TaskState).where(TaskState.done_at != None)).all()  # noqa: E711
        assert [(t.key, t.note) for t in done] == [(k, "已组建团队") for k in
                                                   ("assemble_team", "open_war_room", "preserve_evidence")]
    assert any("已组建团队" in text for text in timeline_texts(zh))


def test_several_tasks_from_outside_the_war_room_say_done_once(en):
    en.say("alice", "/breach declare Payroll export leaked")
    sent = en.say("alice", "/breach done BR-1 1,2", "general")
    assert [s.text for s in sent if s.op == "reply"] == ["Done."]


# -- 6. ids and hints -----------------------------------------------------------------------------------
def test_ids_hints_and_did_you_mean(en):
    en.say("alice", "/breach declare First leak")
    en.say("alice", "/breach declare Second leak")
    assert "BR-2 · severity high" in joined(en.say("alice", "/breach status 2", "general"))
    text = refused(en, "/breach log typed in general", "general")
    assert text.startswith("You are on several open incidents; say which, e.g. /breach log BR-2 …")
    assert refused(en, "/breach statsu").startswith("I don't know /breach statsu. Did you mean /breach status?")
    assert refused(en, "/breach phase nxt").endswith("Did you mean next?")
    assert "Did you mean legal?" in refused(en, "/breach assign @bob legl")
    assert "No draft of BR-1 is waiting for approval" in refused(en, "/breach approve")
    en.say("alice", "/breach draft staff", "breach-1")
    text = refused(en, "/breach approve")
    assert text == "Which draft? Waiting for approval: D-1 v1 (staff: lead). Type it like /breach approve D-1."


# -- 8. usage and help in Chinese ------------------------------------------------------------------------
def test_usage_and_help_speak_chinese(zh):
    zh.say("alice", "/breach 宣布 测试")
    text = refused(zh, "/breach 完成")
    assert "用法： /breach 完成 <任务编号、阶段.任务 或任务名称>" in text
    assert "用法： /breach 记录 <记录内容>" in refused(zh, "/breach 记录")
    listing = joined(zh.say("alice", "/breach 帮助", "breach-1"))
    assert "/breach 状态 — " in listing and "/breach 完成 — " in listing and "/breach status" not in listing
    assert joined(zh.say("alice", "/breach 帮助 结案", "breach-1")).startswith("/breach 结案 --原因 <技术漏洞|")
    with Session(zh.bot.engine) as s:
        assert s.exec(select(TimelineEvent)).all()  # help changed nothing but answered
