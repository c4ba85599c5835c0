"""A bot worker in its own process, for the multi-process fault tests (not a test module).

python -m tests.worker_process URL SCHEMA NOW OUT [--hang-marker FILE]
Builds a Breachbot on URL (PostgreSQL schema SCHEMA, or '-' for none) with a virtual clock at NOW,
sends every due alert once and exits; each message it sends is appended to OUT as a JSON line.
With --hang-marker, it writes FILE when it is about to send and then hangs (to be killed).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path

from bot.app import create_app
from bot.chat import Chat, Context, Message, MessageRef, Upload
from bot.clock import VirtualClock
from bot.settings import Settings
from storage.db import make_engine


class RecordingChat(Chat):
    """Writes every send to a file, so the test can count what all processes sent."""

    platform = "console"

    def __init__(self, out: Path, hang_marker: Path | None) -> None:
        self.out, self.hang_marker = out, hang_marker

    def _record(self, op: str, target: str, message: Message) -> MessageRef:
        if self.hang_marker is not None:
            self.hang_marker.write_text("about to send", encoding="utf-8")
            time.sleep(600)  # killed here
        with self.out.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"op": op, "target": target, "text": message.plain_text()}) + "\n")
        return MessageRef(room=target, id="x")

    def create_room(self, *, name: str, topic: str, members: list[str], private: bool = True, title: str = "") -> str:
        return name

    def invite(self, *, room: str, users: list[str]) -> None:
        return None

    def post(self, *, room: str, message: Message) -> MessageRef:
        return self._record("post", room, message)

    def update(self, *, ref: MessageRef, message: Message) -> None:
        return None

    def pin(self, *, ref: MessageRef) -> None:
        return None

    def set_topic(self, *, room: str, topic: str) -> None:
        return None

    def direct(self, *, user: str, message: Message) -> MessageRef:
        return self._record("direct", user, message)

    def reply(self, *, context: Context, message: Message, public: bool = False) -> None:
        return None

    def upload(self, *, room: str, upload: Upload) -> str:
        return upload.filename


def main(argv: list[str]) -> int:
    url, schema, now, out = argv[:4]
    hang = Path(argv[argv.index("--hang-marker") + 1]) if "--hang-marker" in argv else None
    kwargs = {"connect_args": {"options": f"-csearch_path={schema}"}} if schema != "-" else {}
    engine = make_engine(url, **kwargs)
    settings = Settings(_env_file=None, database_url=url, timezone="Asia/Shanghai",  # type: ignore[call-arg]
                        config_file="/nonexistent/breachbot.toml")
    bot = create_app(settings, chat=RecordingChat(Path(out), hang), clock=VirtualClock(datetime.fromisoformat(now)),
                     engine=engine)
    bot.worker_id = f"proc-{schema}-{now}"
    bot.run_due()
    bot.flush_outbox()  # what a scheduler tick does: due alerts, then whatever the outbox still holds
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
