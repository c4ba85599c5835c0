"""/breach link on Slack: the link comes back to the asker only (ephemeral), the war room hears of it, it opens."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask

from handlers.page import register
from tests.slack.conftest import USERS, slack_settings

ALICE = USERS["alice"]


def test_a_page_link_asked_for_on_slack_is_ephemeral_and_opens_the_page(slack, fake, sqlite_engine):
    slack.slash(ALICE, "declare Payroll export on a public share --severity high")
    room = fake.channel_named("breach-1").id
    slack.slash(ALICE, "link --for insurer --hours 24", channel=room)

    _, told = fake.responses[-1]
    assert told["response_type"] == "ephemeral"
    url = re.search(r"http://localhost:3000/incidents/BR-1\?k=[\w.-]+", told["text"])
    assert url, told["text"]
    announced = fake.posted(room)[-1]["text"]
    assert "L-1 for insurer" in announced and "?k=" not in announced
    app = Flask("pages")
    register(app, settings=slack_settings(fake), engine=sqlite_engine, clock=slack.clock, bots=[slack.bot])
    page = app.test_client().get(f"{urlsplit(url[0]).path}?{urlsplit(url[0]).query}")
    assert page.status_code == 200 and "Payroll export on a public share" in page.get_data(as_text=True)
    assert "Lead: Alice" in page.get_data(as_text=True)  # Slack's display name, not the member id
