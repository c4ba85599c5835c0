"""The HTTP edge of `breachbot serve`: what a stranger can send before any signature is checked.

Slack's payloads are a few kilobytes; anything over `MAX_BODY` is refused with 413 from its
Content-Length, before a byte of the body is read. One path has its own, larger limit on purpose: the
client register's upload form (`UPLOAD_PATH`, bot/flows/upload.py) takes a CSV as large as a Slack file
may be (`UPLOAD_BODY`: `MAX_CSV`, 20 MB, and the form's envelope). waitress buffers a chunked body up to
that larger limit only for that path (spooled to a temporary file, before a worker thread is involved):
waitress's limit is chosen by path once the request line is read, so a chunked body to any other path
is still cut off past `MAX_BODY`. A Slack request whose timestamp
or signature is missing, malformed or wrong is refused with 400 or 401 before Bolt parses it, and
a signed body that is not the JSON or form it claims gets 400, never a traceback. Each refusal is
one log line without the body; past `LOG_BURST` lines a minute they are counted and summed up.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.signature import SignatureVerifier

from bot.statements.clients import MAX_CSV

log = logging.getLogger("breachbot.web")

MAX_BODY = 1024 * 1024  # 1 MB: Slack's largest payloads (a modal's state) are well under 100 kB
UPLOAD_PATH = re.compile(r"^/incidents/[^/]{1,20}/clients/upload$")  # the register upload form
UPLOAD_BODY = MAX_CSV + 64 * 1024  # the CSV and its multipart envelope (boundaries, headers, the token)
LOG_BURST = 20  # refusal lines a minute; beyond that one summary line a minute
# waitress: worker threads, open connections at once, seconds an idle or stalled connection is kept.
THREADS = 16
CONNECTION_LIMIT = 1000
IDLE_TIMEOUT = 30


class Refusals:
    """One log line per refused request, at most LOG_BURST a minute (then counted, and summed up)."""

    def __init__(self, *, burst: int = LOG_BURST, window: float = 60.0,
                 now: Callable[[], float] = time.monotonic) -> None:
        self._burst, self._window, self._now = burst, window, now
        self._lock = threading.Lock()
        self._start, self._logged, self._quiet = now(), 0, 0

    def __call__(self, status: int, why: str, environ: dict[str, Any]) -> None:
        """Log a refused request: status, reason, method, path, peer and claimed length; never the body."""
        with self._lock:
            moment = self._now()
            if moment - self._start >= self._window:
                if self._quiet:
                    log.warning("refused %d more requests in the last minute (not logged one by one)", self._quiet)
                self._start, self._logged, self._quiet = moment, 0, 0
            if self._logged >= self._burst:
                self._quiet += 1
                return
            self._logged += 1
        log.warning("refused %s %s from %s: %d %s (Content-Length %s)", environ.get("REQUEST_METHOD", "?"),
                    str(environ.get("PATH_INFO", "?"))[:200], environ.get("REMOTE_ADDR", "?"), status, why,
                    str(environ.get("CONTENT_LENGTH") or "-")[:20])


refused = Refusals()


def _plain(start_response: Callable[..., Any], status: str, text: str) -> list[bytes]:
    body = text.encode()
    # Connection: close, so a client that still streams a body it was told not to send is cut off.
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
                            ("Connection", "close")])
    return [body]


class BodyLimit:
    """WSGI middleware: a request whose declared body is over its path's limit (or unreadable) is answered at once:
    `limit`, or `upload_limit` on the register upload form."""

    def __init__(self, app: Callable[..., Iterable[bytes]], *, limit: int = MAX_BODY,
                 upload_limit: int = UPLOAD_BODY) -> None:
        self.app, self.limit, self.upload_limit = app, limit, upload_limit

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Check Content-Length before the app (or anything) reads the body."""
        declared = environ.get("CONTENT_LENGTH") or ""
        if declared:
            if not declared.isdigit():
                refused(400, "unreadable Content-Length", environ)
                return _plain(start_response, "400 Bad Request", "bad Content-Length\n")
            limit = self.upload_limit if UPLOAD_PATH.match(str(environ.get("PATH_INFO", ""))) else self.limit
            if int(declared) > limit:
                refused(413, f"body over {limit} bytes", environ)
                return _plain(start_response, "413 Request Entity Too Large", f"body over {limit} bytes\n")
        return self.app(environ, start_response)


