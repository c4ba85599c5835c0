"""Helpers for the incident-page tests: a console incident, a link to it, the page app on the same database."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy.engine import Engine
from werkzeug.serving import make_server

from handlers.console.workspace import ConsoleWorkspace
from handlers.page import register
from tests.conftest import joined, make_console, make_settings

ROSTER = {"lead": ["carol"], "it_security": ["dave"], "legal": ["erin"], "executive": ["frank"]}
TITLE = "Payroll export for 40 clients found on a public file share"


def incident(engine: Engine, *, lang: str = "en", title: str = TITLE, drill: bool = False) -> ConsoleWorkspace:
    """BR-1 declared by alice with carol leading, on `engine`."""
    console = make_console(engine, roster=ROSTER, lang=lang)
    console.say("alice", f"/breach declare {title} --severity high --data bank_account,tax_id"
                         + (" --drill" if drill else ""), "general")
    console.say("carol", "/breach affected CN=1200 EU=3", "breach-1")  # so legal clocks run
    return console


def give_link(console: ConsoleWorkspace, *extra: str, user: str = "carol", room: str = "breach-1") -> str:
    """`/breach link …` typed by `user`; returns the path and query of the link it gave."""
    said = joined(console.say(user, " ".join(("/breach link", *extra)), room))
    found = re.search(r"https?://\S+", said)
    assert found, said
    url = urlsplit(found[0])
    return f"{url.path}?{url.query}"


def page_app(console: ConsoleWorkspace, *, lang: str = "en") -> Flask:
    """The pages of `console`'s database on its virtual clock, as `breachbot serve` mounts them."""
    app = Flask("breachbot-test")
    register(app, settings=make_settings(lang=lang), engine=console.bot.engine, clock=console.clock)
    return app


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app on a local port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
