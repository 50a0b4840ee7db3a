"""A private Docker engine for one test run: started here, stopped by its PID, data removed.

The engine is Debian's ``dockerd`` (``docker.io``), with its own data root, exec root and socket
under a temporary folder, so it never touches a system daemon or its images. It tries the
``overlay2`` storage driver first and falls back to ``vfs`` (slower: every layer is a full copy)
where overlay mounts are refused.

This module never imports pytest: tests turn :class:`EngineUnavailableError` into a skip (or a
failure where toolchains are required), and the benchmarks use the same functions.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

START_TIMEOUT: Final = 60.0
STOP_TIMEOUT: Final = 30.0
DRIVERS: Final = ("overlay2", "vfs")


class EngineUnavailableError(Exception):
    """dockerd, a docker client or the privileges to run them are missing here."""


class DockerError(AssertionError):
    """A docker command failed; the message carries its output."""


def docker_client() -> str:
    """Return a docker client that builds with BuildKit when DOCKER_BUILDKIT=1.

    The Debian client (20.10) has BuildKit built in; a newer client without the buildx plugin
    refuses DOCKER_BUILDKIT=1, so the Debian one comes first.
    """
    for candidate in ("/usr/bin/docker", shutil.which("docker")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise EngineUnavailableError("no docker client: install Debian's docker.io")


@dataclass(frozen=True)
class Engine:
    """A running private dockerd."""

    root: Path
    process: subprocess.Popen[bytes] = field(compare=False, repr=False)
    driver: str
    client: str

    @property
    def pid(self) -> int:
        """dockerd's process id."""
        return self.process.pid

    @property
    def host(self) -> str:
        """The DOCKER_HOST value that reaches this engine."""
        return f"unix://{self.root / 'docker.sock'}"

    def env(self, *, buildkit: bool | None = None) -> dict[str, str]:
        """The environment for a docker command against this engine."""
        env = {**os.environ, "DOCKER_HOST": self.host}
        env.pop("DOCKER_CONTEXT", None)
        if buildkit is not None:
            env["DOCKER_BUILDKIT"] = "1" if buildkit else "0"
        return env

    def docker(
        self,
        *args: str,
        cwd: Path | None = None,
        buildkit: bool | None = None,
        timeout: float = 600.0,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run one docker command against this engine; fail with its output when it fails."""
        result = subprocess.run(
            [self.client, *args],
            cwd=cwd,
            env=self.env(buildkit=buildkit),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if check and result.returncode != 0:
            raise DockerError(
                f"docker {' '.join(args)} exited {result.returncode}\n"
                f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
            )
        return result


def _dockerd() -> str:
    path = shutil.which("dockerd") or (
        "/usr/sbin/dockerd" if Path("/usr/sbin/dockerd").exists() else ""
    )
    if not path:
        raise EngineUnavailableError("dockerd is not installed: `apt-get install docker.io`")
    if os.geteuid() != 0:
        raise EngineUnavailableError("a private dockerd needs root")
    return path


def _launch(root: Path, driver: str) -> subprocess.Popen[bytes]:
    for name in ("data", "exec"):
        (root / name).mkdir(parents=True, exist_ok=True)
    log = (root / f"dockerd-{driver}.log").open("wb")
    argv = [
        _dockerd(),
        f"--storage-driver={driver}",
        f"--data-root={root / 'data'}",
        f"--exec-root={root / 'exec'}",
        f"--pidfile={root / 'dockerd.pid'}",
        f"--host={'unix://' + str(root / 'docker.sock')}",
        "--iptables=true",
    ]
    with log:
        return subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def _wait_ready(engine: Engine, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        info = engine.docker("info", "--format", "{{.Driver}}", check=False, timeout=10)
        if info.returncode == 0:
            return info.stdout.strip() == engine.driver
        time.sleep(0.5)
    return False


def start(root: Path) -> Engine:
    """Start a private dockerd under root; return it once it answers.

    Raises:
        EngineUnavailableError: dockerd is missing, or no storage driver works here.
    """
    client = docker_client()
    failures: list[str] = []
    for driver in DRIVERS:
        process = _launch(root, driver)
        engine = Engine(root=root, process=process, driver=driver, client=client)
        if _wait_ready(engine, process):
            return engine
        _terminate(process)
        log = (root / f"dockerd-{driver}.log").read_text(errors="replace")
        failures.append(f"{driver}: {log.strip().splitlines()[-1:] or 'no output'}")
        _remove_data(root)
    raise EngineUnavailableError(f"dockerd did not start: {'; '.join(map(str, failures))}")


def stop(engine: Engine) -> None:
    """Stop the engine by its PID (containers go with it), then remove its data root."""
    _terminate(engine.process)
    _remove_data(engine.root)


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM dockerd (it stops its containers and containerd), SIGKILL its group if it hangs."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _remove_data(root: Path) -> None:
    """Unmount what dockerd left mounted under root (overlay layers, netns), then delete it."""
    for mount in sorted(_mounts_under(root), key=len, reverse=True):
        subprocess.run(["umount", "-l", mount], check=False, capture_output=True)
    for name in ("data", "exec"):
        shutil.rmtree(root / name, ignore_errors=True)
    for leftover in ("docker.sock", "dockerd.pid"):
        (root / leftover).unlink(missing_ok=True)


def _mounts_under(root: Path) -> Iterator[str]:
    prefix = str(root.resolve()) + "/"
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mounts").read_text().splitlines():
            fields = line.split()
            if len(fields) > 1 and fields[1].startswith(prefix):
                yield fields[1]


@contextlib.contextmanager
def running(root: Path) -> Iterator[Engine]:
    """Start an engine for the body, and always stop it and remove its data afterwards."""
    engine = start(root)
    try:
        yield engine
    finally:
        stop(engine)
