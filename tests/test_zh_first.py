"""A Chinese firm never needs an English word: one whole incident typed only in Chinese, on the console and on
WeCom (wechatpy-encrypted callbacks), with nothing refused and no English in anything the bot says back; the same
incident typed in English still runs.

The Latin words a Chinese message may keep (ids, law names, file names, commands typed as shown …) are the
allow-list of tests/test_zh_wording.py.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.settings import FirmConfig
from storage.models import Client, Deadline, Draft, Incident, RoleAssignment, TaskState
from tests.conftest import START, joined, make_console
from tests.test_zh_wording import latin_words

ROSTER = {"lead": ["carol"], "it_security": ["dave"], "legal": ["erin"], "executive": ["frank"],
          "client_liaison": ["chen"]}
# Where people type: a person's id after @, a D-n / BR-n id, numbers and the CSV's path are not words.
NOT_WORDS = re.compile(r"/breach|@\w+|\b(?:D|BR|F|M|Q)-?\d+\b|\S+\.csv")

# The whole response, typed only in Chinese: command words, flags, roles, causes, data, residences, regimes,
# channels, task titles, severities, draft kinds — every word a person must choose is Chinese.
SCRIPT = [
    ("carol", "general", "/breach 宣布 客户工资表在公共网盘被发现 --严重程度 高 --知悉时间 2小时前"),
    ("carol", "breach-1", "状态"),
    ("carol", "breach-1", "/breach 指派 @gina 公关"),
    ("carol", "breach-1", "/breach 完成 组建应急小组"),
    ("carol", "breach-1", "/breach 完成 2 ,3。"),
    ("carol", "breach-1", "/breach 回答 1 客户告知"),  # the last task done started phase 2
    ("dave", "breach-1", "/breach 事实 --数据 工资、银行卡号、身份证 --加密 否 --涉嫌犯罪 是"),
    ("dave", "breach-1", "/breach 影响 上海=300 北京市=20 加利福尼亚=5 德国=3"),
    ("dave", "breach-1", "/breach 回答 4 120"),
    ("dave", "breach-1", "/breach 事实 --开始时间 3天前 --结束时间 昨天 --措施 隔离、重置"),  # measures by a part
    ("carol", "breach-1", "/breach 回答 12 员工失误"),
    ("erin", "breach-1", "/breach 时限"),
    ("erin", "breach-1", "/breach 已通报 公安 --回执 报案回执110"),
    ("carol", "breach-1", "/breach 严重程度 特别严重 --理由 范围扩大"),
    ("carol", "breach-1", "/breach 对外说明 一份工资表被误放在公共网盘，已被外部下载"),
    ("carol", "breach-1", "/breach 费用 1.2万 法律"),
    ("gina", "breach-1", "/breach 媒体 新民晚报 是否泄露了身份证？"),
    ("erin", "breach-1", "/breach 起草 监管报告 --法规 个保"),  # a regime by the start of its name
    ("gina", "breach-1", "/breach 起草 媒体"),
    ("carol", "breach-1", "/breach 草稿"),
    ("carol", "breach-1", "/breach 决定 关闭网盘外链"),
    ("carol", "breach-1", "/breach 任务 全部"),
    ("carol", "breach-1", "/breach 跟进 轮换所有共享链接 --负责人 @dave --截止 14天后"),
    ("carol", "breach-1", "/breach 总结"),
    ("carol", "breach-1", "/breach 问题"),
    ("carol", "breach-1", "/breach 阶段 控制事态 --理由 范围已明确"),
    ("dave", "breach-1", "/breach 完成 隔离受影响的系统"),
    ("carol", "breach-1", "/breach 帮助 严重程度"),
    ("carol", "breach-1", "/breach 报告 --格式 网页"),
    ("dave", "breach-1", "/breach 完成 重置"),  # a task by the start of its title
    ("carol", "breach-1", "/breach 结案 --原因 员工操作失误 --教训 网盘不得公开 --确认"),
    ("carol", "breach-1", "/breach 状态 BR-1"),  # closed: on WeCom, where nothing is open any more, named
]
# The same response in English (keys and English names), to show nothing English-speaking was lost.
ENGLISH = [
    ("carol", "general", "/breach declare Payroll sheet found on a public share --severity high --aware 2h ago"),
    ("carol", "breach-1", "/breach assign @gina comms"),
    ("carol", "breach-1", "/breach done 1 2 3"),  # and phase 2 starts
    ("dave", "breach-1", "/breach facts --data payroll,card,national_id --encrypted no --crime yes"),
    ("dave", "breach-1", "/breach affected CN=320 US-CA=5 DE=3"),
    ("dave", "breach-1", "/breach facts --from 3 days ago --to yesterday --measures isolate, reset"),
    ("erin", "breach-1", "/breach notified cn-police --ref 110"),
    ("carol", "breach-1", "/breach severity critical --reason scope grew"),
    ("carol", "breach-1", "/breach cost 1.2万 legal"),
    ("erin", "breach-1", "/breach draft regulator --regime PIPL"),
    ("carol", "breach-1", "/breach phase containment --reason scope known"),
    ("dave", "breach-1", "/breach done isolate"),
    ("dave", "breach-1", "/breach done reset"),  # a task by the start of its title
    ("carol", "breach-1", "/breach close --cause staff error --lessons Shares must not be public --confirm"),
]
# On the console only: WeCom delivers no files to an app (its callbacks carry text, images, voice, video, places
# and links: developer.work.weixin.qq.com/document/path/96467), so a register comes from a CSV on the console.
CLIENTS = [
    ("chen", "/breach 客户 导入 {csv}"),
    ("chen", "/breach 客户"),
    ("chen", "/breach 起草 客户通知"),
    ("erin", "/breach 批准 D-2"),
    ("chen", "/breach 信函 D-2"),
    ("chen", "/breach 客户 已通知 王芳 --方式 电话"),
    ("chen", "/breach 客户 已通知 李强 --渠道 邮寄"),
    ("chen", "/breach 客户 未通知"),
]
CSV = ("姓名,类型,联系方式,语言,居住地,数据,通知时限\n王芳,个人,wang@example.cn,普通话,上海,工资,48\n"
       "李强,个人,13800000000,中文,北京市,银行卡号,\n上海明星贸易有限公司,企业,ap@mx.example,中文,广东省,账簿,24\n"
       "金门贸易,企业,ap@ggt.example,英文,加利福尼亚,账簿,\n")


def count_refusals(bot) -> list:
    """What the bot refuses from now on, on any platform: a command it did not carry out, or a line it could not
    read (said with an error) — recorded as it happens."""
    refused, handle, reply = [], bot.handle, bot.chat.reply

    def handling(context, command):
        done = handle(context, command)
        if done is False:
            refused.append(command)
        return done

    def answering(*, context, message, public=False):
        if message.kind == "error":
            refused.append(message.plain_text())
        reply(context=context, message=message, public=public)

    bot.handle, bot.chat.reply = handling, answering
    return refused


def test_the_script_has_no_english_word():
    for typed in [typed for _, _, typed in SCRIPT] + [line.format(csv="客户.csv") for _, line in CLIENTS]:
        assert not re.search(r"[A-Za-z]", NOT_WORDS.sub(" ", typed)), typed


def check_the_chinese_incident(engine) -> None:
    """What the Chinese script must leave behind, whatever the platform."""
    with Session(engine) as s:
        incident = s.exec(select(Incident)).one()
        assert (incident.status, incident.severity, incident.cause, incident.lessons) == (
            "closed", "critical", "staff_error", "网盘不得公开")
        assert incident.facts["affected"] == {"CN": 320, "US-CA": 5, "DE": 3}
        assert set(incident.facts["data"]) == {"payroll", "card", "national_id"}
        assert incident.facts["discovered_via"] == "client_report" and incident.facts["clients"] == 120
        roles = {r.role: r.user for r in s.exec(select(RoleAssignment)) if r.ended_at is None}
        assert roles["comms"] == "gina"
        done = {t.key for t in s.exec(select(TaskState)) if t.done_at}
        assert {"assemble_team", "open_war_room", "preserve_evidence", "isolate"} <= done
        police = s.exec(select(Deadline).where(Deadline.ref == "cn-police/report")).one()
        assert police.met_at is not None and police.meta["reference"] == "报案回执110"
        assert {("media", None), ("regulator", "cn-pipl-57")} <= {(d.kind, d.regime) for d in s.exec(select(Draft))}


def test_a_whole_incident_typed_in_chinese_on_the_console(sqlite_engine, tmp_path):
    console = make_console(sqlite_engine, lang="zh", roster=ROSTER)
    console.bot.firm = FirmConfig(roster=ROSTER, name="上海莲花会计师事务所", contact="021-5555 0000", people={"gina": "gina"})
    console.bot.settings = console.bot.settings.model_copy(update={"firm_name": "", "firm_contact": ""})
    csv = tmp_path / "客户.csv"
    csv.write_bytes(CSV.encode("gbk"))  # as a Chinese Excel saves it
    said, refused = [], count_refusals(console.bot)
    for user, room, typed in SCRIPT:
        said += console.say(user, typed, room)
        if typed.startswith("/breach 起草 监管报告"):  # the register, its letters and who was told how
            for who, line in CLIENTS:
                said += console.say(who, line.format(csv=csv), "breach-1")
    said += console.advance(START + timedelta(hours=30))
    check_the_chinese_incident(sqlite_engine)
    with Session(sqlite_engine) as s:
        assert len(s.exec(select(Client)).all()) == 4
    messages = [x.text for x in said if x.op in ("post", "reply", "direct", "update", "topic")]
    text = "\n".join(messages)
    assert latin_words(text) == []
    for shown in ("文件按 GBK 编码读取", "上海明星贸易有限公司 · 企业", "王* · 个人 · 中国大陆 · 中文",
                  "¥12,000（法律）", "/breach 媒体 已答复 M-1", "1 系统告警 · 2 客户告知", "⏱ 下一个到期：",
                  "上海莲花会计师事务所", "/breach 严重程度 <低|中|高|特别严重> --理由"):
        assert shown in text, shown
    assert refused == []
    with Session(sqlite_engine) as s:
        told = {c.name: c.notified_via for c in s.exec(select(Client)) if c.notified_at}
    assert told == {"王芳": "phone", "李强": "post"}


def test_the_same_incident_typed_in_english_still_runs(sqlite_engine):
    console = make_console(sqlite_engine, roster=ROSTER)
    console.bot.firm = FirmConfig(roster=ROSTER, people={"gina": "gina"})
    refused = count_refusals(console.bot)
    for user, room, typed in ENGLISH:
        console.say(user, typed, room)
    assert refused == [], "\n".join(map(str, refused))
    with Session(sqlite_engine) as s:
        incident = s.exec(select(Incident)).one()
        assert (incident.status, incident.severity, incident.cause) == ("closed", "critical", "staff_error")
        assert incident.facts["affected"] == {"CN": 320, "US-CA": 5, "DE": 3}
        assert [(d.kind, d.regime) for d in s.exec(select(Draft))] == [("regulator", "cn-pipl-57")]
        assert {"isolate", "reset_credentials"} <= {t.key for t in s.exec(select(TaskState)) if t.done_at}
        assert incident.facts["measures"] == ["isolate", "reset_credentials"]
    costs = joined(console.say("carol", "/breach cost", "breach-1"))
    assert "¥12,000" in costs and "$12,000" not in costs  # 万 is a Chinese unit: yuan, even in English


@pytest.mark.parametrize(("typed", "said"), [
    ("/breach 指派 @bob 保安", "没有角色「保安」。可用角色：事件负责人、信息安全、法务合规、管理层负责人、对外沟通、客户联络、记录员。"),
    ("/breach 指派 @bob 法務", "是不是想输入 法务合规？"),
    ("/breach 结案 --原因 天灾 --教训 无", "可选原因：技术漏洞、内部人员、外部攻击、员工失误、管理疏漏、第三方。"),
    ("/breach 事实 --数据 工资单号", "未知的数据类别：工资单号。可用：姓名、联系方式、银行账户"),
    ("/breach 已通报 个人信息保护法", "没有适用的时限「个人信息保护法」。时限：目前还没有适用的时限"),
    ("/breach 起草 监管报告 --法规 火星法", "没有法规「火星法」。法规：个人信息保护法、数据安全法"),
    ("/breach 严重程度 --理由 无", "用法： /breach 严重程度"),
    ("/breach 完成 不存在的任务", "没有任务「不存在的任务」。输入 /breach 任务 查看编号。"),
    ("/breach 阶段 火星", "阶段：1 紧急响应, 2 初步调查"),
    ("/breach 状太", "是不是想输入 /breach 状态？"),
])
def test_refusals_speak_chinese_and_list_chinese_choices(sqlite_engine, typed, said):
    console = make_console(sqlite_engine, lang="zh")
    console.say("alice", "/breach 宣布 测试", "general")
    answer = joined(console.say("alice", typed, "breach-1"))
    assert said in answer, answer
    assert latin_words(answer) == []


def test_a_firm_without_a_name_gets_a_gap_not_an_english_placeholder(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh")
    console.say("alice", "/breach 宣布 测试", "general")
    console.bot.settings = console.bot.settings.model_copy(update={"firm_name": "", "firm_contact": ""})
    draft = joined(console.say("alice", "/breach 起草 媒体声明", "breach-1"))
    assert "The firm" not in draft and "[事务所名称——待确认]" in draft
    assert "事务所名称：在 breachbot.toml 的 [firm] 中写上 name = " in draft
    console.bot.firm = FirmConfig(name="上海莲花会计师事务所", name_en="Lotus Accounting", contact="021-5555 0000")
    again = joined(console.say("alice", "/breach 起草 媒体声明", "breach-1"))
    assert "上海莲花会计师事务所" in again and "事务所名称——待确认" not in again
    english = joined(console.say("alice", "/breach 起草 媒体声明 --语言 英文", "breach-1"))
    assert "Lotus Accounting" in english


def test_the_firm_is_read_from_breachbot_toml_and_checked_by_doctor(tmp_path):
    from bot.settings import Settings
    from handlers.doctor import _identity

    config = tmp_path / "breachbot.toml"
    config.write_text('[firm]\nname = "上海莲花会计师事务所"\nname_en = "Lotus Accounting"\ncontact = "021-5555 0000"\n'
                      'address = "上海市黄浦区"\n[people]\ncarol = "陈晓"\n', encoding="utf-8")
    settings = Settings(config_file=config, firm_name="", firm_contact="")
    firm = settings.firm()
    assert (firm.name_in("zh"), firm.name_in("en"), firm.contact, firm.people) == (
        "上海莲花会计师事务所", "Lotus Accounting", "021-5555 0000", {"carol": "陈晓"})
    assert _identity(settings).ok and not _identity(settings).warn
    config.write_text('[firm]\nnmae = "typo"\n', encoding="utf-8")
    check = _identity(settings)
    assert not check.ok and "nmae" in check.detail
    config.write_text('[firm]\ncontact = "021"\n', encoding="utf-8")
    check = _identity(settings)
    assert check.ok and check.warn and "021; not set: name, English name (name_en)" in check.detail


def test_status_says_what_is_due_next_across_every_clock(sqlite_engine, tmp_path):
    console = make_console(sqlite_engine, lang="zh")
    console.say("alice", "/breach 宣布 测试 --知悉时间 20小时前", "general")
    for _ in range(4):  # phases 1 to 4 done: what counts down now is the law's
        console.say("alice", "/breach 下一阶段 --理由 先推进", "breach-1")
    console.say("alice", "/breach 事实 --涉嫌犯罪 是", "breach-1")  # the police clock: 24 hours from aware
    console.say("alice", "/breach 影响 中国=10", "breach-1")
    lines = joined(console.say("alice", "/breach 状态", "breach-1")).splitlines()
    # not phase 5 in two days while the police must hear of it in 4 hours: the soonest of every kind
    assert lines[2].startswith("⏱ 下一个到期：") and "阶段 5" not in lines[2] and "还剩 2小时" in lines[2]
    csv = tmp_path / "c.csv"
    csv.write_text("姓名,类型,联系方式,语言,居住地,通知时限\n甲公司,企业,a@x.example,中文,上海,21\n", encoding="utf-8")
    console.say("alice", f"/breach 客户 导入 {csv}", "breach-1")
    lines = joined(console.say("alice", "/breach 状态", "breach-1")).splitlines()
    assert lines[2].startswith("⏱ 下一个到期：按合同通知 1 个客户，截止 ") and "还剩 1小时" in lines[2]
    clocks = joined(console.say("alice", "/breach 时限", "breach-1"))
    assert "📑 客户合同约定的通知时限（来自导入的客户名单；尚未通知 1 个）：" in clocks and "1 个客户（#1）· 截止" in clocks


def test_the_console_asks_who_you_are_and_shows_display_names(sqlite_engine):
    import io

    from handlers.console.main import ask_who

    console = make_console(sqlite_engine, lang="zh", roster=ROSTER)
    console.bot.firm = FirmConfig(roster=ROSTER, people={"carol": "陈晓", "dave": "王磊"})
    console.chat.names = dict(console.bot.firm.people)
    console.user = "carol"
    out = io.StringIO()
    assert ask_who(console, read=lambda prompt: "", out=out) == "carol"  # Enter: the roster's first
    assert "1. 陈晓 (carol)" in out.getvalue() and "2. 王磊 (dave)" in out.getvalue()
    assert ask_who(console, read=lambda prompt: "2", out=io.StringIO()) == "dave"
    assert ask_who(console, read=lambda prompt: "王磊", out=io.StringIO()) == "dave"
    said = joined(console.say("陈晓", "/breach 宣布 测试", "general"))
    assert "@陈晓 宣布了 BR-1" in said
    console.say("陈晓", "/breach 指派 @王磊 法务", "breach-1")
    with Session(sqlite_engine) as s:
        assert {r.role: r.user for r in s.exec(select(RoleAssignment)) if r.ended_at is None}["legal"] == "dave"
    assert console.prompt() == "陈晓 #breach-1> "


def test_a_csv_from_a_western_excel_is_refused_not_guessed(sqlite_engine, tmp_path):
    console = make_console(sqlite_engine, lang="zh")
    console.say("alice", "/breach 宣布 测试", "general")
    western = tmp_path / "w.csv"
    western.write_bytes("name,type,contact,language,residence\nCafé,company,a@x.example,en,EU\n".encode("cp1252"))
    assert "既不是 UTF-8 也不是 GBK" in joined(console.say("alice", f"/breach 客户 导入 {western}", "breach-1"))
    assert Path(western).exists()


def test_the_register_shows_companies_and_finds_by_name_by_status_and_by_page(sqlite_engine, tmp_path):
    console = make_console(sqlite_engine, lang="zh")
    console.say("alice", "/breach 宣布 测试", "general")
    rows = "".join(f"客户{i:02d},个人,c{i}@x.example,中文,上海\n" for i in range(1, 24))
    csv = tmp_path / "c.csv"
    csv.write_text("姓名,类型,联系方式,语言,居住地\n上海明星贸易有限公司,企业,a@x.example,中文,广东\n" + rows, encoding="utf-8")
    console.say("alice", f"/breach 客户 导入 {csv}", "breach-1")
    first = joined(console.say("alice", "/breach 客户", "breach-1"))
    assert "  1. [ ] 上海明星贸易有限公司 · 企业 · 中国大陆 · 中文" in first and "  2. [ ] 客户** · 个人" in first
    assert "第 1/2 页（共 24 个客户）。下一页：/breach 客户 第2页" in first and "  21. " not in first
    second = joined(console.say("alice", "/breach 客户 第2页", "breach-1"))
    assert "  21. [ ] 客户** · 个人" in second and "  1. [ ]" not in second
    found = joined(console.say("alice", "/breach 客户 明星", "breach-1"))
    assert "  1. [ ] 上海明星贸易有限公司" in found and "  2. " not in found
    untold = joined(console.say("alice", "/breach 客户 未通知 火星", "breach-1"))
    assert "没有符合“火星”的客户。" in untold
