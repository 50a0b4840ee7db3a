"""Decode what the Runtime Interface Emulator answers into an HTTP response, or a clear error.

Through RIE the Lambda Web Adapter answers with the API Gateway v2 response JSON
(``statusCode``, ``headers``, ``multiValueHeaders``, ``cookies``, ``body``, ``isBase64Encoded``).
With ``AWS_LWA_INVOKE_MODE=response_stream`` the answer is instead a JSON prelude (status,
headers, cookies), eight NUL bytes, then the raw body. Errors come back as
``{"errorType", "errorMessage"}``, as the plain text ``Task timed out after N seconds``, as a
502 ``Runtime.ExitError``, or as a 502 with an empty body when the runtime died during init;
RIE never sets ``X-Amz-Function-Error``, so the body tells them apart.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any, Final

from scaffold.errors import (
    BadAnswerError,
    FunctionError,
    FunctionTimeoutError,
    RuntimeExitError,
)

Header = tuple[str, str]

STREAM_DELIMITER: Final = b"\x00" * 8
MAX_DEPTH: Final = 200  # deeper JSON answers are refused: nothing real nests that far
_TIMEOUT_PREFIX: Final = b"Task timed out after"
_SNIPPET: Final = 200
# RFC 9110 section 5.6.2: a field name is a token.
_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 9110 section 5.5: no control characters in a field value except HTAB; CR/LF would split it.
_CONTROL: Final = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_STATUS_TEXT: Final = re.compile(r"[0-9]{3}")
_SHAPE_HINT: Final = (
    "the adapter answers headers as an object of strings, multiValueHeaders as an object of "
    "lists and cookies as a list of strings: check what the function returns"
)


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


def _snippet(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    return text if len(text) <= _SNIPPET else text[:_SNIPPET] + "..."


def _kind(value: object) -> str:
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


def _text(value: object) -> str:
    """A short printable rendering of any decoded JSON value."""
    text = value if isinstance(value, str) else f"({_kind(value)})"
    return text if len(text) <= _SNIPPET else text[:_SNIPPET] + "..."


def _error_from(data: dict[str, Any]) -> FunctionError:
    kind = _text(data.get("errorType", ""))
    message = _text(data.get("errorMessage", ""))
    if kind == "Runtime.ExitError":
        return RuntimeExitError(
            f"the runtime exited: {message}",
            hint="the app (or the adapter) crashed or quit: read the lambda service's log "
            "(`docker compose logs lambda`); RIE starts it again on the next invocation",
        )
    if "SendRequest" in message or "Connect" in message:
        hint = (
            "the adapter could not reach the app: check that it listens on $PORT "
            "(0.0.0.0 or 127.0.0.1) and that AWS_LWA_PORT/PORT match"
        )
    else:
        hint = "read the lambda service's log for the cause"
    return FunctionError(f"the function failed: {kind}: {message}".rstrip(": "), hint=hint)


def _field_name(name: str) -> str:
    if not _TOKEN.fullmatch(name):
        raise BadAnswerError(
            f"the function answered a header name HTTP cannot carry: {_text(name)!r}",
            hint="header names are letters, digits and !#$%&'*+-.^_`|~ only: check the app",
        )
    return name.lower()


def _field_value(value: object, where: str) -> str:
    """Return a header or cookie value as text that is safe to send, or refuse it."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadAnswerError(
            f"the answer's {where} is {_kind(value)}, not a string", hint=_SHAPE_HINT
        )
    text = str(value)
    if _CONTROL.search(text):
        raise BadAnswerError(
            f"the answer's {where} holds a control character (CR, LF, NUL, ...): {_text(text)!r}",
            hint="a header value with a line break would split the HTTP response: check the app",
        )
    if not text.isascii():
        try:
            text.encode("latin-1")
        except UnicodeEncodeError as err:
            raise BadAnswerError(
                f"the answer's {where} is not Latin-1 text: {_text(text)!r}",
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
            f"the answer's {key} is {_kind(value)}, not an object", hint=_SHAPE_HINT
        )
    return value


def _cookies(data: dict[str, Any]) -> list[str]:
    value = data.get("cookies")
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadAnswerError(
            f"the answer's cookies is {_kind(value)}, not a list of strings", hint=_SHAPE_HINT
        )
    cookies = []
    for item in value:
        if not isinstance(item, str):
            raise BadAnswerError(
                f"the answer's cookies hold {_kind(item)}, not a string", hint=_SHAPE_HINT
            )
        cookies.append(_field_value(item, "cookie"))
    return cookies


def _headers(data: dict[str, Any]) -> tuple[list[Header], list[str]]:
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
                f"the answer's multiValueHeaders[{key!r}] is {_kind(values)}, not a list",
                hint=_SHAPE_HINT,
            )
        checked = [_field_value(value, f"header {key!r}") for value in values]
        if key not in single:
            pairs.extend((key, value) for value in checked)
    cookies.extend(value for key, value in pairs if key == "set-cookie")
    return [(k, v) for k, v in pairs if k != "set-cookie"], cookies


