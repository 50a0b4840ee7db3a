"""`make watch` as a user runs it: save a change, and both services answer it.

Per framework, ``make watch`` (``docker compose up --watch``) runs in its own process group
against the run's private engine. Once `web` answers ``GET /`` and `lambda` answers the Function
URL event of ``events/get.json`` (as ``make invoke`` sends it), the test edits the greeting in the
app's source, and polls both until they answer the new text: Python and Node through
``sync+restart`` (the file copied into the running containers, then a restart), Go through
``rebuild``. Where the change was synced, saving the dependency lock (requirements.txt,
package-lock.json) then rebuilds both images and recreates both containers. Ctrl-C (SIGINT to
the group) then stops every process and container.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

import pytest

from tests import dockerfile, support
from tests.containers import images
from tests.containers.engine import Engine

# The file that holds the greeting, per language, and the action that carries a change to it.
SOURCE: Final = {"Python": "app.py", "Node.js": "app.js", "Go": "main.go"}
ACTION: Final = {"Python": "sync", "Node.js": "sync", "Go": "rebuild"}
OLD, NEW = "Hello, ", "Howdy, "
# A dependency lock of the languages that sync: saving it rebuilds the images instead.
LOCK: Final = {"Python": "requirements.txt", "Node.js": "package-lock.json"}
# A first build compiles the dependencies (go mod download, pip, npm ci): minutes on vfs.
FIRST_ANSWER_TIMEOUT: Final = 900.0
# From saving the file to both answers: a restart takes seconds, a Go rebuild a minute or two.
CHANGE_TIMEOUT: Final = {"sync": 120.0, "rebuild": 600.0}
STOP_TIMEOUT: Final = 30.0


def _home(web_port: int) -> str:
    """The web service's greeting, or "" while it does not answer (restarting)."""
    try:
        answer = support.http("GET", f"http://127.0.0.1:{web_port}/?name=Watch", timeout=5)
    except OSError:
        return ""
    return answer.body.decode(errors="replace") if answer.status == 200 else ""


