"""Every command typed in Chinese, right and wrong, in a zh workspace: each answer is Chinese, each refusal lists
the choices as the bot shows them in Chinese, and what the bot shows can be typed back (#18).

Also the small things a new user hit: a task done twice named by its title, the facts usage listing every flag,
a future exposure time refused for what it is.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.settings import FirmConfig
from tests.conftest import START, joined, make_console
from tests.test_zh_wording import latin_words

ROSTER = {"lead": ["carol"], "it_security": ["dave"], "legal": ["erin"], "executive": ["frank"],
          "client_liaison": ["chen"]}
CSV = ("姓名,类型,联系方式,语言,居住地,数据,通知时限\n王芳,个人,wang@example.cn,普通话,上海,工资,48\n"
       "李强,个人,13800000000,中文,香港,银行卡号,\n上海明星贸易有限公司,企业,ap@mx.example,中文,广东省,账簿,24\n")

# (who, typed, what the answer must contain): bare Chinese command words too, as typed in a chat box.
SCRIPT = [
    ("carol", "完成 1", "☑️ @carol 完成了：组建应急小组"),
    ("carol", "完成 2，3。", "✅ 紧急响应 的任务已全部完成，进入下一阶段。\n▶️ BR-1 阶段 2/10：初步调查"),
    ("carol", "/breach 完成 1.3", "“保全证据：日志、访问记录、泄露文件副本”已由 @carol 完成。"),
    ("carol", "/breach 完成 火星", "没有任务「火星」。"),
    ("carol", "/breach 阶段 下一 先推进", "请写在 --理由 后面：/breach 下一阶段 --理由 \"先推进\""),
    ("carol", "/breach 下一阶段", "或用 /breach 下一阶段 --理由 \"<原因>\" 说明原因后继续。"),
    ("dave", "/breach 影响 上海=300 香港=20 加州=6", "中国大陆 300 · 香港 20 · 加利福尼亚州 6"),
    ("dave", "/breach 事实 --开始时间 明天", "--开始时间 11月29日周日 00:00 是将来的时间，未作记录。"),
    ("dave", "/breach 事实 --加密 也许", "--加密 只能填 是 或 否，而不是「也许」。"),
    ("dave", "/breach 事实 --确认时间 3天前", "请先回答知悉时间问题：/breach 回答 知悉 \"<时间>\""),
    ("dave", "/breach 事实 --数据 工资，火星", "未知的数据类别：火星。可用：姓名、"),
    ("dave", "/breach 事实 --事件级别 很大", "级别：一般、较大、重大、特别重大。"),
    ("dave", "/breach 事实 --涉嫌犯罪 是 --开始时间 3天前 --系统 网盘", "泄露开始：11月25日周三 10:05；涉及的系统：网盘"),
    ("carol", "/breach 回答 知悉 1小时前", "修改了 Q2 的答案（事务所最早是什么时候知悉的？）"),
    ("carol", "/breach 回答 火星 否", "请写问题编号（Q1–Q15）或问题中的词"),
    ("carol", "/breach 回答 1 火星", "可选：1 系统告警 · 2 客户告知"),
    ("erin", "/breach 已通报 个保法",
     "cn-pipl-57/authority（履行个人信息保护职责的部门）、cn-pipl-57/individuals（受影响的个人）。请写明其中一个，或加上通报对象"),
    ("erin", "/breach 已通报 公安", "已于 10:05 通报，编号 未填写。"),
    ("erin", "/breach 已通报 个保法 --回执", "用法： /breach 已通报 <法规名称或时限编号>"),
    ("erin", "/breach 时限 --全部", "记录已通报：/breach 已通报 <法规名称或时限编号> --回执"),
    ("carol", "/breach 稍后提醒 火星 --理由 等待回复", "没有阶段「火星」。"),
    ("carol", "/breach 严重程度 超高 --理由 范围", "请选择：低、中、高、特别严重。"),
    ("carol", "/breach 指派 @gina 保安", "可用角色：事件负责人、信息安全"),
    ("carol", "/breach 费用 100 火星", "可用类别：取证、法律"),
    ("carol", "/breach 跟进 轮换链接 --负责人 @dave --截止 昨天", "该截止日期已过"),
    ("carol", "/breach 起草 火星", "类型：客户通知、监管报告、媒体声明、新闻稿、内部通报"),
    ("carol", "/breach 起草 客户通知 --对象 火星", "--对象 只能是 个人 或 企业"),
    ("carol", "/breach 报告 --格式 火星", "请用 文本、网页、PDF文件、数据。"),
    ("carol", "/breach 客户 导入 不存在.csv", "没有文件「不存在.csv」。请写 CSV 文件的路径：/breach 客户 导入 客户.csv"),
    ("chen", "/breach 客户 导入 {csv}", "文件按 GBK 编码读取"),
    ("chen", "/breach 客户 已通知 全部 --方式 飞鸽", "请使用 邮件、电话、邮寄、企业微信、短信 之一。"),
    ("chen", "/breach 客户 已通知 1 --方式 电话", "然后 /breach 批准 D-编号 并 /breach 信函 D-编号"),
    ("carol", "/breach 发送", "/breach 发送 D-编号"),
    ("carol", "/breach 推迟一下", "子命令：宣布、状态"),
    ("carol", "/breach 帮助 事实", "--开始时间/--结束时间 <时间>（泄露从何时开始、到何时结束）"),
    ("carol", "状态", "⏱ 下一个到期："),
]


def test_every_command_typed_in_chinese_answers_in_chinese(sqlite_engine, tmp_path):
    console = make_console(sqlite_engine, lang="zh", roster=ROSTER)
    console.bot.firm = FirmConfig(roster=ROSTER, name="上海莲花会计师事务所", contact="021-5555 0000", people={"gina": "gina"})
    csv = tmp_path / "客户.csv"
    csv.write_bytes(CSV.encode("gbk"))
    console.say("carol", "/breach 宣布 客户工资表在公共网盘被发现 --严重程度 高 --知悉时间 2小时前", "general")
    everything = []
    for user, typed, expected in SCRIPT:
        answer = joined(console.say(user, typed.format(csv=csv), "breach-1"))
        assert expected in answer, (typed, answer)
        everything.append(answer)
    assert latin_words("\n".join(everything)) == []


def test_a_chinese_word_at_the_start_of_a_chat_line_is_a_command_an_english_one_is_chat(quick):
    quick.say("alice", "/breach declare Payroll leak", "general")
    assert quick.say("alice", "done with the logs, checking the share next", "breach-1") == []
    assert "☑️ @alice did:" in joined(quick.say("alice", "完成 1", "breach-1"))


def test_the_small_things_a_new_user_hit_in_english(quick, tmp_path):
    quick.say("alice", "/breach declare Payroll leak", "general")
    quick.say("alice", "/breach done 1 ,2", "breach-1")
    again = joined(quick.say("alice", "/breach done 1 ,2 ,3", "breach-1"))
    assert again == "“Assemble the team: IT security, legal, management” was already done by @alice.", again
    assert "assemble_team" not in again and "open_war_room" not in again
    usage = joined(quick.say("alice", "/breach facts --bogus 1", "breach-1"))
    assert '[--from "<when>"] [--to "<when>"] [--systems <text>]' in usage
    future = joined(quick.say("alice", "/breach facts --from tomorrow", "breach-1"))
    assert future == "--from Sun 29 Nov 00:00 is in the future; nothing was recorded. Give when it happened.", future
    assert "first knew" not in future
    yes_no = joined(quick.say("alice", "/breach facts --key-safe maybe", "breach-1"))
    assert yes_no == "--key-safe takes yes or no, not 'maybe'."
    missing = joined(quick.say("alice", f"/breach clients import {Path(tmp_path) / 'none.csv'}", "breach-1"))
    assert missing.startswith("No file ") and "/breach clients import clients.csv" in missing
    assert quick.clock.now() == START


def test_what_is_due_next_weighs_questions_and_follow_ups_too(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh")
    console.say("alice", "/breach 宣布 测试", "general")
    console.say("alice", "完成 1，2，3", "breach-1")  # phase 1 done: its 11:05 no longer counts
    lines = joined(console.say("alice", "状态", "breach-1")).splitlines()
    assert lines[2] == "⏱ 下一个到期：回答“事务所最早是什么时候知悉的？”，截止 12:05，还剩 2小时"
    console.say("alice", "/breach 跟进 轮换链接 --负责人 @alice --截止 30分钟后", "breach-1")
    lines = joined(console.say("alice", "状态", "breach-1")).splitlines()
    assert lines[2] == "⏱ 下一个到期：后续行动 F-1，截止 10:35，还剩 30分"


def test_status_lists_an_overdue_legal_clock_among_the_overdue(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh")
    console.say("alice", "/breach 宣布 工资表泄露", "general")
    console.say("alice", "/breach 影响 中国=1200", "breach-1")
    console.advance(START + timedelta(days=2))
    status = joined(console.say("alice", "/breach 状态", "breach-1"))
    overdue = next(line for line in status.splitlines() if line.startswith("⚠️ 已逾期："))
    assert "个人信息保护法（cn-pipl-57/authority）" in overdue and "1 紧急响应" in overdue
    console.say("alice", "/breach 已通报 个保法 部门", "breach-1")
    status = joined(console.say("alice", "/breach 状态", "breach-1"))
    assert "cn-pipl-57/authority" not in next(line for line in status.splitlines() if line.startswith("⚠️ 已逾期："))
