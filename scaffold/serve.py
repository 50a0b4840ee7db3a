"""A local Function URL: an HTTP server that turns requests into events for RIE and back."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Final

from scaffold.errors import ScaffoldError, ServeError
from scaffold.events import Header, Origin, build_event
from scaffold.rie_answer import HttpResponse
from scaffold.rie_client import DEFAULT_TIMEOUT, invocation_url, invoke

Logger = Callable[[str], None]

DEFAULT_PORT: Final = 9080
DEFAULT_HOST: Final = "127.0.0.1"
MAX_BODY: Final = 6 * 1024 * 1024  # a Function URL's request payload limit
# RFC 9110 section 7.6.1, plus content-length, which is recomputed from the decoded body.
HOP_BY_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)
_NO_BODY: Final = frozenset({204, 304})  # RFC 9110: no body, and 204 has no Content-Length
_METHODS: Final = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class _BadRequestError(Exception):
    """A request the server refuses before invoking anything (status, reason)."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class FunctionUrlServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that remembers where RIE is and where to log."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self, address: tuple[str, int], *, endpoint: str, timeout: float, log: Logger
    ) -> None:
        self.endpoint = endpoint
        self.invoke_timeout = timeout
        self.log = log
        super().__init__(address, FunctionUrlHandler)


def _read_chunked(handler: BaseHTTPRequestHandler) -> bytes:
    body = bytearray()
    while True:
        size = int(handler.rfile.readline(1024).split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while handler.rfile.readline(1024).strip():  # trailers
                pass
            return bytes(body)
        if len(body) + size > MAX_BODY:
            raise _BadRequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body over 6 MB")
        body += handler.rfile.read(size)
        handler.rfile.readline(1024)


class FunctionUrlHandler(BaseHTTPRequestHandler):
    """Handle one request: event to RIE, answer back to the client."""

    server: FunctionUrlServer
    protocol_version = "HTTP/1.1"

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            try:
                return _read_chunked(self)
            except ValueError as err:
                raise _BadRequestError(HTTPStatus.BAD_REQUEST, "bad chunked body") from err
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError as err:
            raise _BadRequestError(HTTPStatus.BAD_REQUEST, "bad Content-Length") from err
        if length > MAX_BODY:
            raise _BadRequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body over 6 MB")
        return self.rfile.read(length) if length > 0 else b""

    def _request_headers(self) -> list[Header]:
        return [
            (name, value)
            for name, value in self.headers.items()
            if name.lower() not in HOP_BY_HOP - {"content-length"}
        ]

    def _handle(self) -> None:
        started = time.monotonic()
        try:
            body = self._read_body()
            origin = Origin(
                source_ip=self.client_address[0], scheme="http", port=self.server.server_address[1]
            )
            event = build_event(
                self.command, self.path, self._request_headers(), body, origin=origin
            )
            answer = invoke(
                event, endpoint=self.server.endpoint, timeout=self.server.invoke_timeout
            )
        except _BadRequestError as err:
            self.close_connection = True
            self._send_text(err.status, err.reason)
            outcome = err.reason
        except ScaffoldError as err:
            self._send_text(HTTPStatus.BAD_GATEWAY, f"{err.message}\n{err.hint}".strip())
            outcome = err.message
        else:
            self._send(answer)
            outcome = ""
        elapsed = (time.monotonic() - started) * 1000
        line = (
            f'{self.client_address[0]} "{self.command} {self.path}" {self._status} {elapsed:.0f} ms'
        )
        self.server.log(f"{line} - {outcome}" if outcome else line)

    def _send(self, answer: HttpResponse) -> None:
        headers = [(k, v) for k, v in answer.headers if k not in HOP_BY_HOP]
        headers += [("set-cookie", cookie) for cookie in answer.cookies]
        if answer.status in _NO_BODY or answer.status < 200:
            self._write(answer.status, headers, b"")
            return
        length = str(len(answer.body))
        if self.command == "HEAD":
            length = answer.header("content-length") or length
        self._write(
            answer.status,
            [*headers, ("content-length", length)],
            b"" if self.command == "HEAD" else answer.body,
        )

    def _send_text(self, status: HTTPStatus, text: str) -> None:
        body = (text + "\n").encode("utf-8")
        self._write(
            status,
            [("content-type", "text/plain; charset=utf-8"), ("content-length", str(len(body)))],
            body,
        )

    def _write(self, status: int, headers: Iterable[Header], body: bytes) -> None:
        self._status = status
        self.send_response_only(status)
        sent = set()
        for name, value in headers:
            self.send_header(name, value)
            sent.add(name.lower())
        if "date" not in sent:
            self.send_header("date", self.date_time_string())
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Send the server's own messages (bad request lines) to the server's log."""
        self.server.log(f"{self.client_address[0]} {format % args}")

    _status: int = 0


for _method in _METHODS:
    setattr(FunctionUrlHandler, f"do_{_method}", FunctionUrlHandler._handle)


def make_server(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    endpoint: str,
    timeout: float = DEFAULT_TIMEOUT,
    log: Logger,
) -> FunctionUrlServer:
    """Bind the local Function URL server (not serving yet).

    Raises:
        ServeError: The address cannot be bound.
        scaffold.rie_client.InvalidEndpointError: The endpoint is not an http(s) URL.
    """
    invocation_url(endpoint)
    try:
        return FunctionUrlServer((host, port), endpoint=endpoint, timeout=timeout, log=log)
    except OSError as err:
        raise ServeError(
            f"cannot listen on {host}:{port}: {err.strerror or err}",
            hint="pick another --port, or stop what uses it",
        ) from err


def _interrupt(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    raise KeyboardInterrupt


def serve_until_stopped(server: FunctionUrlServer) -> None:
    """Serve until Ctrl-C or SIGTERM, then close the socket. Returns normally in both cases."""
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        with contextlib.suppress(OSError):
            server.server_close()
