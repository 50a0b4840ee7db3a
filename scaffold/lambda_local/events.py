"""Function URL events (payload format 2.0): build them from HTTP requests and check event files.

A Function URL turns an HTTP request into the event below, and the Lambda Web Adapter turns that
event back into a request to the app (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html).
The answer side (what RIE sends back) lives in :mod:`scaffold.lambda_local.rie_answer`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl

from scaffold.errors import InvalidEventError

Event = dict[str, Any]
Header = tuple[str, str]

DEFAULT_URL_ID: Final = "localfunctionurl0000000000000000"
DEFAULT_REGION: Final = "us-east-1"
_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
_TEXT_TYPES: Final = (
    "application/json",
    "application/javascript",
    "application/xml",
    "application/yaml",
    "application/x-www-form-urlencoded",
)
_TEXT_SUFFIXES: Final = ("+json", "+xml", "+yaml")
# RFC 9110 section 5.6.2 (field names, methods) and 5.5 (no controls in values but HTAB).
_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_REQUIRED: Final = (
    ("rawPath",),
    ("rawQueryString",),
    ("headers",),
    ("requestContext", "http", "method"),
)


@dataclass(frozen=True)
class Origin:
    """Where the request seems to come from and which Function URL it reaches.

    Args:
        source_ip: The client address (``requestContext.http.sourceIp``, ``x-forwarded-for``).
        url_id: The Function URL id, the first label of its domain name.
        region: The AWS region in the domain name.
        scheme: What ``x-forwarded-proto`` says (a Function URL is always https).
        port: What ``x-forwarded-port`` says.
    """

    source_ip: str = "127.0.0.1"
    url_id: str = DEFAULT_URL_ID
    region: str = DEFAULT_REGION
    scheme: str = "https"
    port: int = 443

    @property
    def domain_name(self) -> str:
        """The Function URL's host name, ``<id>.lambda-url.<region>.on.aws``."""
        return f"{self.url_id}.lambda-url.{self.region}.on.aws"


def is_textual(content_type: str | None) -> bool:
    """Tell whether a Content-Type names text (the rule LWA's ``lambda_http`` uses for bodies)."""
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in _TEXT_TYPES or media.endswith(_TEXT_SUFFIXES)


def fold_headers(headers: Iterable[Header]) -> tuple[dict[str, str], list[str]]:
    """Lower-case header names, join repeated values with ``,`` and pull cookies out.

    Returns:
        The folded headers (without ``cookie``) and the cookies, one ``name=value`` per item.
    """
    folded: dict[str, str] = {}
    cookies: list[str] = []
    for raw_name, value in headers:
        name = raw_name.strip().lower()
        if not name:
            raise InvalidEventError(
                f"header {raw_name!r}: {value!r} has no name", hint="write headers as 'Name: value'"
            )
        if not _TOKEN.fullmatch(name):
            raise InvalidEventError(
                f"the header name {raw_name!r} is not an HTTP token",
                hint="header names are letters, digits and !#$%&'*+-.^_`|~ only",
            )
        if _CONTROL.search(value):
            raise InvalidEventError(
                f"the value of header {raw_name!r} holds a control character: {value!r}",
                hint="header values cannot hold line breaks, NUL or other control characters",
            )
        if name == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        folded[name] = f"{folded[name]},{value}" if name in folded else value
    return folded, cookies


def query_parameters(raw_query: str) -> dict[str, str]:
    """Parse a raw query string; repeated names are joined with ``,`` as Function URLs do."""
    params: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        params[name] = f"{params[name]},{value}" if name in params else value
    return params


def encode_body(body: bytes, content_type: str | None) -> tuple[str, bool]:
    """Return the event's ``body`` and ``isBase64Encoded``: text only for textual UTF-8."""
    if is_textual(content_type):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def request_time(now: datetime) -> tuple[str, int]:
    """Return ``requestContext.time`` (``dd/Mon/yyyy:HH:MM:SS +0000``) and ``timeEpoch`` (ms)."""
    utc = now.astimezone(UTC)
    text = f"{utc:%d}/{_MONTHS[utc.month - 1]}/{utc:%Y:%H:%M:%S} +0000"
    return text, int(utc.timestamp() * 1000)


