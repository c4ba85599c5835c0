"""A whole incident typed only in Chinese on WeCom (wechatpy-encrypted callbacks): the same script as the
console's (tests/test_zh_first.py) but for the client register (WeCom delivers no files to an app), nothing
refused, no English word in any app or group message."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.settings import FirmConfig
from tests.test_zh_first import ROSTER, SCRIPT, check_the_chinese_incident, count_refusals
from tests.test_zh_wording import latin_words
from tests.wecom.conftest import make_wecom


def test_a_whole_incident_typed_in_chinese_on_wecom(sqlite_engine, fake_wecom):
    side = make_wecom(sqlite_engine, fake_wecom, roster=ROSTER)
    side.bot.firm = FirmConfig(roster=ROSTER, name="上海莲花会计师事务所", contact="021-5555 0000")
    side.bot.settings = side.bot.settings.model_copy(update={"firm_name": "", "firm_contact": ""})
    refused = count_refusals(side.bot)
    try:
        for user, _, typed in SCRIPT:
            side.say(user, typed)  # WeCom: every command in the sender's chat with the app
        side.bot.advance(side.clock.now() + timedelta(hours=30))
        side.endpoint.drain()
    finally:
        side.endpoint.worker.stop()
    check_the_chinese_incident(sqlite_engine)
    assert refused == []
    # Every text and markdown message the app sent, to people and to the war room, without WeCom's markup.
    said = [(c.body.get(c.body["msgtype"]) or {}).get("content", "") for c in fake_wecom.calls
            if c.api in ("message/send", "appchat/send") and c.body.get("msgtype") in ("text", "markdown")]
    text = re.sub(r"</?font[^>]*>", "", "\n".join(said))
    assert "⏱ 下一个到期：" in text and "1 系统告警 · 2 客户告知" in text
    assert latin_words(text) == []
