"""`serve` between hostile peers: a fake RIE with crafted answers and raw-socket clients.

The server runs as the real CLI in a subprocess (stopped by PID); the bounds that take long with
their defaults (idle time) also run through the library entry with small values.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scaffold.lambda_local import serve
from scaffold.lambda_local.request_body import MAX_BODY
from tests import hostile, support
from tests.hostile import HostileRie, answer, lwa, raw_exchange

SERVE_TIMEOUT = 2  # --timeout of the served process: healthy answers take milliseconds


@dataclass
class Served:
    """A running `lambda-scaffold serve` process and its fake RIE."""

    process: subprocess.Popen[bytes]
    port: int
    rie: HostileRie
    log: Path

    def log_line(self, needle: str, *, within: float = 5.0) -> str:
        """The first log line holding needle, waiting for it at most within seconds."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for line in self.log.read_text(errors="replace").splitlines():
                if needle in line:
                    return line
            time.sleep(0.02)
        raise AssertionError(f"no log line holds {needle!r}:\n{self.log.read_text()[-3000:]}")


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, "serve exited before it listened"
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise AssertionError("serve did not listen within 20 s")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("serve")
    port = support.free_port()
    with HostileRie().running() as rie:
        argv = [
            sys.executable,
            "-m",
            "scaffold",
            "serve",
            "--port",
            str(port),
            "--endpoint",
            rie.endpoint,
            "--timeout",
            str(SERVE_TIMEOUT),
        ]
        log = folder / "serve.log"
        with support.running(argv, cwd=folder, log=log, env={"NO_COLOR": "1"}) as process:
            _wait_listening(port, process)
            yield Served(process, port, rie, log)


def _get(path: str, method: str = "GET", extra: bytes = b"") -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: x\r\n".encode() + extra + b"\r\n"


_paths = iter(range(1_000_000))


def _path(prefix: str) -> str:
    """A path no other test uses, so that the fake RIE's behaviour and the log line are ours."""
    return f"/{prefix}/{next(_paths)}"


# --- defect: response splitting -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "fields"),
    [
        ("GET", {"headers": {"x-a": "1\r\nX-Injected: yes"}}),
        ("GET", {"headers": {"x-a\r\nX-Injected": "yes"}}),
        ("GET", {"headers": {"x-a": "1\nX-Injected: yes"}}),
        ("GET", {"cookies": ["a=1\r\nX-Injected: yes"]}),
        ("GET", {"multiValueHeaders": {"set-cookie": ["a=1\r\nX-Injected: yes"]}}),
        ("HEAD", {"headers": {"content-length": "5\r\nX-Injected: yes"}}),
        ("GET", {"headers": {"x-a": "\x1b[2J"}}),
    ],
)
def test_serve_never_splits_the_response(
    served: Served, method: str, fields: dict[str, Any]
) -> None:
    path = served.rie.on(_path("split"), answer(lwa(200, **fields)))
    reply = raw_exchange(served.port, _get(path, method))
    assert reply.status == 502, reply
    assert b"x-injected" not in reply.header_names()
    assert b"\x1b" not in reply.head
    line = served.log_line(path)
    assert " 502 " in line
    assert "control character" in line or "HTTP cannot carry" in line


def test_serve_head_with_a_bad_declared_length_sends_the_real_one(served: Served) -> None:
    path = served.rie.on(
        _path("head"), answer(lwa(200, headers={"content-length": "lots"}, body="four"))
    )
    reply = raw_exchange(served.port, _get(path, "HEAD"), timeout=0.5)
    assert reply.status == 200
    assert b"content-length: 4" in reply.head.lower()


# --- defect: wrongly typed answers --------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        lwa(200, headers=["content-type", "text/plain"]),
        lwa(200, cookies=5),
        lwa(200, multiValueHeaders={"x-a": "abc"}),
        lwa(200, multiValueHeaders={"x-a": [["nested"]]}),
        lwa(200, headers={"x-snow": "\u2603"}),
        lwa(200, body=["a"]),
        b"[" * 200_000 + b"]" * 200_000,
        b'{"statusCode": 200, "body": "\\ud800"}',
        lwa(101),
    ],
)
def test_serve_wrongly_typed_answers_are_502_with_a_log_line(
    served: Served, reply: bytes | dict[str, Any]
) -> None:
    path = served.rie.on(_path("odd"), answer(reply))
    got = raw_exchange(served.port, _get(path))
    assert got.status == 502, got
    assert b"hint" not in got.head
    assert got.body.strip(), "the 502 says why"
    assert " 502 " in served.log_line(path)


def test_serve_keeps_serving_after_hostile_answers(served: Served) -> None:
    bad = served.rie.on(_path("bad"), answer(lwa(200, headers={"x": "\u2603"})))
    good = served.rie.on(_path("good"), answer(lwa(200, body="fine")))
    assert raw_exchange(served.port, _get(bad)).status == 502
    reply = raw_exchange(served.port, _get(good, extra=b"Connection: close\r\n"))
    assert (reply.status, reply.body) == (200, b"fine")


