"""`invoke` against a hostile RIE: crafted answers, drip-feeds, silence, redirects, bad flags."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import Result

from tests import hostile
from tests.hostile import HostileRie, answer, lwa

Cli = Callable[..., Result]


@pytest.fixture
def rie() -> Iterator[HostileRie]:
    with HostileRie().running() as fake:
        yield fake


def _failed_cleanly(result: Result, exit_code: int = 1) -> str:
    """The run ended through the error funnel (no traceback) with exit_code; its stderr."""
    assert result.exit_code == exit_code, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "error:" in result.stderr
    assert "hint:" in result.stderr
    return " ".join(result.stderr.split())


# --- answers HTTP cannot carry (response splitting) --------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"headers": {"x-a": "1\r\nX-Injected: yes"}},
        {"headers": {"x-a\r\nX-Injected": "yes"}},
        {"headers": {"x-a": "1\nX-Injected: yes"}},
        {"headers": {"x-a": "nul\x00byte"}},
        {"cookies": ["a=1\r\nX-Injected: yes"]},
        {"multiValueHeaders": {"x-a": ["ok", "bad\rX-Injected: yes"]}},
        {"headers": {"bad name": "x"}},
    ],
)
def test_invoke_refuses_headers_that_would_split_the_answer(
    cli: Cli, rie: HostileRie, fields: dict[str, Any]
) -> None:
    rie.on("/split", answer(lwa(200, **fields)))
    result = cli("invoke", "/split", "--endpoint", rie.endpoint)
    said = _failed_cleanly(result)
    assert "header" in said or "cookie" in said
    assert result.stdout == ""


# --- wrongly typed answers ----------------------------------------------------------------------

_DEEP = b"[" * 200_000 + b"]" * 200_000


@pytest.mark.parametrize(
    ("reply", "needle"),
    [
        (lwa(200, headers=["content-type", "text/plain"]), "headers is a list"),
        (lwa(200, headers={"x-a": {"nested": 1}}), "not a string"),
        (lwa(200, headers={"x-a": None}), "not a string"),
        (lwa(200, cookies=5), "cookies is a number"),
        (lwa(200, cookies="a=1"), "cookies is a string"),
        (lwa(200, cookies=[1, 2]), "not a string"),
        (lwa(200, multiValueHeaders={"x-a": "abc"}), "not a list"),
        (lwa(200, multiValueHeaders=[1]), "multiValueHeaders is a list"),
        (lwa(200, multiValueHeaders={"x-a": [{}]}), "not a string"),
        (lwa(200, headers={"x-snow": "\u2603"}), "not Latin-1"),
        (lwa(200, body={"a": 1}), "body is an object"),
        (lwa(200, body="é", isBase64Encoded=True), "not base64"),
        (lwa(200, isBase64Encoded="yes"), "isBase64Encoded"),
        ({"statusCode": "\u00b2\u00b2\u00b2"}, "statusCode"),
        (b'{"statusCode": 200, "body": "\\ud800"}', "surrogate"),
        (b'{"statusCode": 200, "headers": {"x-a": "\\udc80"}}', "Latin-1"),
        (b"1" * 5000, "usable JSON"),
        (_DEEP, "usable JSON"),
        (b"[" * 300 + b"]" * 300, "deeper than"),
        (b'{"errorType": ' + b"[" * 150 + b"]" * 150 + b"}", "function failed"),
    ],
)
def test_invoke_wrongly_typed_answers_are_clear_errors(
    cli: Cli, rie: HostileRie, reply: bytes | dict[str, Any], needle: str
) -> None:
    rie.on("/odd", answer(reply))
    said = _failed_cleanly(cli("invoke", "/odd", "--endpoint", rie.endpoint))
    assert needle in said


def test_invoke_json_of_a_deep_but_accepted_answer_prints(cli: Cli, rie: HostileRie) -> None:
    rie.on("/deep", answer(b"[" * 150 + b"]" * 150))
    result = cli("invoke", "/deep", "--json", "--endpoint", rie.endpoint)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("[") == 150


# --- the timeout is a deadline for the whole answer ---------------------------------------------

_HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 400\r\n\r\n"


@pytest.mark.parametrize(
    "behaviour",
    [
        hostile.drip(_HEAD + b"x" * 400, every=0.1),  # a byte every 100 ms: each read is quick
        hostile.drip(
            _HEAD.replace(b"\r\n\r\n", b"\r\nconnection: close\r\n\r\n") + b"x" * 400, every=0.1
        ),
        hostile.drip(_HEAD, every=0.2),  # the head itself trickles in
        hostile.silence(),
    ],
    ids=["drip-body", "drip-closing-body", "drip-head", "silence"],
)
def test_invoke_timeout_bounds_the_whole_answer(
    cli: Cli, rie: HostileRie, behaviour: hostile.Behaviour
) -> None:
    rie.on("/slow", behaviour)
    started = time.monotonic()
    result = cli("invoke", "/slow", "--timeout", "1", "--endpoint", rie.endpoint)
    elapsed = time.monotonic() - started
    said = _failed_cleanly(result)
    assert "did not answer within 1 s" in said
    assert elapsed < 3.5, f"took {elapsed:.1f} s with --timeout 1"


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "-inf", "1e999", "100000"])
def test_invoke_unusable_timeouts_exit_2(cli: Cli, value: str) -> None:
    said = _failed_cleanly(cli("invoke", "/", "--timeout", value), exit_code=2)
    assert "--timeout" in said


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://[::1",
        "http://127.0.0.1:99999",
        "http://127.0.0.1:port",
        "http://127.0.0.1:9000/a b",
        "http://127.0.0.1:9000/\x1b[2J",
        "http://127.0.0.1:9000/?x=1",
        "ftp://127.0.0.1",
    ],
)
def test_invoke_unusable_endpoints_exit_2(cli: Cli, endpoint: str) -> None:
    said = _failed_cleanly(cli("invoke", "/", "--endpoint", endpoint), exit_code=2)
    assert "--endpoint" in said


# --- redirects are reported, not followed -------------------------------------------------------


def test_invoke_reports_a_redirect_instead_of_following_it(cli: Cli, rie: HostileRie) -> None:
    target = f"{rie.endpoint}/elsewhere"

    def redirect(conn: Any) -> None:
        conn.sendall(hostile.http_answer(302, b"", extra=f"location: {target}\r\n".encode()))

    rie.on("/moved", redirect)
    said = _failed_cleanly(cli("invoke", "/moved", "--endpoint", rie.endpoint))
    assert "redirect" in said
    assert "302" in said
    assert target in said
    assert rie.requests == 1, "the redirect was followed"


def test_invoke_still_prints_a_plain_answer(cli: Cli, rie: HostileRie) -> None:
    rie.on(
        "/fine",
        answer(lwa(200, headers={"content-type": "text/plain", "x-tab": "a\tb"}, body="hi")),
    )
    result = cli("invoke", "/fine", "--endpoint", rie.endpoint)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:3] == [
        "HTTP/1.1 200 OK",
        "content-type: text/plain",
        "x-tab: a\tb",
    ]
    assert result.stdout.endswith("\n\nhi")
