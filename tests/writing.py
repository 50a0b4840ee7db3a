"""Helpers of the DEST-writing tests: the CLI as a child process, tree snapshots, hostile peers."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

STAGING_PREFIX = ".lambda-scaffold-"


def cli_argv(*args: str) -> list[str]:
    """The argv that runs the installed CLI in a fresh interpreter."""
    return [sys.executable, "-m", "scaffold", *args]


def child_env(tmpdir: Path, **extra: str) -> dict[str, str]:
    """The environment of a CLI child: TMPDIR pointed at tmpdir, no colour, wide lines."""
    return {**os.environ, "TMPDIR": str(tmpdir), "NO_COLOR": "1", "COLUMNS": "200", **extra}


def start(args: Sequence[str], *, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start the CLI in its own process group, stdin closed to input, output captured."""
    return subprocess.Popen(
        cli_argv(*args),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finish(process: subprocess.Popen[str], *, timeout: float) -> tuple[int, str]:
    """Wait for the CLI at most timeout seconds (then kill its group); return code and stderr."""
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)
        raise AssertionError(f"the CLI did not finish within {timeout} s") from None
    return process.returncode, " ".join(stderr.split())


def kill_group(process: subprocess.Popen[str]) -> None:
    """SIGKILL the process's whole group (it was started in its own session) and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=10)


def snapshot(root: Path) -> dict[str, str | bytes]:
    """Every entry under root (links not followed): relative path to its bytes, link or kind."""
    if not root.exists() and not root.is_symlink():
        return {}
    found: dict[str, str | bytes] = {}
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            found[key] = f"-> {path.readlink()}"
        elif stat.S_ISDIR(mode):
            found[key] = "dir"
        elif stat.S_ISREG(mode):
            found[key] = path.read_bytes()
        else:
            found[key] = "other"
    return found


def leftovers(folder: Path) -> list[str]:
    """The staging folders left in folder."""
    return sorted(entry.name for entry in folder.iterdir() if entry.name.startswith(STAGING_PREFIX))


def wait_for(condition: object, *, timeout: float, process: subprocess.Popen[str]) -> bool:
    """Poll condition (a callable) until true, the process ends, or timeout; tell if it held."""
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if condition():
            return True
        time.sleep(0.0005)
    return False


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers; yields its port."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                connection, _ = server.accept()
                held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        server.close()


def in_mount_namespace(script: str, *, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a shell script in a private mount namespace (root only), so its mounts vanish after."""
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def can_mount() -> bool:
    """Tell whether this test run may create private mounts (root with unshare)."""
    if os.geteuid() != 0:
        return False
    probe = in_mount_namespace("mount -t tmpfs -o size=64k tmpfs /mnt && echo ok", timeout=30)
    return probe.stdout.strip() == "ok"


SIGNALS: dict[int, int] = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}
