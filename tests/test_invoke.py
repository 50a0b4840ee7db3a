"""`invoke` and `serve` against a scripted stand-in for RIE: outputs, exit codes, HTTP mapping."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from scaffold.lambda_local import serve
from scaffold.lambda_local.rie_client import INVOKE_PATH, invocation_url
from tests import support
from tests.lambda_chain import Fetched, fetch

Cli = Callable[..., Result]
Reply = tuple[int, bytes]


class FakeRie:
    """Answers each invocation with the next scripted reply and remembers the events."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.events: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                fake.events.append(json.loads(self.rfile.read(length)))
                status, body = fake.replies.pop(0) if fake.replies else (200, b"")
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                del format, args

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def reply(self, body: dict[str, Any] | bytes, status: int = 200) -> None:
        self.replies.append(
            (status, body if isinstance(body, bytes) else json.dumps(body).encode())
        )


@pytest.fixture
def rie() -> Iterator[FakeRie]:
    fake = FakeRie()
    thread = threading.Thread(target=fake.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    thread.join(timeout=5)


def _lwa(status: int = 200, **fields: Any) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {},
        "multiValueHeaders": {},
        "body": "",
        "isBase64Encoded": False,
        "cookies": [],
        **fields,
    }


# --- invoke ----------------------------------------------------------------------------------


def test_invoke_prints_the_answer_as_http(cli: Cli, rie: FakeRie) -> None:
    rie.reply(
        _lwa(
            201,
            headers={"content-type": "application/json"},
            body='{"ok":true}',
            cookies=["a=1; Path=/", "b=2"],
        )
    )
    result = cli(
        "invoke", "-H", "X-Trace: 7", "-d", '{"n": 1}', "/echo?x=1", "--endpoint", rie.endpoint
    )
    assert result.exit_code == 0, result.output
    head, _, body = result.stdout.partition("\n\n")
    assert head.splitlines() == [
        "HTTP/1.1 201 Created",
        "content-type: application/json",
        "set-cookie: a=1; Path=/",
        "set-cookie: b=2",
    ]
    assert body == '{"ok":true}'
    event = rie.events[0]
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["rawQueryString"] == "x=1"
    assert event["headers"]["x-trace"] == "7"
    assert event["body"] == '{"n": 1}'
    assert "answered by" in result.stderr


def test_invoke_json_prints_the_raw_answer(cli: Cli, rie: FakeRie) -> None:
    rie.reply(_lwa(404, body="nope"))
    result = cli("invoke", "GET", "/missing", "--json", "--endpoint", rie.endpoint)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["statusCode"] == 404


def test_invoke_sends_an_event_file_as_it_is(cli: Cli, rie: FakeRie, tmp_path: Path) -> None:
    event = {
        "version": "2.0",
        "rawPath": "/hello",
        "rawQueryString": "",
        "headers": {},
        "requestContext": {"http": {"method": "DELETE"}},
        "custom": 1,
    }
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    rie.reply(_lwa(204))
    result = cli("invoke", "--event", str(path), "--endpoint", rie.endpoint)
    assert result.exit_code == 0, result.output
    assert rie.events == [event]


@pytest.mark.parametrize(
    ("reply", "status", "needle"),
    [
        (
            {"errorType": "Runtime.ExitError", "errorMessage": "exit status 3"},
            502,
            "runtime exited",
        ),
        (
            {"errorType": "Boom", "errorMessage": "client error (SendRequest)"},
            200,
            "function failed",
        ),
        (b"Task timed out after 3.00 seconds", 200, "timed out"),
    ],
)
def test_invoke_function_errors_exit_1(
    cli: Cli, rie: FakeRie, reply: dict[str, Any] | bytes, status: int, needle: str
) -> None:
    rie.reply(reply, status)
    result = cli("invoke", "/", "--endpoint", rie.endpoint)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert needle in result.stderr
    assert "hint:" in result.stderr


def test_invoke_nothing_listening_exits_1_with_a_hint(cli: Cli) -> None:
    endpoint = f"http://127.0.0.1:{support.free_port()}"
    result = cli("invoke", "/", "--endpoint", endpoint)
    assert result.exit_code == 1
    assert f"nothing listens on {endpoint}" in result.stderr
    assert "make up" in result.stderr
    assert "docker compose up lambda" in result.stderr


