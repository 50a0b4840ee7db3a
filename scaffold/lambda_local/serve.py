"""A local Function URL: an HTTP server that turns requests into events for RIE and back.

Hostile peers are expected on both sides: request bodies are held to the Function URL limit on
every framing, idle clients are dropped, the number of handler threads is bounded (over it, a
quick 503), and answers whose headers HTTP cannot carry become a 502 with a log line.
"""

from __future__ import annotations

import contextlib
import errno
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any, Final
from urllib.parse import urlsplit

from scaffold.errors import InvalidAnswerError, InvalidEventError, ScaffoldError, ServeError
from scaffold.lambda_local.events import Header, Origin, build_event
from scaffold.lambda_local.request_body import DIGITS, BadRequestError, read_body
from scaffold.lambda_local.response import HttpResponse
from scaffold.lambda_local.rie_client import DEFAULT_TIMEOUT, check_timeout, invocation_url, invoke

Logger = Callable[[str], None]

DEFAULT_PORT: Final = 9080
DEFAULT_HOST: Final = "127.0.0.1"
# A Function URL's request payload limit: 6 MB (Lambda's synchronous invocation quota, which
# Lambda states as 6291456 bytes).
IDLE_TIMEOUT: Final = 15.0  # seconds a connection may stay silent (between or inside requests)
MAX_WORKERS: Final = 64  # requests handled at once; more wait, then get 503
QUEUE_WAIT: Final = 2.0  # seconds a connection waits for a free worker before its 503
BACKLOG: Final = 128
_DRAIN_BYTES: Final = 1024 * 1024
_DRAIN_SECONDS: Final = 0.5
_UNPRINTABLE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")
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
_BUSY: Final = b"the local Function URL is busy: retry in a moment\n"


