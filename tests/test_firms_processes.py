"""#22's "done when", as one deployment: two Slack workspaces installed through the OAuth flow (a fake
oauth.v2.access) and two WeCom corps run incidents at the same time on one PostgreSQL, through 2 web processes
(each serving Slack and both corps; a request to either) and 2 worker processes (every firm's reminders, side by
side). Each firm sees only its own incident, every call goes with that firm's own token (and WeCom agent), every
reminder goes out once; one Slack workspace removing the app stops its alerts and leaves the three others
untouched. Real processes (serial): tests/firms_process.py.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape

import pytest
import xmltodict
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from wechatpy.enterprise import WeChatCrypto

from storage.models import Alert, Incident, OutboundMessage, TimelineEvent, Workspace
from tests.conftest import START
from tests.slack.conftest import sign
from tests.slack.fake_slack import FakeSlack
from tests.wecom.conftest import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN
from tests.wecom.fake_wecom import FakeWeCom
from tests.wecom.test_corps import ACCESS_B, AES_KEY_B, AGENT_B, CORP_B, SECRET_B, TOKEN_B, corps_file

REPO = Path(__file__).resolve().parents[1]
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the web processes are on 127.0.0.1
# Slack: team → (its bot token, the person who types, the incident's title); WeCom: corp → (person, title).
TEAMS = {"T0ONE": ("xoxb-one", "U1ALICE", "Payroll export leaked"),
         "T0TWO": ("xoxb-two", "U2CAROL", "Tax filings leaked")}
CORPS = {CORP_ID: ("alice", "工资表泄露"), CORP_B: ("zhangsan", "发票库泄露")}
GONE = "T0ONE"  # the workspace that removes the app


def _url(engine: Engine) -> str:
    schema = getattr(engine, "_breachbot_schema", None)
    url = engine.url.set(query={"options": f"-csearch_path={schema}"}) if schema else engine.url
    return url.render_as_string(hide_password=False)


@pytest.fixture
def fakes() -> Iterator[tuple[FakeSlack, FakeWeCom]]:
    """A fake Slack with two workspaces (each its own #general and people) and a fake WeCom with two corps."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        os.environ.pop(name, None)
    slack, wecom = FakeSlack().start(), FakeWeCom(corp_id=CORP_ID, secret=SECRET).start()
    wecom.add_corp(CORP_B, SECRET_B, ACCESS_B)
    for team, (_, user, _) in TEAMS.items():
        slack.add_member(user, user.lower(), team=team)
        slack.add_member(user[:2] + "BOB", "bob", team=team)
        slack.add_channel(f"C{team}", "general", members=(user, user[:2] + "BOB"), team=team)
    yield slack, wecom
    slack.stop()
    wecom.stop()


class Deployment:
    """The test as Slack, WeCom and the firms' browsers, towards two web processes."""

    def __init__(self, slack: FakeSlack, wecom: FakeWeCom, ports: list[int]) -> None:
        self.slack, self.wecom, self.ports = slack, wecom, ports
        self.cryptos = {CORP_ID: (AGENT_ID, WeChatCrypto(TOKEN, AES_KEY, CORP_ID)),
                        CORP_B: (AGENT_B, WeChatCrypto(TOKEN_B, AES_KEY_B, CORP_B))}
        self.n = 0

    def _http(self, web: int, method: str, path: str, body: bytes = b"",
              headers: dict[str, str] | None = None) -> tuple[int, str, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.ports[web % 2], timeout=30)
        try:
            conn.request(method, path, body=body or None, headers=headers or {})
            answer = conn.getresponse()
            cookie = "; ".join(c.split(";", 1)[0] for c in answer.headers.get_all("Set-Cookie") or [])
            return answer.status, answer.read().decode("utf-8", "replace"), cookie
        finally:
            conn.close()

    def install(self, team: str, web: int) -> None:
        """An admin clicks Add to Slack on one web process and comes back through the other (state in the DB)."""
        status, page, cookie = self._http(web, "GET", "/slack/install")
        state = re.search(r"state=([^&\"]+)", page)
        assert status == 200 and state is not None, page[:300]
        self.slack.arrange_install(f"code-{team}", team=team, name=f"Firm {team}", token=TEAMS[team][0])
        status, page, _ = self._http(web + 1, "GET", f"/slack/oauth_redirect?code=code-{team}&state={state[1]}",
                                     headers={"Cookie": cookie})
        assert status == 200 and f"已安装到 Firm {team}" in page, page[:300]

    def _signed(self, web: int, body: str, content_type: str) -> None:
        status, page, _ = self._http(web, "POST", "/slack/events", body.encode(),
                                     {"Content-Type": content_type, **sign(body)})
        assert status == 200, page[:300]

    def slash(self, web: int, team: str, typed: str) -> None:
        self.n += 1
        user = TEAMS[team][1]
        self._signed(web, urlencode({
            "token": "legacy", "team_id": team, "team_domain": team.lower(), "channel_id": f"C{team}",
            "channel_name": "general", "user_id": user, "user_name": user.lower(), "command": "/breach",
            "text": typed, "api_app_id": "A0BREACH", "is_enterprise_install": "false",
            "response_url": self.slack.response_url(f"{team}-{self.n}"),
            "trigger_id": self.slack.issue_trigger(f"t.{team}.{self.n}")}, quote_via=quote),
            "application/x-www-form-urlencoded")

    def event(self, web: int, team: str, event: dict) -> None:
        self.n += 1
        self._signed(web, json.dumps({"token": "legacy", "team_id": team, "api_app_id": "A0BREACH", "event": event,
                                      "type": "event_callback", "event_id": f"Ev{self.n}",
                                      "event_time": int(time.time())}), "application/json")

    def wecom_says(self, web: int, corp: str, text: str) -> None:
        self.n += 1
        agent, crypto = self.cryptos[corp]
        now = str(int(START.timestamp()))
        plain = (f"<xml><ToUserName>{corp}</ToUserName><FromUserName>{CORPS[corp][0]}</FromUserName>"
                 f"<CreateTime>{now}</CreateTime><MsgType>text</MsgType><Content>{escape(text)}</Content>"
                 f"<MsgId>{9_100_000_000_000_000_000 + self.n}</MsgId><AgentID>{agent}</AgentID></xml>")
        sealed = xmltodict.parse(crypto.encrypt_message(plain, "n0nce", now))["xml"]
        query = f"msg_signature={sealed['MsgSignature']}&timestamp={sealed['TimeStamp']}&nonce={sealed['Nonce']}"
        body = (f"<xml><ToUserName><![CDATA[{corp}]]></ToUserName><AgentID><![CDATA[{agent}]]></AgentID>"
                f"<Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt></xml>")
        status, page, _ = self._http(web, "POST", f"/wecom/callback/{corp}?{query}", body.encode(),
                                     {"Content-Type": "text/xml"})
        assert status == 200, page[:300]


def _wait(engine: Engine, done, what: str, limit: float = 60) -> None:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        with Session(engine) as s:
            if done(s):
                return
        time.sleep(0.1)
    with Session(engine) as s:
        waiting = [(r.platform, r.op, r.target, r.attempts, r.reason) for r in s.exec(
            select(OutboundMessage).where(col(OutboundMessage.state).in_(("pending", "sending"))))]
    raise AssertionError(f"the web processes did not {what} within {limit:.0f} s; waiting: {waiting}")


def _at_once(*steps) -> None:
    """Run each step in its own thread, all at the same moment."""
    threads = [threading.Thread(target=step) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_two_slack_workspaces_and_two_wecom_corps_on_two_web_and_two_worker_processes(engine: Engine, fakes,
                                                                                      tmp_path):
    slack, wecom = fakes
    url, env = _url(engine), {**os.environ, "PYTHONPATH": str(REPO), "NO_PROXY": "127.0.0.1"}
    args = [sys.executable, "-m", "tests.firms_process"]
    common = [url, slack.api_url, wecom.url, str(corps_file(tmp_path))]
    port_files = [tmp_path / f"web{n}.port" for n in range(2)]
    webs = [subprocess.Popen([*args, "web", *common, START.isoformat(), str(p)], cwd=REPO, env=env)
            for p in port_files]
    try:
        end = time.monotonic() + 60
        while not all(p.exists() for p in port_files) and time.monotonic() < end:
            assert all(w.poll() is None for w in webs), "a web process ended"
            time.sleep(0.05)
        firms = Deployment(slack, wecom, [int(p.read_text(encoding="utf-8")) for p in port_files])
        firms.install("T0ONE", 0)
        firms.install("T0TWO", 1)

        # All four firms declare at once, each through one web process; then go on through the other.
        _at_once(*[lambda t=team, n=n: firms.slash(n, t, f"declare {TEAMS[t][2]}") for n, team in enumerate(TEAMS)],
                 *[lambda c=corp, n=n: firms.wecom_says(n, c, f"宣布 {CORPS[c][1]}") for n, corp in enumerate(CORPS)])
        _wait(engine, lambda s: len(s.exec(select(Incident).where(col(Incident.war_room).is_not(None))).all()) == 4,
              "record all four incidents with their war rooms")
        _at_once(*[lambda t=team, n=n: firms.slash(n + 1, t, f"log contained at {t} BR-1")
                   for n, team in enumerate(TEAMS)],
                 *[lambda c=corp, n=n: firms.wecom_says(n + 1, c, f"记录 已隔离 {c}") for n, corp in enumerate(CORPS)])
        _wait(engine, lambda s: len(s.exec(select(TimelineEvent).where(TimelineEvent.kind == "note")).all()) == 4,
              "record the four notes")

        # One workspace removes the app: Slack revokes its token and tells the app (through either web process).
        slack.revoke(TEAMS[GONE][0])
        firms.event(1, GONE, {"type": "app_uninstalled"})
        _wait(engine, lambda s: s.exec(select(Workspace).where(Workspace.external_id == GONE)).one().removed_at
              is not None, "record the removal")
        slack_before, wecom_before = len(slack.calls), len(wecom.calls)
        # Two workers at once, two hours on: every remaining firm's reminders, side by side.
        workers = [subprocess.Popen([*args, "worker", *common, (START + timedelta(hours=2)).isoformat()],
                                    cwd=REPO, env=env) for _ in range(2)]
        assert [w.wait(120) for w in workers] == [0, 0]
    finally:
        for web in webs:
            web.kill()
            web.wait(10)

    with Session(engine) as s:
        numbers = {ws.external_id: (i.number, i.title) for i, ws in s.exec(
            select(Incident, Workspace).where(Incident.workspace_id == Workspace.id))}
        gone = s.exec(select(Incident).join(Workspace).where(Workspace.external_id == GONE)).one()
        stopped = Counter(s.exec(select(Alert.state).where(Alert.incident_id == gone.id)).all())
        others = Counter(s.exec(select(Alert.state).where(Alert.incident_id != gone.id,
                                                          Alert.fire_at <= START + timedelta(hours=2))).all())
        left = s.exec(select(OutboundMessage).where(col(OutboundMessage.state).in_(("pending", "sending")))).all()
    assert numbers == {**{t: (1, title) for t, (_, _, title) in TEAMS.items()},
                       **{c: (1, title) for c, (_, title) in CORPS.items()}}  # each firm numbers its own
    assert stopped["stopped"] and not stopped["pending"] and not stopped["claimed"]
    assert others["sent"] >= 5 and not others["pending"] and not others["claimed"] and left == []

    # Slack: each workspace's calls carry its own token and name only its own incident; none refused across
    # workspaces; after the removal, nothing more for the firm that left, the other reminded as before.
    # (A call already on its way when Slack revoked the leaving firm's token is refused as token_revoked.)
    assert [r for r in slack.refusals if r[1:] != ("token_revoked", TEAMS[GONE][0])] == []
    assert not [c for c in slack.calls if c.method != "oauth.v2.access" and not c.token]
    for team, (token, _, title) in TEAMS.items():
        said = "\n".join(json.dumps(c.params, ensure_ascii=False) for c in slack.calls_with(token))
        other = next(t for tm, (_, _, t) in TEAMS.items() if tm != team)
        assert title in said and other not in said and not any(c[1] in said for c in CORPS.values())
    later = slack.calls[slack_before:]
    assert [c for c in later if c.token == TEAMS[GONE][0]] == []
    reminded = [json.dumps(c.params, ensure_ascii=False) for c in later if c.method == "chat.postMessage"]
    assert reminded and len(reminded) == len(set(reminded))  # the other workspace reminded, each once

    # WeCom: each corp's people see only their own incident, every call with the corp's own token and agent.
    reminders = [c for c in wecom.calls[wecom_before:] if c.api == "message/send"]
    assert {c.corp for c in reminders} == {CORP_ID, CORP_B}  # the workers reminded both corps
    for corp, (person, title) in CORPS.items():
        other = next(t for cp, (_, t) in CORPS.items() if cp != corp)
        seen = wecom.messages_to(person)
        assert any(title in m for m in seen) and not any(other in m for m in seen)
        assert not any(t in m for m in seen for _, _, t in TEAMS.values())
        sends = [c for c in wecom.corp_calls(corp) if c.api == "message/send"]
        assert sends and {c.body["agentid"] for c in sends} == {firms.cryptos[corp][0]}
        assert {c.body["touser"] for c in sends} == {person}
        late = [str(c.body) for c in reminders if c.corp == corp]
        assert len(late) == len(set(late)), "a reminder went out twice"
    assert [c for c in wecom.calls if not c.corp and c.api != "gettoken"] == []
