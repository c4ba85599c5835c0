"""Several WeCom corps on one deployment: `/wecom/callback/<corp>` per corp, each with its own token, EncodingAESKey,
secret, agent and access token; the single-corp `/wecom/callback` keeps working.

WeCom signs each callback with the app's Token and encrypts it with its EncodingAESKey, the CorpID inside the
ciphertext (企业微信 › 回调和回复 › 加解密方案说明, developer.work.weixin.qq.com/document/path/90968); every API call
carries the access token `gettoken` gave for that corp's corpid and secret (获取access_token, path/91039).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import xmltodict
from flask import Flask
from sqlalchemy import Engine
from sqlmodel import Session, select
from wechatpy.enterprise import WeChatCrypto

from bot.errors import ConfigError
from bot.settings import FirmConfig
from handlers.wecom.config import corp_configs
from handlers.wecom.web import endpoint_of, register
from storage.models import Incident, Workspace
from tests.conftest import make_settings
from tests.wecom.conftest import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN, WeComSide, make_wecom
from tests.wecom.fake_wecom import FakeWeCom

CORP_B = "ww0b1c2d3e4f5a6b7c"
SECRET_B = "corp-b-app-secret"
TOKEN_B = "CorpBCallbackToken"
AES_KEY_B = "kXnZn8rs6oNpBVxAkHtCyna4LB2ulBk4zllS7r3C3D4"  # 43 characters
AGENT_B = 1000017
ACCESS_B = "FAKE-ACCESS-TOKEN-B"


def corps_file(tmp_path: Path, **extra: object) -> Path:
    """The WECOM_CORPS file naming corp B (corp A is the single corp of WECOM_*)."""
    table = {"corp_id": CORP_B, "agent_id": AGENT_B, "secret": SECRET_B, "token": TOKEN_B, "aes_key": AES_KEY_B}
    table.update(extra)
    body = "[corps.branch]\n" + "".join(f'{k} = "{v}"\n' if isinstance(v, str) else f"{k} = {v}\n"
                                        for k, v in table.items())
    path = tmp_path / "corps.toml"
    path.write_text(body, encoding="utf-8")
    return path


@dataclass
class Corp:
    """The test playing WeCom for one corp: seals with that corp's keys."""

    corp_id: str
    agent_id: int
    crypto: WeChatCrypto
    side: WeComSide
    ids: Iterator[int] = field(default_factory=lambda: iter(range(9_000_000_000_000_000_001, 10**19)))

    def seal(self, user: str, text: str) -> tuple[str, bytes]:
        now = str(int(self.side.clock.now().timestamp()))
        plain = (f"<xml><ToUserName>{self.corp_id}</ToUserName><FromUserName>{user}</FromUserName>"
                 f"<CreateTime>{now}</CreateTime><MsgType>text</MsgType><Content>{escape(text)}</Content>"
                 f"<MsgId>{next(self.ids)}</MsgId><AgentID>{self.agent_id}</AgentID></xml>")
        sealed = xmltodict.parse(self.crypto.encrypt_message(plain, "n0nce", now))["xml"]
        query = f"msg_signature={sealed['MsgSignature']}&timestamp={sealed['TimeStamp']}&nonce={sealed['Nonce']}"
        body = (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName><AgentID><![CDATA[{self.agent_id}]]>"
                f"</AgentID><Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt></xml>")
        return query, body.encode()

    def post(self, path: str, user: str, text: str) -> int:
        query, body = self.seal(user, text)
        status = self.side.http.post(f"{path}?{query}", data=body, content_type="text/xml").status_code
        self.side.endpoint.drain()
        return status


@pytest.fixture
def two_corps(engine: Engine, fake_wecom: FakeWeCom, tmp_path: Path) -> Iterator[tuple[Corp, Corp]]:
    """Corp A (WECOM_*) and corp B (WECOM_CORPS) on one bot, one database, one WeCom API server."""
    fake_wecom.add_corp(CORP_B, SECRET_B, ACCESS_B)
    side = make_wecom(engine, fake_wecom, corps=corps_file(tmp_path))
    yield (Corp(CORP_ID, AGENT_ID, WeChatCrypto(TOKEN, AES_KEY, CORP_ID), side),
           Corp(CORP_B, AGENT_B, WeChatCrypto(TOKEN_B, AES_KEY_B, CORP_B), side))
    side.endpoint.worker.stop()


