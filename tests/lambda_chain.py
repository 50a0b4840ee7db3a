"""The real Lambda chain without Docker: RIE runs the app, LWA turns events into HTTP requests.

The binaries come from :mod:`tests.lambda_binaries`. There are two ways to run the adapter
(reference.md 6.4): mode A bind-mounts a folder holding ``extensions/lambda-adapter`` on
``/opt`` in a private mount namespace, exactly as in the image (needs root and ``unshare``);
mode B runs a small runtime script that starts the app in the background and execs the adapter,
which then registers as an internal extension. Every process runs in its own process group,
carries a marker in its environment, and is stopped by PID.

This module never imports pytest: tests turn :class:`ChainUnavailableError` into a skip (or a
failure in CI), and ``bench/lambda_chain.py`` uses the same functions.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal

from scaffold.errors import ScaffoldError
from scaffold.lambda_local.dev import processes
from scaffold.lambda_local.response import HttpResponse
from scaffold.lambda_local.rie_client import invoke
from tests import dockerfile, support
from tests.lambda_binaries import (
    ChainUnavailableError,
    lwa_binary,
    rie_binary,
    toolchain_caches,
)

FIRST_INVOKE_TIMEOUT: Final = 90.0
WARM_UP_TIMEOUT: Final = 900.0
MARKER: Final = "LAMBDA_SCAFFOLD_CHAIN_ID"
APPS: Final = Path(__file__).resolve().parent / "apps"
Mode = Literal["A", "B"]


# A shell in a private mount namespace: what it bind-mounts on /opt nobody else sees.
_PRIVATE_MOUNT_SHELL = ["unshare", "-m", "--propagation", "private", "sh", "-c"]


@cache
def mount_namespace_available() -> bool:
    """Tell whether mode A works: a private mount namespace with a bind mount on /opt."""
    if shutil.which("unshare") is None or not Path("/opt").is_dir():
        return False
    with tempfile.TemporaryDirectory() as probe:
        try:
            result = subprocess.run(
                [*_PRIVATE_MOUNT_SHELL, 'mount --bind "$0" /opt', probe],
                capture_output=True,
                timeout=10,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
    return result.returncode == 0


def stage_env(path: Path, stage: str = "lambda") -> dict[str, str]:
    """Return the ENV a Dockerfile stage sees, its parent stages' ENV included."""
    parents: dict[str, str] = {}
    current = ""
    for instruction in dockerfile.instructions(path):
        words = instruction.split()
        if words[0].upper() == "FROM":
            image = next(word for word in words[1:] if not word.startswith("--"))
            current = words[-1] if len(words) > 2 and words[-2].upper() == "AS" else image
            parents[current] = image
    chain: list[str] = []
    name = stage if stage in parents else current
    while name in parents and name not in chain:
        chain.append(name)
        name = parents[name]
    values: dict[str, str] = {}
    for name in reversed(chain):
        for key, value in dockerfile.env(path, name).items():
            values[key] = _expand(value, {**os.environ, **values})
    return values


def _expand(value: str, env: Mapping[str, str]) -> str:
    """Expand $VAR and ${VAR} as Docker does; on the host, PATH=/x:$PATH keeps the host's PATH."""
    return re.sub(
        r"\$(?:\{(\w+)\}|(\w+))", lambda match: env.get(match.group(1) or match.group(2), ""), value
    )


