"""Function URL events and RIE answers: the pure functions, no processes."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scaffold.errors import (
    BadAnswerError,
    FunctionError,
    FunctionTimeoutError,
    InvalidEventError,
    RuntimeExitError,
)
from scaffold.lambda_local.events import (
    Origin,
    build_event,
    encode_body,
    fold_headers,
    is_textual,
    load_event,
    query_parameters,
    request_time,
    validate_event,
)
from scaffold.lambda_local.invocation import (
    event_from_args,
    guess_content_type,
    parse_header,
    split_target,
)
from scaffold.lambda_local.rie_answer import (
    decode_answer,
)

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def _answer(**fields: Any) -> bytes:
    base: dict[str, Any] = {
        "statusCode": 200,
        "headers": {},
        "multiValueHeaders": {},
        "body": "",
        "isBase64Encoded": False,
        "cookies": [],
    }
    return json.dumps({**base, **fields}).encode()


# --- building events -------------------------------------------------------------------------


def test_headers_are_lower_cased_and_repeats_joined() -> None:
    headers, cookies = fold_headers(
        [("Accept", "text/html"), ("X-Tag", "a"), ("x-tag", "b"), ("ACCEPT", "application/json")]
    )
    assert headers == {"accept": "text/html,application/json", "x-tag": "a,b"}
    assert cookies == []


def test_cookie_headers_become_the_cookies_list() -> None:
    headers, cookies = fold_headers(
        [("Cookie", "theme=dark; session=abc123"), ("cookie", "lang=en;"), ("Accept", "*/*")]
    )
    assert cookies == ["theme=dark", "session=abc123", "lang=en"]
    assert "cookie" not in headers


def test_header_without_name_is_refused() -> None:
    with pytest.raises(InvalidEventError):
        fold_headers([(" ", "x")])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", {}),
        ("name=Lambda", {"name": "Lambda"}),
        ("tag=a&tag=b&tag=c", {"tag": "a,b,c"}),
        ("q=a%20b&plus=1+2&empty=", {"q": "a b", "plus": "1 2", "empty": ""}),
    ],
)
def test_query_parameters(raw: str, expected: dict[str, str]) -> None:
    assert query_parameters(raw) == expected


@pytest.mark.parametrize(
    ("content_type", "textual"),
    [
        ("text/plain", True),
        ("text/html; charset=utf-8", True),
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ("application/vnd.api+json", True),
        ("application/atom+xml", True),
        ("application/x-www-form-urlencoded", True),
        ("application/octet-stream", False),
        ("image/png", False),
        (None, False),
        ("", False),
    ],
)
def test_textual_content_types(content_type: str | None, textual: bool) -> None:
    assert is_textual(content_type) is textual


def test_body_encoding_rules() -> None:
    assert encode_body(b'{"a":1}', "application/json") == ('{"a":1}', False)
    assert encode_body("é".encode(), "text/plain") == ("é", False)
    binary = bytes([0, 1, 2, 255])
    assert encode_body(binary, "application/octet-stream") == ("AAEC/w==", True)
    assert encode_body(binary, "text/plain") == ("AAEC/w==", True)  # not UTF-8
    assert encode_body(b"plain", None) == (base64.b64encode(b"plain").decode(), True)


def test_request_time_format() -> None:
    assert request_time(NOW) == ("01/Jan/2026:12:00:00 +0000", 1767268800000)


def test_get_event_is_a_complete_function_url_event() -> None:
    event = build_event(
        "get",
        "/echo?name=Lambda&tag=a&tag=b",
        [("Cookie", "theme=dark; session=abc"), ("User-Agent", "curl/8.5.0")],
        now=NOW,
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/echo"
    assert event["rawQueryString"] == "name=Lambda&tag=a&tag=b"
    assert event["queryStringParameters"] == {"name": "Lambda", "tag": "a,b"}
    assert event["cookies"] == ["theme=dark", "session=abc"]
    assert event["isBase64Encoded"] is False
    assert "body" not in event
    headers = event["headers"]
    assert "cookie" not in headers
    context = event["requestContext"]
    assert headers["host"] == context["domainName"]
    assert re.fullmatch(r"[a-z0-9]+\.lambda-url\.us-east-1\.on\.aws", context["domainName"])
    assert context["domainPrefix"] == context["apiId"] == context["domainName"].split(".")[0]
    assert context["accountId"] == "anonymous"
    assert context["http"] == {
        "method": "GET",
        "path": "/echo",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "curl/8.5.0",
    }
    assert context["routeKey"] == context["stage"] == "$default"
    assert uuid.UUID(context["requestId"]).version == 4
    assert context["time"] == "01/Jan/2026:12:00:00 +0000"
    assert context["timeEpoch"] == 1767268800000
    assert json.loads(json.dumps(event)) == event


def test_query_is_kept_raw_and_omitted_when_empty() -> None:
    event = build_event("GET", "/a%20b?x=%2F")
    assert event["rawPath"] == "/a%20b"
    assert event["rawQueryString"] == "x=%2F"
    assert event["queryStringParameters"] == {"x": "/"}
    bare = build_event("GET", "/")
    assert bare["rawQueryString"] == ""
    assert "queryStringParameters" not in bare
    assert "cookies" not in bare


def test_post_bodies_text_or_base64() -> None:
    text = build_event("POST", "/echo", [("Content-Type", "application/json")], b'{"a": 1}')
    assert (text["body"], text["isBase64Encoded"]) == ('{"a": 1}', False)
    assert text["headers"]["content-length"] == "8"
    binary = build_event("POST", "/echo", [("Content-Type", "image/png")], b"\x89PNG")
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\x89PNG"


def test_origin_sets_host_and_forwarded_headers() -> None:
    origin = Origin(
        source_ip="10.0.0.9", url_id="abc123", region="eu-west-1", scheme="http", port=9080
    )
    event = build_event("GET", "/", [("Host", "localhost:9080")], origin=origin)
    assert event["headers"]["host"] == "localhost:9080"
    assert event["requestContext"]["domainName"] == "abc123.lambda-url.eu-west-1.on.aws"
    assert event["headers"]["x-forwarded-for"] == "10.0.0.9"
    assert event["headers"]["x-forwarded-proto"] == "http"
    assert event["requestContext"]["http"]["sourceIp"] == "10.0.0.9"


@pytest.mark.parametrize(("method", "target"), [("G ET", "/"), ("GET", "echo"), ("", "/")])
def test_bad_method_or_path(method: str, target: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        build_event(method, target)
    assert caught.value.exit_code == 2


# --- event files -----------------------------------------------------------------------------


def test_built_events_validate() -> None:
    event = build_event("POST", "/x?y=1", [("Content-Type", "text/plain")], b"hi")
    assert validate_event(event) is event


def test_validation_names_every_missing_field() -> None:
    with pytest.raises(InvalidEventError) as caught:
        validate_event({"rawPath": "/", "requestContext": {"http": {}}}, source="ev.json")
    message = caught.value.message
    assert "ev.json" in message
    for field in ("rawQueryString", "headers", "requestContext.http.method"):
        assert field in message
    assert "rawPath" not in message.split("invalid", 1)[1]
    assert "/events" in caught.value.hint


@pytest.mark.parametrize(
    "data",
    [
        [],
        "text",
        {
            "rawPath": "x",
            "rawQueryString": "",
            "headers": {},
            "requestContext": {"http": {"method": "GET"}},
        },
        {
            "rawPath": "/",
            "rawQueryString": "",
            "headers": {},
            "cookies": "a=1",
            "requestContext": {"http": {"method": "GET"}},
        },
        {
            "rawPath": "/",
            "rawQueryString": "",
            "headers": {},
            "body": "%%%",
            "isBase64Encoded": True,
            "requestContext": {"http": {"method": "GET"}},
        },
    ],
)
def test_invalid_events(data: object) -> None:
    with pytest.raises(InvalidEventError):
        validate_event(data)


def test_load_event_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidEventError, match="cannot read"):
        load_event(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"rawPath": "/",\n oops}')
    with pytest.raises(InvalidEventError, match="line 2"):
        load_event(broken)


def test_shipped_events_validate(render_project: Any) -> None:
    project = render_project("echo")
    for name in ("get.json", "post.json"):
        event = load_event(project / "events" / name)
        assert event["requestContext"]["http"]["method"] in {"GET", "POST"}


# --- invoke arguments ------------------------------------------------------------------------


def test_parse_header() -> None:
    assert parse_header("Accept: application/json") == ("Accept", "application/json")
    assert parse_header("X-Empty:") == ("X-Empty", "")
    for bad in ("no colon", ": value", "Bad Name: x"):
        with pytest.raises(InvalidEventError):
            parse_header(bad)


def test_split_target_defaults() -> None:
    assert split_target(["/echo"], has_body=False) == ("GET", "/echo")
    assert split_target(["/echo"], has_body=True) == ("POST", "/echo")
    assert split_target(["put", "/echo"], has_body=False) == ("PUT", "/echo")
    for bad in ([], ["a", "b", "c"], ["G1", "/"]):
        with pytest.raises(InvalidEventError):
            split_target(bad, has_body=False)


def test_guess_content_type() -> None:
    assert guess_content_type(b'{"a": 1}') == "application/json"
    assert guess_content_type(b"hello") == "text/plain; charset=utf-8"
    assert guess_content_type(b"\xff\x00") == "application/octet-stream"


def test_event_from_args(tmp_path: Path) -> None:
    body = tmp_path / "body.bin"
    body.write_bytes(b"\x00\xff")
    event = event_from_args(["/upload"], headers=["X-A: 1"], data=f"@{body}")
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["headers"]["content-type"] == "application/octet-stream"
    assert base64.b64decode(event["body"]) == b"\x00\xff"
    assert event["headers"]["user-agent"] == "lambda-scaffold"
    with pytest.raises(InvalidEventError, match="cannot be combined"):
        event_from_args(["/x"], event_file=tmp_path / "e.json")
    with pytest.raises(InvalidEventError, match="cannot read the body file"):
        event_from_args(["/x"], data=f"@{tmp_path / 'missing'}")


# --- decoding answers ------------------------------------------------------------------------


def test_decode_text_answer_with_cookies_and_multi_value_headers() -> None:
    raw = _answer(
        statusCode=404,
        headers={"Content-Type": "application/json"},
        multiValueHeaders={"X-Many": ["1", "2"], "content-type": ["ignored"]},
        cookies=["a=1; Path=/", "b=2"],
        body='{"error":"nope"}',
    )
    answer = decode_answer(200, raw)
    assert answer.status == 404
    assert answer.headers == (
        ("content-type", "application/json"),
        ("x-many", "1"),
        ("x-many", "2"),
    )
    assert answer.cookies == ("a=1; Path=/", "b=2")
    assert answer.body == b'{"error":"nope"}'
    assert answer.header("Content-Type") == "application/json"
    assert answer.streamed is False


def test_decode_base64_answer() -> None:
    answer = decode_answer(200, _answer(body="AAEC/w==", isBase64Encoded=True))
    assert answer.body == bytes([0, 1, 2, 255])


def test_decode_set_cookie_header_moves_to_cookies() -> None:
    answer = decode_answer(200, _answer(headers={"set-cookie": "x=1"}, cookies=None))
    assert answer.cookies == ("x=1",)
    assert answer.header("set-cookie") is None


def test_decode_streamed_answer() -> None:
    prelude = json.dumps(
        {"statusCode": 201, "headers": {"content-type": "text/plain"}, "cookies": ["s=1"]}
    ).encode()
    answer = decode_answer(200, prelude + b"\0" * 8 + b"chunk 1\nchunk 2\n\0")
    assert answer.streamed is True
    assert (answer.status, answer.cookies) == (201, ("s=1",))
    assert answer.body == b"chunk 1\nchunk 2\n\0"
    assert answer.raw["isBase64Encoded"] is True


def test_result_without_status_code_is_a_200_json_response() -> None:
    answer = decode_answer(200, b'{"message": "hi"}')
    assert answer.status == 200
    assert answer.headers == (("content-type", "application/json"),)
    assert answer.body == b'{"message": "hi"}'
    assert decode_answer(200, b'"plain"').body == b'"plain"'


def test_function_error_with_adapter_hint() -> None:
    raw = json.dumps(
        {
            "errorType": "&alloc::boxed::Box<dyn core::error::Error>",
            "errorMessage": "client error (SendRequest)",
        }
    ).encode()
    with pytest.raises(FunctionError) as caught:
        decode_answer(200, raw)
    assert "client error (SendRequest)" in caught.value.message
    assert "PORT" in caught.value.hint
    assert caught.value.exit_code == 1


def test_timeout_answer() -> None:
    with pytest.raises(FunctionTimeoutError) as caught:
        decode_answer(200, b"Task timed out after 5.00 seconds")
    assert "5.00 seconds" in caught.value.message
    assert "AWS_LAMBDA_FUNCTION_TIMEOUT" in caught.value.hint


def test_runtime_exit_error() -> None:
    raw = json.dumps(
        {
            "errorType": "Runtime.ExitError",
            "errorMessage": "RequestId: 1 Error: Runtime exited with error: exit status 3",
        }
    ).encode()
    with pytest.raises(RuntimeExitError) as caught:
        decode_answer(502, raw)
    assert "exit status 3" in caught.value.message


def test_empty_502_is_a_runtime_that_died_at_start() -> None:
    with pytest.raises(RuntimeExitError) as caught:
        decode_answer(502, b"")
    assert "make run" in caught.value.hint


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b""),
        (200, b"<html>"),
        (404, b"404 page not found"),
        (500, b'{"x": 1}'),
        (200, _answer(statusCode=99)),
        (200, _answer(statusCode="abc")),
        (200, _answer(body="%%%", isBase64Encoded=True)),
    ],
)
def test_bad_answers(status: int, body: bytes) -> None:
    with pytest.raises(BadAnswerError):
        decode_answer(status, body)
