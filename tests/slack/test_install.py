"""Slack distribution: two workspaces install the app through Bolt's OAuth flow (a fake oauth.v2.access), each
runs its incidents with its own bot token, and one removing the app stops only its own alerts."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from bot.clock import VirtualClock
from handlers.slack.web import register
from handlers.web import slack_stores
from storage.models import Alert, Incident, TimelineEvent, Workspace
from tests.conftest import START
from tests.slack.conftest import GENERAL, USERS, InlineExecutor, sign, slack_settings
from tests.slack.fake_slack import FakeSlack

ONE, TWO = ("T0ONE", "One & Co Bookkeeping", "xoxb-one"), ("T0TWO", "Two Ledger Services", "xoxb-two")


class Deployment:
    """`breachbot serve` in OAuth mode: the Flask app with Slack mounted, over the fake Slack."""

    def __init__(self, engine: Engine, fake: FakeSlack) -> None:
        self.fake = fake
        self.clock = VirtualClock(START)
        settings = slack_settings(fake, slack_bot_token=None, slack_app_token=None,
                                  slack_client_id=fake.client_id, slack_client_secret=fake.client_secret)
        self.flask = Flask("test")
        self.bot = register(self.flask, settings=settings, engine=engine, clock=self.clock,
                            listener_executor=InlineExecutor(), form_executor=InlineExecutor(),
                            stores=slack_stores(settings, engine))
        self.engine = engine
        self.n = 0

    def browser(self) -> FlaskClient:
        return self.flask.test_client()

    def install(self, team: tuple[str, str, str], *, code: str, org_wide: bool = False) -> Any:
        """An admin clicks Add to Slack, approves in Slack, and comes back on the redirect (same browser)."""
        browser = self.browser()
        page = browser.get("/slack/install")
        assert page.status_code == 200
        link = re.search(r'<a href="([^"]+)"', page.get_data(as_text=True)).group(1).replace("&amp;", "&")
        assert link.startswith("https://slack.com/oauth/v2/authorize?") and f"client_id={self.fake.client_id}" in link
        assert "chat%3Awrite" in link or "chat:write" in link
        state = re.search(r"state=([^&]+)", link).group(1)
        self.fake.arrange_install(code, team=team[0], name=team[1], token=team[2],
                                  enterprise="E0HOLD" if org_wide else None, org_wide=org_wide)
        return browser.get(f"/slack/oauth_redirect?code={code}&state={state}")

    def post(self, body: str, content_type: str) -> Any:
        return self.browser().post("/slack/events", data=body, headers={"Content-Type": content_type, **sign(body)})

    def slash(self, team: str, user: str, typed: str, channel: str = GENERAL) -> Any:
        self.n += 1
        fields = {"token": "legacy", "team_id": team, "team_domain": team.lower(), "channel_id": channel,
                  "channel_name": "general", "user_id": user, "user_name": user.lower(), "command": "/breach",
                  "text": typed, "api_app_id": "A0BREACH", "is_enterprise_install": "false",
                  "response_url": self.fake.response_url(f"{team}-{self.n}"),
                  "trigger_id": self.fake.issue_trigger(f"trigger.{team}.{self.n}")}
        return self.post(urlencode(fields), "application/x-www-form-urlencoded")

    def event(self, team: str, event: dict[str, Any]) -> Any:
        self.n += 1
        body = json.dumps({"token": "legacy", "team_id": team, "api_app_id": "A0BREACH", "event": event,
                           "type": "event_callback", "event_id": f"Ev{self.n}", "event_time": int(time.time())})
        return self.post(body, "application/json")

    def answers(self, team: str) -> str:
        return "\n".join(json.dumps(b, ensure_ascii=False) for name, b in self.fake.responses
                         if name.startswith(team + "-"))


@pytest.fixture
def deployment(engine: Engine, fake: FakeSlack) -> Deployment:
    return Deployment(engine, fake)


def _said(fake: FakeSlack, token: str) -> str:
    return "\n".join(json.dumps(c.params, ensure_ascii=False) for c in fake.calls_with(token))


def test_two_workspaces_install_and_each_works_with_its_own_token(deployment: Deployment, fake: FakeSlack):
    done = deployment.install(ONE, code="code-one")
    assert done.status_code == 200 and "breachbot is installed in One &amp; Co Bookkeeping" in done.get_data(as_text=True)
    assert deployment.install(TWO, code="code-two").status_code == 200
    assert [c for c in fake.calls if c.method == "oauth.v2.access"][0].params["code"] == "code-one"
    with deployment.engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT team_id, bot_token FROM slack_bots")).all())
    assert stored == {"T0ONE": "xoxb-one", "T0TWO": "xoxb-two"}

    assert deployment.slash("T0ONE", USERS["alice"], "declare Payroll export of One's clients --severity high"
                            ).status_code == 200
    assert deployment.slash("T0TWO", USERS["bob"], "declare Tax filings of Two's clients emailed to a stranger"
                            ).status_code == 200
    one, two = _said(fake, "xoxb-one"), _said(fake, "xoxb-two")
    # Each firm's war room was made, and everything about it said, with that firm's own token.
    assert "Payroll export" in one and "Payroll export" not in two
    assert "Tax filings" in two and "Tax filings" not in one
    assert len([c for c in fake.calls_with("xoxb-one") if c.method == "conversations.create"]) == 1
    assert len([c for c in fake.calls_with("xoxb-two") if c.method == "conversations.create"]) == 1
    refused = [c for c in fake.calls if c.method not in ("oauth.v2.access",) and c.token not in ("xoxb-one", "xoxb-two")]
    assert refused == []  # no call without a workspace's token (the fake would answer not_authed)
    # Incidents are numbered per firm: both are BR-1; each firm's answers name only its own.
    with Session(deployment.engine) as session:
        numbers = {session.get(Workspace, i.workspace_id).external_id: i.number for i in session.exec(select(Incident))}
    assert numbers == {"T0ONE": 1, "T0TWO": 1}
    assert "Tax filings" not in deployment.answers("T0ONE") and "Payroll" not in deployment.answers("T0TWO")

    # The scheduler's reminders (no request behind them) go out with each incident's own token too.
    before = len(fake.calls)
    deployment.bot.advance(START + timedelta(hours=2))
    later = fake.calls[before:]
    assert [c.params for c in later if c.method == "chat.postMessage" and c.token is None] == []
    assert {c.token for c in later if c.method == "chat.postMessage"} == {"xoxb-one", "xoxb-two"}
    assert all(not r for r in [c for c in later if c.method == "chat.postMessage" and c.token is None]), later


def test_uninstalling_one_workspace_stops_only_its_alerts_and_is_recorded(deployment: Deployment, fake: FakeSlack):
    deployment.install(ONE, code="code-one")
    deployment.install(TWO, code="code-two")
    deployment.slash("T0ONE", USERS["alice"], "declare Payroll export leaked --severity high")
    deployment.slash("T0TWO", USERS["bob"], "declare Tax filings leaked --severity high")

    fake.revoke("xoxb-one")  # Slack revokes the token, then tells the app
    assert deployment.event("T0ONE", {"type": "app_uninstalled"}).status_code == 200
    with deployment.engine.connect() as conn:
        assert [r[0] for r in conn.execute(text("SELECT team_id FROM slack_bots"))] == ["T0TWO"]
    with Session(deployment.engine) as session:
        ws = session.exec(select(Workspace).where(Workspace.external_id == "T0ONE")).one()
        assert ws.removed_at is not None and ws.removed_why == "app_uninstalled"
        incident = session.exec(select(Incident).where(Incident.workspace_id == ws.id)).one()
        events = session.exec(select(TimelineEvent).where(TimelineEvent.incident_id == incident.id)).all()
        assert [e.kind for e in events][-1] == "app_removed"
        assert "removed from this Slack workspace" in events[-1].text
        states = {a.state for a in session.exec(select(Alert).where(Alert.incident_id == incident.id))}
        assert "pending" not in states and "stopped" in states

    before = len(fake.calls)
    deployment.bot.advance(START + timedelta(hours=3))
    later = fake.calls[before:]
    assert [c for c in later if c.token == "xoxb-one"] == []  # nothing more for the firm that left
    assert any(c.method == "chat.postMessage" for c in later if c.token == "xoxb-two")  # the other goes on

    # Installed again: its stopped alerts are due again, with the new token.
    deployment.install(("T0ONE", "One & Co Bookkeeping", "xoxb-one-again"), code="code-back")
    before = len(fake.calls)
    deployment.bot.advance(START + timedelta(hours=4))
    assert any(c.method == "chat.postMessage" for c in fake.calls[before:] if c.token == "xoxb-one-again")


def test_tokens_revoked_for_the_bot_stops_the_workspace(deployment: Deployment, fake: FakeSlack):
    deployment.install(ONE, code="code-one")
    deployment.slash("T0ONE", USERS["alice"], "declare Payroll export leaked")
    deployment.event("T0ONE", {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOT"]}})
    with Session(deployment.engine) as session:
        ws = session.exec(select(Workspace).where(Workspace.external_id == "T0ONE")).one()
        assert ws.removed_why == "tokens_revoked"


def test_an_enterprise_grid_org_install_is_refused_clearly_and_nothing_is_stored(deployment: Deployment,
                                                                                 fake: FakeSlack):
    page = deployment.install(("", "", "xoxb-org"), code="code-org", org_wide=True)
    assert page.status_code == 400
    assert "Enterprise Grid organisation-wide install is not supported" in page.get_data(as_text=True)
    with deployment.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM slack_bots")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM slack_installations")).scalar_one() == 0


def test_a_redirect_without_the_browser_that_started_it_is_refused(deployment: Deployment, fake: FakeSlack):
    fake.arrange_install("code-x", team="T0X", name="X", token="xoxb-x")
    page = deployment.browser().get("/slack/oauth_redirect?code=code-x&state=forged")
    assert page.status_code == 400 and "did not finish" in page.get_data(as_text=True)
    assert [c for c in fake.calls if c.method == "oauth.v2.access"] == []


def test_the_installer_is_the_firms_first_admin_and_each_firm_keeps_its_own_settings(deployment: Deployment,
                                                                                       fake: FakeSlack):
    deployment.install(ONE, code="code-one")
    deployment.install(TWO, code="code-two")
    deployment.slash("T0ONE", "U0ADMIN", "config lang zh")
    deployment.slash("T0ONE", USERS["alice"], "config timezone Europe/London")
    deployment.slash("T0TWO", USERS["alice"], "config lang zh")
    one, two = deployment.answers("T0ONE"), deployment.answers("T0TWO")
    assert "设置已更新：语言 现在是 中文。" in one
    assert "只有本所管理员可以更改设置：<@U0ADMIN>" in one  # alice asked in Chinese: the firm's language now
    assert "Only the firm's admins may change its settings: <@U0ADMIN>" in two and "设置已更新" not in two
    # Each firm's incidents speak its own language, in the same deployment, at the same time.
    deployment.slash("T0ONE", USERS["alice"], "宣布 工资表泄露")
    deployment.slash("T0TWO", USERS["bob"], "declare Tax filings emailed to a stranger")
    with Session(deployment.engine) as session:
        langs = {w.external_id: (w.lang, w.timezone) for w in session.exec(select(Workspace))}
    assert langs["T0ONE"][0] == "zh" and langs["T0TWO"][0] == "en"
    assert "你是 BR-1 的事件负责人" in _said(fake, "xoxb-one") and "Incident lead for BR-1" in _said(fake, "xoxb-two")
    assert "事件负责人" not in _said(fake, "xoxb-two") and "Incident lead" not in _said(fake, "xoxb-one")


def _separate_workspaces(fake: FakeSlack) -> None:
    """Each workspace has its own #general and its own people, as real Slack workspaces do."""
    for team, prefix in (("T0ONE", "U1"), ("T0TWO", "U2")):
        fake.add_channel(f"C{team}GEN", "general", members=(f"{prefix}ANN", f"{prefix}BEN"), team=team)
        fake.add_member(f"{prefix}ANN", "ann", team=team)
        fake.add_member(f"{prefix}BEN", "ben", team=team)