def _kill_marked(marker: str) -> None:
    """SIGKILL every process that still carries this chain's marker (RIE's runtime groups)."""
    for pid in processes.marked(marker, variable=MARKER):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def _process(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run argv in its own process group; stop it by PID, then sweep its marked descendants."""
    marker = uuid.uuid4().hex
    try:
        with support.running(argv, cwd=cwd, env={**env, MARKER: marker}, log=log) as process:
            yield process
    finally:
        _kill_marked(marker)


def wait_port(port: int, *, timeout: float, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until 127.0.0.1:port accepts connections; fail early if the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited {process.returncode} before listening\n{tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listened on 127.0.0.1:{port} within {timeout} s\n{tail(log)}")


def tail(log: Path, lines: int = 60) -> str:
    """Return the last lines of a log file, for failure messages."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return ""
    return "--- log tail\n" + "\n".join(text.splitlines()[-lines:])


@dataclass
class Chain:
    """A running RIE with the adapter and the app behind it."""

    endpoint: str
    app_port: int
    mode: Mode
    log: Path
    process: subprocess.Popen[bytes]

    def invoke(
        self, event: Mapping[str, Any], *, timeout: float = FIRST_INVOKE_TIMEOUT
    ) -> HttpResponse:
        """Invoke through RIE; a failure carries the chain's log."""
        try:
            return invoke(event, endpoint=self.endpoint, timeout=timeout)
        except ScaffoldError as err:
            raise AssertionError(f"{err}\n{tail(self.log)}") from err


def chain_env(extra: Mapping[str, str], *, app_port: int, home: Path) -> dict[str, str]:
    """The environment RIE passes on to the adapter and the app."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k not in {"PORT", "HOME"}
    }
    env = {
        **base,
        **toolchain_caches(),
        "HOME": str(home),
        "AWS_LWA_READINESS_CHECK_PATH": "/healthz",
        "AWS_LAMBDA_FUNCTION_TIMEOUT": "30",
        "AWS_LAMBDA_FUNCTION_NAME": "lambda-scaffold-test",
        **extra,
    }
    env["PORT"] = str(app_port)
    if "AWS_LWA_PORT" in env:
        env["AWS_LWA_PORT"] = str(app_port)
    return env


def chain_argv(
    app: Sequence[str], *, workdir: Path, mode: Mode, rie_port: int, api_port: int
) -> list[str]:
    """The command line that starts RIE with the adapter in mode A or B."""
    rie = [
        str(rie_binary()),
        "--runtime-interface-emulator-address",
        f"127.0.0.1:{rie_port}",
        "--runtime-api-address",
        f"127.0.0.1:{api_port}",
    ]
    adapter = lwa_binary()
    if mode == "A":
        opt = workdir / "opt"
        (opt / "extensions").mkdir(parents=True, exist_ok=True)
        shutil.copy2(adapter, opt / "extensions" / "lambda-adapter")
        return [
            *_PRIVATE_MOUNT_SHELL,
            'mount --bind "$0" /opt && exec "$@"',
            str(opt),
            *rie,
            *app,
        ]
    script = workdir / "runtime.sh"
    # The app in the background, the adapter in the foreground as the runtime: RIE stops both
    # with the runtime's process group.
    script.write_text('#!/bin/sh\nadapter="$1"\nshift\n"$@" &\nexec "$adapter"\n')
    script.chmod(0o755)
    return [*rie, str(script), str(adapter), *app]


@contextlib.contextmanager
def start_chain(
    app: Sequence[str],
    *,
    cwd: Path,
    workdir: Path,
    env: Mapping[str, str] | None = None,
    mode: Mode | None = None,
) -> Iterator[Chain]:
    """Start RIE (lazy init: the app starts on the first invoke) and stop everything after.

    Args:
        app: The app's start command, run by RIE in cwd.
        cwd: The app's folder.
        workdir: A private folder for logs, /opt (mode A) and the runtime script (mode B).
        env: Extra environment (Dockerfile ENV, AWS_LWA_*); PORT is always a free port.
        mode: "A" or "B"; by default A where a mount namespace is allowed, else B.

    Raises:
        ChainUnavailableError: A binary cannot be had here.
    """
    chosen: Mode = mode or ("A" if mount_namespace_available() else "B")
    if chosen == "A" and not mount_namespace_available():
        raise ChainUnavailableError("mode A needs unshare and the right to bind-mount /opt")
    rie_port, api_port, app_port = support.free_port(), support.free_port(), support.free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "home").mkdir(exist_ok=True)
    argv = chain_argv(app, workdir=workdir, mode=chosen, rie_port=rie_port, api_port=api_port)
    log = workdir / f"chain-{chosen}.log"
    full_env = chain_env(env or {}, app_port=app_port, home=workdir / "home")
    with _process(argv, cwd=cwd, env=full_env, log=log) as process:
        wait_port(rie_port, timeout=15, process=process, log=log)
        yield Chain(f"http://127.0.0.1:{rie_port}", app_port, chosen, log, process)


def warm_up(project: Path, *, workdir: Path, env: Mapping[str, str]) -> None:
    """Run ``make run`` once natively until /healthz answers: dependencies and builds get done.

    Without it the first invoke would include ``go build``/``npm ci``/``pip install``.
    """
    port = support.free_port()
    log = workdir / "warm-up.log"
    full_env = chain_env(env, app_port=port, home=workdir / "home")
    (workdir / "home").mkdir(parents=True, exist_ok=True)
    with _process(["make", "run"], cwd=project, env=full_env, log=log) as process:
        try:
            support.wait_http(
                f"http://127.0.0.1:{port}/healthz", timeout=WARM_UP_TIMEOUT, process=process
            )
        except AssertionError as err:
            raise AssertionError(f"{err}\n{tail(log)}") from err


@contextlib.contextmanager
def project_chain(
    project: Path,
    *,
    workdir: Path,
    mode: Mode | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[Chain]:
    """Warm a rendered project up, then run it behind RIE and LWA with its Dockerfile's ENV."""
    env = {**stage_env(project / "Dockerfile"), **(extra_env or {})}
    workdir.mkdir(parents=True, exist_ok=True)
    warm_up(project, workdir=workdir, env=env)
    with start_chain(["make", "run"], cwd=project, workdir=workdir, env=env, mode=mode) as chain:
        yield chain


def tiny_app_command() -> list[str]:
    """The test suite's own stdlib app, started with this interpreter."""
    return [sys.executable, str(APPS / "tiny_app.py")]


@dataclass(frozen=True)
class Fetched:
    """A plain HTTP answer with every header line kept (Set-Cookie repeats)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def values(self, name: str) -> list[str]:
        """Return every value of a header, case-insensitively."""
        return [value for key, value in self.headers if key.lower() == name.lower()]


def fetch(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> Fetched:
    """Send one HTTP request to http://host:port/path and read the whole answer."""
    rest = url.removeprefix("http://")
    address, _, path = rest.partition("/")
    host, _, port = address.partition(":")
    connection = http.client.HTTPConnection(host, int(port or 80), timeout=timeout)
    try:
        connection.request(method, "/" + path, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        return Fetched(response.status, response.getheaders(), response.read())
    finally:
        connection.close()
