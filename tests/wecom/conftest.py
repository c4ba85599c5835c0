"""Fixtures: a fake WeCom API on 127.0.0.1, and a test that acts as WeCom towards /wecom/callback."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode
from xml.sax.saxutils import escape

import pytest
import xmltodict
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from wechatpy.enterprise import WeChatCrypto
from werkzeug.test import TestResponse

from bot.app import Breachbot
from bot.clock import VirtualClock
from bot.settings import FirmConfig
from handlers.wecom.web import WeComEndpoint, endpoint_of, register
from tests.conftest import START, make_settings
from tests.wecom.fake_wecom import FakeWeCom

CORP_ID = "ww7f3a9c0d1e2b4a56"
SECRET = "app-secret-from-the-admin-console"
TOKEN = "CallbackToken42"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # 43 characters, as WeCom generates them
AGENT_ID = 1000002


@dataclass
class WeComSide:
    """The test playing WeCom: encrypts what people type and POSTs it to the bot's callback."""

    app: Flask
    http: FlaskClient
    bot: Breachbot
    endpoint: WeComEndpoint
    fake: FakeWeCom
    clock: VirtualClock
    crypto: WeChatCrypto = field(default_factory=lambda: WeChatCrypto(TOKEN, AES_KEY, CORP_ID))
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(7_310_000_000_000_000_001))

    def message_xml(self, user: str, text: str, *, msg_id: int | None = None, kind: str = "text") -> str:
        """The plain XML WeCom sends for a text message to the app."""
        msg_id = msg_id if msg_id is not None else next(self._ids)
        body = f"<Content>{escape(text)}</Content>" if kind == "text" else "<PicUrl>http://x/p.jpg</PicUrl>"
        return (f"<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>{escape(user)}</FromUserName>"
                f"<CreateTime>{int(self.clock.now().timestamp())}</CreateTime><MsgType>{kind}</MsgType>"
                f"{body}<MsgId>{msg_id}</MsgId><AgentID>{AGENT_ID}</AgentID></xml>")

    def seal(self, plain_xml: str, nonce: str = "n0nce") -> tuple[str, bytes]:
        """Encrypt and sign like WeCom: the callback's query string and POST body."""
        sealed = xmltodict.parse(self.crypto.encrypt_message(plain_xml, nonce, str(int(self.clock.now().timestamp()))))
        sealed = sealed["xml"]
        query = urlencode({"msg_signature": sealed["MsgSignature"], "timestamp": sealed["TimeStamp"],
                           "nonce": sealed["Nonce"]})
        body = (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><AgentID><![CDATA[{AGENT_ID}]]></AgentID>"
                f"<Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt></xml>")
        return query, body.encode()

    def post(self, query: str, body: bytes) -> TestResponse:
        return self.http.post(f"/wecom/callback?{query}", data=body, content_type="text/xml")

    def send(self, user: str, text: str, *, msg_id: int | None = None) -> TestResponse:
        """`user` types `text` in their chat with the app; returns WeCom's view of the answer."""
        return self.post(*self.seal(self.message_xml(user, text, msg_id=msg_id)))

    def say(self, user: str, text: str) -> None:
        """Send, insist on WeCom's empty 200, and wait for the bot to finish."""
        response = self.send(user, text)
        assert (response.status_code, response.data) == (200, b"")
        self.endpoint.drain()


def make_wecom(engine: Engine, fake: FakeWeCom, *, lang: str = "zh", roster: dict | None = None,
               start: datetime = START, corps: Path | None = None) -> WeComSide:
    """The bot on WeCom behind a Flask app, talking to `fake`, on a virtual clock (`corps`: a WECOM_CORPS file)."""
    settings = make_settings(lang=lang, wecom_corp_id=CORP_ID, wecom_agent_id=str(AGENT_ID), wecom_secret=SECRET,
                             wecom_token=TOKEN, wecom_aes_key=AES_KEY, wecom_api_url=fake.url, wecom_corps=corps)
    app = Flask("wecom-test")
    clock = VirtualClock(start)
    bot = register(app, settings=settings, engine=engine, clock=clock)
    bot.firm = FirmConfig(roster=roster or {})
    fake.clock = clock.now
    return WeComSide(app=app, http=app.test_client(), bot=bot, endpoint=endpoint_of(app), fake=fake, clock=clock)


@pytest.fixture
def fake_wecom() -> Iterator[FakeWeCom]:
    """The fake WeCom API, serving on a free loopback port."""
    fake = FakeWeCom(corp_id=CORP_ID, secret=SECRET).start()
    yield fake
    fake.stop()


@pytest.fixture
def wecom(engine: Engine, fake_wecom: FakeWeCom) -> Iterator[WeComSide]:
    """The bot on WeCom, on SQLite and PostgreSQL."""
    side = make_wecom(engine, fake_wecom)
    yield side
    side.endpoint.worker.stop()


@pytest.fixture
def wecom_quick(sqlite_engine: Engine, fake_wecom: FakeWeCom) -> Iterator[WeComSide]:
    """The bot on WeCom, SQLite only."""
    side = make_wecom(sqlite_engine, fake_wecom)
    yield side
    side.endpoint.worker.stop()
