"""``make dev`` in every generated project: the new code answers soon after a save, a syntax error
does not end the loop, and SIGTERM stops every process it started.

What each watcher does while the code does not build, as asserted below:

- Go (air): the build fails, air prints the compiler error and starts the last good binary
  again, so the previous app keeps answering.
- Python (watchfiles restarting Flask's server; uvicorn's reloader) and Node.js (``node --watch``):
  the app's process ends with the error and the watcher waits for the next save; until then
  nothing answers (uvicorn's reloader keeps the listening socket, so a request waits instead of
  being refused).

The save-to-answer times are printed (``pytest -s``): the speed goals are measured in a bench,
only a generous bound is asserted here.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result

from tests import docker_context, gitrepo, lambda_binaries, support

FRAMEWORKS = support.FRAMEWORKS
GO_FRAMEWORKS = support.of_language("Go")
# The first `make dev` installs the dependencies (a venv, npm ci, or air itself) and builds.
START_TIMEOUT = 300.0
# Save-to-answer bound; the goals (1 s for Python and Node.js, 3 s for Go) are the bench's.
RELOAD_BOUND = 15.0
# The watchers arm themselves while the app starts: a save right at start-up may go unseen.
SETTLE = 1.0
GREETING = "Hello, "


@dataclass(frozen=True)
class Language:
    """How a language's project breaks and what its watcher does then."""

    source: str
    # Appended to the source, it no longer compiles (Go) or imports (Python, Node.js).
    broken: str
    # What the compiler or the runtime prints for it, once per save.
    error: str
    # Whether the previous app keeps answering while the code is broken.
    keeps_serving: bool
    # What the app logs once its graceful shutdown is done, when the watcher restarts it (the
    # Python apps log none of their own).
    stopped: str | None


LANGUAGES = {
    "Go": Language("main.go", "\nfunc broken( {\n", "syntax error", True, "stopped"),
    "Python": Language("app.py", "\ndef broken(:\n", "SyntaxError:", False, None),
    "Node.js": Language("app.js", "\nfunction broken( {\n", "SyntaxError:", False, "stopped"),
}
CASES = {name: LANGUAGES[language] for name, language in support.LANGUAGE.items()}
Cli = Callable[..., Result]


@dataclass
class Dev:
    """A project running `make dev`."""

    project: Path
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def greeting(self, *, timeout: float = 2.0) -> str | None:
        """GET / and return its message, or None when nothing answers."""
        try:
            answer = support.http("GET", f"http://127.0.0.1:{self.port}/", timeout=timeout)
        except OSError:
            return None
        if answer.status != 200:
            return None
        message: object = json.loads(answer.body).get("message")
        return message if isinstance(message, str) else None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, *, since: float) -> float:
        """Poll GET / until it answers text; return the seconds since the save at `since`."""
        deadline = since + RELOAD_BOUND
        seen = None
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"make dev exited\n{self.output()[-3000:]}"
            seen = self.greeting()
            if seen == text:
                return time.monotonic() - since
            time.sleep(0.02)
        raise AssertionError(
            f"GET / did not answer {text!r} within {RELOAD_BOUND} s of the save (last: {seen!r})"
            f"\n{self.output()[-3000:]}"
        )

    def wait_output(self, text: str, *, after: int) -> str:
        """Poll the output until text shows after offset `after`; return what came after."""
        deadline = time.monotonic() + RELOAD_BOUND
        while time.monotonic() < deadline:
            fresh = self.output()[after:]
            if text in fresh:
                return fresh
            time.sleep(0.05)
        raise AssertionError(f"{text!r} did not show in the output\n{self.output()[-3000:]}")


def _save(path: Path, text: str) -> float:
    """Write the file in place, as an editor saves it; return when (monotonic clock)."""
    path.write_text(text)
    return time.monotonic()


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, parent, ...), or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()


def _tree(root: int) -> dict[int, str]:
    """root and every process below it, whatever its group: PID -> start time (a PID's identity)."""
    parents: dict[int, int] = {}
    starts: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        fields = _stat(int(entry.name)) if entry.name.isdigit() else None
        if fields is not None and fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
            starts[int(entry.name)] = fields[19]
    found = {root}
    grew = True
    while grew:
        below = {pid for pid, parent in parents.items() if parent in found} - found
        found |= below
        grew = bool(below)
    return {pid: starts[pid] for pid in found if pid in starts}


