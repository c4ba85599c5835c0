"""#20's "Done when": the firm's written procedure, step by step, each with the command (or question) that
covers it, typed in the console in English and in Chinese; each step's result is found in the report
(Markdown, HTML and PDF) and in the JSON export."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pypdfium2
import pytest
from sqlmodel import Session, select

from bot.report import document
from bot.settings import FirmConfig
from storage.models import Incident, TimelineEvent, Workspace
from tests.conftest import joined, make_console
from tests.test_statements import write_csv

ROSTER = {"it_security": ["dave"], "legal": ["erin"], "executive": ["frank"], "comms": ["carl"],
          "client_liaison": ["lily"]}


@dataclass(frozen=True)
class Step:
    step: str  # the procedure's words
    who: str
    en: str
    zh: str
    report_en: str  # what the English report says once it is done
    report_zh: str
    after_close: bool = False


STEPS = (
    Step("初步调查 · exposure window", "dave", '/breach facts --from "3h ago" --to "1h ago"',
         '/breach 事实 --开始时间 "3小时前" --结束时间 "1小时前"', "07:05 – ", "07:05 – "),
    Step("初步调查 · systems involved", "dave", "/breach facts --systems payroll server",
         "/breach 事实 --系统 工资服务器", "payroll server", "工资服务器"),
    Step("初步调查 · severity, changed with a reason", "dave",
         '/breach severity critical --reason "payroll of three clients confirmed"',
         '/breach 严重程度 特别严重 --理由 "三家客户的工资数据已确认"', "payroll of three clients confirmed",
         "三家客户的工资数据已确认"),
    Step("the internal title stays inside; a public description", "alice",
         "/breach public A payroll file was shared by mistake", "/breach 对外说明 一份工资表被误共享",
         "A payroll file was shared by mistake", "一份工资表被误共享"),
    Step("评估损失 · a cost", "alice", "/breach cost ¥12,000 forensics outside examiner",
         "/breach 费用 1.2万 取证 外部鉴定", "¥12,000", "¥12,000"),
    Step("评估损失 · reputational loss", "alice", "/breach answer reputation high", "/breach 回答 声誉 3",
         "High: press or social media attention", "高：媒体或社交网络关注"),
    Step("客户心理支持 / 信任重建 · what we offer", "lily", "/breach offer monitoring 12 months of credit monitoring",
         "/breach 补救 信用监控 12个月免费信用监控", "12 months of credit monitoring", "12个月免费信用监控"),
    Step("保密协议", "lily", "/breach done confidentiality", "/breach 完成 confidentiality",
         "Sign confidentiality agreements", "与提出要求的客户签订保密协议"),
    Step("客户沟通 · a progress update", "erin", "/breach draft update --lang en", "/breach 起草 进展通报 --语言 中文",
         "Progress update", "进展通报"),
    Step("赔偿损失 · compensation per client", "lily", "/breach clients compensate 1 ¥5,000 goodwill",
         "/breach 客户 赔偿 1 5000元 补偿", "¥5,000", "¥5,000"),
    Step("责任认定", "frank", "/breach done accountability", "/breach 完成 accountability",
         "Settle accountability", "落实责任"),
    Step("媒体沟通 · one spokesperson", "carl", "/breach media spokesperson Wang Wei", "/breach 媒体 发言人 王伟",
         "Spokesperson: Wang Wei", "发言人：王伟"),
    Step("媒体沟通 · enquiry log", "carl", "/breach media Caixin When will clients be told?",
         "/breach 媒体 财新 何时通知客户？", "Caixin: When will clients be told?", "财新：何时通知客户？"),
    Step("媒体沟通 · Q&A sheet", "carl", "/breach draft qa --lang en", "/breach 起草 问答口径 --语言 中文",
         "Q&A sheet", "问答口径"),
    Step("媒体沟通 · monitoring", "carl", "/breach media watch Weibo thread, 40 reposts",
         "/breach 媒体 监测 微博讨论 40 次转发", "Weibo thread, 40 reposts", "微博讨论 40 次转发"),
    Step("报告上级", "alice", "/breach brief", "/breach 汇报", "summary sent to frank, paul, pat",
         "事件总结已发送给 frank, paul, pat"),
    Step("改进措施", "frank", "/breach done policy", "/breach 完成 policy", "Change the policies that failed",
         "修订失效的制度"),
    Step("客户满意度调查", "lily", "/breach draft survey --lang en", "/breach 起草 满意度回访 --语言 中文",
         "Satisfaction survey", "满意度回访", after_close=True),
    Step("收集反馈 · a score per client", "lily", "/breach clients feedback 1 4 clear and quick",
         "/breach 客户 反馈 1 4 清楚及时", "Average score: 4.0/5 from 1 client", "平均评分：4.0/5 分（1 家客户）",
         after_close=True),
)


def build(console, lang: str) -> dict:
    with Session(console.bot.engine) as s:
        incident = s.exec(select(Incident)).one()
        ws = s.get(Workspace, incident.workspace_id)
        return document.build(s, incident=incident, playbook=console.bot.playbook, regimes=console.bot.regimes,
                              firm_profile=frozenset(), ws=ws, lang=lang, now=console.clock.now(),
                              firm_name="Lotus & Co.")


def walk(engine, tmp_path, lang: str):
    console = make_console(engine, roster=ROSTER, lang=lang)
    console.bot.firm = FirmConfig(roster=ROSTER, partners=["paul", "pat"])
    say = console.say
    say("alice", "/breach declare Payroll export leaked --data payroll" if lang == "en"
        else "/breach 宣布 工资表泄露 --数据 工资数据")
    rows = [{"name": "Ann Lee", "type": "individual", "contact": "a@x.example", "language": lang, "residence": "CN",
             "data": "payroll"}]
    say("lily", f"/breach clients import {write_csv(tmp_path / 'c.csv', rows)}", "breach-1")
    for step in STEPS:
        if step.after_close and not _closed(console):
            say("alice", '/breach close --cause staff_error --lessons "Shares are checked weekly" --confirm', "breach-1")
            assert _closed(console)
        typed = step.en if lang == "en" else step.zh
        before = _recorded(console)
        sent = say(step.who, typed, "breach-1")
        assert _recorded(console) > before, (step.step, typed, joined(sent))  # done, in the timeline: not refused
    return console


def _recorded(console) -> int:
    with Session(console.bot.engine) as s:
        return len(s.exec(select(TimelineEvent)).all())


def _closed(console) -> bool:
    with Session(console.bot.engine) as s:
        return s.exec(select(Incident)).one().status != "open"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_step_of_the_procedure_has_a_command_whose_result_is_in_the_report(sqlite_engine, tmp_path, lang):
    console = walk(sqlite_engine, tmp_path, lang)
    report = build(console, lang)
    md = document.to_markdown(report)
    html = document.to_html(report)
    for step in STEPS:
        expected = step.report_en if lang == "en" else step.report_zh
        assert expected in md.replace("\\", ""), (step.step, expected)  # Markdown escapes ( ) [ ] _
        assert expected.replace("&", "&amp;") in html, (step.step, expected)
    # The PDF says the same (its text, page by page).
    pdf = pypdfium2.PdfDocument(document.render(report, "pdf"))
    text = "".join(page.get_textpage().get_text_range() for page in pdf).replace("\r", "").replace("\n", " ")
    for expected in ((STEPS[4].report_en, STEPS[9].report_en, "Spokesperson: Wang Wei", "Average score: 4.0/5")
                     if lang == "en" else ("¥12,000", "发言人：王伟", "平均评分：4.0/5")):
        assert expected in text, expected
    # The export carries the same facts as data.
    data = json.loads(document.to_json(report))["response"]
    assert data["costs"]["totals"] == {"CNY": "12000"}
    assert data["compensation"]["totals"] == {"CNY": "5000"}
    assert data["offers"][0]["kind"] == "monitoring"
    assert data["media"]["spokesperson"] == ("Wang Wei" if lang == "en" else "王伟")
    assert data["media"]["monitoring"][0]["n"] == 1 and data["media"]["enquiries"][0]["outlet"] in ("Caixin", "财新")
    assert data["satisfaction"]["average"] == 4.0 and data["reputation"] == "high"


def test_history_shows_the_satisfaction_trend(sqlite_engine, tmp_path):
    console = walk(sqlite_engine, tmp_path, "en")
    text = joined(console.say("alice", "/breach history", "breach-1"))
    assert "Client satisfaction (survey, 1-5): BR-1 4.0/5 (1); average 4.0/5 over 1 incident" in text
