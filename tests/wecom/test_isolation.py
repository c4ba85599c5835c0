"""Two firms (two WeCom corps) on one deployment and one database, running incidents side by side: numbering,
commands, answers and errors, exports, reports, history, reminders and client registers never cross.

Both corps have a person with the userid `zhangsan` (userids are only unique within a corp), and each firm
sets its own language, roster and admins with /breach config.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, func, select

from bot.chat import Context
from bot.commands import ClientsImport
from bot.flows.report import history_message
from bot.help import GROUP_ORDER
from bot.registry import spec_of
from bot.report.export import as_dict, as_json
from bot.settings import FirmConfig
from handlers.router import parse
from handlers.wecom.chat import dm_room
from storage.models import Client, Incident, TimelineEvent, Workspace
from tests.wecom.conftest import CORP_ID
from tests.wecom.test_corps import CORP_B, Corp, two_corps  # noqa: F401 - the fixture

A_MARKS = ("甲所工资表泄露", "甲所机密日志", "甲所决定隔离服务器", "王芳", "王＊", "李强", "轮换甲所密码", "甲所补救热线",
           "lisi", "Lotus")
B_MARKS = ("乙所发票库泄露", "乙所机密日志", "乙所客户经理", "wangwu", "Peony")
CSV = "姓名,类型,联系方式,语言,居住地,数据\n王芳,个人,wang@example.cn,中文,上海,工资\n李强,个人,13800000000,中文,香港,银行卡号\n"

# Firm A drives a command of every family (help group) through its callback; (typed, part of the answer).
FIRM_A = [
    ("配置 名称 Lotus 甲所", "Lotus 甲所"),
    ("配置 名单 信息安全 @lisi", "@lisi"),
    ("宣布 甲所工资表泄露 --严重程度 高", "BR-1"),
    ("宣布 甲所第二起 --演练", "BR-2"),
    ("状态 BR-1", "甲所工资表泄露"),
    ("角色 BR-1", "@lisi"),
    ("指派 BR-1 @zhaoliu 法务合规", "@zhaoliu"),
    ("任务 BR-1", "组建应急小组"),
    ("完成 BR-1 1", "组建应急小组"),
    ("记录 BR-1 甲所机密日志：防火墙告警", "时间线"),
    ("决定 BR-1 甲所决定隔离服务器", "时间线"),
    ("影响 BR-1 上海=300", "300"),
    ("时限 BR-1", "个人信息保护法"),
    ("已通报 BR-1 cn-pipl-57/authority", "已于"),
    ("客户 BR-1", "王＊"),
    ("补救 BR-1 热线 甲所补救热线 400-000", "甲所补救热线"),
    ("起草 BR-1 客户通知", "D-1"),
    ("跟进 BR-1 轮换甲所密码 --负责人 @lisi --截止 明天", "轮换甲所密码"),
    ("报告 BR-1", "BR-1"),
    ("历史", "甲所工资表泄露"),
]
FIRM_B = [
    ("配置 名称 Peony 乙所", "Peony 乙所"),
    ("配置 名单 客户经理 @wangwu", "@wangwu"),
    ("宣布 乙所发票库泄露", "BR-1"),
    ("记录 乙所机密日志：乙所客户经理发现", "时间线"),
]


def said_to(corp: Corp, since: int = 0) -> list[str]:
    """Everything the bot sent within one corp (by that corp's access token): messages, chats, files."""
    fake = corp.side.fake
    return [str(c.body) for c in fake.calls[since:] if c.corp == corp.corp_id and c.api != "gettoken"]


def count(engine: Engine, model: type, corp: str) -> int:
    with Session(engine) as s:
        ws = s.exec(select(Workspace).where(Workspace.external_id == corp)).one()
        incidents = select(Incident.id).where(Incident.workspace_id == ws.id)
        if model is Incident:
            return s.exec(select(func.count()).select_from(Incident).where(Incident.workspace_id == ws.id)).one()
        return s.exec(select(func.count()).select_from(model).where(model.incident_id.in_(incidents))).one()


def test_two_firms_side_by_side_never_see_each_other(two_corps):  # noqa: F811 - the fixture
    a, b = two_corps
    bot, engine, fake = a.side.bot, a.side.bot.engine, a.side.fake
    bot.firm = FirmConfig(admins=["zhangsan"])  # the deployment's default admin; each firm sets the rest itself
    path_a, path_b = f"/wecom/callback/{CORP_ID}", f"/wecom/callback/{CORP_B}"
    for typed, expected in FIRM_B:
        assert b.post(path_b, "zhangsan", typed) == 200
        assert expected in said_to(b)[-1] or any(expected in m for m in said_to(b)), typed
    b_events = count(engine, TimelineEvent, CORP_B)

    families: set[str] = set()
    start = len(fake.calls)
    for typed, expected in FIRM_A:
        families.add(spec_of(parse("/breach " + typed, lang="zh")).group or "")
        if typed.startswith("客户"):  # a register arrives as a file, as the platform hands it over
            context = Context(workspace=CORP_ID, user="zhangsan", room=dm_room("zhangsan"), platform="wecom")
            bot.handle(context, ClientsImport(content=CSV.encode(), source="客户.csv", incident=1))
            families.add("tell")
        mark = len(fake.calls)
        assert a.post(path_a, "zhangsan", typed) == 200
        answer = " ".join(said_to(a, mark))
        assert expected in answer, (typed, answer[:400])
    assert families >= set(GROUP_ORDER)
    assert count(engine, TimelineEvent, CORP_B) == b_events  # firm A's work added nothing to firm B's record
    bot.advance(bot.now() + timedelta(days=3))  # every reminder and escalation of both firms falls due

    # Each firm numbers its own incidents; each one's reminders are in its own record only.
    assert (count(engine, Incident, CORP_ID), count(engine, Incident, CORP_B)) == (2, 1)
    assert count(engine, TimelineEvent, CORP_B) > b_events
    assert (count(engine, Client, CORP_ID), count(engine, Client, CORP_B)) == (2, 0)
    # Nothing sent in one corp mentions the other's incident, people, clients or firm, reminders included.
    to_a, to_b = " ".join(said_to(a)), " ".join(said_to(b))
    assert [m for m in A_MARKS if m in to_b] == [] and [m for m in B_MARKS if m in to_a] == []
    assert any("甲所工资表泄露" in m for m in said_to(a, start)) and "乙所发票库泄露" in to_b
    assert {c.corp for c in fake.calls} == {CORP_ID, CORP_B}

    # Firm B's commands and errors see only firm B: its BR-1, no BR-2, its empty register and history.
    mark = len(fake.calls)
    for typed in ("状态 BR-1", "状态 BR-2", "客户 BR-1", "历史", "时限 BR-1", "报告 BR-1", "配置"):
        assert b.post(path_b, "zhangsan", typed) == 200
    answers = " ".join(said_to(b, mark))
    assert "乙所发票库泄露" in answers and "Peony" in answers
    assert [m for m in A_MARKS if m in answers] == []
    assert [c for c in fake.calls[mark:] if c.corp == CORP_ID] == []

    # Exports and history, as the command line and the pages read them.
    with Session(engine) as s:
        for corp, own, other in ((CORP_ID, A_MARKS, B_MARKS), (CORP_B, B_MARKS, A_MARKS)):
            ws = s.exec(select(Workspace).where(Workspace.external_id == corp)).one()
            incident = s.exec(select(Incident).where(Incident.workspace_id == ws.id, Incident.number == 1)).one()
            exported = as_json(as_dict(s, incident=incident, playbook=bot.playbook, ws=ws, now=bot.now(),
                                       regimes=bot.regimes))
            history = history_message(s, ws, regimes=bot.regimes).plain_text()
            assert own[0] in exported and own[0] in history
            assert [m for m in other if m in exported + history] == []