def incidents_of(engine: Engine) -> list[tuple[str, int, str, str]]:
    with Session(engine) as s:
        return sorted((ws.external_id, i.number, i.title, i.declared_by) for i, ws in s.exec(
            select(Incident, Workspace).where(Incident.workspace_id == Workspace.id)))


def test_two_corps_each_at_its_own_path_with_its_own_token(two_corps: tuple[Corp, Corp]):
    a, b = two_corps
    fake = a.side.fake
    assert a.post(f"/wecom/callback/{CORP_ID}", "alice", "宣布 工资表泄露") == 200
    assert b.post(f"/wecom/callback/{CORP_B}", "zhangsan", "宣布 发票库泄露") == 200
    assert a.post("/wecom/callback", "alice", "状态") == 200  # the single-corp path still answers corp A

    assert incidents_of(a.side.bot.engine) == sorted([(CORP_ID, 1, "工资表泄露", "alice"), (CORP_B, 1, "发票库泄露", "zhangsan")])
    to_alice, to_zhang = fake.messages_to("alice"), fake.messages_to("zhangsan")
    assert to_alice[0].startswith("🚨 **BR-1**") and "工资表泄露" in to_alice[0]
    assert "工资表泄露" in to_alice[-1] and not any("发票库" in m for m in to_alice)
    assert to_zhang[0].startswith("🚨 **BR-1**") and not any("工资表" in m for m in to_zhang)
    # Each corp's messages went with its own agent and its own access token, fetched once per corp.
    for corp, agent, person in ((CORP_ID, AGENT_ID, "alice"), (CORP_B, AGENT_B, "zhangsan")):
        sends = [c for c in fake.corp_calls(corp) if c.api == "message/send"]
        assert sends and {c.body["agentid"] for c in sends} == {agent}
        assert {c.body["touser"] for c in sends} == {person}
    assert [c.query["corpid"] for c in fake.of("gettoken")] == [CORP_ID, CORP_B]
    assert [c for c in fake.calls if not c.corp] == []


def test_a_callback_sealed_for_corp_a_is_refused_at_corp_b(two_corps: tuple[Corp, Corp]):
    a, b = two_corps
    before = incidents_of(a.side.bot.engine)
    assert a.post(f"/wecom/callback/{CORP_B}", "alice", "宣布 伪造的事件") == 403
    # B's token and key, but the ciphertext names A's CorpID: refused by the CorpID check
    named_a = Corp(CORP_ID, AGENT_B, WeChatCrypto(TOKEN_B, AES_KEY_B, CORP_ID), a.side)
    assert named_a.post(f"/wecom/callback/{CORP_B}", "alice", "宣布 伪造的事件") == 403
    # B's token with A's key: the signature holds, the body cannot be opened
    keyed_a = Corp(CORP_B, AGENT_B, WeChatCrypto(TOKEN_B, AES_KEY, CORP_B), a.side)
    assert keyed_a.post(f"/wecom/callback/{CORP_B}", "alice", "宣布 伪造的事件") == 400
    assert b.post(f"/wecom/callback/{CORP_ID}", "zhangsan", "宣布 伪造的事件") == 403
    assert b.post("/wecom/callback", "zhangsan", "宣布 伪造的事件") == 403
    assert a.post("/wecom/callback/ww-not-configured", "alice", "宣布 伪造的事件") == 404
    assert incidents_of(a.side.bot.engine) == before
    assert a.side.fake.calls == []


