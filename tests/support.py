"""Helpers shared by the tests: free ports, processes stopped by PID, bounded HTTP waits."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaffold.generator.frameworks import BLUEPRINTS

REQUIRE_TOOLCHAINS = os.environ.get("LAMBDA_SCAFFOLD_REQUIRE_TOOLCHAINS") == "1"
# Every framework of the registry, and what the tests know per language (not per framework), so
# a framework added to the registry is tested by every module without an edit here.
FRAMEWORKS = [bp.framework.value for bp in BLUEPRINTS]
LANGUAGE = {bp.framework.value: bp.language for bp in BLUEPRINTS}
TOOLS_BY_LANGUAGE = {"Go": ["go"], "Python": ["python3"], "Node.js": ["node", "npm"]}
TOOLS = {name: TOOLS_BY_LANGUAGE[language] for name, language in LANGUAGE.items()}


def of_language(language: str) -> list[str]:
    """The registry's frameworks written in language ("Go", "Python", "Node.js")."""
    return [name for name, lang in LANGUAGE.items() if lang == language]


def require(*tools: str) -> None:
    """Skip (or, where toolchains are required, fail) when a tool is not on PATH."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        reason = f"needs {', '.join(missing)} on PATH"
        if REQUIRE_TOOLCHAINS:
            pytest.fail(f"{reason} (LAMBDA_SCAFFOLD_REQUIRE_TOOLCHAINS=1 forbids skipping)")
        pytest.skip(reason)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class HttpAnswer:
    """A plain HTTP answer."""

    status: int
    body: bytes
    headers: dict[str, str]


def http(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> HttpAnswer:
    """Send one HTTP request; 4xx and 5xx are answers, not exceptions."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HttpAnswer(response.status, response.read(), dict(response.headers.items()))
    except urllib.error.HTTPError as err:
        return HttpAnswer(err.code, err.read(), dict(err.headers.items()))


def wait_http(url: str, *, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Poll url until it answers 200, at most timeout seconds, failing early if process died."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(
                f"the process exited with {process.returncode} before {url} answered"
            )
        try:
            if http("GET", url, timeout=2).status == 200:
                return
        except OSError as err:
            last = str(err)
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer 200 within {timeout} s ({last})")


@contextlib.contextmanager
def running(
    argv: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Start argv in its own process group; on exit stop the group by PID (TERM, then KILL)."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            stop_group(process, grace=5.0)


def stop_group(process: subprocess.Popen[bytes], *, grace: float) -> int | None:
    """Send SIGTERM to the process group, wait up to grace seconds, then SIGKILL it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        return process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
        return None


def group_alive(pgid: int) -> bool:
    """Tell whether any process of the group is still alive."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run(
    argv: Sequence[str], *, cwd: Path, timeout: float = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion; fail the test with its output when it fails."""
    result = subprocess.run(
        list(argv),
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(argv)} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n"
            f"{result.stderr[-4000:]}"
        )
    return result


def stream_lines(url: str, *, timeout: float) -> list[tuple[str, float]]:
    """GET url and return each line of the body with the time it arrived."""
    arrivals: list[tuple[str, float]] = []
    with urllib.request.urlopen(url, timeout=timeout) as response:
        assert response.status == 200
        while True:
            line = response.readline()
            if not line:
                break
            arrivals.append((line.decode().rstrip("\n"), time.monotonic()))
    return arrivals


def said(result: Any) -> str:
    """A CLI result's stderr with rich's line wrapping undone."""
    return " ".join(str(result.stderr).split())


def answers_of(project: Path) -> dict[str, object]:
    """The parsed .copier-answers.yml of a rendered project."""
    data = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert isinstance(data, dict)
    return data
