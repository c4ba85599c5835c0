"""The shared scenario (tests/scenarios/basic.breach) replayed on WeCom, SQLite and PostgreSQL.

Every line typed in #general or #breach-1 reaches the bot the way WeCom delivers it: an
encrypted app message from that person to the app, POSTed to /wecom/callback.
"""

from __future__ import annotations

import re

from bot.text.times import parse_duration
from tests.scenarios import check_basic_outcome, script_lines
from tests.wecom.conftest import WeComSide

USERS = {"alice": "ZhangLi", "bob": "WangBo", "erin": "ChenYi"}  # WeCom userids
_LINE = re.compile(r"^(?P<user>\w+)\s*(?:#[\w.\-]+)?\s*>\s?(?P<text>.*)$")


def replay(side: WeComSide) -> None:
    for raw in script_lines():
        if raw.startswith("~"):
            side.bot.advance(side.clock.now() + parse_duration(raw[1:].strip().lstrip("+")))
            continue
        match = _LINE.match(raw)
        assert match, raw
        text = match["text"]
        for name, userid in USERS.items():
            text = text.replace(f"@{name}", f"@{userid}")
        side.say(USERS[match["user"]], text)


def test_basic_scenario_on_wecom(wecom: WeComSide):
    replay(wecom)
    check_basic_outcome(wecom.bot.engine, users=USERS)
    fake = wecom.fake
    alice, bob, erin = USERS["alice"], USERS["bob"], USERS["erin"]

    # The war room waited for a second member, then became an app chat owned by the declarer.
    (create,) = fake.of("appchat/create")
    chatid = create.body["chatid"]
    assert create.body["owner"] == alice and create.body["userlist"] == [alice, bob]
    assert create.body["name"] == "breach-1 · Payroll export for 40 clients found on a public file share"[:49] + "…"
    assert [c.body["add_user_list"] for c in fake.of("appchat/update")] == [[erin]]
    assert fake.chats[chatid]["userlist"] == [alice, bob, erin]

    # Chinese by default; the declarer hears first, 1:1, before there is a group.
    announce = fake.messages_to(alice)[1]
    assert announce.startswith("🚨 @ZhangLi 宣布了 **BR-1**。应急小组在私密应急群 「breach-1 · Payroll export")
    assert announce.endswith("」 中处置，详情只在群内。")
    room = fake.chat_posts(chatid)
    assert room[0] == "👤 @WangBo 现在是信息安全（由 @ZhangLi 指派）。"
    assert room[1].startswith("🚨 **BR-1** · 严重程度 高 · 阶段 1/10 紧急响应")  # the group's first status
    assert "信息安全 @WangBo" in room[1]
    assert sum(p.startswith("🚨 **BR-1**") for p in room) == 1  # later changes post their own lines instead
    assert any(p.startswith("🧭 @WangBo 的决定：Take the file share offline") for p in room)
    assert room[-1].startswith("✅ @ZhangLi 已将 BR-1 结案。")
    # The first close only listed what was open, to the lead alone; the confirmed one closed it.
    assert [m for m in fake.messages_to(alice) if "⚠️ BR-1 尚未结案。" in m and "4 项任务未完成" in m]
    assert not any("尚未结案" in p for p in room)

    # Reminders are app messages to the phase owner; the missed phase is escalated in the room.
    assert any(m.startswith("⏰ BR-1：阶段 2/10 初步调查，截止 18:05") for m in fake.messages_to(bob))
    assert sum("🔴 BR-1：阶段 2/10 初步调查 已错过截止时间" in p for p in room) == 1

    # Every API call carried the token fetched once from the fake.
    assert fake.apis().count("gettoken") == 1
    assert all(c.query.get("access_token") == "FAKE-ACCESS-TOKEN" for c in fake.calls if c.api != "gettoken")