def _invoke(project: Path, env: dict[str, str]) -> str:
    """`make invoke`'s answer body (events/get.json through RIE), or "" while it fails."""
    result = subprocess.run(
        ["make", "invoke"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        return ""
    try:
        answer = json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return ""
    return str(answer.get("body", "")) if answer.get("statusCode") == 200 else ""


def _until(
    check: Callable[[], str],
    expected: str,
    *,
    timeout: float,
    process: subprocess.Popen[bytes],
    log: Path,
) -> float:
    """Poll check() (bounded) until its text holds expected; return the seconds it took."""
    started = time.monotonic()
    last = ""
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise AssertionError(
                f"make watch exited {process.returncode} before {expected!r}:\n"
                f"{log.read_text(errors='replace')[-4000:]}"
            )
        last = check()
        if expected in last:
            return time.monotonic() - started
        time.sleep(0.25)
    raise AssertionError(
        f"no {expected!r} within {timeout} s (last: {last[:300]!r}):\n"
        f"{log.read_text(errors='replace')[-4000:]}"
    )


def _stop(process: subprocess.Popen[bytes]) -> float:
    """Ctrl-C as a terminal sends it (SIGINT to the process group); return the seconds taken."""
    started = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        support.stop_group(process, grace=5)
        raise AssertionError(f"`make watch` did not stop within {STOP_TIMEOUT} s") from None
    return time.monotonic() - started


def _relock(
    engine: Engine,
    project: Path,
    name: str,
    lock: str,
    web_port: int,
    env: dict[str, str],
    process: subprocess.Popen[bytes],
    log: Path,
) -> float:
    """Save the lock file unchanged but for a trailing newline; both services are rebuilt.

    Returns the seconds from the save until both new containers answer the saved greeting.
    """
    before = {service: _container_id(engine, name, service) for service in ("web", "lambda")}
    path = project / lock
    offset = len(log.read_text(errors="replace"))
    path.write_text(path.read_text() + "\n")
    saved = time.monotonic()

    def since_rebuild() -> str:
        text = log.read_text(errors="replace")[offset:]
        return text.partition("Rebuilding service(s)")[2]

    # The lock is in the synced folder too: Compose rebuilds, then copies it and restarts.
    timeout = CHANGE_TIMEOUT["rebuild"]
    _until(since_rebuild, "restarted", timeout=timeout, process=process, log=log)

    def answered(service: str, check: Callable[[], str]) -> str:
        return check() if _container_id(engine, name, service) not in ("", before[service]) else ""

    _until(
        lambda: answered("web", lambda: _home(web_port)),
        "Howdy, Watch!",
        timeout=timeout,
        process=process,
        log=log,
    )
    _until(
        lambda: answered("lambda", lambda: _invoke(project, env)),
        "Howdy, Lambda!",
        timeout=timeout,
        process=process,
        log=log,
    )
    return time.monotonic() - saved


def _container_id(engine: Engine, name: str, service: str) -> str:
    """The running container of a service, or "" while there is none."""
    result = engine.docker(
        "ps", "-q", "--no-trunc", "--filter", f"name=^{name}-{service}-1$", check=False
    )
    return result.stdout.strip()


def _image_user(project: Path) -> str:
    """The USER of the Dockerfile's last stage (the lambda stage inherits the app's)."""
    users = [
        line.split(maxsplit=1)[1]
        for line in dockerfile.instructions(project / "Dockerfile")
        if line.upper().startswith("USER ")
    ]
    assert users, "the Dockerfile sets a USER"
    return users[-1]


def _check_containers(engine: Engine, project: Path, name: str, action: str, log: Path) -> None:
    """Sync runs on a writable file system, as the image's user where the engine can copy as it.

    Engines before 28 cannot resolve a uid without an account when they copy files in (the
    Makefile says so and runs the services as root); a rebuild never copies into a container.
    """
    major = int(engine.docker("version", "--format", "{{.Server.Version}}").stdout.split(".")[0])
    as_root = action == "sync" and major < 28
    for service in ("web", "lambda"):
        inspect = engine.docker(
            "inspect",
            "-f",
            "{{.HostConfig.ReadonlyRootfs}} {{.Config.User}}",
            f"{name}-{service}-1",
        )
        read_only = "true" if action == "rebuild" else "false"
        user = "root" if as_root else _image_user(project)
        assert inspect.stdout.split() == [read_only, user], service
    said = "cannot copy files in as the image's user: running as root"
    assert (said in log.read_text(errors="replace")) == as_root


@pytest.mark.parametrize("framework", support.FRAMEWORKS)
def test_make_watch_serves_a_saved_change_on_web_and_lambda(
    framework: str,
    engine: Engine,
    docker_configs: dict[bool, Path],
    tool_env: dict[str, str],
    tmp_path: Path,
) -> None:
    language = support.LANGUAGE[framework]
    action = ACTION[language]
    name = f"watch-{framework}"
    project = images.render(tmp_path, framework, name=name, port=8123)
    web_port, lambda_port = support.free_port(), support.free_port()
    env = {
        **tool_env,
        "DOCKER_HOST": engine.host,
        "DOCKER_CONFIG": str(docker_configs[True]),
        "WEB_PORT": str(web_port),
        "LAMBDA_PORT": str(lambda_port),
        # Compose keeps watch's per-project PID file there: a stale one from another run, whose
        # PID now belongs to some other process, would refuse this run ("cannot take exclusive
        # lock"), so each test has its own.
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
    }
    (tmp_path / "run").mkdir(mode=0o700)
    for variable in ("COMPOSE_PROJECT_NAME", "READ_ONLY", "APP_USER"):
        env.pop(variable, None)
    log = tmp_path / "watch.log"
    source = project / SOURCE[language]
    text = source.read_text()
    assert text.count(OLD) == 1, f"{source.name} holds the greeting once"
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["make", "watch"],
            cwd=project,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        timeout = FIRST_ANSWER_TIMEOUT
        _until(lambda: _home(web_port), "Hello, Watch!", timeout=timeout, process=process, log=log)
        _until(
            lambda: _invoke(project, env), "Hello, Lambda!", timeout=120, process=process, log=log
        )
        up = time.monotonic() - started
        # The watcher is on once compose says so; a change saved before that is never seen.
        _until(
            lambda: log.read_text(errors="replace"),
            "Watch enabled",
            timeout=60,
            process=process,
            log=log,
        )
        _check_containers(engine, project, name, action, log)

        source.write_text(text.replace(OLD, NEW))
        saved = time.monotonic()
        web = _until(
            lambda: _home(web_port),
            "Howdy, Watch!",
            timeout=CHANGE_TIMEOUT[action],
            process=process,
            log=log,
        )
        lam = _until(
            lambda: _invoke(project, env),
            "Howdy, Lambda!",
            timeout=CHANGE_TIMEOUT[action],
            process=process,
            log=log,
        )
        both = time.monotonic() - saved
        output = log.read_text(errors="replace")
        said = "Syncing service" if action == "sync" else "Rebuilding service(s)"
        assert said in output, output[-4000:]
        relocked = ""
        if action == "sync":
            assert "Rebuilding service(s)" not in output, "a source change must not rebuild"
            seconds = _relock(engine, project, name, LOCK[language], web_port, env, process, log)
            relocked = f"; {LOCK[language]} saved -> both rebuilt and answering in {seconds:.1f} s"
        elapsed = _stop(process)
    finally:
        if process.poll() is None:
            support.stop_group(process, grace=5)
    print(
        f"\n{framework}: make watch up in {up:.1f} s; saved -> web {web:.1f} s, "
        f"lambda {both:.1f} s after the save ({lam:.1f} s after web), {action}; "
        f"Ctrl-C -> stopped in {elapsed:.1f} s{relocked}"
    )
    assert not support.group_alive(process.pid), "a process of make watch outlived it"
    left = engine.docker(
        "ps", "-q", "--filter", f"label=com.docker.compose.project={name}"
    ).stdout.split()
    assert not left, f"containers left running: {left}\n{log.read_text()[-3000:]}"
    subprocess.run(
        ["docker", "compose", "down", "--rmi", "local"],
        cwd=project,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
