"""A bot sending notices in its own process, for the crash-and-resume test (not a test module).

python -m tests.send_process URL SCHEMA NOW SMTP_PORT CA_FILE OUT
Builds a Breachbot on URL (PostgreSQL schema SCHEMA, or '-') with a virtual clock at NOW and the test
SMTP server, then sends every running send minute by minute until none is left (or it is killed).
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

from bot.app import create_app
from bot.clock import VirtualClock
from bot.flows import send_runner
from bot.statements import sending
from storage.db import make_engine
from tests.conftest import make_settings
from tests.send_fixtures import mail_settings
from tests.worker_process import RecordingChat


def main(argv: list[str]) -> int:
    url, schema, now, port, ca_file, out = argv[:6]
    kwargs = ({"connect_args": {"options": f"-csearch_path={schema}", "application_name": schema}}
              if schema != "-" else {})
    engine = make_engine(url, **kwargs)
    settings = make_settings(**mail_settings(smtp_port=int(port), ca_file=Path(ca_file), send_per_minute=100))
    clock = VirtualClock(datetime.fromisoformat(now))
    bot = create_app(settings, chat=RecordingChat(Path(out), None), clock=clock, engine=engine)
    bot.worker_id = f"send-proc-{now}"
    for _ in range(60):
        send_runner.run_sends(bot)
        with bot.unit(write=False) as session:
            if sending.next_due(session) is None:
                return 0
        clock.advance(timedelta(minutes=1))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
