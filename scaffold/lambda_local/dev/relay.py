"""A TCP relay on a fixed loopback port in front of whichever app generation is current.

The adapter keeps talking to one port while `dev` swaps the app behind it: a new generation
starts on a port of its own, and only once it answers its readiness check does the relay send
new connections to it. The adapter keeps idle connections open for reuse, so at the swap the
relay closes every idle connection to the previous generation (the next request opens a new one,
to the new code); a connection with a request in flight stays until the old app answers and
stops. Bytes pass through untouched.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Final

_CHUNK: Final = 65536
_CONNECT_TIMEOUT: Final = 5.0


class _Link:
    """One relayed connection: which port it reaches, and which way bytes went last."""

    def __init__(self, client: socket.socket, upstream: socket.socket, target: int) -> None:
        self.client = client
        self.upstream = upstream
        self.target = target
        self.sent = 0.0  # last time bytes went to the app (a request)
        self.answered = 0.0  # last time bytes came back (an answer)

    def idle(self) -> bool:
        """No request is waiting for its answer (HTTP/1.1 without pipelining)."""
        return self.answered >= self.sent

    def cut(self) -> None:
        for sock in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _pump(link: _Link, *, to_app: bool) -> None:
    """Copy bytes one way until EOF or an error, then pass the EOF on."""
    source, sink = (link.client, link.upstream) if to_app else (link.upstream, link.client)
    try:
        while chunk := source.recv(_CHUNK):
            if to_app:
                link.sent = time.monotonic()
            sink.sendall(chunk)
            if not to_app:
                link.answered = time.monotonic()
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


class Relay:
    """Listen on 127.0.0.1 and forward every connection to the current target port."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port: int = self._listener.getsockname()[1]
        self._target: int | None = None
        self._links: set[_Link] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name="dev-relay", daemon=True)
        self._thread.start()

    def point_at(self, port: int | None) -> None:
        """Send new connections to 127.0.0.1:port (None: close them); cut idle old ones."""
        with self._lock:
            self._target = port
            stale = [link for link in self._links if link.target != port and link.idle()]
        for link in stale:
            link.cut()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with self._lock:
            target = self._target
        with client:
            if target is None:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", target), _CONNECT_TIMEOUT)
            except OSError:
                return
            with upstream:
                for sock in (client, upstream):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                link = _Link(client, upstream, target)
                with self._lock:
                    self._links.add(link)
                try:
                    back = threading.Thread(target=_pump, args=(link,), kwargs={"to_app": False})
                    back.daemon = True
                    back.start()
                    _pump(link, to_app=True)
                    back.join()
                finally:
                    with self._lock:
                        self._links.discard(link)

    def close(self) -> None:
        """Stop accepting and cut every open connection."""
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            links = list(self._links)
        for link in links:
            link.cut()
