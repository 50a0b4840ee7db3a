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
import json
from typing import Any, Final

from scaffold.errors import (
    BadAnswerError,
    FunctionError,
    FunctionTimeoutError,
    RuntimeExitError,
)
from scaffold.lambda_local.response import (
    SNIPPET,
    HttpResponse,
    from_response,
    headers_and_cookies,
    short_text,
    status_code,
)

STREAM_DELIMITER: Final = b"\x00" * 8
MAX_DEPTH: Final = 200  # deeper JSON answers are refused: nothing real nests that far
_TIMEOUT_PREFIX: Final = b"Task timed out after"


def _snippet(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    return text if len(text) <= SNIPPET else text[:SNIPPET] + "..."


def _error_from(data: dict[str, Any]) -> FunctionError:
    kind = short_text(data.get("errorType", ""))
    message = short_text(data.get("errorMessage", ""))
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
    headers, cookies = headers_and_cookies(data)
    raw = {**data, "body": base64.b64encode(body).decode("ascii"), "isBase64Encoded": True}
    return HttpResponse(
        status_code(data) if "statusCode" in data else 200,
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
        return from_response(data)
    # Function URLs turn any other JSON result into a 200 application/json response whose body
    # is the result itself (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html).
    return HttpResponse(200, (("content-type", "application/json"),), (), stripped, raw=data)
