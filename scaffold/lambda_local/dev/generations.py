"""One generation of the app: `make run` on a port of its own, ready once its check answers.

Each save starts a new generation beside the one serving. It is ready when its readiness path
answers below 500 (the adapter's own rule); it failed when it exits first (a compile error, a
syntax error) or stays silent too long. Only a ready generation takes over.
"""

from __future__ import annotations

import http.client
import os
import time
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import Final

from scaffold.lambda_local.dev.processes import MARKER, Child, free_port

APP_COMMAND: Final = ("make", "--no-print-directory", "run")
_POLL: Final = 0.05


class Outcome(Enum):
    """How a generation's start ended."""

    READY = "ready"
    EXITED = "exited"
    SILENT = "silent"
    STOPPED = "stopped"


def _answers(port: int, path: str) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
    try:
        connection.request("GET", path)
        return connection.getresponse().status < 500
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


class Generation:
    """The app started once, with `make run`, on its own free port."""

    def __init__(
        self,
        number: int,
        *,
        root: Path,
        marker: str,
        on_line: Callable[[int, str], None],
        base_env: Mapping[str, str] | None = None,
        command: Sequence[str] = APP_COMMAND,
    ) -> None:
        self.number = number
        self.port = free_port()
        self.requests = 0
        self.started = time.monotonic()
        env = {k: v for k, v in (base_env or os.environ).items() if k != MARKER}
        env["PORT"] = str(self.port)
        self.child = Child(
            command, cwd=root, env=env, marker=marker, on_line=lambda line: on_line(number, line)
        )

    def wait_ready(
        self, path: str, *, timeout: float, keep_going: Callable[[], bool] = lambda: True
    ) -> Outcome:
        """Poll the readiness path until it answers, the app exits, or timeout seconds pass."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not keep_going():
                return Outcome.STOPPED
            if not self.child.alive():
                self.child.drain()
                return Outcome.EXITED
            if _answers(self.port, path):
                return Outcome.READY
            time.sleep(_POLL)
        return Outcome.SILENT

    def alive(self) -> bool:
        """Tell whether the app's process still runs."""
        return self.child.alive()

    @property
    def exit_code(self) -> int | None:
        """The exit status once it ended."""
        return self.child.process.poll()

    def stop(self) -> None:
        """Stop the generation's whole process group (graceful first)."""
        self.child.stop()
