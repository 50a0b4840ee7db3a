"""Notice saved changes to the files that reach the image, by polling their stat (no extra deps).

A project's sources are a few dozen files once ``.dockerignore`` has pruned ``node_modules``,
``.venv``, ``bin`` and ``.git``, so a full scan takes well under a millisecond per file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Final

from scaffold.lambda_local.dev.ignore import IgnoreRules

Snapshot = dict[str, tuple[int, int, int]]

POLL: Final = 0.1  # seconds between scans
SETTLE: Final = 0.05  # a change must rest this long, so an editor's save is seen whole
_SETTLE_TRIES: Final = 20
# Local state that never reaches the app, even if .dockerignore forgets it.
_ALWAYS_SKIPPED: Final = frozenset({".git", "node_modules", ".venv", "__pycache__", ".aws-sam"})


def scan(root: Path, rules: IgnoreRules) -> Snapshot:
    """Return relative path -> (mtime_ns, size, inode) of every file that reaches the image."""
    found: Snapshot = {}
    for folder, dirs, files in os.walk(root):
        base = os.path.relpath(folder, root)
        prefix = "" if base == "." else base.replace(os.sep, "/") + "/"
        kept = []
        for name in dirs:
            if name in _ALWAYS_SKIPPED:
                continue
            if not rules.takes_back and rules.ignored(prefix + name):
                continue
            kept.append(name)
        dirs[:] = kept
        for name in files:
            relative = prefix + name
            if rules.ignored(relative):
                continue
            try:
                info = (Path(folder) / name).stat()
            except OSError:
                continue
            found[relative] = (info.st_mtime_ns, info.st_size, info.st_ino)
    return found


def changed(before: Snapshot, after: Snapshot) -> list[str]:
    """Return the paths added, removed or modified between two snapshots, sorted."""
    return sorted(
        path for path in before.keys() | after.keys() if before.get(path) != after.get(path)
    )


class Watcher:
    """Tells which source files changed since the last call."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._rules = IgnoreRules.of_project(root)
        self._last = scan(root, self._rules)

    def poll(self) -> list[str]:
        """Return what changed since the previous poll, once the changes have settled."""
        current = scan(self.root, self._rules)
        if current == self._last:
            return []
        for _ in range(_SETTLE_TRIES):  # an editor may write a file in steps: wait for quiet
            time.sleep(SETTLE)
            again = scan(self.root, self._rules)
            if again == current:
                break
            current = again
        if (self.root / ".dockerignore").exists():
            self._rules = IgnoreRules.of_project(self.root)
        paths = changed(self._last, current)
        self._last = current
        return paths
