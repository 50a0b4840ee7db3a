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
_TIMEOUT_PREFIX: Final = b"Task timed out after"
_SNIPPET: Final = 200


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


def _error_from(data: dict[str, Any]) -> FunctionError:
    kind = str(data.get("errorType", ""))
    message = str(data.get("errorMessage", ""))
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


def _headers(data: dict[str, Any]) -> tuple[list[Header], list[str]]:
    pairs: list[Header] = []
    cookies = [str(c) for c in data.get("cookies") or []]
    for name, value in (data.get("headers") or {}).items():
        pairs.append((str(name).lower(), str(value)))
    single = {name for name, _ in pairs}
    for name, values in (data.get("multiValueHeaders") or {}).items():
        key = str(name).lower()
        if key not in single:
            pairs.extend((key, str(value)) for value in values or [])
    cookies.extend(value for key, value in pairs if key == "set-cookie")
    return [(k, v) for k, v in pairs if k != "set-cookie"], cookies


def _status(data: dict[str, Any]) -> int:
    status = data.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise BadAnswerError(
            f"the function answered an invalid statusCode {status!r}",
            hint="the adapter sets it from the app's status; check the app",
        )
    return status


def _from_response(data: dict[str, Any]) -> HttpResponse:
    headers, cookies = _headers(data)
    text = data.get("body")
    if text is None:
        body = b""
    elif data.get("isBase64Encoded"):
        try:
            body = base64.b64decode(str(text), validate=True)
        except binascii.Error as err:
            raise BadAnswerError(
                "the answer says isBase64Encoded but its body is not base64",
                hint="check what the function returns",
            ) from err
    else:
        body = str(text).encode("utf-8")
    return HttpResponse(_status(data), tuple(headers), tuple(cookies), body, raw=data)


def _from_stream(prelude: bytes, body: bytes) -> HttpResponse:
    try:
        data = json.loads(prelude)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise BadAnswerError(
            f"the streamed answer has no JSON prelude: {_snippet(prelude)}",
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
        data = json.loads(body) if stripped else None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise BadAnswerError(
            f"RIE answered {status} with a body that is not JSON: {_snippet(body)}",
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
