"""A Chinese workspace speaks Chinese: no English words or raw keys in chat or in the report it hands over.

One whole response runs through the console in a zh workspace; every message and the md/html/json
report are read for Latin-letter words. What may stay Latin is listed, with the reason.
"""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlmodel import Session, select

from bot.incident import wording
from bot.law.regimes import load_regimes
from bot.report import document, events
from bot.settings import DEFAULT_REGIMES
from bot.text.i18n import catalogue
from storage.models import Incident, Workspace
from tests.conftest import START, joined, make_console

ROSTER = {"it_security": ["bob"], "legal": ["erin"], "executive": ["frank"], "comms": ["gina"],
          "client_liaison": ["cathy"]}
PEOPLE = ("alice", "bob", "erin", "frank", "gina", "cathy", "dave")
CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
# What a person types stays as typed: a command example runs from /breach to the first Chinese character.
COMMAND = re.compile(rf"/breach(?:\"?<[^>\n]*>\"?|[^{CJK}\n])*")
L, R = r"(?<![A-Za-z0-9_])", r"(?![A-Za-z0-9_])"  # word edges that Chinese characters next to a word do not hide
ALLOWED = [
    r"https?://\S+",  # a link the bot gives (the incident page, the register upload form), first: it holds ids
    r"\S+\.(?:md|html|pdf|json|zip|csv|txt)\b",  # file names and the paths they were saved to
    r"\S+@\S+\.example\b", r"Lotus & Co\. Accountants",  # the firm's own contact and name (settings)
    rf"{L}(?:UTF-8|GBK){R}",  # the encoding a CSV was read in: named as every editor names it
    r"--[a-z][a-z-]*(?: [a-z]+(?:(?:、| 或 |, )[a-z]+)*)?",  # an option and the values typed after it
    r"@\w+", rf"{L}(?:BR|D|F|Q|C|M|L)-?\d+{R}", r"#?breach-\d+",  # mentions, ids (costs, enquiries, links too), war rooms
    r"«[A-Z]+»",  # a client letter's merge fields, filled per client before any letter leaves the firm
    rf"{L}[a-z]+(?:-[a-z0-9]+)+(?:/[a-z0-9_-]+)?{R}",  # clock ids (cn-pipl-57/authority), scenario keys (public-share)
    # laws, bodies and their article numbers, as Chinese legal writing cites them; the drill's own story
    rf"{L}(?:GDPR|CAC|ICO|OAIC|PDPC|PIPEDA|FTC|FBI|DFS|TFN|IRS|PIN|IP|PDF|CN|EU|UK|US-CA|US|SG|AU|CA|JP|HK){R}",
    rf"\d+[A-Z]+{R}", rf"{L}IIIC{R}", rf"-aa{R}", r"\([a-z]\)",  # subsections of foreign statutes: §501.171(6)(a)
    rf"{L}\d+[a-z]-\d+[a-z]{R}",  # section numbers with letters: Conn. Gen. Stat. §36a-701b
    r"Form \d+", rf"{L}App{R}",
    rf"{L}(?:{'|'.join(PEOPLE)}){R}",  # people's names where the report lists them without @
    rf"{L}UTC(?:[+-]\d+(?::\d\d)?)?{R}",  # a time's zone as nobody misreads it (UTC+8, never CST)
    rf"{L}\d+ MB{R}", rf"{L}Excel{R}",  # a file's size, and the spreadsheet a register is saved from, as named in China
    rf"{L}(?:D|F|M|L|BR)-编号", rf"{L}(?:CSV|ZIP|URL){R}", rf"{L}breachbot{R}",  # id placeholders, file kinds, the product
]


def latin_words(text: str) -> list[tuple[str, str]]:
    """(word, line) for every Latin-letter word not in a command, an id, a law name or another allowed form."""
    found = []
    for raw in text.splitlines():
        line = COMMAND.sub(" ", raw)
        for pattern in ALLOWED:
            line = re.sub(pattern, " ", line)
        found += [(word, raw) for word in re.findall(r"[A-Za-z][A-Za-z_]*", line)]
    return found


def integrity_words_gone(text: str) -> str:
    """The report without the timeline's hash and the command that checks it (both Latin by nature)."""
    return re.sub(r"[0-9a-f]{64}|breachbot verify", " ", text)