def _status(data: dict[str, Any]) -> int:
    status = data.get("statusCode")
    if isinstance(status, str) and _STATUS_TEXT.fullmatch(status):
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        shown = (
            repr(status)
            if isinstance(status, int | float) or status is None
            else repr(_text(status))
            if isinstance(status, str)
            else _text(status)
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
            f"the answer's isBase64Encoded is {_kind(encoded)}, not true or false",
            hint="check what the function returns",
        )
    if text is None:
        return b""
    if not isinstance(text, str):
        raise BadAnswerError(
            f"the answer's body is {_kind(text)}, not a string",
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


def _from_response(data: dict[str, Any]) -> HttpResponse:
    headers, cookies = _headers(data)
    body = _body(data)
    return HttpResponse(_status(data), tuple(headers), tuple(cookies), body, raw=data)


def _too_deep(data: object) -> bool:
    """Tell whether decoded JSON nests deeper than MAX_DEPTH (checked without recursion)."""
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return False


def _parse(text: bytes, what: str) -> Any:
    """Parse JSON, turning every failure (syntax, encoding, depth, huge numbers) into ValueError."""
    try:
        data = json.loads(text)
    except RecursionError as err:
        raise ValueError(f"{what} nests too deeply") from err
    if _too_deep(data):
        raise ValueError(f"{what} nests deeper than {MAX_DEPTH} levels")
    return data


def _from_stream(prelude: bytes, body: bytes) -> HttpResponse:
    try:
        data = _parse(prelude, "the prelude")
    except ValueError as err:
        raise BadAnswerError(
            f"the streamed answer has no usable JSON prelude ({err}): {_snippet(prelude)}",
            hint="check AWS_LWA_INVOKE_MODE and the adapter version",
        ) from err
    if not isinstance(data, dict):
        raise BadAnswerError("the streamed answer's prelude is not a JSON object")
    headers, cookies = _headers(data)
    raw = {**data, "body": base64.b64encode(body).decode("ascii"), "isBase64Encoded": True}
    return HttpResponse(
        _status(data) if "statusCode" in data else 200,
        tuple(headers),
        tuple(cookies),
        body,
        raw=raw,
        streamed=True,
    )


def decode_answer(status: int, body: bytes) -> HttpResponse:
    """Turn RIE's HTTP answer into the response a Function URL would send.

    Args:
        status: RIE's HTTP status (200 even when the app answered 404).
        body: RIE's body.

    Returns:
        The decoded response.

    Raises:
        FunctionTimeoutError: RIE reports ``Task timed out``.
        RuntimeExitError: The runtime exited (502 ``Runtime.ExitError``).
        FunctionError: Any other ``errorType``/``errorMessage`` answer.
        BadAnswerError: The answer cannot be understood.
    """
    stripped = body.strip()
    if stripped.startswith(_TIMEOUT_PREFIX):
        raise FunctionTimeoutError(
            f"the invocation timed out: {_snippet(stripped)}",
            hint="the app did not answer within AWS_LAMBDA_FUNCTION_TIMEOUT; raise it, or "
            "check that the app starts and answers (its readiness path must return 200)",
        )
    if status == 502 and not stripped:
        raise RuntimeExitError(
            "the runtime exited before it answered (RIE: 502, empty body)",
            hint="the app's start command failed or quit at once: run it natively (`make run`) "
            "to see why, or read the lambda service's log",
        )
    prelude, delimiter, rest = body.partition(STREAM_DELIMITER)
    if delimiter and prelude.lstrip().startswith(b"{"):
        return _from_stream(prelude, rest)
    try:
        data = _parse(body, "the answer") if stripped else None
    except ValueError as err:
        raise BadAnswerError(
            f"RIE answered {status} with a body that is not usable JSON ({err}): {_snippet(body)}",
            hint="is the endpoint a Runtime Interface Emulator?",
        ) from err
    if isinstance(data, dict) and "errorType" in data and "statusCode" not in data:
        raise _error_from(data)
    if status >= 400:
        raise BadAnswerError(
            f"RIE answered HTTP {status}: {_snippet(body)}",
            hint="is the endpoint a Runtime Interface Emulator?",
        )
    if data is None:
        raise BadAnswerError(
            "the function returned an empty answer",
            hint="behind the adapter this means the app did not answer",
        )
    if isinstance(data, dict) and "statusCode" in data:
        return _from_response(data)
    # Function URLs turn any other JSON result into a 200 application/json response whose body
    # is the result itself (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html).
    return HttpResponse(200, (("content-type", "application/json"),), (), stripped, raw=data)
