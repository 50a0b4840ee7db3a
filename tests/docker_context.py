"""What `docker build` would see: the build context filtered by .dockerignore, and COPY sources.

Docker's rules: patterns are matched against paths relative to the context root, `*` and `?`
stay within one path segment, `**` spans segments, a pattern that matches a folder excludes
everything below it, `!` re-includes, and the last matching pattern wins.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from tests import dockerfile


def _regex(pattern: str) -> re.Pattern[str]:
    out = ""
    index = 0
    while index < len(pattern):
        if pattern.startswith("**", index):
            out += ".*"
            index += 2
            if pattern.startswith("/", index):
                out += "/?"
                index += 1
            continue
        char = pattern[index]
        out += "[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char)
        index += 1
    return re.compile(f"^{out}$")


def _rules(project: Path) -> list[tuple[bool, re.Pattern[str]]]:
    path = project / ".dockerignore"
    return rules(path.read_text().splitlines() if path.exists() else [])


def rules(lines: Iterable[str]) -> list[tuple[bool, re.Pattern[str]]]:
    """Turn .dockerignore lines (or Compose `ignore` patterns) into rules for :func:`included`."""
    found = []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line[1:].strip() if negated else line
        found.append((negated, _regex(pattern.strip("/").removeprefix("./"))))
    return found


def included(relative: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Tell whether a file (relative POSIX path) reaches the build context."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for negated, regex in rules:
        if any(regex.match(prefix) for prefix in prefixes):
            excluded = not negated
    return not excluded


def copy_context(project: Path, target: Path) -> list[str]:
    """Copy what docker would send as the build context; return the relative paths copied."""
    rules = _rules(project)
    copied = []
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project).as_posix()
        if path.is_file() and included(relative, rules):
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            copied.append(relative)
    return copied


def copy_sources(path: Path) -> list[str]:
    """Return the context sources of every COPY/ADD that reads the build context."""
    sources: list[str] = []
    for instruction in dockerfile.instructions(path):
        keyword, _, rest = instruction.partition(" ")
        if keyword.upper() not in {"COPY", "ADD"}:
            continue
        words = [word for word in rest.split() if not word.startswith("--")]
        if "--from=" in rest or any(w.startswith(("http://", "https://")) for w in words):
            continue
        if words and words[0].startswith("["):
            continue
        sources.extend(words[:-1])
    return sources
