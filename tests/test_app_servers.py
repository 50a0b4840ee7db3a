"""Each generated app's server, natively (``make run``): access log, keep-alive, header timeout.

The Lambda-side checks of the same settings (a frozen environment, the request id from the
adapter) are in ``test_lambda_lifecycle.py``.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import access_log, support

pytestmark = [pytest.mark.toolchain, pytest.mark.slow]
FRAMEWORKS = support.FRAMEWORKS
GO_FRAMEWORKS = support.of_language("Go")
LANGUAGE_TOOLS = support.TOOLS
# Idle longer than the adapter's 4 s pool idle timeout, with a margin.
IDLE = 6.0
READ_HEADER_TIMEOUT = 10.0
LAMBDA_CONTEXT = {
    "request_id": "0c3f6d1e-native-test",
    "deadline": 1767268830000,
    "invoked_function_arn": "arn:aws:lambda:us-east-1:123456789012:function:demo",
    "xray_trace_id": None,
    "client_context": None,
    "identity": None,
    "tenant_id": None,
    "env_config": {"function_name": "demo", "memory": 512, "version": "$LATEST"},
}
Render = Callable[..., Path]


@dataclass
class Served:
    """A project running natively with `make run`."""

    framework: str
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def _serve(render_project: Render, framework: str, log: Path) -> Iterator[Served]:
    support.require("make", *LANGUAGE_TOOLS[framework])
    project = render_project(framework, name="servers-demo", stream=True)
    port = support.free_port()
    with support.running(["make", "run"], cwd=project, env={"PORT": str(port)}, log=log) as proc:
        support.wait_http(f"http://127.0.0.1:{port}/healthz", timeout=180, process=proc)
        yield Served(framework, port, log)


def _get(connection: http.client.HTTPConnection, target: str) -> bytes:
    connection.request("GET", target)
    response = connection.getresponse()
    body = response.read()
    assert response.status == 200, (response.status, body)
    return body


def _seconds_until_closed(port: int, partial: bytes, limit: float) -> float | None:
    """Send an incomplete request head; return when the server closes, or None within limit."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=limit) as sock:
        sock.sendall(partial)
        try:
            while sock.recv(4096):
                pass  # e.g. a 408 answer before the close
        except TimeoutError:
            return None
        except ConnectionResetError:
            pass
    return time.monotonic() - started


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_one_json_access_log_line_per_request(
    render_project: Render, framework: str, tmp_path: Path
) -> None:
    with _serve(render_project, framework, tmp_path / "run.log") as served:
        base = served.base
        context = json.dumps(LAMBDA_CONTEXT, separators=(",", ":"))
        requests: list[tuple[str, str, dict[str, str], int]] = [
            ("GET", "/?name=log", {}, 200),
            ("POST", "/echo?a=1", {"Content-Type": "application/json"}, 200),
            ("GET", "/healthz", {}, 200),
            ("GET", "/nope/caf%C3%A9", {}, 404),
            ("GET", "/?name=lambda", {"x-amzn-lambda-context": context}, 200),
            ("GET", "/?name=odd", {"x-amzn-lambda-context": "not json"}, 200),
        ]
        for method, target, headers, status in requests:
            body = b"{}" if method == "POST" else None
            answer = support.http(method, base + target, body=body, headers=headers)
            assert answer.status == status, (target, answer.status, answer.body)
        assert [line for line, _ in support.stream_lines(f"{base}/stream", timeout=15)]
        text = access_log.wait_for(served.log, lambda text: len(access_log.entries(text)) >= 6)
    lines = access_log.entries(text)
    for entry in lines:
        access_log.check(entry)
    seen = [(e["method"], e["path"], e["status"], e["request_id"]) for e in lines]
    assert seen == [
        ("GET", "/", 200, None),
        ("POST", "/echo", 200, None),
        ("GET", "/nope/café", 404, None),
        ("GET", "/", 200, LAMBDA_CONTEXT["request_id"]),
        ("GET", "/", 200, None),
        ("GET", "/stream", 200, None),
    ], text
    # Logged once the response is complete: the streamed one took its five chunks' time.
    assert lines[-1]["duration_ms"] >= 700, lines[-1]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_idle_connection_outlasts_the_adapters_pool(
    render_project: Render, framework: str, tmp_path: Path
) -> None:
    with _serve(render_project, framework, tmp_path / "run.log") as served:
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
        try:
            _get(connection, "/?name=first")
            assert connection.sock is not None
            local = connection.sock.getsockname()
            time.sleep(IDLE)
            try:
                _get(connection, "/?name=second")
            except (http.client.HTTPException, OSError) as err:
                pytest.fail(f"the app closed a connection idle for {IDLE} s: {err!r}")
            assert connection.sock is not None and connection.sock.getsockname() == local
        finally:
            connection.close()


@pytest.mark.parametrize("framework", GO_FRAMEWORKS)
def test_go_servers_time_out_a_slow_request_head(
    render_project: Render, framework: str, tmp_path: Path
) -> None:
    with _serve(render_project, framework, tmp_path / "run.log") as served:
        partial = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"  # the head never ends
        closed_after = _seconds_until_closed(served.port, partial, READ_HEADER_TIMEOUT + 5)
    assert closed_after is not None, "the server kept waiting for the request head"
    assert READ_HEADER_TIMEOUT - 1 <= closed_after <= READ_HEADER_TIMEOUT + 2, closed_after
