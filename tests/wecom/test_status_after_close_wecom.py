"""Bare `状态` typed in the chat with the app after the close (encrypted callbacks): the incident that closed
last, labelled closed, instead of a refusal; zh and en."""

from __future__ import annotations

import pytest

from bot.settings import FirmConfig
from tests.wecom.conftest import make_wecom

ALICE, ERIN = "ZhangLi", "ChenYi"  # WeCom markdown shows BR-n in bold
ROSTER = {"legal": [ERIN]}
TYPED = {"zh": ("宣布 工资表泄露 --clients 3", '结案 --原因 内部人员 --教训 "审查权限" --确认', "状态"),
         "en": ("declare Payroll leak --clients 3", 'close --cause insider --lessons "Review access" --confirm',
                "status")}
INTRO = {"zh": "没有进行中的事件。你参与的最近一起事件 **BR-1** 已于 10:05 结案：",
         "en": "No incident is open. The last one you were on, **BR-1**, closed 10:05:"}
HEADER = {"zh": "🗂 **BR-1** · 严重程度 高 · 已结案 · 负责人：", "en": "🗂 **BR-1** · severity high · CLOSED · lead: "}
REFUSED = {"zh": "你没有进行中的事件", "en": "You have no open incident"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bare_status_after_the_close_shows_the_closed_incident(sqlite_engine, fake_wecom, lang):
    side = make_wecom(sqlite_engine, fake_wecom, lang=lang, roster=ROSTER)
    side.bot.firm = FirmConfig(roster=ROSTER)
    try:
        declare, close, status = TYPED[lang]
        side.say(ALICE, declare)
        side.say(ALICE, close)
        for user in (ALICE, ERIN):
            side.say(user, status)
            shown = fake_wecom.messages_to(user)[-1]
            assert REFUSED[lang] not in shown
            first, header = shown.splitlines()[:2]
            assert first == INTRO[lang]
            assert header.startswith(HEADER[lang])
        side.say("WangWu", status)  # on no team: nothing to show, told so
        assert fake_wecom.messages_to("WangWu")[-1].startswith(REFUSED[lang])
    finally:
        side.endpoint.worker.stop()