# --- defect: request bodies over the Function URL limit or badly framed -------------------------

_CHUNKED = b"Transfer-Encoding: chunked\r\n"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"-1\r\n" + b"x" * 65536, 400),
        (b"+5\r\nhello\r\n0\r\n\r\n", 400),
        (b"0x5\r\nhello\r\n0\r\n\r\n", 400),
        (b"5 5\r\nhello\r\n0\r\n\r\n", 400),
        (b"\r\n", 400),
        (b"5\r\nhelloEXTRA\r\n0\r\n\r\n", 400),
        (b"f" * 2000 + b"\r\n", 400),
        (b"ffffffffffffffffffff\r\n", 413),
        (f"{MAX_BODY + 1:x}\r\n".encode(), 413),
    ],
)
def test_serve_refuses_bad_chunked_bodies_at_once(served: Served, body: bytes, status: int) -> None:
    reply = raw_exchange(served.port, _get("/upload", "POST", _CHUNKED) + body, timeout=4)
    assert reply.status == status, reply
    assert reply.seconds < 3


def test_serve_many_small_chunks_stop_at_the_limit(served: Served) -> None:
    chunk = b"x" * 65536
    count = MAX_BODY // len(chunk) + 1
    body = b"".join(b"10000\r\n" + chunk + b"\r\n" for _ in range(count)) + b"0\r\n\r\n"
    reply = raw_exchange(served.port, _get("/upload", "POST", _CHUNKED) + body, timeout=8)
    assert reply.status == 413, reply
    assert b"6 MB" in reply.body


def test_serve_passes_a_well_formed_chunked_body(served: Served) -> None:
    path = served.rie.on(_path("chunked"), answer(lwa(200)))
    body = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"
    headers = _CHUNKED + b"Content-Type: text/plain\r\nConnection: close\r\n"
    reply = raw_exchange(served.port, _get(path, "POST", headers) + body)
    assert reply.status == 200, reply
    event = next(e for e in served.rie.events if e.get("rawPath") == path)
    assert event["body"] == "hello world"
    assert event["headers"]["content-length"] == "11"
    assert "transfer-encoding" not in event["headers"]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (b"Content-Length: -1\r\n", 400),
        (b"Content-Length: +5\r\n", 400),
        (b"Content-Length: 1_0\r\n", 400),
        (b"Content-Length: 5\r\nContent-Length: 6\r\n", 400),
        (b"Content-Length: 5\r\n" + _CHUNKED, 400),
        (b"Content-Length: 99999999999999999999999999\r\n", 400),
        (f"Content-Length: {MAX_BODY + 1}\r\n".encode(), 413),
        (b"Transfer-Encoding: gzip\r\n", 501),
        (b"Transfer-Encoding: gzip, chunked\r\n", 501),
    ],
)
def test_serve_refuses_bad_body_framing(served: Served, headers: bytes, status: int) -> None:
    reply = raw_exchange(served.port, _get("/upload", "POST", headers) + b"hello", timeout=4)
    assert reply.status == status, reply
    assert reply.seconds < 3


# --- client errors are 400, not 502 ---------------------------------------------------------------


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET * HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET nopath HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX(a): 1\r\n\r\n",
    ],
)
def test_serve_answers_400_for_malformed_requests(served: Served, request_bytes: bytes) -> None:
    reply = raw_exchange(served.port, request_bytes)
    assert reply.status == 400, reply


def test_serve_accepts_an_absolute_form_target(served: Served) -> None:
    path = served.rie.on(_path("abs"), answer(lwa(200, body="ok")))
    reply = raw_exchange(served.port, _get(f"http://example.com{path}?q=1"))
    assert reply.status == 200, reply
    event = next(e for e in served.rie.events if e.get("rawPath") == path)
    assert event["rawQueryString"] == "q=1"


# --- defect: --timeout is a deadline; bad flags exit 2 ------------------------------------------


def test_serve_timeout_bounds_a_drip_fed_answer(served: Served) -> None:
    head = b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n"
    path = served.rie.on(_path("drip"), hostile.drip(head + b"x" * 100, every=0.1))
    reply = raw_exchange(served.port, _get(path), timeout=8)
    assert reply.status == 502, reply
    assert f"did not answer within {SERVE_TIMEOUT} s".encode() in reply.body
    assert reply.seconds < SERVE_TIMEOUT + 1.5


def _serve_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scaffold", "serve", *args],
        capture_output=True,
        text=True,
        timeout=15,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--timeout", "-1"],
        ["--timeout", "0"],
        ["--timeout", "nan"],
        ["--timeout", "inf"],
        ["--port", "99999"],
        ["--port", "-1"],
        ["--endpoint", "http://[::1"],
        ["--host", "bad host"],
    ],
)
def test_serve_unusable_flags_exit_2_with_a_hint(args: list[str]) -> None:
    result = _serve_cli("--port", str(support.free_port()), *args)
    assert result.returncode == 2, result.stderr
    assert "error:" in result.stderr
    assert "hint:" in result.stderr
    assert "Traceback" not in result.stderr
    assert args[0] in result.stderr