def _printable(text: str) -> str:
    """Escape control characters so that a log line stays one honest line."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@dataclass(frozen=True)
class Answered:
    """One request the server answered (or refused), for its log."""

    client: str
    method: str
    target: str
    status: int
    elapsed_ms: float
    outcome: str
    ticket: object


class FunctionUrlServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that remembers where RIE is, bounds its threads and logs."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = BACKLOG

    def __init__(
        self,
        address: tuple[str, int],
        *,
        endpoint: str,
        timeout: float,
        log: Logger,
        idle_timeout: float = IDLE_TIMEOUT,
        max_workers: int = MAX_WORKERS,
        queue_wait: float = QUEUE_WAIT,
    ) -> None:
        self.endpoint = endpoint
        self.invoke_timeout = timeout
        self.log = log
        self.idle_timeout = idle_timeout
        self.queue_wait = queue_wait
        self.max_workers = max_workers
        self._slots = threading.BoundedSemaphore(max_workers)
        self.invoking = threading.Lock()
        super().__init__(address, FunctionUrlHandler)

    def before_invoke(self) -> object:
        """Called once a request is read, right before its event goes to RIE.

        Returns a ticket handed back in :meth:`answered`. A subclass may wait here, or raise
        :class:`BadRequestError` to answer without invoking.
        """
        return None

    def answered(self, answer: Answered) -> None:
        """Log one line per request: client, request line, status, milliseconds, what failed."""
        line = _printable(
            f'{answer.client} "{answer.method} {answer.target}" {answer.status}'
            f" {answer.elapsed_ms:.0f} ms"
        )
        self.log(f"{line} - {_printable(answer.outcome)}" if answer.outcome else line)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Hand the connection to a worker thread, or answer 503 when none frees up in time."""
        if not self._slots.acquire(timeout=self.queue_wait):
            self._refuse(request, client_address)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        """Run the handler, then give the worker slot back."""
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def _refuse(self, request: socket.socket, client_address: Any) -> None:
        with contextlib.suppress(OSError):
            request.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                request.recv(65536)  # what the client sent already: no reset before it reads
            request.settimeout(1.0)
            request.sendall(
                b"HTTP/1.1 503 Service Unavailable\r\n"
                b"content-type: text/plain; charset=utf-8\r\n"
                b"content-length: " + str(len(_BUSY)).encode() + b"\r\n"
                b"retry-after: 1\r\nconnection: close\r\n\r\n" + _BUSY
            )
        self.log(f"{client_address[0]} 503 - all {self.max_workers} workers busy")
        self.shutdown_request(request)

    def shutdown_request(self, request: Any) -> None:
        """Half-close, read what the client still sends for a moment, then close.

        Closing with unread input makes the kernel send a reset, and the client may lose the
        answer (a 413, say) before it reads it.
        """
        with contextlib.suppress(OSError):
            request.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + _DRAIN_SECONDS
            drained = 0
            while drained < _DRAIN_BYTES and (left := deadline - time.monotonic()) > 0:
                request.settimeout(left)
                chunk = request.recv(65536)
                if not chunk:
                    break
                drained += len(chunk)
        self.close_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log one line instead of a traceback when a connection fails (reset, broken pipe)."""
        del request
        err = sys.exc_info()[1]
        self.log(f"{client_address[0]} connection dropped: {_printable(repr(err))}")


class FunctionUrlHandler(BaseHTTPRequestHandler):
    """Handle one request: event to RIE, answer back to the client."""

    server: FunctionUrlServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        """Apply the idle timeout to every read and write on the connection."""
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)

    def _read_body(self) -> bytes:
        return read_body(self.headers, self.rfile)

    def _request_headers(self) -> list[Header]:
        return [
            (name, value)
            for name, value in self.headers.items()
            if name.lower() not in HOP_BY_HOP - {"content-length"}
        ]

    def _target(self) -> str:
        """The request target in origin form (an absolute-form target loses scheme and host)."""
        if self.path.lower().startswith(("http://", "https://")):
            parts = urlsplit(self.path)
            return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return self.path

    def _answer(self) -> HttpResponse:
        body = self._read_body()
        origin = Origin(
            source_ip=self.client_address[0], scheme="http", port=self.server.server_address[1]
        )
        try:
            event = build_event(
                self.command, self._target(), self._request_headers(), body, origin=origin
            )
        except InvalidEventError as err:
            raise BadRequestError(HTTPStatus.BAD_REQUEST, err.message) from err
        # One invocation at a time, as Lambda sends one request at a time to an environment:
        # RIE serves a single sandbox and crashes on a second concurrent invoke.
        if not self.server.invoking.acquire(timeout=self.server.invoke_timeout):
            raise BadRequestError(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "the function is still busy with earlier requests: retry in a moment",
            )
        try:
            self._ticket = self.server.before_invoke()
            return invoke(event, endpoint=self.server.endpoint, timeout=self.server.invoke_timeout)
        finally:
            self.server.invoking.release()

    def _handle(self) -> None:
        started = time.monotonic()
        try:
            answer = self._answer()
            if answer.status < 200:
                raise ServeError(
                    f"the function answered the informational status {answer.status}",
                    hint="a Function URL answer needs a final status (200-599): check the app",
                )
        except BadRequestError as err:
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
        self.server.answered(
            Answered(
                self.client_address[0],
                self.command,
                self.path,
                self._status,
                elapsed,
                outcome,
                self._ticket,
            )
        )
        self._ticket = None

    def _send(self, answer: HttpResponse) -> None:
        headers = [(k, v) for k, v in answer.headers if k not in HOP_BY_HOP]
        headers += [("set-cookie", cookie) for cookie in answer.cookies]
        if answer.status in _NO_BODY:
            self._write(answer.status, headers, b"")
            return
        length = str(len(answer.body))
        declared = answer.header("content-length")
        if self.command == "HEAD" and declared is not None and DIGITS.fullmatch(declared):
            length = declared
        self._write(
            answer.status,
            [*headers, ("content-length", length)],
            b"" if self.command == "HEAD" else answer.body,
        )

    def _send_text(self, status: HTTPStatus, text: str) -> None:
        body = (text + "\n").encode("utf-8")
        headers = [
            ("content-type", "text/plain; charset=utf-8"),
            ("content-length", str(len(body))),
        ]
        if self.close_connection:
            headers.append(("connection", "close"))
        self._write(status, headers, body)

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
        self.server.log(_printable(f"{self.client_address[0]} {format % args}"))

    _status: int = 0
    _ticket: object = None


for _method in _METHODS:
    setattr(FunctionUrlHandler, f"do_{_method}", FunctionUrlHandler._handle)


def _check_address(host: str, port: int) -> None:
    if isinstance(port, bool) or not 0 <= port <= 65535:
        raise InvalidAnswerError(
            f"--port {port} is not a TCP port", hint="pass a port from 1024 to 65535, e.g. 9080"
        )
    if not host.strip() or any(ch.isspace() or not ch.isprintable() for ch in host):
        raise InvalidAnswerError(
            f"--host {host!r} is not an address",
            hint="pass an address of this machine, e.g. 127.0.0.1 (or 0.0.0.0 for every one)",
        )


def _bind_error(host: str, port: int, err: Exception) -> ServeError:
    code = getattr(err, "errno", None)
    reason = getattr(err, "strerror", None) or str(err)
    if isinstance(err, socket.gaierror | UnicodeError) or code == errno.EADDRNOTAVAIL:
        return ServeError(
            f"cannot listen on {host}:{port}: the host {host!r} is not an address of this "
            f"machine ({reason})",
            hint="pass --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every interface)",
        )
    if code == errno.EACCES:
        return ServeError(
            f"cannot listen on {host}:{port}: {reason}",
            hint="ports below 1024 need root: pick --port 9080 or another above 1023",
        )
    return ServeError(
        f"cannot listen on {host}:{port}: {reason}",
        hint=f"pick another --port, or stop what uses port {port}",
    )


def make_server(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    endpoint: str,
    timeout: float = DEFAULT_TIMEOUT,
    log: Logger,
    idle_timeout: float = IDLE_TIMEOUT,
    max_workers: int = MAX_WORKERS,
    queue_wait: float = QUEUE_WAIT,
    factory: Callable[..., FunctionUrlServer] = FunctionUrlServer,
) -> FunctionUrlServer:
    """Bind the local Function URL server (not serving yet).

    Args:
        host: The address to listen on.
        port: The port (0 picks a free one).
        endpoint: RIE's address.
        timeout: Seconds each invocation may take, all of it.
        log: Where one line per request (and per refused connection) goes.
        idle_timeout: Seconds a client may stay silent before its connection is closed.
        max_workers: Requests handled at once.
        queue_wait: Seconds a connection waits for a free worker before it gets 503.
        factory: The server class (a subclass adds waiting or its own log line).

    Raises:
        InvalidAnswerError: The port, the host or the timeout is not usable.
        ServeError: The address cannot be bound.
        scaffold.lambda_local.rie_client.InvalidEndpointError: The endpoint is not an http(s) URL.
    """
    _check_address(host, port)
    check_timeout(timeout)
    invocation_url(endpoint)
    try:
        return factory(
            (host, port),
            endpoint=endpoint,
            timeout=timeout,
            log=log,
            idle_timeout=idle_timeout,
            max_workers=max_workers,
            queue_wait=queue_wait,
        )
    except (OSError, UnicodeError, OverflowError) as err:
        raise _bind_error(host, port, err) from err


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
