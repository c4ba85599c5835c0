"""A flag the command does not take (#18): refused with the flags it may have meant, named as the command's usage
line names them in the workspace's language, followed by that usage line; nothing changes."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.help import usage_line
from storage.models import Incident, TimelineEvent
from tests.conftest import make_console
from tests.conftest import said as say


def _events(engine) -> int:
    with Session(engine) as s:
        return len(s.exec(select(TimelineEvent)).all())


@pytest.mark.parametrize("lang, typed, meant, command", [
    ("zh", "/breach 事实 --开始 昨天 9点", "是不是想输入 --开始时间？", "facts"),
    ("zh", "/breach 事实 --时间 昨天 9点",
     "是不是想输入 --确认时间、--评估时间、--处置时间、--付款时间、--开始时间、--结束时间？", "facts"),
    ("zh", "/breach 事实 --结束 1小时前", "是不是想输入 --结束时间？", "facts"),
    ("zh", "/breach 事实 --加蜜 否", "是不是想输入 --加密？", "facts"),
    ("zh", "/breach 已通报 个保法 --参考 GA-1", "是不是想输入 --回执？", "notified"),
    ("zh", "/breach 已通报 个保法 --时刻 1小时前", "是不是想输入 --时间？", "notified"),
    ("zh", "/breach 结案 --原因 员工操作失误 --经验 外链须设密码", "是不是想输入 --教训？", "close"),
    ("zh", "/breach 严重程度 高 --reasn 已确认", "是不是想输入 --理由？", "severity"),
    ("en", "/breach facts --encryted no", "Did you mean --encrypted?", "facts"),
    ("en", "/breach notified pipl --reference GA-1", "Did you mean --ref?", "notified"),
    ("en", "/breach severity high --reasn confirmed", "Did you mean --reason?", "severity"),
    # English words for a flag, in a zh workspace too: the flag they mean, named as the usage names it
    ("zh", "/breach 事实 --start 昨天 9点", "是不是想输入 --开始时间？", "facts"),
    ("zh", "/breach 事实 --end 1小时前", "是不是想输入 --结束时间？", "facts"),
    ("zh", "/breach 已通报 个保法 --time 1小时前", "是不是想输入 --时间？", "notified"),
    ("zh", "/breach 结案 --教训 外链须设密码 --root-cause 员工操作失误", "是不是想输入 --原因？", "close"),
    ("zh", "/breach 结案 --原因 员工操作失误 --learned 外链须设密码", "是不是想输入 --教训？", "close"),
    ("zh", "/breach 事实 --police 是", "是不是想输入 --涉嫌犯罪？", "facts"),
    ("zh", "/breach 客户 已通知 全部 --channel 电话", "是不是想输入 --方式？", "clients"),
    ("zh", "/breach 起草 客户 --audience 企业", "是不是想输入 --对象？", "draft"),
    ("en", "/breach facts --start yesterday 9am", "Did you mean --from?", "facts"),
    ("en", "/breach notified pipl --when 1h ago", "Did you mean --at?", "notified"),
    ("en", "/breach close --lessons x --root-cause staff_error", "Did you mean --cause?", "close"),
    ("en", "/breach severity high --why confirmed", "Did you mean --reason?", "severity"),
    ("en", "/breach draft client --law pipl", "Did you mean --regime?", "draft"),
])
def test_a_wrong_flag_gets_the_flags_it_may_mean_and_the_usage(sqlite_engine, lang, typed, meant, command):
    console = make_console(sqlite_engine, lang=lang)
    console.say("alice", "/breach declare payroll leak", "general")
    console.say("alice", "/breach affected CN=1200", "breach-1")
    before = _events(sqlite_engine)
    said = say(console, "alice", typed)
    wrong = typed.split(" --")[-1].split()[0]
    assert said.startswith(f"--{wrong} 不是这个命令的选项。" if lang == "zh"
                           else f"--{wrong} is not an option of this command."), said
    assert meant in said, said
    assert usage_line(lang, command) in said, said
    assert _events(sqlite_engine) == before  # nothing recorded
    with Session(sqlite_engine) as s:
        assert s.exec(select(Incident)).one().severity == "high"


@pytest.mark.parametrize("lang, typed, meant", [
    ("zh", "/breach 宣布 工资表泄露 --客户 40", "是不是想输入 --客户数？"),
    ("zh", "/breach 宣布 工资表泄露 --level 高", "是不是想输入 --严重程度？"),
    ("en", "/breach declare payroll leak --count 40", "Did you mean --clients?"),
    ("en", "/breach declare payroll leak --severty high", "Did you mean --severity?"),
])
def test_a_wrong_flag_on_declare_opens_nothing(sqlite_engine, lang, typed, meant):
    console = make_console(sqlite_engine, lang=lang)
    said = say(console, "alice", typed, "general")
    assert meant in said and usage_line(lang, "declare") in said, said
    with Session(sqlite_engine) as s:
        assert s.exec(select(Incident)).all() == []


def test_a_wrong_flag_with_nothing_close_gets_the_usage_only(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh")
    console.say("alice", "/breach 宣布 工资表泄露", "general")
    said = say(console, "alice", "/breach 事实 --客户 3")
    assert said.startswith("--客户 不是这个命令的选项。\n") and "是不是想输入" not in said, said
    assert usage_line("zh", "facts") in said
