"""The Runtime Interface Emulator's HTTP client: POST one event, get the decoded answer back."""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from scaffold.errors import (
    BadAnswerError,
    InvalidAnswerError,
    InvalidEndpointError,
    RieUnreachableError,
)
from scaffold.lambda_local.response import HttpResponse
from scaffold.lambda_local.rie_answer import decode_answer

DEFAULT_ENDPOINT: Final = "http://127.0.0.1:9000"
INVOKE_PATH: Final = "/2015-03-31/functions/function/invocations"
DEFAULT_TIMEOUT: Final = 60.0
MAX_TIMEOUT: Final = 86400.0
# A buffered Function URL answer is at most 6 MB and a streamed one 20 MB; base64 and JSON grow
# them, so anything past this is not an answer from RIE.
MAX_ANSWER: Final = 32 * 1024 * 1024
_READ_SIZE: Final = 64 * 1024
_START_HINT: Final = (
    "start it with `make up` (or `docker compose up lambda`) in the project, or pass --endpoint"
)
_RIE_HINT: Final = "is the endpoint a Runtime Interface Emulator?"


@dataclass(frozen=True)
class RawAnswer:
    """RIE's HTTP answer before decoding."""

    status: int
    body: bytes


def check_timeout(timeout: float) -> float:
    """Return timeout if it is a usable number of seconds.

    Raises:
        InvalidAnswerError: It is zero, negative, not finite or over a day.
    """
    if not (math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT):
        raise InvalidAnswerError(
            f"--timeout {timeout:g} is not a number of seconds above 0 and at most {MAX_TIMEOUT:g}",
            hint="pass e.g. --timeout 60",
        )
    return timeout


def invocation_url(endpoint: str) -> str:
    """Return the invoke URL for an endpoint such as ``http://127.0.0.1:9000``.

    Raises:
        InvalidEndpointError: The endpoint is not an http(s) URL with a host (and a valid port).
    """
    hint = f"pass e.g. --endpoint {DEFAULT_ENDPOINT}"
    text = endpoint.strip()
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise InvalidEndpointError(f"{endpoint!r} holds spaces or control characters", hint=hint)
    try:
        parts = urlsplit(text)
        host, _port = parts.hostname, parts.port
    except ValueError as err:
        raise InvalidEndpointError(f"{endpoint!r} is not a valid URL ({err})", hint=hint) from err
    if parts.scheme not in {"http", "https"} or not host:
        raise InvalidEndpointError(f"{endpoint!r} is not an http(s) URL", hint=hint)
    if parts.query or parts.fragment or parts.username is not None:
        raise InvalidEndpointError(
            f"{endpoint!r} has a query, a fragment or a user name", hint=hint
        )
    base = text.rstrip("/")
    return base if base.endswith(INVOKE_PATH) else base + INVOKE_PATH


class _Deadline:
    """Close a connection when its time is up, so that no slow answer outlives the timeout."""

    def __init__(self, connection: http.client.HTTPConnection, seconds: float) -> None:
        self.connection = connection
        self.sock: socket.socket | None = None  # kept: a closing answer takes it from connection
        self.expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def _expire(self) -> None:
        self.expired = True
        sock = self.sock or self.connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        self._timer.start()
        try:
            yield
        finally:
            self._timer.cancel()


def _read_body(response: http.client.HTTPResponse, endpoint: str) -> bytes:
    body = bytearray()
    while chunk := response.read(_READ_SIZE):
        body += chunk
        if len(body) > MAX_ANSWER:
            raise BadAnswerError(
                f"{endpoint} answered more than {MAX_ANSWER // (1024 * 1024)} MB", hint=_RIE_HINT
            )
    return bytes(body)


def _redirect(response: http.client.HTTPResponse, endpoint: str) -> BadAnswerError:
    location = response.getheader("Location") or "nowhere"
    return BadAnswerError(
        f"{endpoint} answered with a redirect (HTTP {response.status} to {location[:200]!r}), "
        "which a Runtime Interface Emulator never does",
        hint=f"pass RIE's own address as --endpoint, e.g. {DEFAULT_ENDPOINT}",
    )


def _exchange(deadline: _Deadline, target: str, data: bytes, endpoint: str) -> RawAnswer:
    connection = deadline.connection
    try:
        connection.connect()
        deadline.sock = connection.sock
    except TimeoutError:
        raise
    except OSError as err:
        raise RieUnreachableError(
            f"nothing listens on {endpoint} ({err.strerror or err})", hint=_START_HINT
        ) from err
    connection.request("POST", target, body=data, headers={"Content-Type": "application/json"})
    with connection.getresponse() as response:  # it owns the socket when RIE closes it
        if 300 <= response.status < 400:
            raise _redirect(response, endpoint)
        return RawAnswer(response.status, _read_body(response, endpoint))


def post_event(
    event: Mapping[str, Any], *, endpoint: str = DEFAULT_ENDPOINT, timeout: float = DEFAULT_TIMEOUT
) -> RawAnswer:
    """POST an event to RIE and return its raw answer; HTTP error statuses are answers too.

    The timeout bounds the whole exchange (connect, send, the answer's last byte), not each read.
    Redirects are not followed: RIE never sends one.

    Raises:
        InvalidEndpointError: The endpoint is not an http(s) URL.
        InvalidAnswerError: The timeout is not a usable number of seconds.
        RieUnreachableError: Nothing listens, or no whole answer came within timeout seconds.
        BadAnswerError: The endpoint redirected, or answered something that is not HTTP.
    """
    parts = urlsplit(invocation_url(endpoint))
    check_timeout(timeout)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname or "", parts.port, timeout=timeout)
    deadline = _Deadline(connection, timeout)
    data = json.dumps(event).encode("utf-8")
    started = time.monotonic()
    try:
        with deadline.running():
            answer = _exchange(deadline, parts.path, data, endpoint)
    except TimeoutError as err:
        raise _no_answer(endpoint, timeout) from err
    except (OSError, http.client.HTTPException) as err:
        if deadline.expired or time.monotonic() - started >= timeout:
            raise _no_answer(endpoint, timeout) from err
        if isinstance(err, http.client.RemoteDisconnected | http.client.IncompleteRead | OSError):
            raise RieUnreachableError(
                f"the connection to {endpoint} failed ({err!r:.200})", hint=_START_HINT
            ) from err
        raise BadAnswerError(
            f"{endpoint} did not answer HTTP ({err!r:.200})", hint=_RIE_HINT
        ) from err
    finally:
        connection.close()
    if deadline.expired:
        raise _no_answer(endpoint, timeout)
    return answer


def _no_answer(endpoint: str, timeout: float) -> RieUnreachableError:
    return RieUnreachableError(
        f"{endpoint} did not answer within {timeout:g} s",
        hint="the first invocation starts the app and the adapter; retry, or raise --timeout",
    )


def invoke(
    event: Mapping[str, Any], *, endpoint: str = DEFAULT_ENDPOINT, timeout: float = DEFAULT_TIMEOUT
) -> HttpResponse:
    """Invoke the function behind RIE with event and decode the answer.

    Raises:
        InvalidEndpointError: The endpoint is not an http(s) URL.
        InvalidAnswerError: The timeout is not a usable number of seconds.
        RieUnreachableError: Nothing listens at endpoint, or it did not answer in time.
        scaffold.lambda_local.rie_answer.FunctionError: The function failed, timed out or exited.
        scaffold.lambda_local.rie_answer.BadAnswerError: The answer cannot be understood.
    """
    raw = post_event(event, endpoint=endpoint, timeout=timeout)
    return decode_answer(raw.status, raw.body)