def build_event(
    method: str,
    target: str,
    headers: Iterable[Header] = (),
    body: bytes = b"",
    *,
    origin: Origin | None = None,
    now: datetime | None = None,
) -> Event:
    """Build the Function URL event (payload 2.0) for one HTTP request.

    Args:
        method: The HTTP method, any case.
        target: The path with its query, as on the request line: ``/echo?x=1``.
        headers: Name/value pairs in the order received; names may repeat.
        body: The raw request body.
        origin: Client address and Function URL identity (defaults to a local client).
        now: The request time (defaults to now).

    Returns:
        The event as a JSON-ready dict.

    Raises:
        InvalidEventError: The method or the path is malformed.
    """
    origin = origin or Origin()
    verb = method.strip()
    if not (verb.isascii() and verb.isalpha()):
        raise InvalidEventError(f"{method!r} is not an HTTP method", hint="use GET, POST, ...")
    path, _, raw_query = target.partition("?")
    path = path or "/"
    if not path.startswith("/"):
        raise InvalidEventError(
            f"the path {target!r} does not start with '/'", hint="pass a path such as /echo?name=x"
        )
    folded, cookies = fold_headers(headers)
    folded.setdefault("host", origin.domain_name)
    folded.setdefault("x-forwarded-for", origin.source_ip)
    folded.setdefault("x-forwarded-proto", origin.scheme)
    folded.setdefault("x-forwarded-port", str(origin.port))
    folded.pop("content-length", None)  # it always tells the body's real length
    if body:
        folded["content-length"] = str(len(body))
    when, epoch = request_time(now or datetime.now(UTC))
    event: Event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = folded
    params = query_parameters(raw_query)
    if params:
        event["queryStringParameters"] = params
    event["requestContext"] = {
        "accountId": "anonymous",
        "apiId": origin.url_id,
        "domainName": origin.domain_name,
        "domainPrefix": origin.url_id,
        "http": {
            "method": verb.upper(),
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": origin.source_ip,
            "userAgent": folded.get("user-agent", ""),
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": "$default",
        "stage": "$default",
        "time": when,
        "timeEpoch": epoch,
    }
    if body:
        event["body"], event["isBase64Encoded"] = encode_body(body, folded.get("content-type"))
    else:
        event["isBase64Encoded"] = False
    return event


def _lookup(data: Mapping[str, Any], keys: tuple[str, ...]) -> object:
    node: object = data
    for key in keys:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def validate_event(data: object, *, source: str = "the event") -> Event:
    """Check that data is a Function URL event LWA will route as HTTP, not as a pass-through.

    Raises:
        InvalidEventError: Naming every missing or mistyped field.
    """
    if not isinstance(data, dict):
        raise InvalidEventError(
            f"{source} is not a JSON object",
            hint="use a Function URL event such as events/get.json",
        )
    problems = [
        ".".join(keys)
        for keys in _REQUIRED
        if not isinstance(_lookup(data, keys), dict if keys == ("headers",) else str)
    ]
    raw_path = data.get("rawPath")
    if isinstance(raw_path, str) and not raw_path.startswith("/"):
        problems.append("rawPath (must start with '/')")
    if "cookies" in data and not (
        isinstance(data["cookies"], list) and all(isinstance(c, str) for c in data["cookies"])
    ):
        problems.append("cookies (must be a list of strings)")
    if "body" in data and not isinstance(data["body"], str | None):
        problems.append("body (must be a string)")
    if data.get("isBase64Encoded") and isinstance(data.get("body"), str):
        try:
            base64.b64decode(data["body"], validate=True)
        except binascii.Error:
            problems.append("body (isBase64Encoded is true but it is not base64)")
    if problems:
        raise InvalidEventError(
            f"{source} is not a Function URL (2.0) event: missing or invalid "
            + ", ".join(problems),
            hint="without requestContext.http.method, rawPath, rawQueryString and headers the "
            "adapter POSTs the event to /events; start from events/get.json",
        )
    return data


def load_event(path: Path) -> Event:
    """Read and validate an event file.

    Raises:
        InvalidEventError: The file cannot be read, is not JSON or is not a 2.0 event.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InvalidEventError(
            f"cannot read the event file {path}: {err}",
            hint="pass an existing JSON file, e.g. events/get.json",
        ) from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidEventError(
            f"{path} is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}",
            hint="fix the JSON, or start from events/get.json",
        ) from err
    return validate_event(data, source=str(path))