CLIENTS = """姓名,类型,联系方式,语言,居住地,数据
王芳,个人,wang@example.cn,中文,中国,银行账户
李强,个人,li@example.cn,中文,中国,工资数据
张伟,个人,zhang@example.cn,中文,中国,税号
Golden Gate Trading,企业,ap@ggt.example,英文,US-CA,账簿
"""


def chinese_response(engine, folder: Path) -> tuple[list[str], dict[str, str]]:
    """A whole response in a zh workspace: everything the bot said, and the report files it made."""
    console = make_console(engine, lang="zh", roster=ROSTER, people={"dave": "dave"})
    (folder / "clients.csv").write_text(CLIENTS, encoding="utf-8")
    sent = list(console.say("alice", "/breach 宣布 客户工资表在公共网盘被发现 --severity high", "general"))
    script = [
        ("alice", "/breach 状态"), ("alice", "/breach 指派 @dave scribe"), ("alice", "/breach 完成 1"),
        ("alice", "/breach 完成 2"), ("alice", "/breach 完成 3"), ("alice", "/breach 回答 discovered 2"),
        ("alice", "/breach 下一阶段"), ("bob", "/breach 回答 data 3,5,8"), ("bob", "/breach 回答 clients 40"),
        ("bob", "/breach 回答 people CN=1200 EU=3 US-CA=40"), ("bob", "/breach 回答 encrypted 否"),
        ("bob", "/breach 回答 key_safe 否"), ("erin", "/breach 回答 crime 是"), ("gina", "/breach 回答 press 否"),
        ("erin", "/breach 时限"), ("erin", "/breach 时限 --all"), ("erin", "/breach 已通报 cn-police --ref 报案回执110"),
        ("erin", "/breach 事实 --cac-level relatively_major --encrypted no"), ("alice", "/breach 影响 CN=1300 EU=3"),
        ("alice", "/breach 角色"), ("alice", "/breach 任务"), ("alice", "/breach 决定 关闭网盘外链"),
        ("alice", "/breach 记录 外部IP在09:41访问"), ("cathy", "/breach 起草 client"), ("gina", "/breach 起草 media"),
        ("gina", "/breach 批准 D-2"), ("alice", "/breach 草稿"), ("alice", "/breach 总结"),
        ("alice", "/breach 跟进 轮换所有共享链接 --owner @bob --due +14d"),
        ("cathy", f"/breach 客户 import {folder / 'clients.csv'}"),
    ]
    for user, typed in script:
        sent += console.say(user, typed, "breach-1")
    sent += console.advance(START + timedelta(hours=9))
    for user, typed in [("alice", "/breach 总结"), ("alice", "/breach 结案 --cause staff_error --lessons 网盘不得公开 --confirm"),
                        ("alice", "/breach 状态"), ("alice", "/breach 报告"), ("alice", "/breach 报告 --format html"),
                        ("alice", "/breach 报告 --format json"), ("alice", "/breach 历史"),
                        ("alice", "/breach 演练 public-share")]:
        sent += console.say(user, typed, "breach-1")
    sent += console.advance(START + timedelta(hours=16))
    files = {Path(s.text).suffix: Path(s.text).read_text(encoding="utf-8") for s in sent if s.op == "upload"}
    return [s.text for s in sent if s.op in ("post", "reply", "direct", "update")], files


@pytest.fixture(scope="module")
def response(tmp_path_factory):
    from storage.db import make_engine, upgrade

    folder = tmp_path_factory.mktemp("zh")
    engine = make_engine(f"sqlite:///{folder / 'zh.db'}")
    upgrade(engine)
    yield chinese_response(engine, folder)
    engine.dispose()


def test_no_english_word_in_any_chinese_message(response):
    messages, _ = response
    said = "\n".join(messages)
    assert latin_words(said) == []
    # the values and keys the review found, said in words
    for leak in ("严重程度 high", " lead @alice", "scribe 未指派", "· open", "encrypted=", "Data Security Law",
                 "PIPL Art.", "0:20:00", "（md）"):
        assert leak not in said, leak
    assert "角色：事件负责人 @alice · 信息安全 @bob" in said and "记录员 @dave" in said
    assert "📋 @erin 记录了：网络安全事件级别：较大；数据未加密" in said
    assert "《数据安全法》第二十九条" in said and "《个人信息保护法》第五十七条" in said
    assert "【演练】🎭 情景注入（演练开始后 20分）：" in said
    assert "  BR-1 · 高 · 已结案 · 客户工资表在公共网盘被发现" in said
    assert "📄 BR-1 的报告（网页）：" in said


