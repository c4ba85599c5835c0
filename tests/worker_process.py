"""A bot worker in its own process, for the multi-process fault tests (not a test module).

python -m tests.worker_process URL SCHEMA NOW OUT [--hang-marker FILE] [--serve SECONDS]
Builds a Breachbot on URL (PostgreSQL schema SCHEMA, or '-' for none) with a virtual clock at NOW,
sends every due alert once and exits; each message it sends is appended to OUT as a JSON line.
With --hang-marker, it writes FILE when it is about to send and then hangs (to be killed).
With --hang-on TEXT, it hangs only on a message containing TEXT; with --refuse-posts, every
war-room post is refused for good (an archived room), so fallbacks go out by DM.
With --slack API_URL, it sends with the product's Slack client to that Web API instead of recording; with
--oauth CLIENT_ID:SECRET too, as installed in several workspaces (each team's token from the installation store).
With --serve, it runs as `breachbot worker` does (the scheduler, SIGTERM handled) until signalled,
each send taking SECONDS.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path

from pydantic import SecretStr

from bot.app import create_app
from bot.chat import Chat, Context, DeliveryError, Message, MessageRef, Upload
from bot.clock import VirtualClock
from bot.settings import Settings
from storage.db import make_engine


class RecordingChat(Chat):
    """Writes every send to a file, so the test can count what all processes sent."""

    platform = "console"

    def __init__(self, out: Path, hang_marker: Path | None, delay: float = 0.0, *, hang_on: str = "",
                 refuse_posts: bool = False) -> None:
        self.out, self.hang_marker, self.delay = out, hang_marker, delay
        self.hang_on, self.refuse_posts = hang_on, refuse_posts

    def _record(self, op: str, target: str, message: Message) -> MessageRef:
        if self.hang_marker is not None and self.hang_on in message.plain_text():
            self.hang_marker.write_text("about to send", encoding="utf-8")
            time.sleep(600)  # killed here
        time.sleep(self.delay)  # a Web API call on a real network
        with self.out.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"op": op, "target": target, "text": message.plain_text()}) + "\n")
        return MessageRef(room=target, id="x")

    def create_room(self, *, name: str, topic: str, members: list[str], private: bool = True, title: str = "") -> str:
        return name

    def invite(self, *, room: str, users: list[str]) -> None:
        return None

    def post(self, *, room: str, message: Message) -> MessageRef:
        if self.refuse_posts and message.kind != "status":
            raise DeliveryError("is_archived", permanent=True, subject="room")
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
    import faulthandler
    import signal

    faulthandler.register(signal.SIGUSR1, all_threads=True)  # a test that waits too long asks for the stacks
    url, schema, now, out = argv[:4]
    hang = Path(argv[argv.index("--hang-marker") + 1]) if "--hang-marker" in argv else None
    delay = float(argv[argv.index("--serve") + 1]) if "--serve" in argv else 0.0
    kwargs = ({"connect_args": {"options": f"-csearch_path={schema}", "application_name": schema}}
              if schema != "-" else {})
    engine = make_engine(url, **kwargs)
    settings = Settings(_env_file=None, database_url=url, timezone="Asia/Shanghai",  # type: ignore[call-arg]
                        config_file="/nonexistent/breachbot.toml")
    hang_on = argv[argv.index("--hang-on") + 1] if "--hang-on" in argv else ""
    chat: Chat = RecordingChat(Path(out), hang, delay, hang_on=hang_on, refuse_posts="--refuse-posts" in argv)
    if "--slack" in argv:  # the real Slack client against a (fake) Web API at this URL
        from handlers.slack.chat import SlackChat, make_outbox_client

        settings = settings.model_copy(update={"slack_api_url": argv[argv.index("--slack") + 1]})
        chat = SlackChat(make_outbox_client(settings, "xoxb-1-bench"))
    clock = VirtualClock(datetime.fromisoformat(now))
    if "--oauth" in argv:  # `breachbot worker` with SLACK_CLIENT_ID/SECRET: the bot build_slack_app makes
        from handlers.slack.app import build_slack_app
        from handlers.web import slack_stores

        client_id, secret = argv[argv.index("--oauth") + 1].split(":", 1)
        settings = settings.model_copy(update={"slack_client_id": client_id, "slack_client_secret": SecretStr(secret),
                                               "slack_signing_secret": SecretStr("unused-by-a-worker")})
        bot = build_slack_app(settings, engine=engine, clock=clock, stores=slack_stores(settings, engine))[1]
    else:
        bot = create_app(settings, chat=chat, clock=clock, engine=engine)
    bot.worker_id = f"proc-{schema}-{now}"
    if "--serve" in argv:
        import os
        import threading

        from handlers.cli import _with_schedulers

        bot.worker_id += f"-{os.getpid()}"
        Path(f"{out}.ready").write_text("ready", encoding="utf-8")
        _with_schedulers([bot], threading.Event().wait)
        return 0
    bot.run_due()
    bot.flush_outbox()  # what a scheduler tick does: due alerts, then whatever the outbox still holds
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
