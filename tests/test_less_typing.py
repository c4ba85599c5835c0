"""Less typing in a real incident: what was already answered is not asked for again."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from storage.models import Incident
from tests.conftest import START, joined, make_console


def test_close_reuses_the_recorded_cause(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh")
    console.say("alice", "/breach 宣布 网盘共享泄露 --severity high", "general")
    refused = joined(console.say("alice", "/breach 结案 --教训 网盘不得公开 --确认", "breach-1"))
    assert "如尚未记录原因" in refused
    console.say("alice", "/breach 回答 cause staff_error", "breach-1")
    said = joined(console.say("alice", "/breach 结案 --教训 网盘不得公开 --确认", "breach-1"))
    assert "员工失误" in said
    with Session(sqlite_engine) as s:
        incident = s.exec(select(Incident)).one()
        assert incident.status == "closed" and incident.cause == "staff_error"


def test_several_drafts_are_approved_at_once_all_or_none(sqlite_engine):
    from storage.models import DraftVersion

    console = make_console(sqlite_engine, roster={"legal": ["erin"]})
    console.say("alice", "/breach declare Payroll share --severity high --data payroll", "general")
    for typed in ("/breach public A payroll file was readable on a shared drive", "/breach answer cause staff_error",
                  "/breach facts --encrypted no --from \"2026-11-20 09:00\" --to \"2026-11-27 18:00\"",
                  "/breach answer contained yes"):
        console.say("alice", typed, "breach-1")
    for typed in ("client --lang zh", "client --lang en", "client --lang en --variant company"):
        console.say("erin", f"/breach draft {typed}", "breach-1")
    refused = joined(console.say("erin", "/breach approve D-3 D-9", "breach-1"))
    with Session(sqlite_engine) as s:
        assert all(v.status == "draft" for v in s.exec(select(DraftVersion))), refused
    said = joined(console.say("erin", "/breach approve D-1 D-2、D-3", "breach-1"))
    assert said.count("approved") >= 3, said
    with Session(sqlite_engine) as s:
        assert [v.status for v in s.exec(select(DraftVersion))] == ["approved"] * 3


def _phase(console) -> str:
    with Session(console.bot.engine) as s:
        return s.exec(select(Incident)).one().current_phase


def test_the_last_task_done_starts_the_next_phase(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh")
    console.say("alice", "/breach 宣布 网盘共享泄露", "general")
    said = joined(console.say("alice", "/breach 完成 1 2 3 已组建团队", "breach-1"))
    assert "✅ 紧急响应 的任务已全部完成，进入下一阶段。" in said and "▶️ BR-1 阶段 2/10：初步调查" in said
    assert _phase(console) == "investigation"
    # Task numbers count in the phase they were typed in: a fourth number is no task of phase 1.
    console = make_console(sqlite_engine, lang="en")
    console.say("alice", "/breach declare Second leak", "general")
    said = joined(console.say("alice", "/breach done BR-2 1 2 3 4", "breach-2"))
    assert "No task '4'" in said
    said = joined(console.say("alice", "/breach done BR-2 1 2 3", "breach-2"))
    assert "on to the next phase" in said and "▶️ BR-2 phase 2/10: Preliminary investigation" in said


def test_a_phase_that_waits_for_the_lead_does_not_move_on(sqlite_engine):
    console = make_console(sqlite_engine)
    first = console.bot.playbook.phases[0].model_copy(update={"waits_for_lead": True})
    console.bot.playbook = console.bot.playbook.model_copy(update={"phases": [first, *console.bot.playbook.phases[1:]]})
    console.say("alice", "/breach declare Payroll share", "general")
    said = joined(console.say("alice", "/breach done 1 2 3", "breach-1"))
    assert "Every task of Immediate response is done. Type /breach phase next to move on." in said
    assert _phase(console) == "immediate_response"
    said = joined(console.say("alice", "/breach phase next", "breach-1"))
    assert "▶️ BR-1 phase 2/10: Preliminary investigation" in said and _phase(console) == "investigation"


def test_the_last_phase_done_says_so_and_goes_nowhere(sqlite_engine):
    console = make_console(sqlite_engine)
    console.say("alice", "/breach declare Payroll share", "general")
    console.say("alice", f"/breach phase {len(console.bot.playbook.phases)} --reason straight to the review", "breach-1")
    count = len(console.bot.playbook.phases[-1].tasks)
    said = joined(console.say("alice", "/breach done " + " ".join(str(n) for n in range(1, count + 1)), "breach-1"))
    assert "that phase is complete" in said and "on to the next phase" not in said
    assert _phase(console) == console.bot.playbook.phases[-1].key


def _incidents(console) -> list[int]:
    with Session(console.bot.engine) as s:
        return [x.number for x in s.exec(select(Incident).order_by(Incident.number))]


def test_the_same_declare_twice_asks_did_you_mean(sqlite_engine):
    console = make_console(sqlite_engine)
    console.say("alice", "/breach declare Payroll share leaked --severity high", "general")
    console.advance(START + timedelta(minutes=3))
    said = joined(console.say("bob", "/breach declare  payroll share LEAKED --severity high", "general"))
    assert said.startswith("Did you mean BR-1? BR-1 “Payroll share leaked” was declared at 10:05 by @alice")
    assert "type it again with --new: /breach declare payroll share LEAKED --new" in said
    assert _incidents(console) == [1]
    said = joined(console.say("bob", "/breach declare Payroll share leaked --new", "general"))
    assert "BR-2 declared by @bob" in said and _incidents(console) == [1, 2]
    console.advance(START + timedelta(minutes=14))  # ten minutes after BR-1 and BR-2, the same words open BR-3
    console.say("bob", "/breach declare Payroll share leaked", "general")
    assert _incidents(console) == [1, 2, 3]


def test_the_same_declare_twice_in_chinese(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh")
    console.say("alice", "/breach 宣布 网盘共享泄露", "general")
    said = joined(console.say("alice", "/breach 宣布 网盘共享泄露", "general"))
    assert said.startswith("是否指 BR-1？BR-1“网盘共享泄露”已由 @alice 于 10:05 宣布")
    assert "仍要新建另一起事件，请加 --仍然新建 再输入一次：/breach 宣布 网盘共享泄露 --仍然新建" in said
    assert _incidents(console) == [1]
    console.say("alice", "/breach 宣布 网盘共享泄露 --仍然新建", "general")
    assert _incidents(console) == [1, 2]


def _affected(console) -> dict:
    with Session(console.bot.engine) as s:
        return s.exec(select(Incident)).one().facts["affected"]


def test_affected_says_what_it_replaced_and_plus_adds(sqlite_engine):
    console = make_console(sqlite_engine)
    console.say("alice", "/breach declare Payroll share", "general")
    first = joined(console.say("alice", "/breach affected CN=10 US-CA=3 EU=2", "breach-1"))
    assert "replaces" not in first
    said = joined(console.say("alice", "/breach affected CN=4853", "breach-1"))
    assert "It replaces what was recorded before: CN 10 · US-CA 3 · EU 2 (15 in all)." in said
    assert "/breach affected +US-CA=5" in said and _affected(console) == {"CN": 4853}
    said = joined(console.say("alice", "/breach affected +US-CA=5 +CN=7", "breach-1"))
    assert "CN 4,860 · US-CA 5 (4,865 in all)" in said and "replaces" not in said
    assert _affected(console) == {"CN": 4860, "US-CA": 5}


def test_affected_in_chinese(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh")
    console.say("alice", "/breach 宣布 网盘共享泄露", "general")
    console.say("alice", "/breach 影响 中国=10 加州=3", "breach-1")
    said = joined(console.say("alice", "/breach 影响 中国=4853", "breach-1"))
    assert "此前记录的人数被替换：中国大陆 10 · 加利福尼亚州 3（共 13 人）。" in said and "/breach 影响 +加州=5" in said
    console.say("alice", "/breach 影响 ＋加州=5", "breach-1")
    assert _affected(console) == {"CN": 4853, "US-CA": 5}


def _open_keys(console) -> list[str]:
    from bot.incident import questions

    with Session(console.bot.engine) as s:
        incident = s.exec(select(Incident)).one()
        return [spec.key for _, spec in questions.open_questions(s, incident=incident, playbook=console.bot.playbook)]


def test_what_declare_and_the_facts_said_is_not_asked(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh")
    console.say("alice", "/breach 宣布 网盘共享泄露 --数据 工资 --知悉时间 09:40", "general")
    console.say("alice", "/breach 事实 --加密 否", "breach-1")
    said = joined(console.say("alice", "/breach 完成 1 2 3", "breach-1"))
    assert "泄露了哪些类别的数据" not in said and "加密密钥是否安全" not in said and "有多少客户受到影响" in said
    keys = _open_keys(console)
    assert "data" not in keys and "key_safe" not in keys and "encrypted" not in keys and "aware" not in keys
    assert "clients" in keys and "people" in keys


def test_key_safe_asked_before_not_encrypted_stops_being_asked(sqlite_engine):
    console = make_console(sqlite_engine)
    console.say("alice", "/breach declare Payroll share", "general")
    console.say("alice", "/breach phase next --reason go", "breach-1")
    assert "key_safe" in _open_keys(console) and "data" in _open_keys(console)
    console.say("alice", "/breach answer encrypted no", "breach-1")
    assert "key_safe" not in _open_keys(console)
    sent = console.advance(START + timedelta(hours=3))  # its reminders stop too
    assert not any("encryption key" in s.text for s in sent if s.text)
