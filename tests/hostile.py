"""Hostile HTTP peers on real sockets: a fake RIE that answers what a test scripts, raw clients.

The fake RIE reads one invocation (head and Content-Length body), picks the behaviour registered
for the event's ``rawPath`` and runs it on the raw socket: a crafted answer, a drip-feed, a
redirect, or silence. Every loop is bounded; the server stops by itself when the test ends.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

Behaviour = Callable[[socket.socket], None]
_STOP_AFTER = 20.0  # no behaviour keeps a connection longer than this


def http_answer(status: int, body: bytes, *, extra: bytes = b"") -> bytes:
    """A complete HTTP/1.1 answer with a Content-Length."""
    return (
        f"HTTP/1.1 {status} X\r\ncontent-length: {len(body)}\r\nconnection: close\r\n".encode()
        + extra
        + b"\r\n"
        + body
    )


def answer(body: bytes | dict[str, Any] | list[Any], status: int = 200) -> Behaviour:
    """Answer once with body (JSON-encoded unless it is bytes)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()

    def run(conn: socket.socket) -> None:
        conn.sendall(http_answer(status, data))

    return run


def lwa(status: int = 200, **fields: Any) -> dict[str, Any]:
    """An answer in the adapter's shape, with fields replaced or added."""
    return {
        "statusCode": status,
        "headers": {},
        "multiValueHeaders": {},
        "body": "",
        "isBase64Encoded": False,
        "cookies": [],
        **fields,
    }


def drip(data: bytes, *, every: float, for_at_most: float = 10.0) -> Behaviour:
    """Send data one byte at a time, every `every` seconds, at most for_at_most seconds."""

    def run(conn: socket.socket) -> None:
        deadline = time.monotonic() + for_at_most
        for byte in data:
            if time.monotonic() > deadline:
                return
            conn.sendall(bytes([byte]))
            time.sleep(every)

    return run


def silence(seconds: float = 10.0) -> Behaviour:
    """Accept the invocation and never answer (for at most seconds)."""

    def run(conn: socket.socket) -> None:
        del conn
        time.sleep(seconds)

    return run


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return body


@dataclass
class HostileRie:
    """A fake Runtime Interface Emulator on 127.0.0.1 whose answers the test scripts."""

    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0

    def __post_init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.sock.settimeout(0.1)
        self.port: int = self.sock.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def on(self, path: str, behaviour: Behaviour) -> str:
        """Run behaviour for every event whose rawPath is path; return path."""
        self.behaviours[path] = behaviour
        return path

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError, ValueError):
            conn.settimeout(_STOP_AFTER)
            self.requests += 1
            event = json.loads(_read_request(conn) or b"{}")
            self.events.append(event)
            behaviour = self.behaviours.get(event.get("rawPath", ""), answer(lwa(200)))
            behaviour(conn)
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_WR)

    @contextlib.contextmanager
    def running(self) -> Iterator[HostileRie]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self.sock.close()
            self._thread.join(timeout=5)


@dataclass
class RawReply:
    """What a raw client read: the status (0 when nothing came), the head and the body."""

    status: int
    head: bytes
    body: bytes
    seconds: float

    def header_names(self) -> list[bytes]:
        """Lower-cased header names, as the bytes on the wire split them."""
        return [line.split(b":", 1)[0].lower() for line in self.head.split(b"\r\n")[1:]]


def raw_exchange(port: int, request: bytes, *, timeout: float = 5.0, then: bytes = b"") -> RawReply:
    """Send request bytes to 127.0.0.1:port and read until close or timeout (at most 1 MB)."""
    started = time.monotonic()
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(request)
            if then:
                sock.sendall(then)
        deadline = started + timeout
        with contextlib.suppress(OSError):
            while len(data) < 1024 * 1024 and (left := deadline - time.monotonic()) > 0:
                sock.settimeout(left)
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
                if _complete(data):
                    break
    head, _, body = data.partition(b"\r\n\r\n")
    parts = head.split(b" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return RawReply(status, head, body, time.monotonic() - started)


def _complete(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return len(body) >= int(value)
    return False