def test_the_chinese_report_is_chinese(response):
    _, files = response
    md = files[".md"]
    assert latin_words(integrity_words_gone(md)) == []
    for said in ("状态: 已结案", "严重程度 | 高", "按居住地的受影响人数 | 中国大陆 1,300 · 欧盟 3",
                 "阶段开始：阶段 2 初步调查", "阶段完成：阶段 1 紧急响应，按时完成",
                 "已通报：涉嫌违法犯罪的向公安机关报案（cn-police/report） → 公安机关、国家安全机关，编号 报案回执110",
                 "错过法定时限：网络安全事件报告（网信部门）（cn-cac-report/first），截止",
                 "错过截止，已升级：阶段 2 初步调查，截止", "结案：原因：员工失误；经验教训：网盘不得公开",
                 "D-1 第1版 · 客户通知 · 中文 · 草稿", "D-2 第1版 · 临时声明 · 中文 · 草稿", "(由 系统)",
                 "导入客户：4 家客户", "已通知客户: 0/4 (个人 3 · 企业 1；中国大陆 3 · 加利福尼亚州 1)"):
        assert said in md, said
    for leak in ("ref ", "phase:", " by ", "Immediate response", "immediate\\_response", "applies"):
        assert leak not in md, leak
    text = html.unescape(re.sub(r"<style>.*?</style>|<svg.*?</svg>|<[^>]+>", "\n", files[".html"], flags=re.S))
    assert latin_words(integrity_words_gone(text)) == []
    chart = re.search(r"<svg.*?</svg>", files[".html"], flags=re.S).group(0)
    assert "UTC" not in chart and "2026年11月28日 10:05" in chart  # the axis in the workspace's time and words


def test_the_chinese_json_says_its_texts_in_chinese(response):
    _, files = response
    data = json.loads(files[".json"])
    texts = [e["description"] for e in data["timeline"]] + list(data["durations"]) + [
        c[k] or "" for c in data["clocks"] for k in ("audience", "reason", "citation")]
    assert [w for w, t in latin_words("\n".join(texts))] == []
    said = [e["description"] for e in data["timeline"] if e["kind"] == "draft_created"]
    assert said == ["D-1 第1版（客户通知）", "D-2 第1版（临时声明）"]


def test_every_key_event_kind_is_described_in_both_languages():
    """Each kind the report's timeline shows has a label and a description, and no English in Chinese."""
    from bot.incident.playbook import load_playbook
    from bot.settings import DEFAULT_PLAYBOOK

    assert set(document.KEY_EVENTS) <= events.KINDS
    playbook, regimes = load_playbook(DEFAULT_PLAYBOOK), load_regimes([DEFAULT_REGIMES])
    for lang in ("en", "zh"):
        assert {f"report.event.{k}" for k in document.KEY_EVENTS} <= set(catalogue(lang))
    data = {
        "declared": ("客户工资表泄露", {}), "war_room_opened": ("breach-1", {"room": "breach-1"}),
        "phase_started": ("Preliminary investigation", {"phase": "investigation", "position": 2}),
        "phase_completed": ("immediate_response: 处置很快", {"phase": "immediate_response", "on_time": False}),
        "phase_left_open": ("investigation: 先推进", {"phase": "investigation", "open_tasks": 2}),
        "escalated": ("phase:investigation", {"deadline": "investigation", "due_at": START.isoformat()}),
        "clock_missed": ("regime:cn-pipl-57/authority", {"deadline": "cn-pipl-57/authority",
                                                         "due_at": START.isoformat()}),
        "clocks_changed": ("cn-pipl-57/authority applies", {"changes": [
            {"clock": "cn-pipl-57/authority", "change": "applies", "due_at": START.isoformat(), "before": None},
            {"clock": "eu-gdpr-33/authority", "change": "dropped", "due_at": None, "before": None}]}),
        "notified": ("cn-police/report ref 110", {"clock": "cn-police/report", "reference": "110"}),
        "draft_approved": ("D-2 v1 by executive", {"draft": 2, "version": 1, "roles": ["comms", "executive"]}),
        "clients_imported": ("4 clients", {"count": 4}),
        "clients_notified": ("3 via email", {"count": 3, "via": "email"}),
        "captured": ("客户来电", {}), "closed": ("网盘不得公开", {"cause": "staff_error"}),
        "no_harm": ("us-fl-501-171: 误发给本所审计师，已删除", {"regime": "us-fl-501-171", "by": "erin",
                                                          "reason": "误发给本所审计师，已删除"}),
        "no_harm_withdrawn": ("us-fl-501-171: 审计师已转发", {"regime": "us-fl-501-171", "by": "erin",
                                                         "decided_by": "erin", "reason": "审计师已转发"}),
    }
    assert set(data) == set(document.KEY_EVENTS)
    words = events.Words(playbook=playbook, regimes=regimes, lang="zh", when=lambda at: "11月28日 10:05",
                                draft_kinds={2: "media"})
    for kind, (text, values) in data.items():
        event = SimpleNamespace(kind=kind, text=text, data=values)
        said = events.describe(event, words)  # type: ignore[arg-type]
        assert said and latin_words(said) == [], (kind, said)
    approved = SimpleNamespace(kind="draft_approved", text="", data=data["draft_approved"][1])
    assert events.describe(approved, words) == "D-2 第1版（临时声明），批准角色：对外沟通、管理层负责人"  # type: ignore[arg-type]
    english = events.Words(playbook=playbook, regimes=regimes, lang="en", when=lambda at: "28 Nov 10:05",
                                  draft_kinds={2: "media"})
    assert events.describe(approved, english) == (  # type: ignore[arg-type]
        "D-2 v1 (holding statement), approved as Communications, Executive sponsor")


