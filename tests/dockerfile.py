"""A small reader for rendered Dockerfiles: stages and ENV values, for assertions."""

from __future__ import annotations

import re
import shlex
from pathlib import Path


def instructions(path: Path) -> list[str]:
    """Return the Dockerfile's instructions with line continuations joined, comments dropped."""
    joined: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    return joined


def env(path: Path, stage: str = "app") -> dict[str, str]:
    """Return the ENV values set in one stage (by its `AS name`)."""
    values: dict[str, str] = {}
    current = ""
    for instruction in instructions(path):
        keyword, _, rest = instruction.partition(" ")
        if keyword.upper() == "FROM":
            match = re.search(r"\bAS\s+(\S+)", rest, re.IGNORECASE)
            current = match.group(1) if match else ""
        elif keyword.upper() == "ENV" and current == stage:
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                values[key] = value
    return values


def stages(path: Path) -> list[str]:
    """Return the stage names in order."""
    names = []
    for instruction in instructions(path):
        match = re.match(r"FROM\s+.*\bAS\s+(\S+)", instruction, re.IGNORECASE)
        if match:
            names.append(match.group(1))
    return names