def _left(tree: dict[int, str]) -> list[int]:
    """The processes of the tree still running (a zombie has ended; a reused PID is another)."""
    left = []
    for pid, start in tree.items():
        fields = _stat(pid)
        if fields is not None and fields[0] != "Z" and fields[19] == start:
            left.append(pid)
    return left


def _render(cli: Cli, framework: str) -> Path:
    destination = Path.cwd() / f"dev-{framework}"
    result = cli("new", str(destination), "--framework", framework, "--no-input")
    assert result.exit_code == 0, result.output
    return destination


@contextlib.contextmanager
def _make_dev(project: Path, log: Path) -> Iterator[Dev]:
    port = support.free_port()
    env = {**lambda_binaries.toolchain_caches(), "PORT": str(port)}
    with support.running(["make", "dev"], cwd=project, env=env, log=log) as process:
        support.wait_http(
            f"http://127.0.0.1:{port}/healthz", timeout=START_TIMEOUT, process=process
        )
        yield Dev(project, process, port, log)


@pytest.mark.toolchain
@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_make_dev_reloads_on_save_and_survives_a_syntax_error(
    cli: Cli, tmp_path: Path, framework: str
) -> None:
    support.require("make", *support.TOOLS[framework])
    case = CASES[framework]
    project = _render(cli, framework)
    source = project / case.source
    original = source.read_text()
    assert original.count(GREETING) == 1, case.source
    with _make_dev(project, tmp_path / "dev.log") as dev:
        assert dev.greeting() == "Hello, world!"
        time.sleep(SETTLE)

        edited = original.replace(GREETING, "Howdy, ")
        offset = len(dev.output())
        edit_seconds = dev.wait_for("Howdy, world!", since=_save(source, edited))
        if case.stopped is not None:  # the watcher let the old app finish, not SIGKILL
            assert case.stopped in dev.wait_output(case.stopped, after=offset)

        offset = len(dev.output())
        _save(source, original.replace(GREETING, "Broken, ") + case.broken)
        dev.wait_output(case.error, after=offset)
        time.sleep(2.0)  # a second report of the same error would show by now
        fresh = dev.output()[offset:]
        assert fresh.count(case.error) == 1, fresh
        assert dev.process.poll() is None, f"make dev exited on a syntax error\n{fresh}"
        if case.keeps_serving:
            assert dev.greeting(timeout=5) == "Howdy, world!", fresh
        else:
            assert dev.greeting(timeout=2) is None, fresh

        fixed = original.replace(GREETING, "Welcome, ")
        fix_seconds = dev.wait_for("Welcome, world!", since=_save(source, fixed))

        tree = _tree(dev.process.pid)
        assert len(tree) >= 3, tree  # make and, below it, the watcher and the app
        os.killpg(dev.process.pid, signal.SIGTERM)
        dev.process.wait(timeout=15)
        deadline = time.monotonic() + 10
        while _left(tree) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _left(tree) == [], f"still running after SIGTERM: {_left(tree)}\n{dev.output()}"
    print(
        f"\nmake dev ({framework}): save to new answer {edit_seconds:.2f} s; "
        f"after the syntax error, fix to answer {fix_seconds:.2f} s"
    )


@pytest.mark.parametrize("framework", GO_FRAMEWORKS)
def test_air_files_stay_out_of_git_and_the_image(cli: Cli, tmp_path: Path, framework: str) -> None:
    """What `make dev` leaves in a Go project (air, its settings, its files) is local only."""
    project = _render(cli, framework)
    local = [".air.toml", "tmp/build-errors.log", "bin/air-v0.0.0/air", "bin/dev-" + framework]
    for name in local[1:]:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text("local\n")
    copied = docker_context.copy_context(project, tmp_path / "context")
    assert "main.go" in copied
    assert [name for name in local if name in copied] == []
    gitrepo.git("init", "-q", cwd=project)
    gitrepo.git("add", "-A", cwd=project)
    tracked = gitrepo.git("ls-files", cwd=project).split()
    assert ".air.toml" in tracked  # the settings are the project's; air's output is not
    assert [name for name in local[1:] if name in tracked] == []
