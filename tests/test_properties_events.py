"""Properties of event building and answer decoding, over inputs hypothesis makes up.

Event building: whatever method, path, query, headers, cookies and body the builder accepts, the
event has the Function URL payload 2.0 shape (reference §5.1) and gives the request back: the
query both raw and parsed, the body through base64 or as text, the cookies as a list.
Answer decoding: whatever RIE sends, the decoder returns a response HTTP can carry or raises a
ScaffoldError; nothing else escapes.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scaffold.errors import InvalidEventError, ScaffoldError
from scaffold.lambda_local.events import Origin, build_event, validate_event
from scaffold.lambda_local.response import HttpResponse
from scaffold.lambda_local.rie_answer import STREAM_DELIMITER, decode_answer

SETTINGS = settings(max_examples=200, deadline=None)

_TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_TIME = re.compile(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000")
_TOP_LEVEL = {
    "version",
    "routeKey",
    "rawPath",
    "rawQueryString",
    "cookies",
    "headers",
    "queryStringParameters",
    "requestContext",
    "body",
    "isBase64Encoded",
}
_CONTEXT = {
    "accountId",
    "apiId",
    "domainName",
    "domainPrefix",
    "http",
    "requestId",
    "routeKey",
    "stage",
    "time",
    "timeEpoch",
}
_CONTENT_TYPES = [
    None,
    "application/json",
    "text/plain; charset=utf-8",
    "application/octet-stream",
    "image/png",
    "application/vnd.api+json",
    "TEXT/HTML",
]

methods = st.text(alphabet="getpostPUTdeleteHEADoptionsPATCHx", min_size=1, max_size=10)
path_chars = st.characters(exclude_characters="?#", exclude_categories=("Cs", "Cc"))
paths = st.builds(lambda rest: "/" + rest, st.text(path_chars, max_size=30))
query_pairs = st.lists(st.tuples(st.text(min_size=1, max_size=8), st.text(max_size=8)), max_size=6)
header_names = st.text(alphabet=_TOKEN_CHARS, min_size=1, max_size=12).filter(
    lambda name: (
        name.lower()
        not in {"cookie", "content-length", "host", "x-forwarded-for", "x-forwarded-proto"}
        and name.lower() not in {"x-forwarded-port", "content-type", "user-agent"}
    )
)
header_values = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\r\n\x00\x7f").filter(
        lambda ch: not _CONTROL.match(ch)
    ),
    max_size=20,
)
cookie_texts = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=_-.%", min_size=1
)
bodies = st.one_of(st.binary(max_size=200), st.text(max_size=100).map(str.encode))


def _expected_params(pairs: list[tuple[str, str]]) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in pairs:
        params[name] = f"{params[name]},{value}" if name in params else value
    return params


def _check_shape(event: dict[str, Any]) -> None:
    """The documented payload 2.0 shape, field by field."""
    assert set(event) <= _TOP_LEVEL
    assert {"version", "routeKey", "rawPath", "rawQueryString", "headers"} <= set(event)
    assert (event["version"], event["routeKey"]) == ("2.0", "$default")
    assert event["rawPath"].startswith("/")
    assert all(
        isinstance(k, str) and k == k.lower() and isinstance(v, str)
        for k, v in event["headers"].items()
    )
    assert "cookie" not in event["headers"]
    context = event["requestContext"]
    assert set(context) == _CONTEXT
    assert context["accountId"] == "anonymous"
    assert context["domainName"] == f"{context['apiId']}.lambda-url.us-east-1.on.aws"
    assert context["domainPrefix"] == context["apiId"]
    assert (context["routeKey"], context["stage"]) == ("$default", "$default")
    assert _TIME.fullmatch(context["time"])
    assert isinstance(context["timeEpoch"], int)
    uuid.UUID(context["requestId"])
    http = context["http"]
    assert set(http) == {"method", "path", "protocol", "sourceIp", "userAgent"}
    assert http["path"] == event["rawPath"]
    assert http["method"].isascii() and http["method"].isupper()
    assert isinstance(event["isBase64Encoded"], bool)
    if "cookies" in event:
        assert event["cookies"] and all(isinstance(c, str) for c in event["cookies"])
    if "queryStringParameters" in event:
        assert event["queryStringParameters"]
    assert validate_event(event) is event
    assert json.loads(json.dumps(event)) == event


@SETTINGS
@given(
    method=methods,
    path=paths,
    pairs=query_pairs,
    headers=st.lists(st.tuples(header_names, header_values), max_size=6),
    cookies=st.lists(cookie_texts, max_size=4),
    body=bodies,
    content_type=st.sampled_from(_CONTENT_TYPES),
    when=st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ),
)
def test_built_events_have_the_2_0_shape_and_give_the_request_back(
    method: str,
    path: str,
    pairs: list[tuple[str, str]],
    headers: list[tuple[str, str]],
    cookies: list[str],
    body: bytes,
    content_type: str | None,
    when: datetime,
) -> None:
    raw_query = urlencode(pairs, quote_via=quote)
    sent = list(headers)
    if cookies:
        sent.append(("Cookie", "; ".join(cookies)))
    if content_type:
        sent.append(("Content-Type", content_type))
    target = f"{path}?{raw_query}" if raw_query else path
    event = build_event(
        method, target, sent, body, origin=Origin(source_ip="203.0.113.9"), now=when
    )
    _check_shape(event)
    assert event["rawPath"] == path
    assert event["rawQueryString"] == raw_query
    assert event.get("queryStringParameters", {}) == _expected_params(pairs)
    assert event["requestContext"]["http"]["method"] == method.upper()
    assert event["requestContext"]["timeEpoch"] == int(when.timestamp() * 1000)
    assert event.get("cookies", []) == cookies
    folded: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        folded[key] = f"{folded[key]},{value}" if key in folded else value
    for key, value in folded.items():
        assert event["headers"][key] == value
    if body:
        carried = event["body"]
        got = base64.b64decode(carried) if event["isBase64Encoded"] else carried.encode("utf-8")
        assert got == body
        assert event["headers"]["content-length"] == str(len(body))
    else:
        assert "body" not in event
        assert event["isBase64Encoded"] is False
        assert "content-length" not in event["headers"]


_ANY_TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["\r\n", "\n", "\x00", "\x7f", "\u2603", "\ud800", " ", "a b", "ß", "*"]),
)


@SETTINGS
@given(
    method=_ANY_TEXT,
    target=_ANY_TEXT,
    headers=st.lists(st.tuples(_ANY_TEXT, _ANY_TEXT), max_size=4),
    body=st.binary(max_size=50),
)
def test_the_builder_accepts_or_refuses_clearly(
    method: str, target: str, headers: list[tuple[str, str]], body: bytes
) -> None:
    try:
        event = build_event(method, target, headers, body)
    except InvalidEventError as err:
        assert err.message and err.hint
        return
    _check_shape(event)
    for name, value in event["headers"].items():
        assert _TOKEN.fullmatch(name)
        assert not _CONTROL.search(value)


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("G3T", []),
        ("\u00c9T\u00c9", []),
        ("stra\u00dfe", []),
        ("GET", [("X-A", "1\r\nX-B: 2")]),
        ("GET", [("X A", "1")]),
        ("GET", [("X-A", "nul\x00")]),
    ],
)
def test_the_builder_refuses_what_http_cannot_say(
    method: str, headers: list[tuple[str, str]]
) -> None:
    with pytest.raises(InvalidEventError):
        build_event(method, "/", headers)


# --- answer decoding -----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _ANY_TEXT,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(_ANY_TEXT, children, max_size=4)
    ),
    max_leaves=12,
)
odd_fields = st.fixed_dictionaries(
    {},
    optional={
        "statusCode": st.one_of(
            json_values, st.integers(100, 599), st.sampled_from(["200", "404", "\u00b2"])
        ),
        "headers": st.one_of(json_values, st.dictionaries(_ANY_TEXT, json_values, max_size=3)),
        "multiValueHeaders": st.one_of(
            json_values, st.dictionaries(_ANY_TEXT, st.lists(json_values, max_size=3))
        ),
        "cookies": st.one_of(json_values, st.lists(_ANY_TEXT, max_size=3)),
        "body": json_values,
        "isBase64Encoded": json_values,
        "errorType": json_values,
        "errorMessage": json_values,
    },
)


def _check_sendable(response: HttpResponse) -> None:
    """What decoding returns is something HTTP can carry, byte for byte."""
    assert isinstance(response.status, int) and 100 <= response.status <= 599
    assert isinstance(response.body, bytes)
    for name, value in response.headers:
        assert _TOKEN.fullmatch(name), name
        assert not _CONTROL.search(value)
        value.encode("latin-1")
    for cookie in response.cookies:
        assert not _CONTROL.search(cookie)
        cookie.encode("latin-1")


def _decodes_or_refuses(status: int, body: bytes) -> None:
    try:
        response = decode_answer(status, body)
    except ScaffoldError as err:
        assert err.message
        return
    _check_sendable(response)


@SETTINGS
@given(status=st.integers(100, 599), value=json_values)
def test_any_json_answer_decodes_or_is_a_clear_error(status: int, value: object) -> None:
    _decodes_or_refuses(status, json.dumps(value).encode())


@SETTINGS
@given(status=st.sampled_from([200, 502, 404]), fields=odd_fields)
def test_oddly_typed_answer_fields_decode_or_are_a_clear_error(
    status: int, fields: dict[str, Any]
) -> None:
    _decodes_or_refuses(status, json.dumps(fields).encode())


@SETTINGS
@given(status=st.integers(100, 599), body=st.binary(max_size=300))
def test_any_bytes_decode_or_are_a_clear_error(status: int, body: bytes) -> None:
    _decodes_or_refuses(status, body)
    _decodes_or_refuses(status, b'{"statusCode": 200}' + STREAM_DELIMITER + body)
    _decodes_or_refuses(status, body + STREAM_DELIMITER + body)


@SETTINGS
@given(depth=st.integers(1, 5000), opener=st.sampled_from([b"[", b'{"a":']))
def test_deep_answers_decode_or_are_a_clear_error(depth: int, opener: bytes) -> None:
    closer = b"]" if opener == b"[" else b"}"
    _decodes_or_refuses(200, opener * depth + b"1" + closer * depth)


@SETTINGS
@given(
    status=st.integers(200, 599),
    headers=st.dictionaries(
        header_names.map(str.lower),
        header_values.filter(lambda value: all(ord(ch) < 256 for ch in value)),
        max_size=4,
    ),
    cookies=st.lists(cookie_texts, max_size=3),
    body=st.binary(max_size=100),
    as_text=st.booleans(),
    streamed=st.booleans(),
)
def test_well_formed_answers_round_trip(
    status: int,
    headers: dict[str, str],
    cookies: list[str],
    body: bytes,
    as_text: bool,
    streamed: bool,
) -> None:
    text = body.decode("latin-1") if as_text else base64.b64encode(body).decode()
    if streamed:
        prelude = {"statusCode": status, "headers": headers, "cookies": cookies}
        raw = json.dumps(prelude).encode() + STREAM_DELIMITER + body
        expected = body
    else:
        answer = {
            "statusCode": status,
            "headers": headers,
            "multiValueHeaders": {},
            "cookies": cookies,
            "body": text,
            "isBase64Encoded": not as_text,
        }
        raw = json.dumps(answer).encode()
        expected = text.encode("utf-8") if as_text else body
    response = decode_answer(200, raw)
    _check_sendable(response)
    assert response.status == status
    assert dict(response.headers) == headers
    assert list(response.cookies) == cookies
    assert response.body == expected
    assert response.streamed is streamed
