"""Read an HTTP request's body within the Function URL limit, on every framing.

A body is refused as soon as it would pass the limit (nothing more is read), and a framing
that could smuggle a second request (both Content-Length and Transfer-Encoding, two lengths,
a malformed chunk) is refused as a whole.
"""

from __future__ import annotations

import io
import re
from email.message import Message
from http import HTTPStatus
from typing import Final

MAX_BODY: Final = 6 * 1024 * 1024
DIGITS: Final = re.compile(r"[0-9]{1,19}")
_LINE_LIMIT: Final = 1024  # a chunk-size or trailer line
_MAX_TRAILERS: Final = 32
_HEX: Final = re.compile(rb"[0-9A-Fa-f]+")


class BadRequestError(Exception):
    """A request the server refuses before invoking anything (status, reason)."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _too_large() -> BadRequestError:
    return BadRequestError(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        f"the request body is over the Function URL limit of 6 MB ({MAX_BODY} bytes)",
    )


def _malformed(what: str) -> BadRequestError:
    return BadRequestError(HTTPStatus.BAD_REQUEST, f"malformed request: {what}")


def read_body(headers: Message, rfile: io.BufferedIOBase, limit: int = MAX_BODY) -> bytes:
    """Read a request's body as its framing says: Content-Length, chunked, or none.

    Raises:
    BadRequestError: The framing is malformed or unsupported, or the body is over limit.
    """
    codings = [
        coding.strip().lower()
        for value in headers.get_all("Transfer-Encoding") or []
        for coding in value.split(",")
        if coding.strip()
    ]
    lengths = {value.strip() for value in headers.get_all("Content-Length") or []}
    if codings:
        if lengths:
            raise _malformed("both Transfer-Encoding and Content-Length")
        if codings != ["chunked"]:
            raise BadRequestError(
                HTTPStatus.NOT_IMPLEMENTED,
                f"Transfer-Encoding {', '.join(codings)[:80]} is not supported",
            )
        return _read_chunked(rfile, limit)
    if not lengths:
        return b""
    text = lengths.pop()
    if lengths or not DIGITS.fullmatch(text):
        raise _malformed("Content-Length is not one number")
    length = int(text)
    if length > limit:
        raise _too_large()
    body = rfile.read(length)
    if len(body) != length:
        raise _malformed("the body is shorter than its Content-Length")
    return body


def _line(rfile: io.BufferedIOBase) -> bytes:
    line = rfile.readline(_LINE_LIMIT + 1)
    if not line.endswith(b"\n"):
        raise _malformed("a chunked body line is too long or cut short")
    return line.rstrip(b"\r\n")


def _read_chunked(rfile: io.BufferedIOBase, limit: int) -> bytes:
    """Read a chunked body, refusing it as soon as it would pass limit (nothing more is read)."""
    body = bytearray()
    while True:
        size_text = _line(rfile).split(b";", 1)[0].strip()
        if not _HEX.fullmatch(size_text):
            raise _malformed(f"chunk size {size_text[:40]!r} is not a hexadecimal number")
        size = int(size_text, 16)
        if size == 0:
            break
        if len(body) + size > limit:
            raise _too_large()
        data = rfile.read(size)
        if len(data) != size:
            raise _malformed("the chunked body ends inside a chunk")
        body += data
        if _line(rfile):
            raise _malformed("a chunk is longer than its size")
    for _ in range(_MAX_TRAILERS):
        if not _line(rfile):
            return bytes(body)
    raise _malformed("too many trailer lines")
