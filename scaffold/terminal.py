"""Plain output, standard library only: JSON and HTTP answers on stdout, status lines on stderr.

`invoke`, `serve`, `list --json` and `--version` print through here, so they start without
loading rich; the rich summaries of `new`, `list` and `update` are in :mod:`scaffold.console`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from scaffold.errors import OutputError


def emit_json(data: Any) -> None:
    """Write machine-readable JSON to stdout.

    Raises:
        OutputError: stdout is closed, full or a broken pipe.
    """
    _stdout_write((json.dumps(data, indent=2) + "\n").encode("utf-8"))


def emit_line(text: str) -> None:
    """Write one line of text to stdout.

    Raises:
        OutputError: stdout is closed, full or a broken pipe.
    """
    _stdout_write((text + "\n").encode("utf-8"))


def http_response(
    status: int, headers: Sequence[tuple[str, str]], cookies: Sequence[str], body: bytes
) -> None:
    """Write an HTTP answer to stdout like ``curl -i``: status line, headers, blank line, body.

    Raises:
        OutputError: stdout is closed, full or a broken pipe.
    """
    from http import HTTPStatus

    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    lines = [f"HTTP/1.1 {status} {reason}".rstrip()]
    lines += [f"{name}: {value}" for name, value in headers]
    lines += [f"set-cookie: {cookie}" for cookie in cookies]
    ending = b""
    if body and not body.endswith(b"\n") and sys.stdout is not None and sys.stdout.isatty():
        ending = b"\n"
    _stdout_write(("\n".join(lines) + "\n\n").encode("utf-8") + body + ending)


def status(line: str) -> None:
    """Write one status line to stderr (where the answer came from, the server's address)."""
    if sys.stderr is None:
        return
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except OSError:  # stderr gone: the status line is not worth failing the command for
        pass


def invoked(endpoint: str, elapsed_ms: float, *, streamed: bool) -> None:
    """Say on stderr where the answer came from and how long it took."""
    mode = ", response stream" if streamed else ""
    status(f"answered by {endpoint} in {elapsed_ms:.0f} ms{mode}")


def serving(url: str, endpoint: str) -> None:
    """Announce the local Function URL server."""
    status(f"Serving {url} -> RIE at {endpoint}  (Ctrl-C to stop)")


def stopped() -> None:
    """Say that the server stopped."""
    status("Stopped.")


class DevLog:
    """`dev`'s lines on stderr: the loop's status, each request, the app's own output.

    The app's JSON access-log lines are left out unless verbose (each request has its line
    already), and so are RIE's and the adapter's lines.
    """

    def __init__(self, *, verbose: bool = False) -> None:
        self.verbose = verbose

    def status(self, text: str) -> None:
        """A line about the loop."""
        status(text)

    def app_line(self, generation: int, text: str) -> None:
        """A line the app wrote (or its build: a compile error, a traceback)."""
        if self.verbose or not _access_log(text):
            status(f"  app {generation} | {text}")

    def emulator_line(self, text: str) -> None:
        """A line of RIE or the adapter (verbose only)."""
        if self.verbose:
            status(f"  rie | {text}")

    def request(self, line: Any) -> None:
        """One request: method, target, status, milliseconds, cold or warm."""
        temperature = "cold" if line.cold else "warm"
        text = f"{line.method} {line.target} {line.status} {line.elapsed_ms:.0f} ms {temperature}"
        status(_printable(f"{text} - {line.outcome}" if line.outcome else text))


def _access_log(text: str) -> bool:
    """Tell whether a line is the generated app's JSON access-log line."""
    if not text.startswith("{"):
        return False
    try:
        record = json.loads(text)
    except ValueError:
        return False
    return isinstance(record, dict) and {"method", "path", "status"} <= record.keys()


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


def _stdout_write(data: bytes) -> None:
    try:
        out = sys.stdout.buffer
        out.write(data)
        out.flush()
    except (OSError, AttributeError, ValueError) as err:  # full, broken pipe, closed (None)
        reason = getattr(err, "strerror", None) or "it is closed"
        _park_stdout()
        raise OutputError(
            f"cannot write to stdout: {reason}",
            hint="send stdout to a file or pipe that can take the output",
        ) from err


def _park_stdout() -> None:
    """Point stdout at /dev/null so the flush at exit does not fail a second time."""
    if sys.stdout is None:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
