"""Many firms, the WeCom half of #22's "done when": two corps run incidents at the same time on one database
through 2 web processes (each serving both corps' callbacks, a request to either) and 2 worker processes (the
reminders of both corps, side by side); each corp's people see only their own incident, every call goes with
that corp's own access token and agent, and every reminder goes out once. Real processes (serial)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from datetime import timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import xmltodict
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from wechatpy.enterprise import WeChatCrypto

from storage.models import Alert, Incident, OutboundMessage, TimelineEvent, Workspace
from tests.conftest import START
from tests.wecom.conftest import AES_KEY, AGENT_ID, CORP_ID, TOKEN
from tests.wecom.fake_wecom import FakeWeCom
from tests.wecom.test_corps import ACCESS_B, AES_KEY_B, AGENT_B, CORP_B, SECRET_B, TOKEN_B, corps_file

REPO = Path(__file__).resolve().parents[2]
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the web processes are on 127.0.0.1
PEOPLE = {CORP_ID: ("alice", "工资表泄露"), CORP_B: ("zhangsan", "发票库泄露")}


def _url(engine: Engine) -> str:
    schema = getattr(engine, "_breachbot_schema", None)
    url = engine.url.set(query={"options": f"-csearch_path={schema}"}) if schema else engine.url
    return url.render_as_string(hide_password=False)


def _sealed(corp: str, agent: int, crypto: WeChatCrypto, user: str, text: str, msg_id: int) -> tuple[str, bytes]:
    now = str(int(START.timestamp()))
    plain = (f"<xml><ToUserName>{corp}</ToUserName><FromUserName>{user}</FromUserName><CreateTime>{now}</CreateTime>"
             f"<MsgType>text</MsgType><Content>{escape(text)}</Content><MsgId>{msg_id}</MsgId>"
             f"<AgentID>{agent}</AgentID></xml>")
    sealed = xmltodict.parse(crypto.encrypt_message(plain, "n0nce", now))["xml"]
    query = f"msg_signature={sealed['MsgSignature']}&timestamp={sealed['TimeStamp']}&nonce={sealed['Nonce']}"
    body = (f"<xml><ToUserName><![CDATA[{corp}]]></ToUserName><AgentID><![CDATA[{agent}]]></AgentID>"
            f"<Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt></xml>")
    return query, body.encode()


def _wait(engine: Engine, done, what: str, limit: float = 60) -> None:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        with Session(engine) as s:
            if done(s):
                return
        time.sleep(0.1)
    raise AssertionError(f"the web processes did not {what} within {limit:.0f} s")


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_two_corps_on_two_web_and_two_worker_processes_each_see_only_their_own(engine: Engine,
                                                                              fake_wecom: FakeWeCom, tmp_path):
    fake_wecom.add_corp(CORP_B, SECRET_B, ACCESS_B)
    corps = corps_file(tmp_path)
    url, env = _url(engine), {**os.environ, "PYTHONPATH": str(REPO), "NO_PROXY": "127.0.0.1"}
    args = [sys.executable, "-m", "tests.wecom.corps_process"]
    webs, ports = [], []
    try:
        for n in range(2):
            port_file = tmp_path / f"web{n}.port"
            webs.append(subprocess.Popen([*args, "web", url, fake_wecom.url, str(corps), START.isoformat(),
                                          str(port_file)], cwd=REPO, env=env))
            end = time.monotonic() + 60
            while not port_file.exists() and time.monotonic() < end and webs[-1].poll() is None:
                time.sleep(0.05)
            ports.append(int(port_file.read_text(encoding="utf-8")))
        cryptos = {CORP_ID: (AGENT_ID, WeChatCrypto(TOKEN, AES_KEY, CORP_ID)),
                   CORP_B: (AGENT_B, WeChatCrypto(TOKEN_B, AES_KEY_B, CORP_B))}
        ids = iter(range(9_100_000_000_000_000_001, 10**19))

        def say(n: int, corp: str, text: str) -> None:
            user = PEOPLE[corp][0]
            query, body = _sealed(corp, cryptos[corp][0], cryptos[corp][1], user, text, next(ids))
            request = urllib.request.Request(f"http://127.0.0.1:{ports[n % 2]}/wecom/callback/{corp}?{query}",
                                             data=body, headers={"Content-Type": "text/xml"}, method="POST")
            with NO_PROXY.open(request, timeout=30) as answer:
                assert answer.status == 200

        # Both corps declare at once, each through another web process.
        say(0, CORP_ID, f"宣布 {PEOPLE[CORP_ID][1]}")
        say(1, CORP_B, f"宣布 {PEOPLE[CORP_B][1]}")
        _wait(engine, lambda s: len(s.exec(select(Incident)).all()) == 2, "record both incidents")
        # …and go on through the other one.
        say(1, CORP_ID, "记录 防火墙告警")
        say(0, CORP_B, "记录 发票服务器已隔离")
        notes = ("防火墙告警", "发票服务器已隔离")
        _wait(engine, lambda s: len(s.exec(select(TimelineEvent).where(col(TimelineEvent.text).in_(notes))).all()) == 2,
              "record both notes")
        before = len(fake_wecom.calls)
        # Two workers at once, two hours on: both corps' reminders, side by side.
        workers = [subprocess.Popen([*args, "worker", url, fake_wecom.url, str(corps),
                                     (START + timedelta(hours=2)).isoformat()], cwd=REPO, env=env) for _ in range(2)]
        assert [w.wait(120) for w in workers] == [0, 0]
    finally:
        for web in webs:
            web.kill()
            web.wait(10)

    with Session(engine) as s:
        numbers = {ws.external_id: (i.number, i.title) for i, ws in s.exec(
            select(Incident, Workspace).where(Incident.workspace_id == Workspace.id))}
        assert numbers == {CORP_ID: (1, PEOPLE[CORP_ID][1]), CORP_B: (1, PEOPLE[CORP_B][1])}
        due = Counter(s.exec(select(Alert.state).where(Alert.fire_at <= START + timedelta(hours=2))).all())
        assert due.get("sent", 0) >= 2 and not due.get("pending") and not due.get("claimed")
        assert s.exec(select(OutboundMessage).where(col(OutboundMessage.state).in_(("pending", "sending")))).all() == []
    reminders = [c for c in fake_wecom.calls[before:] if c.api == "message/send"]
    assert {c.corp for c in reminders} == {CORP_ID, CORP_B}  # the workers reminded both firms
    for corp, (person, title) in PEOPLE.items():
        other = PEOPLE[CORP_B if corp == CORP_ID else CORP_ID]
        seen = fake_wecom.messages_to(person)
        assert any(title in m for m in seen) and not any(other[1] in m for m in seen)
        sends = [c for c in fake_wecom.corp_calls(corp) if c.api == "message/send"]
        assert sends and {c.body["agentid"] for c in sends} == {cryptos[corp][0]}
        assert {c.body["touser"] for c in sends} == {person}
        late = [m for c in reminders if c.corp == corp for m in [str(c.body)]]
        assert len(late) == len(set(late)), "a reminder went out twice"
    assert [c for c in fake_wecom.calls if not c.corp and c.api != "gettoken"] == []
