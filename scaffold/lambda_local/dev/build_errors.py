"""Find where a failed start points: the file and line of a compile or syntax error.

Go prints ``./main.go:12:3: message``; Python a traceback whose last frame in the project is
``File ".../app.py", line 12`` followed by ``SyntaxError: message``; Node.js
``/path/app.js:12`` then the source line and ``SyntaxError: message``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Final

_GO: Final = re.compile(r"^(?:\./)?(?P<path>[^\s:]+\.go):(?P<line>\d+)(?::\d+)?: (?P<msg>.+)$")
_PYTHON: Final = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+)')
_NODE: Final = re.compile(r"^(?P<path>/[^\s:]+\.[cm]?js):(?P<line>\d+)$")
_MESSAGE: Final = re.compile(r"^(?:[A-Z]\w*(?:Error|Exception)|Error)(?::\s.*)?$")


def _inside(path: str, root: Path) -> str | None:
    candidate = Path(path)
    if not candidate.is_absolute():
        return candidate.as_posix()
    try:
        return candidate.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def locate(lines: Sequence[str], root: Path) -> str | None:
    """Return ``file:line: message`` for the first error in the project's own files, if any."""
    for line in lines:
        match = _GO.match(line.strip())
        if match is not None and (where := _inside(match["path"], root)) is not None:
            return f"{where}:{match['line']}: {match['msg']}"
    place: str | None = None
    for line in lines:
        if (match := _PYTHON.match(line) or _NODE.match(line.strip())) is not None:
            where = _inside(match["path"], root)
            if where is not None and "site-packages" not in where:
                place = f"{where}:{match['line']}"
    if place is None:
        return None
    message = next((line.strip() for line in lines if _MESSAGE.match(line.strip())), "")
    return f"{place}: {message}" if message else place