@pytest.mark.parametrize("content", ["{not json", "[]", '{"rawPath": "/"}'])
def test_invoke_bad_event_file_exits_2(cli: Cli, tmp_path: Path, content: str) -> None:
    path = tmp_path / "event.json"
    path.write_text(content)
    result = cli("invoke", "--event", str(path))
    assert result.exit_code == 2
    assert str(path) in result.stderr.replace("\n", "")


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["GET", "/", "extra"],
        ["/", "-H", "no colon"],
        ["--event", "missing.json"],
        ["/", "--endpoint", "ftp://host"],
        ["/x", "--event", "e.json"],
    ],
)
def test_invoke_bad_usage_exits_2(cli: Cli, args: list[str]) -> None:
    result = cli("invoke", *args)
    assert result.exit_code == 2, result.output
    assert "error:" in result.stderr


def test_invocation_url() -> None:
    assert invocation_url("http://h:9000/") == f"http://h:9000{INVOKE_PATH}"
    assert invocation_url(f"http://h:9000{INVOKE_PATH}") == f"http://h:9000{INVOKE_PATH}"


# --- serve -----------------------------------------------------------------------------------


@pytest.fixture
def gateway(rie: FakeRie) -> Iterator[tuple[str, int, list[str]]]:
    lines: list[str] = []
    server = serve.make_server(port=0, endpoint=rie.endpoint, timeout=10, log=lines.append)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield "127.0.0.1", server.server_address[1], lines
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _request(
    address: tuple[str, int, list[str]],
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Fetched:
    return fetch(
        method, f"http://{address[0]}:{address[1]}{path}", body=body, headers=headers, timeout=10
    )


def _first_log_line(gateway: tuple[str, int, list[str]]) -> str:
    """The server logs a request after its response is sent: wait for the line, at most 5 s."""
    deadline = time.monotonic() + 5
    while not gateway[2] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert gateway[2], "the server logged no request"
    return gateway[2][0]


def test_serve_maps_the_answer_to_http(rie: FakeRie, gateway: tuple[str, int, list[str]]) -> None:
    rie.reply(
        _lwa(
            200,
            headers={
                "content-type": "application/octet-stream",
                "connection": "keep-alive",
                "keep-alive": "timeout=5",
                "transfer-encoding": "chunked",
                "content-length": "999",
            },
            body="AAEC/w==",
            isBase64Encoded=True,
            cookies=["a=1", "b=2; HttpOnly"],
        )
    )
    response = _request(
        gateway,
        "POST",
        "/upload?x=1",
        body=b"\xff\x00",
        headers={"Content-Type": "application/octet-stream", "Cookie": "c=3; d=4"},
    )
    assert response.status == 200
    assert response.body == bytes([0, 1, 2, 255])
    names = [name.lower() for name, _ in response.headers]
    assert "keep-alive" not in names
    assert "transfer-encoding" not in names
    assert response.values("content-length") == ["4"]
    assert response.values("set-cookie") == ["a=1", "b=2; HttpOnly"]
    event = rie.events[0]
    assert event["cookies"] == ["c=3", "d=4"]
    assert event["isBase64Encoded"] is True
    assert event["rawPath"] == "/upload"
    assert event["headers"]["x-forwarded-proto"] == "http"
    assert '"POST /upload?x=1" 200' in _first_log_line(gateway)


def test_serve_sends_no_body_with_204(rie: FakeRie, gateway: tuple[str, int, list[str]]) -> None:
    rie.reply(_lwa(204, headers={"x-done": "1"}))
    response = _request(gateway, "DELETE", "/item/1")
    assert (response.status, response.body) == (204, b"")
    assert response.values("content-length") == []
    assert response.values("x-done") == ["1"]


def test_serve_answers_502_on_function_errors(
    rie: FakeRie, gateway: tuple[str, int, list[str]]
) -> None:
    rie.reply(b"Task timed out after 3.00 seconds")
    response = _request(gateway, "GET", "/slow")
    assert response.status == 502
    assert b"timed out" in response.body
    assert "502" in _first_log_line(gateway)


def test_serve_answers_502_when_rie_is_down() -> None:
    lines: list[str] = []
    dead = f"http://127.0.0.1:{support.free_port()}"
    server = serve.make_server(port=0, endpoint=dead, timeout=5, log=lines.append)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        response = _request(("127.0.0.1", server.server_address[1], lines), "GET", "/")
        assert response.status == 502
        assert b"nothing listens" in response.body
    finally:
        server.shutdown()
        server.server_close()


def test_serve_port_in_use_is_a_clear_error(cli: Cli) -> None:
    with socket_bound() as port:
        result = cli("serve", "--port", str(port))
    assert result.exit_code == 1
    assert "cannot listen" in result.stderr


class socket_bound:  # noqa: N801 - used as a context manager
    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        port: int = self.sock.getsockname()[1]
        return port

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
