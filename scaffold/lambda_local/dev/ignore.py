"""Which files reach the image: ``.dockerignore`` patterns, matched as Docker matches them.

A pattern is a slash-separated path relative to the project (a leading ``/`` is dropped) with
``*`` and ``?`` inside one segment, ``**`` across segments and ``[...]`` classes; it excludes the
paths it matches and everything below them; a later ``!pattern`` takes paths back in
(https://docs.docker.com/build/concepts/context/#dockerignore-files).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    include: bool


def _translate(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**", index):
            index += 2
            if pattern.startswith("/", index):  # "**/" : any number of leading folders
                out.append("(?:.*/)?")
                index += 1
            else:
                out.append(".*")
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (end := pattern.find("]", index + 1)) > index:
            body = pattern[index + 1 : end].replace("\\", "\\\\")
            out.append(f"[{'^' + body[1:] if body.startswith('!') else body}]")
            index = end
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile("".join(out))


class IgnoreRules:
    """The patterns of one ``.dockerignore`` file."""

    def __init__(self, lines: list[str]) -> None:
        rules: list[_Rule] = []
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            include = line.startswith("!")
            text = line[1:].strip() if include else line
            text = re.sub(r"/+", "/", text).strip("/")
            if text in ("", "."):
                continue
            rules.append(_Rule(_translate(text), include))
        self._rules = tuple(rules)
        self.takes_back = any(rule.include for rule in rules)

    @classmethod
    def of_project(cls, root: Path) -> IgnoreRules:
        """Read root/.dockerignore (no file: nothing is ignored)."""
        try:
            text = (root / ".dockerignore").read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        return cls(text.splitlines())

    def ignored(self, relative: str) -> bool:
        """Tell whether the slash-separated relative path stays out of the image."""
        parts = relative.split("/")
        prefixes = ["/".join(parts[: count + 1]) for count in range(len(parts))]
        verdict = False
        for rule in self._rules:
            if any(rule.pattern.fullmatch(prefix) for prefix in prefixes):
                verdict = not rule.include
        return verdict