def check_slack_request(secret: str, body: bytes, headers: Any, environ: dict[str, Any]) -> tuple[int, str] | None:
    """Why a request to the Slack endpoint is refused (status and reason), or None when Bolt may have it."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not timestamp or not signature:
        return _refuse(401, "no Slack signature", environ)
    if not timestamp.isdigit() or len(timestamp) > 12:
        return _refuse(400, "malformed X-Slack-Request-Timestamp", environ)
    if not SignatureVerifier(secret).is_valid(body=body, timestamp=timestamp, signature=signature):
        return _refuse(401, "invalid or stale Slack signature", environ)
    try:
        text = body.decode("utf-8")
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip()
        if content_type == "application/json" or text.startswith("{"):
            json.loads(text)
        elif "payload" in text:
            payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
            if payload is not None:
                json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        return _refuse(400, "signed body is not valid JSON or form data", environ)
    return None


def _refuse(status: int, why: str, environ: dict[str, Any]) -> tuple[int, str]:
    refused(status, why, environ)
    return status, why


def make_server(app: Any, *, host: str, port: int, threads: int = THREADS,
                connection_limit: int = CONNECTION_LIMIT) -> Any:
    """A waitress server for `app` within the limits above; `run()` serves, `close()` stops it."""
    from waitress import create_server
    from waitress.channel import HTTPChannel
    from waitress.parser import HTTPRequestParser
    from waitress.server import BaseWSGIServer
    from waitress.task import ErrorTask

    class LoggedErrorTask(ErrorTask):  # type: ignore[misc]
        """waitress's own refusals (a body over the limit, a malformed request line) get our one log line."""

        def execute(self) -> None:
            error = self.request.error
            refused(int(getattr(error, "code", 400)), str(getattr(error, "reason", "bad request")), {
                "REQUEST_METHOD": getattr(self.request, "command", "") or "?",
                "PATH_INFO": getattr(self.request, "path", "") or "?",
                "REMOTE_ADDR": (self.channel.addr or ("?",))[0],
                "CONTENT_LENGTH": self.request.headers.get("CONTENT_LENGTH", "")})
            super().execute()

    class Parser(HTTPRequestParser):  # type: ignore[misc]
        """waitress's body limit by path, known once the request line is read: the upload form's, else MAX_BODY
        (a chunked body to any other path is cut off past 1 MB, as before the upload form existed)."""

        def parse_header(self, header_plus: bytes) -> None:
            super().parse_header(header_plus)
            if not UPLOAD_PATH.match(str(getattr(self, "path", "") or "")):
                self.adj = copy.copy(self.adj)
                self.adj.max_request_body_size = MAX_BODY

    class Channel(HTTPChannel):  # type: ignore[misc]
        error_task_class = LoggedErrorTask
        parser_class = Parser

    server = create_server(BodyLimit(app), **server_options(host=host, port=port, threads=threads,
                                                           connection_limit=connection_limit))
    for each in [server, *getattr(server, "map", {}).values()]:
        if isinstance(each, BaseWSGIServer):
            each.channel_class = Channel
    return server


def serve(app: Any, *, port: int, host: str = "0.0.0.0", threads: int = THREADS,
          connection_limit: int = CONNECTION_LIMIT) -> None:
    """Serve `app` until the process is told to stop (SystemExit or KeyboardInterrupt in the main thread)."""
    server = make_server(app, host=host, port=port, threads=threads, connection_limit=connection_limit)
    log.info("listening on %s:%s (%d threads, %d connections, %d s idle timeout, %d byte bodies, %d on the register "
             "upload)", host, port, threads, connection_limit, IDLE_TIMEOUT, MAX_BODY, UPLOAD_BODY)
    server.run()


def server_options(*, host: str, port: int, threads: int = THREADS,
                   connection_limit: int = CONNECTION_LIMIT) -> dict[str, Any]:
    """waitress's settings for the edge."""
    return {"host": host, "port": port, "threads": threads, "connection_limit": connection_limit,
            "channel_timeout": IDLE_TIMEOUT, "max_request_body_size": UPLOAD_BODY,  # BodyLimit: MAX_BODY elsewhere
            "max_request_header_size": 64 * 1024, "cleanup_interval": 10, "asyncore_use_poll": True,
            "ident": "breachbot"}
