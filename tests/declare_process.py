"""Declares fired at once from one process, for the concurrency tests and bench (not a test module).

python -m tests.declare_process URL SCHEMA NOW OUT GO COUNT [WORKSPACE]
Builds a Breachbot on URL (PostgreSQL schema SCHEMA, or '-' for none) with a virtual clock at NOW,
starts COUNT threads that each wait until the file GO exists and then declare one incident in
WORKSPACE (a new one by default); every answer the bot gives is appended to OUT as a JSON line.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from bot.app import create_app
from bot.chat import Context, Message
from bot.clock import VirtualClock
from bot.commands import Declare
from bot.settings import Settings
from storage.db import make_engine
from tests.worker_process import RecordingChat


class AnsweringChat(RecordingChat):
    """Records answers to the person too, so the test can see every 'Something went wrong'."""

    def reply(self, *, context: Context, message: Message, public: bool = False) -> None:
        self._record("reply", context.user, message)


def main(argv: list[str]) -> int:
    url, schema, now, out, go, count = argv[:6]
    workspace = argv[6] if len(argv) > 6 else "storm"
    kwargs = ({"connect_args": {"options": f"-csearch_path={schema}", "application_name": schema}}
              if schema != "-" else {})
    engine = make_engine(url, pool_size=int(count), max_overflow=0, **kwargs)
    settings = Settings(_env_file=None, database_url=url, timezone="Asia/Shanghai",  # type: ignore[call-arg]
                        config_file="/nonexistent/breachbot.toml")
    bot = create_app(settings, chat=AnsweringChat(Path(out), None), clock=VirtualClock(datetime.fromisoformat(now)),
                     engine=engine)
    pid = os.getpid()

    def declare(n: int) -> None:
        while not Path(go).exists():  # every thread of every process starts at the same moment
            time.sleep(0.005)
        bot.handle(Context(workspace=workspace, user=f"u{pid}-{n}", room="general"),
                   Declare(title=f"Storm {pid}-{n}"))

    threads = [threading.Thread(target=declare, args=(n,)) for n in range(int(count))]
    for thread in threads:
        thread.start()
    Path(f"{out}.ready").write_text("waiting", encoding="utf-8")
    for thread in threads:
        thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
