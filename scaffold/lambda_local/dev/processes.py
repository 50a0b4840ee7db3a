"""Child processes of `dev`: own process groups, marked, read by line, stopped by PID.

Every child carries a marker in its environment, so whatever it started that left its group
(a daemonised helper, RIE's runtime) is found in /proc and stopped too: nothing outlives `dev`.
The marker names the `dev` process (PID and start time): a `dev` that was killed outright
(SIGKILL) cannot stop its children, so the next `dev` stops those whose owner is gone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Final

from scaffold.errors import DevError

MARKER: Final = "LAMBDA_SCAFFOLD_DEV_ID"
GRACE: Final = 5.0  # seconds between SIGTERM and SIGKILL
_TAIL: Final = 200


class Child:
    """A running child whose output lines go to a callback and into a bounded tail."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        marker: str,
        on_line: Callable[[str], None],
    ) -> None:
        self.argv = list(argv)
        self.tail: deque[str] = deque(maxlen=_TAIL)
        self._on_line = on_line
        try:
            self.process = subprocess.Popen(
                self.argv,
                cwd=cwd,
                env={**env, MARKER: marker},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as err:
            raise DevError(
                f"cannot start {self.argv[0]}: {err.strerror or err}",
                hint=f"check that {self.argv[0]} is installed and on PATH",
            ) from err
        self._reader = threading.Thread(target=self._read, name=f"dev-{self.pid}", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        """The child's PID (also its process group's id)."""
        return self.process.pid

    def alive(self) -> bool:
        """Tell whether the child still runs."""
        return self.process.poll() is None

    def _read(self) -> None:
        stream = self.process.stdout
        if stream is None:
            return
        with stream:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                self.tail.append(line)
                with contextlib.suppress(Exception):  # a failing sink must not stop the reading
                    self._on_line(line)

    def drain(self, timeout: float = 1.0) -> None:
        """Wait (bounded) until the output the child wrote has been read."""
        self._reader.join(timeout)

    def terminate(self) -> None:
        """Send SIGTERM to the child's process group (a graceful stop)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGTERM)

    def finish(self, deadline: float) -> None:
        """Wait for the child until deadline (monotonic), then SIGKILL what is left of its group."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)  # what is left of the group: helpers, grandchildren
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=GRACE)
        self.drain()

    def stop(self, grace: float = GRACE) -> None:
        """SIGTERM the child's group, wait up to grace seconds, then SIGKILL the group."""
        self.terminate()
        self.finish(time.monotonic() + grace)


def stop_all(children: list[Child], grace: float = GRACE) -> None:
    """Stop several children at once: SIGTERM to all, one shared grace period, then SIGKILL."""
    for child in children:
        child.terminate()
    deadline = time.monotonic() + grace
    for child in children:
        child.finish(deadline)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start_time(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def new_marker() -> str:
    """A fresh marker for this process's children: ``<pid>-<start time>-<random>``."""
    pid = os.getpid()
    return f"{pid}-{_start_time(pid)}-{uuid.uuid4().hex}"


def _owner_alive(marker: str) -> bool:
    pid, _, rest = marker.partition("-")
    started, _, _ = rest.partition("-")
    return pid.isdigit() and _start_time(int(pid)) == started


def _markers(variable: str) -> Iterator[tuple[int, str]]:
    """Yield (PID, value) of every other process whose environment sets variable (Linux /proc)."""
    prefix = f"{variable}=".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        for item in environ.split(b"\0"):
            if item.startswith(prefix):
                yield int(entry.name), item[len(prefix) :].decode(errors="replace")
                break


def orphans() -> list[int]:
    """Return the PIDs of marked processes whose `dev` process is gone (it was killed)."""
    return [pid for pid, value in _markers(MARKER) if not _owner_alive(value)]


def stop_pids(pids: list[int], *, grace: float = GRACE) -> None:
    """SIGTERM the processes, wait up to grace seconds for them to go, then SIGKILL the rest."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while pids and time.monotonic() < deadline:
        time.sleep(0.05)
        pids = [pid for pid in pids if _exists(pid)]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def marked(marker: str, *, variable: str = MARKER) -> list[int]:
    """Return the PIDs of processes whose environment sets variable to marker (Linux /proc)."""
    return [pid for pid, value in _markers(variable) if value == marker]


def sweep(marker: str, *, grace: float = GRACE) -> None:
    """Stop every process still marked: SIGTERM, wait up to grace seconds, then SIGKILL."""
    stop_pids(marked(marker), grace=grace)


def _exists(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
