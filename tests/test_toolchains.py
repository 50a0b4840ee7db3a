"""Each rendered project passes real linters, its own tests, and serves HTTP natively."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import support

pytestmark = [pytest.mark.toolchain, pytest.mark.slow]
FRAMEWORKS = support.FRAMEWORKS
LANGUAGE_TOOLS = support.TOOLS
Render = Callable[..., Path]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    local = BIN / name
    return str(local) if local.exists() else name


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_template_and_dockerfile_lint_clean(render_project: Render, framework: str) -> None:
    support.require(_tool("hadolint"), _tool("cfn-lint"), _tool("check-jsonschema"))
    project = render_project(framework, name="lint-me")
    support.run([_tool("hadolint"), "--failure-threshold", "warning", "Dockerfile"], cwd=project)
    support.run([_tool("cfn-lint"), "template.yaml"], cwd=project)
    support.run(
        [
            _tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            "docker-compose.yml",
        ],
        cwd=project,
    )


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_project_lints_tests_and_serves(
    render_project: Render, framework: str, tmp_path: Path
) -> None:
    support.require("make", *LANGUAGE_TOOLS[framework])
    project = render_project(framework, name="toolchain-demo", port=8123)
    support.run(["make", "lint"], cwd=project)
    support.run(["make", "test"], cwd=project)
    port = support.free_port()
    base = f"http://127.0.0.1:{port}"
    with support.running(
        ["make", "run"], cwd=project, env={"PORT": str(port)}, log=tmp_path / "run.log"
    ) as process:
        support.wait_http(f"{base}/healthz", timeout=120, process=process)
        assert support.http("GET", f"{base}/healthz").status == 200
        home = support.http("GET", f"{base}/?name=CI")
        assert home.status == 200
        assert b"Hello, CI!" in home.body
        assert support.http("GET", f"{base}/no-such-route").status == 404
        echoed = support.http(
            "POST",
            f"{base}/echo?a=1",
            body=b'{"x":1}',
            headers={"Content-Type": "application/json", "Cookie": "theme=dark"},
        )
        assert echoed.status == 200
        assert b'"theme":"dark"' in echoed.body.replace(b" ", b"")
        os.killpg(process.pid, signal.SIGTERM)
        started = time.monotonic()
        process.wait(timeout=10)
        deadline = started + 10
        while support.group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not support.group_alive(process.pid), "the app outlived SIGTERM"
        elapsed = time.monotonic() - started
    log = (tmp_path / "run.log").read_text(errors="replace")
    assert re.search(r"shutting down", log, re.IGNORECASE), log
    assert elapsed < 10


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_streaming_route_streams(render_project: Render, framework: str, tmp_path: Path) -> None:
    support.require("make", *LANGUAGE_TOOLS[framework])
    project = render_project(framework, name="stream-demo", stream=True)
    support.run(["make", "test"], cwd=project)
    port = support.free_port()
    with support.running(
        ["make", "run"], cwd=project, env={"PORT": str(port)}, log=tmp_path / "run.log"
    ) as process:
        support.wait_http(f"http://127.0.0.1:{port}/healthz", timeout=120, process=process)
        arrivals = support.stream_lines(f"http://127.0.0.1:{port}/stream", timeout=15)
    assert [line for line, _ in arrivals] == [f"chunk {i}" for i in range(1, 6)]
    spread = arrivals[-1][1] - arrivals[0][1]
    assert spread >= 0.6, f"chunks arrived together ({spread:.2f} s): the route does not flush"
