"""A TCP proxy for fault tests (not a test module): forwards to a server until `partition()`, after
which it stops forwarding without closing anything, the way a network partition looks to both ends
(no reset, no answer); `heal()` lets the held bytes through again."""

from __future__ import annotations

import socket
import threading


class PartitionProxy:
    """127.0.0.1:<port> → `upstream`; `partition()` stops forwarding, `heal()` resumes, `close()` ends it."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self._open = threading.Event()
        self._open.set()
        self._closed = False
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self._sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), name="proxy-pump", daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        while True:
            self._open.wait()  # partitioned: nothing is read, nothing is sent, nothing is closed
            try:
                data = source.recv(65536)
                self._open.wait()
                if not data:
                    break
                sink.sendall(data)
            except OSError:
                break
        for each in (source, sink):
            try:
                each.close()
            except OSError:
                pass

    def partition(self) -> None:
        self._open.clear()

    def heal(self) -> None:
        self._open.set()

    def close(self) -> None:
        self._closed = True
        self._open.set()
        self._listener.close()
        for each in self._sockets:
            try:
                each.shutdown(socket.SHUT_RDWR)
                each.close()
            except OSError:
                pass
