"""The report carries the whole record, in the order things happened: notes, decisions, task notes, answers
with who and when, approvals, notices; times typed with --at out of order come out in time order, each with
when it was recorded; long sections continue in an appendix that holds every event."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import joined, make_console

ZH = """
alice #general> /breach 宣布 网盘共享泄露 --severity high --aware "2026-11-28 09:40" --data payroll,bank_account
alice #breach-1> /breach 影响 中国=1200
alice #breach-1> /breach 指派 @erin legal
alice #breach-1> /breach 记录 网盘日志显示外部IP在09:41访问了共享
alice #breach-1> /breach 决定 立即关闭网盘共享
alice #breach-1> /breach 完成 1 已召集团队
alice #breach-1> /breach 回答 discovered 3
~ +9h
erin #breach-1> /breach 已通报 cn-pipl-57/authority --at 19:05 --ref 网信-7
erin #breach-1> /breach 已通报 cn-dsl-29 --at 18:30
"""


def _run(console, script: str) -> None:
    for raw in script.strip().splitlines():
        if raw.startswith("~"):
            console.run_script([raw], out=__import__("io").StringIO())
            continue
        who_room, text = raw.split("> ", 1)
        who, room = who_room.split(" #")
        said = joined(console.say(who, text, room))
        assert "没有" not in said[:0]  # keep going; failures show in the report checks


def _report(console, fmt: str, lang: str = "zh") -> str:
    sent = console.say("alice", f"/breach 报告 --format {fmt} --lang {lang}", "breach-1")
    return Path(next(s for s in sent if s.op == "upload").text).read_text(encoding="utf-8")


def test_zh_report_has_every_note_in_time_order(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh")
    _run(console, ZH)
    md = _report(console, "md")
    body, appendix = md.split("## 附录")
    for said in ("网盘日志显示外部IP在09:41访问了共享", "立即关闭网盘共享", "已召集团队", "网信-7"):
        assert said in body, said
        assert said in appendix, said
    said = body.split("## 记录、决定与答复")[1].split("## 时间线")[0]
    # The answer says what was asked, what was answered, by whom and when.
    assert "- 2026年11月28日 10:05 · alice · 回答问题：泄露是如何发现的？员工报告" in said
    assert "- 2026年11月28日 10:05 · alice · 完成任务：阶段 1 紧急响应：" in said and "已召集团队" in said
    timeline = body.split("## 时间线")[1]
    told = [line for line in timeline.splitlines() if "已通报" in line]
    # Typed 19:05 first and 18:30 second: the timeline is in the order things happened, saying when each was typed.
    assert told[0].startswith("- 2026年11月28日 18:30 · erin · 已通报：数据安全法") and told[0].endswith(
        "（记录于 2026年11月28日 19:05）")
    assert told[1].startswith("- 2026年11月28日 19:05 · erin · 已通报：个人信息保护法") and "记录于" not in told[1]


def test_long_sections_continue_in_the_appendix_and_nothing_is_left_out(sqlite_engine):
    console = make_console(sqlite_engine)
    console.say("alice", "/breach declare Lost laptop --severity high", "general")
    for n in range(70):
        console.say("alice", f"/breach log observation number {n:02d}", "breach-1")
    md = _report(console, "md", "en")
    body, appendix = md.split("## Appendix: the complete record")
    said = body.split("## Notes, decisions and answers")[1].split("## Timeline")[0]
    assert said.count("observation number") == 60 and "… and 10 more: see the appendix." in said
    assert all(f"observation number {n:02d}" in appendix for n in range(70))
    html = _report(console, "html", "en")
    assert "… and 10 more: see the appendix." in html and "observation number 69" in html


def test_every_kind_of_event_is_named_in_words_in_both_languages():
    """No timeline event reaches a report as its code (`public_described`, `cost_recorded`): every kind the
    code appends has a name in the catalogue of each language."""
    import re

    import yaml
    root = Path(__file__).resolve().parent.parent
    kinds = set()
    for path in (*root.glob("bot/**/*.py"), *root.glob("handlers/**/*.py")):
        for call in re.findall(r"timeline\.append\((.{0,400}?)\)", path.read_text(encoding="utf-8"), re.S):
            kinds.update(re.findall(r'kind="([a-z_]+)"', call))
    assert {"public_described", "cost_recorded", "closed"} <= kinds
    for lang in ("en", "zh"):
        named = yaml.safe_load((root / f"bot/text/locales/{lang}.yaml").read_text(encoding="utf-8"))["report"]["event"]
        assert sorted(kinds - set(named)) == [], lang


def test_a_public_description_and_a_cost_read_as_words_in_the_report(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh")
    _run(console, ZH)
    console.say("alice", "/breach 对外说明 一名员工误将共享链接设为公开。", "breach-1")
    console.say("alice", "/breach 费用 12000 取证 网盘日志调取", "breach-1")
    md = _report(console, "md")
    assert "public_described" not in md and "cost_recorded" not in md
    assert "对外说明：一名员工误将共享链接设为公开。" in md
    assert "记录费用：¥12,000 · 取证 · 网盘日志调取" in md


def test_the_facts_table_reads_as_chinese_and_keeps_the_incident_level(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh")
    _run(console, ZH)
    console.say("alice", "/breach 事实 --事件级别 一般 --系统 工资系统、百度网盘", "breach-1")
    md = _report(console, "md")
    facts = md.split("## 时间线")[0]
    assert "| 网络安全事件级别 | 一般 |" in facts and "| 涉及数据 | 工资数据、银行账户 |" in facts
    assert "| 受影响人数 | 1,200 |" in facts


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_answer_of_dont_know_and_measures_read_as_words_in_the_report(sqlite_engine, lang):
    console = make_console(sqlite_engine, lang=lang)
    console.say("alice", "/breach 宣布 网盘泄露" if lang == "zh" else "/breach declare share leak", "general")
    console.say("alice", "/breach 回答 press 不知道" if lang == "zh" else "/breach answer press don't know", "breach-1")
    console.say("alice", "/breach 事实 --措施 隔离、重置" if lang == "zh" else "/breach facts --measures isolate,reset",
                "breach-1")
    console.say("alice", "/breach 回答 clients 40" if lang == "zh" else "/breach answer clients 40", "breach-1")
    md = _report(console, "md", lang)
    assert ("| 受影响客户数 | 40 |" if lang == "zh" else "| Clients affected | 40 |") in md  # the question's answer
    assert "None" not in md and "isolate" not in md and "reset\\_credentials" not in md
    assert ("回答问题：媒体或公众是否已知晓此次泄露？不知道" if lang == "zh"
            else "question answered: Do the press or the public know about the leak? don't know") in md
    assert ("记录事实：已采取的措施：隔离受影响的系统、重置泄露的账号密码" if lang == "zh"
            else "facts recorded: measures taken: Isolate the affected systems, Reset exposed credentials") in md


MOVED = {"zh": ("| 1 | 紧急响应 | 事件负责人 | 2026年11月28日 09:00 | 2026年11月28日 10:35 | 逾期 1小时35分 |",
                "alice · 阶段截止时间调整：阶段 1 紧急响应：截止 2026年11月28日 11:05 → 2026年11月28日 09:00（知悉时间已更正），"
                "现为逾期完成"),
         "en": ("| 1 | Immediate response | Incident lead | 28 November 2026, 09:00 | 28 November 2026, 10:35 | late by 1h 35m |",
                "alice · phase target moved: phase 1 Immediate response: due 28 November 2026, 11:05 → 28 November 2026, "
                "09:00 (the awareness time was changed), now after its deadline")}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_completed_phase_is_judged_against_its_target_once_awareness_moves_earlier(sqlite_engine, lang):
    """Phase 1 done at 10:35 against 11:05; then the firm says it knew at 08:00: phase 1 was due 09:00, so it was
    late, and the timeline says its target moved."""
    from datetime import timedelta

    console = make_console(sqlite_engine, lang=lang)  # START: 10:05 UTC+8
    console.say("alice", "/breach 宣布 网盘泄露" if lang == "zh" else "/breach declare share leak", "general")
    console.advance(console.clock.now() + timedelta(minutes=30))
    console.say("alice", "/breach 完成 全部" if lang == "zh" else "/breach done all", "breach-1")
    console.say("alice", "/breach 回答 知悉 今早8点" if lang == "zh" else "/breach answer aware 08:00", "breach-1")
    md = _report(console, "md", lang)
    row, moved = MOVED[lang]
    assert row in md and moved in md
