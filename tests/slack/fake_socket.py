"""A fake of Slack's Socket Mode end: a loopback WebSocket that delivers envelopes and collects acks."""

from __future__ import annotations

import json
import queue
import threading
from typing import Any

from websockets.sync.server import ServerConnection, serve


class FakeSocketMode:
    """Slack's Socket Mode end: a loopback WebSocket that delivers envelopes and collects acks."""

    def __init__(self) -> None:
        self.acks: queue.Queue[dict[str, Any]] = queue.Queue()
        self.connected = threading.Event()
        self.sessions = 0  # WebSocket connections opened so far (a reconnect opens another)
        self._outgoing: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.server = serve(self._session, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket=test"

    def start(self) -> FakeSocketMode:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            for _ in range(max(1, self.sessions)):  # each open session ends on its own None
                self._outgoing.put(None)
            self.server.shutdown()

    def deliver(self, envelope: dict[str, Any]) -> None:
        self._outgoing.put(envelope)

    def _session(self, ws: ServerConnection) -> None:
        ws.send(json.dumps({"type": "hello", "num_connections": 1,
                            "connection_info": {"app_id": "A0BREACH"}}))
        self.sessions += 1
        self.connected.set()
        reader = threading.Thread(target=self._read, args=(ws,), daemon=True)
        reader.start()
        while (envelope := self._outgoing.get()) is not None:
            ws.send(json.dumps(envelope))
        ws.close()

    def _read(self, ws: ServerConnection) -> None:
        try:
            for raw in ws:
                self.acks.put(json.loads(raw))
        except Exception:  # the connection closing ends the reader
            return