def test_the_same_userid_in_two_corps_is_two_people(two_corps: tuple[Corp, Corp]):
    a, b = two_corps
    a.post(f"/wecom/callback/{CORP_ID}", "zhangsan", "宣布 工资表泄露")
    b.post(f"/wecom/callback/{CORP_B}", "zhangsan", "状态")
    said_in_b = [c for c in a.side.fake.corp_calls(CORP_B) if c.api == "message/send"]
    told = [c.body["markdown"]["content"] if "markdown" in c.body else c.body["text"]["content"] for c in said_in_b]
    assert told and not any("工资表" in m for m in told)
    assert "没有进行中的事件" in told[-1], told
    assert incidents_of(a.side.bot.engine) == [(CORP_ID, 1, "工资表泄露", "zhangsan")]


def test_only_corps_from_the_file_and_no_single_path(sqlite_engine: Engine, fake_wecom: FakeWeCom, tmp_path: Path):
    fake_wecom.add_corp(CORP_B, SECRET_B, ACCESS_B)
    settings = make_settings(lang="zh", wecom_corps=corps_file(tmp_path, api_url=fake_wecom.url))
    assert settings.platform == "wecom"
    app = Flask("corps-only")
    bot = register(app, settings=settings, engine=sqlite_engine)
    bot.firm = FirmConfig()
    endpoint = endpoint_of(app, CORP_B)
    assert endpoint is endpoint_of(app) and endpoint.config.agent_id == AGENT_B
    assert {r.rule for r in app.url_map.iter_rules()} >= {"/wecom/callback/<corp>"}
    assert "/wecom/callback" not in {r.rule for r in app.url_map.iter_rules()}
    endpoint.worker.stop()


@pytest.mark.parametrize(("extra", "says"), [
    ({"aes_key": "short"}, "aes_key is the 43-character EncodingAESKey, not 5 characters"),
    ({"agent_id": "abc"}, "agent_id is the app's numeric AgentId, not 'abc'"),
    ({"secret": ""}, "[corps.branch] needs secret"),
    ({"corp_id": CORP_ID}, f"WeCom corp {CORP_ID} is configured twice"),
    ({"admins": "wangwu"}, "admins is a list of userids, such as admins = [\"zhangsan\"], not 'wangwu'"),
])
def test_a_bad_corps_file_names_what_to_fix(tmp_path: Path, extra: dict, says: str):
    settings = make_settings(wecom_corp_id=CORP_ID, wecom_agent_id=str(AGENT_ID), wecom_secret=SECRET,
                             wecom_token=TOKEN, wecom_aes_key=AES_KEY, wecom_corps=corps_file(tmp_path, **extra))
    with pytest.raises(ConfigError) as raised:
        corp_configs(settings)
    assert says in str(raised.value)
    missing = make_settings(wecom_corps=tmp_path / "nowhere.toml")
    with pytest.raises(ConfigError, match="nowhere.toml does not exist"):
        corp_configs(missing)


def test_a_corps_configured_admins_are_its_first(engine: Engine, fake_wecom: FakeWeCom, tmp_path: Path):
    fake_wecom.add_corp(CORP_B, SECRET_B, ACCESS_B)
    side = make_wecom(engine, fake_wecom, corps=corps_file(tmp_path, admins=["wangwu"]))
    b = Corp(CORP_B, AGENT_B, WeChatCrypto(TOKEN_B, AES_KEY_B, CORP_B), side)
    a = Corp(CORP_ID, AGENT_ID, WeChatCrypto(TOKEN, AES_KEY, CORP_ID), side)
    b.post(f"/wecom/callback/{CORP_B}", "zhangsan", "配置 语言 英文")
    b.post(f"/wecom/callback/{CORP_B}", "wangwu", "配置 语言 英文")
    a.post(f"/wecom/callback/{CORP_ID}", "wangwu", "配置 语言 英文")
    assert "只有本所管理员可以更改设置：@wangwu。" in fake_wecom.messages_to("zhangsan")[-1]
    to_wangwu = fake_wecom.messages_to("wangwu")[-2:]
    assert to_wangwu[0] == "Settings: language is now English."
    assert "本所尚未设置管理员" in to_wangwu[1] and f"breachbot config --workspace wecom:{CORP_ID} admins" in to_wangwu[1]
    side.endpoint.worker.stop()
