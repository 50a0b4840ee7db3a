"""The Runtime Interface Emulator's HTTP client: POST one event, get the decoded answer back."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from scaffold.errors import InvalidEndpointError, RieUnreachableError
from scaffold.rie_answer import HttpResponse, decode_answer

DEFAULT_ENDPOINT: Final = "http://127.0.0.1:9000"
INVOKE_PATH: Final = "/2015-03-31/functions/function/invocations"
DEFAULT_TIMEOUT: Final = 60.0
_START_HINT: Final = (
    "start it with `make up` (or `docker compose up lambda`) in the project, or pass --endpoint"
)


@dataclass(frozen=True)
class RawAnswer:
    """RIE's HTTP answer before decoding."""

    status: int
    body: bytes


def invocation_url(endpoint: str) -> str:
    """Return the invoke URL for an endpoint such as ``http://127.0.0.1:9000``.

    Raises:
        InvalidEndpointError: The endpoint is not an http(s) URL with a host.
    """
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidEndpointError(
            f"{endpoint!r} is not an http(s) URL", hint=f"pass e.g. --endpoint {DEFAULT_ENDPOINT}"
        )
    base = endpoint.strip().rstrip("/")
    return base if base.endswith(INVOKE_PATH) else base + INVOKE_PATH


def post_event(
    event: Mapping[str, Any], *, endpoint: str = DEFAULT_ENDPOINT, timeout: float = DEFAULT_TIMEOUT
) -> RawAnswer:
    """POST an event to RIE and return its raw answer; HTTP error statuses are answers too.

    Raises:
        RieUnreachableError: Nothing listens, or no answer came within timeout seconds.
    """
    url = invocation_url(endpoint)
    request = urllib.request.Request(
        url,
        data=json.dumps(event).encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    # RIE is local: proxies from the environment must not intercept the call.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return RawAnswer(response.status, response.read())
    except urllib.error.HTTPError as err:
        with err:
            return RawAnswer(err.code, err.read())
    except TimeoutError as err:
        raise _no_answer(endpoint, timeout) from err
    except urllib.error.URLError as err:
        if isinstance(err.reason, TimeoutError | socket.timeout):
            raise _no_answer(endpoint, timeout) from err
        raise RieUnreachableError(
            f"nothing listens on {endpoint} ({err.reason})", hint=_START_HINT
        ) from err
    except (ConnectionError, OSError) as err:
        raise RieUnreachableError(
            f"the connection to {endpoint} failed ({err})", hint=_START_HINT
        ) from err


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
        RieUnreachableError: Nothing listens at endpoint, or it did not answer in time.
        scaffold.rie_answer.FunctionError: The function failed, timed out or exited.
        scaffold.rie_answer.BadAnswerError: The answer cannot be understood.
    """
    raw = post_event(event, endpoint=endpoint, timeout=timeout)
    return decode_answer(raw.status, raw.body)