@pytest.mark.parametrize("host", ["bad..host", "no-such-host.invalid", "192.0.2.1"])
def test_serve_bad_host_names_the_host(host: str) -> None:
    result = _serve_cli("--host", host, "--port", str(support.free_port()))
    said = " ".join(result.stderr.split())
    assert result.returncode == 1, said
    assert f"the host {host!r}" in said
    assert "--port" not in said.partition("hint:")[2]
    assert "--host" in said.partition("hint:")[2]
    assert "Traceback" not in said


# --- defect: idle clients, bounded threads, a real backlog --------------------------------------


@pytest.fixture
def quick_server() -> Iterator[tuple[int, list[str]]]:
    """The library entry with small bounds: idle 0.5 s, 2 workers, 0.3 s queue wait."""
    with HostileRie().running() as rie:
        lines: list[str] = []
        server = serve.make_server(
            port=0,
            endpoint=rie.endpoint,
            timeout=5,
            log=lines.append,
            idle_timeout=0.5,
            max_workers=2,
            queue_wait=0.3,
        )
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield server.server_address[1], lines
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        return sock.recv(1024) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


@pytest.mark.parametrize("sent", [b"", b"GET / HTTP/1.1\r\nHost: x\r\n"])
def test_serve_closes_idle_connections(quick_server: tuple[int, list[str]], sent: bytes) -> None:
    with socket.create_connection(("127.0.0.1", quick_server[0]), timeout=5) as sock:
        sock.sendall(sent)
        assert _closed_within(sock, 3), "an idle client kept its connection"


def test_serve_bounds_its_workers_with_a_quick_503(quick_server: tuple[int, list[str]]) -> None:
    port, lines = quick_server
    idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(2)]
    try:
        time.sleep(0.1)
        reply = raw_exchange(port, _get("/", extra=b"Connection: close\r\n"), timeout=3)
        assert reply.status == 503, reply
        assert reply.seconds < 1.5
        # The log line is written after the answer is sent: wait for it, bounded.
        deadline = time.monotonic() + 5
        while not any("503" in line for line in lines) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert any("503" in line for line in lines), lines
    finally:
        for sock in idle:
            sock.close()
    time.sleep(0.1)
    assert raw_exchange(port, _get("/", extra=b"Connection: close\r\n")).status == 200


def test_serve_with_defaults_refuses_past_its_worker_bound(served: Served) -> None:
    idle = [
        socket.create_connection(("127.0.0.1", served.port), timeout=5)
        for _ in range(serve.MAX_WORKERS)
    ]
    try:
        time.sleep(0.3)
        reply = raw_exchange(served.port, _get("/", extra=b"Connection: close\r\n"), timeout=6)
        assert reply.status == 503, reply
        assert reply.seconds < serve.QUEUE_WAIT + 1.5
    finally:
        for sock in idle:
            sock.close()
    time.sleep(0.2)
    assert raw_exchange(served.port, _get("/", extra=b"Connection: close\r\n")).status == 200


def test_serve_backlog_holds_a_burst_while_it_is_stopped(served: Served) -> None:
    """SIGSTOP the server: only the listen backlog can take the connections; SIGCONT serves them."""

    def connect(_: int) -> socket.socket | None:
        try:
            return socket.create_connection(("127.0.0.1", served.port), timeout=1)
        except OSError:
            return None

    os.kill(served.process.pid, signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(max_workers=100) as pool:
            socks = list(pool.map(connect, range(100)))
    finally:
        os.kill(served.process.pid, signal.SIGCONT)
    connected = [sock for sock in socks if sock is not None]
    try:
        assert len(connected) == 100, f"only {len(connected)} of 100 connections were accepted"
        started = time.monotonic()
        for sock in connected:
            sock.sendall(_get("/", extra=b"Connection: close\r\n"))
        for sock in connected:
            sock.settimeout(5)
            assert sock.recv(12).startswith(b"HTTP/1.1 200")
        assert time.monotonic() - started < 5
    finally:
        for sock in connected:
            sock.close()


@pytest.mark.slow
def test_serve_with_defaults_closes_an_idle_client(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        assert _closed_within(sock, serve.IDLE_TIMEOUT + 3)


def test_serve_log_lines_stay_one_line(served: Served) -> None:
    reply = raw_exchange(served.port, b"GET /\x1b[2Jx HTTP/1.1\r\nHost: x\r\n\r\n")
    assert reply.status in {200, 400}
    line = served.log_line("\\x1b[2Jx")
    assert "\x1b" not in line
    assert json.dumps(line)  # one printable line
