"""The real Runtime Interface Emulator with the real Lambda Web Adapter as its runtime.

RIE starts the adapter lazily, on the first invoke, as Lambda does; the adapter registers as an
(internal) extension, waits for the app's readiness check and turns each event into an HTTP
request to ``AWS_LWA_PORT`` — here the relay in front of the app. RIE's own lines are read to
tell cold invokes (``INIT START``) from warm ones.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

from scaffold.errors import DevError
from scaffold.lambda_local.dev.binaries import Binaries
from scaffold.lambda_local.dev.processes import Child, free_port

START_TIMEOUT: Final = 15.0
_INIT_MARK: Final = "INIT START"
# Never passed on: credentials and settings of the user's shell that would change what RIE or
# the adapter do (AWS_LAMBDA_MAX_CONCURRENCY switches RIE to Managed Instances mode).
_DROPPED_PREFIXES: Final = ("AWS_",)
_DROPPED: Final = frozenset({"PORT", "_HANDLER"})


def emulator_env(
    base: Mapping[str, str], *, settings: Mapping[str, str], app_port: int
) -> dict[str, str]:
    """The environment RIE hands to the adapter: the image's adapter settings, the app's port."""
    env = {
        key: value
        for key, value in base.items()
        if not key.startswith(_DROPPED_PREFIXES) and key not in _DROPPED
    }
    env.update(settings)
    env["AWS_LWA_PORT"] = str(app_port)
    return env


class Emulator:
    """A running RIE on 127.0.0.1 whose runtime is the adapter."""

    def __init__(
        self,
        binaries: Binaries,
        *,
        settings: Mapping[str, str],
        app_port: int,
        marker: str,
        on_line: Callable[[str], None],
    ) -> None:
        self._on_line = on_line
        self._inits = 0
        self._lock = threading.Lock()
        self.port = free_port()
        api_port = free_port()
        self._home = tempfile.TemporaryDirectory(prefix="lambda-scaffold-dev-")
        argv = [
            str(binaries.rie),
            "--runtime-interface-emulator-address",
            f"127.0.0.1:{self.port}",
            "--runtime-api-address",
            f"127.0.0.1:{api_port}",
            str(binaries.adapter),
        ]
        env = emulator_env(os.environ, settings=settings, app_port=app_port)
        self.child = Child(
            argv, cwd=Path(self._home.name), env=env, marker=marker, on_line=self._line
        )
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._wait_listening()

    def _line(self, line: str) -> None:
        if _INIT_MARK in line:
            with self._lock:
                self._inits += 1
        self._on_line(line)

    @property
    def inits(self) -> int:
        """How many times RIE has initialised the runtime (each is a cold start)."""
        with self._lock:
            return self._inits

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if not self.child.alive():
                break
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.5),
            ):
                return
            time.sleep(0.05)
        self.stop()
        tail = "\n".join(list(self.child.tail)[-10:])
        raise DevError(
            f"the Runtime Interface Emulator did not start on 127.0.0.1:{self.port}"
            + (f":\n{tail}" if tail else ""),
            hint="run again; if it persists, check that the binary runs here: "
            f"{self.child.argv[0]}",
        )

    def stop(self) -> None:
        """SIGTERM RIE (it stops the adapter), then SIGKILL what is left; remove its folder."""
        self.child.stop()
        with contextlib.suppress(OSError):
            self._home.cleanup()
