"""A WeCom process for tests/wecom/test_corps_processes.py (not a test module): the product built for two corps
(WECOM_* for corp A, a WECOM_CORPS file for corp B) on one database and one fake WeCom, on a virtual clock.

python -m tests.wecom.corps_process web DATABASE_URL WECOM_API_URL CORPS_FILE NOW PORT_FILE
    `breachbot serve`'s WeCom part (waitress on 127.0.0.1, a free port written to PORT_FILE), until killed.
python -m tests.wecom.corps_process worker DATABASE_URL WECOM_API_URL CORPS_FILE NOW
    `breachbot worker`'s WeCom part: sends every due alert once (and what the outbox holds), then exits.
"""

from __future__ import annotations

import sys
import threading
from datetime import datetime
from pathlib import Path


def main(argv: list[str]) -> int:
    from flask import Flask

    from bench.common import serve
    from bot.clock import VirtualClock
    from handlers.wecom.web import register
    from storage.db import make_engine
    from tests.conftest import make_settings
    from tests.wecom.conftest import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN

    mode, url, api_url, corps, now = argv[:5]
    settings = make_settings(lang="zh", database_url=url, wecom_corp_id=CORP_ID, wecom_agent_id=str(AGENT_ID),
                             wecom_secret=SECRET, wecom_token=TOKEN, wecom_aes_key=AES_KEY, wecom_api_url=api_url,
                             wecom_corps=Path(corps))
    flask = Flask(f"wecom-{mode}")
    bot = register(flask, settings=settings, engine=make_engine(url), clock=VirtualClock(datetime.fromisoformat(now)))
    if mode == "worker":
        bot.run_due()
        bot.flush_outbox()
        return 0
    served = serve(flask)
    Path(argv[5]).write_text(str(served.port), encoding="utf-8")
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
