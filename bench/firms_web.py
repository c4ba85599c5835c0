"""A web process for bench.firms (not a benchmark): the product's Slack HTTP mode served by waitress, as
`breachbot serve` does, on 127.0.0.1 and a free port, on the bot's virtual clock at the scenario's start.

python -m bench.firms_web DATABASE_URL SLACK_API_URL PORT_FILE
Installed in several workspaces (SLACK_CLIENT_ID/SECRET: Bolt's /slack/install and /slack/oauth_redirect,
each team's bot token from the installation store on DATABASE_URL), as `breachbot serve` is for many firms.
It writes its port to PORT_FILE, then serves until killed. Alerts are the workers' job (bench.firms starts them).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path


def main(argv: list[str]) -> int:
    from flask import Flask

    from bench.common import oauth_settings, serve
    from bot.clock import VirtualClock
    from handlers.slack.web import register
    from handlers.web import slack_stores
    from storage.db import make_engine
    from tests.conftest import START

    url, api_url, port_file = argv[:3]
    flask = Flask("breachbot")
    settings, engine = oauth_settings(api_url, database_url=url), make_engine(url)
    register(flask, settings=settings, engine=engine, clock=VirtualClock(START), stores=slack_stores(settings, engine))
    served = serve(flask)
    Path(port_file).write_text(str(served.port), encoding="utf-8")
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