def test_the_fake_refuses_a_token_used_for_another_workspace(deployment: Deployment, fake: FakeSlack):
    """What the next test relies on: one workspace's token on another's channel or person is refused as Slack does."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    _separate_workspaces(fake)
    deployment.install(ONE, code="code-one")
    deployment.install(TWO, code="code-two")
    one = WebClient(token="xoxb-one", base_url=fake.api_url)
    stranger = WebClient(token="xoxb-nobody-issued", base_url=fake.api_url)
    refusals = []
    for call in (lambda: one.chat_postMessage(channel="CT0TWOGEN", text="hello"),
                 lambda: one.chat_postMessage(channel="U2ANN", text="hello"),
                 lambda: one.conversations_invite(channel="CT0ONEGEN", users="U2BEN"),
                 lambda: stranger.chat_postMessage(channel="CT0ONEGEN", text="hello")):
        with pytest.raises(SlackApiError) as refused:
            call()
        refusals.append(refused.value.response["error"])
    assert refusals == ["channel_not_found", "channel_not_found", "user_not_found", "invalid_auth"]
    assert one.chat_postMessage(channel="CT0ONEGEN", text="hello")["ok"]  # its own channel: fine
    assert [error for _, error, _ in fake.refusals] == refusals


def test_every_call_of_two_separate_workspaces_is_accepted_by_its_own_slack(deployment: Deployment,
                                                                              fake: FakeSlack):
    """Two workspaces with their own channels and people: declares, invites, reminders and DMs all go out with
    the token of the workspace they belong to, so Slack refuses none (a cross-workspace token would be)."""
    _separate_workspaces(fake)
    deployment.install(ONE, code="code-one")
    deployment.install(TWO, code="code-two")
    for team, prefix in (("T0ONE", "U1"), ("T0TWO", "U2")):
        assert deployment.slash(team, f"{prefix}ANN", f"declare {team} payroll leak --severity high",
                                channel=f"C{team}GEN").status_code == 200
        deployment.slash(team, f"{prefix}ANN", f"assign <@{prefix}BEN|ben> legal", channel=f"C{team}GEN")
        deployment.slash(team, f"{prefix}ANN", "log checked the share", channel=f"C{team}GEN")
    deployment.bot.advance(START + timedelta(hours=6))
    assert fake.refusals == []
    for team, token in (("T0ONE", "xoxb-one"), ("T0TWO", "xoxb-two")):
        made = [c for c in fake.calls_with(token) if c.method == "conversations.create"]
        rooms = [ch for ch, owner in fake.channel_team.items() if owner == team and ch.startswith("C0WAR")]
        assert len(made) == 1 and len(rooms) == 1
        posted = {c.params["channel"] for c in fake.calls_with(token) if c.method == "chat.postMessage"}
        assert rooms[0] in posted
        invited = [c.params["users"] for c in fake.calls_with(token) if c.method == "conversations.invite"]
        assert any(("U1BEN" if team == "T0ONE" else "U2BEN") in users for users in invited)
        dms = {c.params["channel"] for c in fake.calls_with(token) if c.method == "chat.postMessage"
               and c.params["channel"].startswith("U")}
        assert dms and all(fake.user_team[u] == team for u in dms)
