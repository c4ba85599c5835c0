"""`breachbot serve`'s web app over real loopback HTTP: WeCom mounted, verified, and answering."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests
from werkzeug.serving import make_server

from bot.clock import VirtualClock
from handlers.web import create_web_app
from handlers.wecom.web import endpoint_of
from tests.conftest import START, make_settings
from tests.wecom.conftest import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN, WeComSide
from tests.wecom.fake_wecom import FakeWeCom


@pytest.fixture
def served(sqlite_engine, fake_wecom: FakeWeCom) -> Iterator[tuple[str, WeComSide]]:
    settings = make_settings(wecom_corp_id=CORP_ID, wecom_agent_id=str(AGENT_ID), wecom_secret=SECRET,
                             wecom_token=TOKEN, wecom_aes_key=AES_KEY, wecom_api_url=fake_wecom.url, lang="zh")
    clock = VirtualClock(START)
    app, bots = create_web_app(settings, engine=sqlite_engine, clock=clock)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    endpoint = endpoint_of(app)
    side = WeComSide(app=app, http=app.test_client(), bot=bots[0], endpoint=endpoint, fake=fake_wecom, clock=clock)
    yield f"http://127.0.0.1:{server.server_port}", side
    server.shutdown()
    endpoint.worker.stop()


def test_the_served_app_takes_wecom_callbacks_over_http(served):
    base, side = served
    health = requests.get(f"{base}/healthz", timeout=5).json()
    assert health.pop("database_checked_s_ago") < 5
    assert health == {"status": "ok", "database": "ok", "platforms": ["wecom"]}

    query, body = side.seal(side.message_xml("alice", "宣布 工资表泄露 --severity critical"))
    answer = requests.post(f"{base}/wecom/callback?{query}", data=body, timeout=5,
                           headers={"Content-Type": "text/xml"})
    assert (answer.status_code, answer.text) == (200, "")
    side.endpoint.drain()
    assert side.fake.messages_to("alice")[0].startswith("🚨 **BR-1** · 严重程度 特别严重")

    forged = requests.post(f"{base}/wecom/callback?{query.replace('nonce=', 'nonce=x')}", data=body, timeout=5)
    assert forged.status_code == 403
