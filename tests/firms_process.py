"""A deployment's process for tests/test_firms_processes.py (not a test module): the product built for Slack
installed in several workspaces (OAuth: each team's bot token from the installation store) and for two WeCom corps
(WECOM_* for corp A, a WECOM_CORPS file for corp B), on one database, a fake Slack and a fake WeCom, on a virtual
clock.

python -m tests.firms_process web DATABASE_URL SLACK_API_URL WECOM_API_URL CORPS_FILE NOW PORT_FILE
    `breachbot serve` (handlers.web.create_web_app: Slack and WeCom on one app; waitress on 127.0.0.1, a free
    port written to PORT_FILE), until killed.
python -m tests.firms_process worker DATABASE_URL SLACK_API_URL WECOM_API_URL CORPS_FILE NOW
    `breachbot worker`'s bots (handlers.cli.worker_bots): each sends every due alert once (and what its outbox
    holds), then it exits.
"""

from __future__ import annotations

import sys
import threading
from datetime import datetime
from pathlib import Path


def main(argv: list[str]) -> int:
    from bench.common import serve
    from bot.clock import VirtualClock
    from handlers.cli import worker_bots
    from handlers.web import create_web_app
    from storage.db import make_engine
    from tests.conftest import make_settings
    from tests.slack.conftest import SECRET as SIGNING_SECRET
    from tests.wecom.conftest import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN

    mode, url, slack_api, wecom_api, corps, now = argv[:6]
    settings = make_settings(lang="zh", database_url=url, wecom_corp_id=CORP_ID, wecom_agent_id=str(AGENT_ID),
                             wecom_secret=SECRET, wecom_token=TOKEN, wecom_aes_key=AES_KEY, wecom_api_url=wecom_api,
                             wecom_corps=Path(corps), slack_signing_secret=SIGNING_SECRET, slack_api_url=slack_api,
                             slack_client_id="1234.5678", slack_client_secret="oauth-secret")
    engine, clock = make_engine(url), VirtualClock(datetime.fromisoformat(now))
    if mode == "worker":
        bots = worker_bots(settings, engine, clock)
        assert [b.chat.platform for b in bots] == ["slack", "wecom"], bots
        for bot in bots:
            bot.run_due()
            bot.flush_outbox()
        return 0
    app, _ = create_web_app(settings, engine=engine, clock=clock)
    served = serve(app)
    Path(argv[6]).write_text(str(served.port), encoding="utf-8")
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
