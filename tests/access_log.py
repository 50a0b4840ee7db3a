"""The access-log line every generated app writes to stdout, one per request: reading and checking.

The apps write one JSON object per line with these fields, in this order: ``time`` (UTC, RFC 3339
with milliseconds), ``method``, ``path``, ``status``, ``duration_ms`` and ``request_id`` (the
Lambda request id from the adapter's ``x-amzn-lambda-context`` header, null outside Lambda).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

FIELDS: Final = ("time", "method", "path", "status", "duration_ms", "request_id")
TIME: Final = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
START: Final = re.compile(r"^START RequestId: ([0-9a-f-]+) ")


def entries(text: str) -> list[dict[str, Any]]:
    """The access-log entries among the lines of a log (other lines are skipped)."""
    found: list[dict[str, Any]] = []
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict) and "method" in data and "status" in data:
            found.append(data)
    return found


def check(entry: dict[str, Any]) -> None:
    """Assert that an entry has exactly the agreed fields, in order, with the agreed types."""
    assert tuple(entry) == FIELDS, entry
    assert TIME.match(entry["time"]), entry
    assert isinstance(entry["method"], str) and isinstance(entry["path"], str), entry
    assert isinstance(entry["status"], int) and not isinstance(entry["status"], bool), entry
    duration = entry["duration_ms"]
    assert isinstance(duration, int | float) and not isinstance(duration, bool), entry
    assert 0 <= duration < 60_000, entry
    assert entry["request_id"] is None or isinstance(entry["request_id"], str), entry


def rie_request_ids(text: str) -> list[str]:
    """The request ids of RIE's START lines, in order."""
    return [match.group(1) for line in text.splitlines() if (match := START.match(line))]


def wait_for(
    log: Path, ready: Callable[[str], bool], *, offset: int = 0, timeout: float = 10.0
) -> str:
    """Wait until the log (from byte `offset` on) satisfies `ready`; return that text."""
    deadline = time.monotonic() + timeout
    while True:
        text = log.read_bytes()[offset:].decode(errors="replace")
        if ready(text) or time.monotonic() > deadline:
            return text
        time.sleep(0.1)
