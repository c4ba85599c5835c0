"""A whole incident typed only in Chinese on WeCom (wechatpy-encrypted callbacks): the same script as the
console's (tests/test_zh_first.py), the client register included. A WeCom app receives no files (its callbacks
carry text, images, voice, video, locations and links), so `/breach 客户 导入` gives the client liaison a signed
upload link, and the GBK CSV from a Chinese Excel is posted to the form `breachbot serve` serves behind it.
Nothing refused, no English word in any app or group message, nor on the upload form."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta

from sqlmodel import Session, select

from bot.settings import FirmConfig
from storage.models import Client
from tests.test_zh_first import CLIENTS, CSV, ROSTER, SCRIPT, check_the_chinese_incident, count_refusals
from tests.test_zh_wording import latin_words
from tests.wecom.conftest import make_wecom
from tests.wecom.test_register_upload import LINK, serve_pages


def test_a_whole_incident_typed_in_chinese_on_wecom(sqlite_engine, fake_wecom):
    side = make_wecom(sqlite_engine, fake_wecom, roster=ROSTER)
    serve_pages(side)
    side.bot.firm = FirmConfig(roster=ROSTER, name="上海莲花会计师事务所", contact="021-5555 0000")
    side.bot.settings = side.bot.settings.model_copy(update={"firm_name": "", "firm_contact": ""})
    refused, pages = count_refusals(side.bot), []
    try:
        for user, _, typed in SCRIPT:
            side.say(user, typed)  # WeCom: every command in the sender's chat with the app
            if typed.startswith("/breach 起草 监管报告"):  # the register, its letters and who was told how
                for who, line in CLIENTS:
                    side.say(who, line.format(csv="").strip())  # the import: the liaison's own upload link
                    if "导入" in line:
                        path = LINK.search(side.fake.messages_to(who)[-1])[1]
                        form = side.http.get(path)
                        sent = side.http.post(path, data={"file": (io.BytesIO(CSV.encode("gbk")), "客户.csv")},
                                              content_type="multipart/form-data")
                        assert (form.status_code, sent.status_code) == (200, 200), sent.text
                        pages.append(html.unescape(re.sub(r"<[^>]+>", " ", form.text + sent.text)))
                        side.endpoint.drain()
        side.bot.advance(side.clock.now() + timedelta(hours=30))
        side.endpoint.drain()
    finally:
        side.endpoint.worker.stop()
    check_the_chinese_incident(sqlite_engine)
    assert refused == []
    with Session(sqlite_engine) as s:
        told = {c.name: c.notified_via for c in s.exec(select(Client)) if c.notified_at}
        assert {c.name: c.residence for c in s.exec(select(Client))} == {
            "王芳": "CN", "李强": "CN", "上海明星贸易有限公司": "CN", "金门贸易": "US-CA"}
    assert told == {"王芳": "phone", "李强": "post"}
    # Every text and markdown message the app sent, to people and to the war room, without WeCom's markup.
    said = [(c.body.get(c.body["msgtype"]) or {}).get("content", "") for c in fake_wecom.calls
            if c.api in ("message/send", "appchat/send") and c.body.get("msgtype") in ("text", "markdown")]
    text = re.sub(r"</?font[^>]*>", "", "\n".join(said))
    assert "⏱ 下一个到期：" in text and "1 系统告警 · 2 客户告知" in text
    assert "企业微信应用收不到文件" in text and "文件按 GBK 编码读取" in text and "上海明星贸易有限公司 · 企业" in text
    assert latin_words(text) == []
    assert len(pages) == 1 and "上传客户名单" in pages[0] and latin_words(pages[0]) == []
