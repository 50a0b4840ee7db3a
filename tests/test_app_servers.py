"""Each generated app's server, natively (``make run``): keep-alive and header timeout.

The Lambda-side check of the keep-alive (a frozen environment) is in
``test_lambda_lifecycle.py``.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scaffold.blueprints import BLUEPRINTS
from tests import support

pytestmark = [pytest.mark.toolchain, pytest.mark.slow]
FRAMEWORKS = [bp.framework.value for bp in BLUEPRINTS]
GO_FRAMEWORKS = ["echo", "gin"]
LANGUAGE_TOOLS = {"echo": ["go"], "gin": ["go"], "flask": ["python3"], "express": ["node", "npm"]}
# Idle longer than the adapter's 4 s pool idle timeout, with a margin.
IDLE = 6.0
READ_HEADER_TIMEOUT = 10.0
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
