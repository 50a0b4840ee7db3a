"""The app's HTTP answer as the Function URL sends it, checked field by field.

The Lambda Web Adapter answers in the API Gateway v2 response shape; every field a client
would see (status, header names and values, cookies, the body and its base64 flag) is checked
here, so a value HTTP cannot carry becomes a BadAnswerError instead of a broken response.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any, Final

from scaffold.errors import BadAnswerError

Header = tuple[str, str]

# RFC 9110 section 5.6.2: a field name is a token.
_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 9110 section 5.5: no control characters in a field value except HTAB; CR/LF would split it.
_CONTROL: Final = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_STATUS_TEXT: Final = re.compile(r"[0-9]{3}")
_SHAPE_HINT: Final = (
    "the adapter answers headers as an object of strings, multiValueHeaders as an object of "
    "lists and cookies as a list of strings: check what the function returns"
)

SNIPPET: Final = 200  # characters of a refused value quoted in a message


@dataclass(frozen=True)
class HttpResponse:
    """The app's answer, decoded: what a Function URL would send to the client.

    Attributes:
        status: The HTTP status code.
        headers: Name/value pairs, lower-case names, ``set-cookie`` excluded.
        cookies: One ``Set-Cookie`` value per item.
        body: The body bytes, base64 already decoded.
        raw: The answer as JSON data (for streamed answers: the prelude plus the body).
        streamed: True when the adapter answered in response-stream mode.
    """

    status: int
    headers: tuple[Header, ...] = ()
    cookies: tuple[str, ...] = ()
    body: bytes = b""
    raw: Any = field(default=None, compare=False)
    streamed: bool = False

    def header(self, name: str) -> str | None:
        """Return the first value of a header, case-insensitively."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)


def json_kind(value: object) -> str:
    """Name a JSON value's type the way JSON does."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def short_text(value: object) -> str:
    """A short printable rendering of any decoded JSON value."""
    text = value if isinstance(value, str) else f"({json_kind(value)})"
    return text if len(text) <= SNIPPET else text[:SNIPPET] + "..."


def _field_name(name: str) -> str:
    if not _TOKEN.fullmatch(name):
        raise BadAnswerError(
            f"the function answered a header name HTTP cannot carry: {short_text(name)!r}",
            hint="header names are letters, digits and !#$%&'*+-.^_`|~ only: check the app",
        )
    return name.lower()


def _field_value(value: object, where: str) -> str:
    """Return a header or cookie value as text that is safe to send, or refuse it."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadAnswerError(
            f"the answer's {where} is {json_kind(value)}, not a string", hint=_SHAPE_HINT
        )
    text = str(value)
    if _CONTROL.search(text):
        raise BadAnswerError(
            f"the answer's {where} holds a control character (CR, LF, NUL, ...): "
            f"{short_text(text)!r}",
            hint="a header value with a line break would split the HTTP response: check the app",
        )
    if not text.isascii():
        try:
            text.encode("latin-1")
        except UnicodeEncodeError as err:
            raise BadAnswerError(
                f"the answer's {where} is not Latin-1 text: {short_text(text)!r}",
                hint="HTTP header values are bytes: percent-encode (or RFC 8187-encode) "
                "other characters in the app",
            ) from err
    return text


def _object(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadAnswerError(
            f"the answer's {key} is {json_kind(value)}, not an object", hint=_SHAPE_HINT
        )
    return value


def _cookies(data: dict[str, Any]) -> list[str]:
    value = data.get("cookies")
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadAnswerError(
            f"the answer's cookies is {json_kind(value)}, not a list of strings", hint=_SHAPE_HINT
        )
    cookies = []
    for item in value:
        if not isinstance(item, str):
            raise BadAnswerError(
                f"the answer's cookies hold {json_kind(item)}, not a string", hint=_SHAPE_HINT
            )
        cookies.append(_field_value(item, "cookie"))
    return cookies


def headers_and_cookies(data: dict[str, Any]) -> tuple[list[Header], list[str]]:
    """Check and flatten ``headers``, ``multiValueHeaders`` and ``cookies``.

    Raises:
        BadAnswerError: A field has the wrong type, or a name or value HTTP cannot carry.
    """
    pairs: list[Header] = []
    cookies = _cookies(data)
    for name, value in _object(data, "headers").items():
        key = _field_name(name)
        pairs.append((key, _field_value(value, f"header {key!r}")))
    single = {name for name, _ in pairs}
    for name, values in _object(data, "multiValueHeaders").items():
        key = _field_name(name)
        if values is None:
            continue
        if not isinstance(values, list):
            raise BadAnswerError(
                f"the answer's multiValueHeaders[{key!r}] is {json_kind(values)}, not a list",
                hint=_SHAPE_HINT,
            )
        checked = [_field_value(value, f"header {key!r}") for value in values]
        if key not in single:
            pairs.extend((key, value) for value in checked)
    cookies.extend(value for key, value in pairs if key == "set-cookie")
    return [(k, v) for k, v in pairs if k != "set-cookie"], cookies


def status_code(data: dict[str, Any]) -> int:
    """Return the answer's statusCode (a number or a 3-digit string) as an HTTP status."""
    status = data.get("statusCode")
    if isinstance(status, str) and _STATUS_TEXT.fullmatch(status):
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        shown = (
            repr(status)
            if isinstance(status, int | float) or status is None
            else repr(short_text(status))
            if isinstance(status, str)
            else short_text(status)
        )
        raise BadAnswerError(
            f"the function answered an invalid statusCode {shown}",
            hint="the adapter sets it from the app's status; check the app",
        )
    return status


def _body(data: dict[str, Any]) -> bytes:
    text = data.get("body")
    encoded = data.get("isBase64Encoded")
    if encoded is not None and not isinstance(encoded, bool):
        raise BadAnswerError(
            f"the answer's isBase64Encoded is {json_kind(encoded)}, not true or false",
            hint="check what the function returns",
        )
    if text is None:
        return b""
    if not isinstance(text, str):
        raise BadAnswerError(
            f"the answer's body is {json_kind(text)}, not a string",
            hint="a Function URL answer carries its body as a string (base64 for bytes)",
        )
    if encoded:
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as err:
            raise BadAnswerError(
                "the answer says isBase64Encoded but its body is not base64",
                hint="check what the function returns",
            ) from err
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise BadAnswerError(
            "the answer's body is not valid Unicode (it holds a lone surrogate escape)",
            hint="send bytes as base64 with isBase64Encoded: true",
        ) from err


def from_response(data: dict[str, Any]) -> HttpResponse:
    """Check and decode an API Gateway v2 response object (statusCode, headers, cookies, body)."""
    headers, cookies = headers_and_cookies(data)
    body = _body(data)
    return HttpResponse(status_code(data), tuple(headers), tuple(cookies), body, raw=data)