def test_facts_are_said_in_words():
    def when(at):
        return "10:05"

    assert wording.facts({"encrypted": True, "crime_suspected": False}, "zh", when=when) == "数据已加密；未发现涉嫌犯罪"
    assert wording.facts({"contained": True}, "en", when=when) == "leak contained"
    assert wording.facts({"data": ["bank_account", "tax_id"]}, "zh", when=when) == "泄露的数据：银行账户、税号/社保号"
    assert wording.facts({"determined_at": START.isoformat()}, "zh", when=when) == "确认发生泄露：10:05"
    assert wording.severity("zh", "critical") == "特别严重" and wording.severity("zh", "house-on-fire") == "house-on-fire"


def test_english_workspace_names_roles_and_facts(sqlite_engine):
    console = make_console(sqlite_engine, roster=ROSTER)
    status = joined(console.say("alice", "/breach declare Payroll export leaked --severity high", "general"))
    assert "Roles: Incident lead @alice · IT security @bob · Legal / compliance @erin" in status
    assert "Scribe unassigned" in status and "it_security @bob" not in status
    facts = joined(console.say("erin", "/breach facts --encrypted no --crime yes", "breach-1"))
    assert "📋 @erin recorded: data not encrypted; crime suspected" in facts
    console.say("bob", "/breach affected CN=1200 EU=3", "breach-1")
    clocks = joined(console.say("erin", "/breach clocks", "breach-1"))
    assert "    Data Security Law Art. 29" in clocks and "《" not in clocks
    console.say("alice", "/breach decision Take the share offline", "breach-1")
    console.advance(START + timedelta(hours=9))
    summary = joined(console.say("alice", "/breach summary", "breach-1")).splitlines()
    assert summary[0] == "BR-1 · Payroll export leaked · severity high · open"
    assert summary[2].startswith("⚠️ Overdue: 1 Immediate response (11:05); 2 Preliminary investigation (")
    assert summary[3].startswith("Roles: Incident lead @alice · IT security @bob · ")
    assert any(s.startswith("⚖️ Data Security Law: data security incident · ") for s in summary)
    assert "🧭 10:05 @alice: Take the share offline" in summary  # a decision is not a legal clock
    assert not [s for s in summary if s.startswith("⚖️") and "Take the share offline" in s]


def test_report_words_follow_the_report_language_not_the_workspace(sqlite_engine):
    console = make_console(sqlite_engine, roster=ROSTER)
    console.say("alice", "/breach declare Payroll export leaked", "general")
    with Session(sqlite_engine) as s:
        incident = s.exec(select(Incident)).one()
        ws = s.get(Workspace, incident.workspace_id)
        data = document.build(s, incident=incident, playbook=console.bot.playbook, regimes=console.bot.regimes,
                            firm_profile=frozenset(), ws=ws, lang="zh", now=console.clock.now(), firm_name="莲花会计")
    md = document.to_markdown(data)
    assert "状态: 进行中" in md and "阶段开始：阶段 1 紧急响应" in md and "开启应急群：#breach-1" in md
