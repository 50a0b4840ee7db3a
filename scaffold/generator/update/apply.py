"""Put a staged update into the real work tree: all of it, or (on a failure or a signal) none.

Each file the update replaces or deletes is backed up first; files are put in place by rename,
so none is ever half-written; conflicts are recorded in git's index last. Any exception, and
the Interrupted that SIGINT, SIGTERM or SIGHUP raise, undoes every step taken so far.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Final

from scaffold.errors import GitError
from scaffold.generator import gitutil
from scaffold.generator.update.guard import Guard
from scaffold.generator.update.scratch import JOURNAL, IndexEntry, Staged, write_journal

_NO_SHA: Final = "0" * 40


@dataclass(frozen=True)
class InTheWay:
    """A file or folder git does not track that the update would create, replace or delete."""

    path: str  # from the top of the work tree
    kind: str  # "ignored" or "untracked"


@dataclass
class _Undo:
    """The steps taken so far, oldest first, and the paths whose index entries changed.

    A step is ("file", target, backup or None), ("mkdir", folder, None) or ("rmdir", folder, None).
    """

    steps: list[tuple[str, Path, Path | None]] = field(default_factory=list)
    index: list[str] = field(default_factory=list)


def in_the_way(top: Path, sub: str, staged: Staged) -> list[InTheWay]:
    """Return the paths the update would touch that git does not track in the work tree.

    A path is in the way when it exists and is not tracked (an ignored `.env`, a local file),
    or when a folder on its way is a symlink or a file git does not track.
    """
    tracked = gitutil.tracked_paths(top, sub)
    blocking: dict[str, str] = {}
    for name in staged.changes:
        for part in _on_the_way(name):
            target = top / part
            if part in tracked:
                continue
            is_last = part == name
            if target.is_symlink() or (target.exists() and (is_last or not target.is_dir())):
                blocking.setdefault(part, "")
                break
    return [
        InTheWay(name, "ignored" if gitutil.is_ignored(top, name) else "untracked")
        for name in sorted(blocking)
    ]


def apply(staged: Staged, top: Path, scratch: Path, guard: Guard) -> None:
    """Copy the staged changes and conflicts into the work tree under top.

    Raises:
        OSError, GitError, Interrupted: after the work tree was put back as it was.
    """
    write_journal(scratch, staged.changes)
    backup_root = scratch / "backup"
    undo = _Undo()
    # deletions first, deepest first: a file may become a folder of the same name, or back
    deleted = sorted((n for n in staged.changes if not _exists(staged.clone / n)), reverse=True)
    written = [n for n in staged.changes if _exists(staged.clone / n)]
    try:
        for name in deleted:
            _delete(top, name, staged.clone, backup_root, undo)
        for name in written:
            _write(top, name, staged.clone, backup_root, undo)
        _record_conflicts(top, staged, undo)
    except BaseException:
        with guard.deferred():
            _roll_back(top, undo)
        raise
    (scratch / JOURNAL).unlink(missing_ok=True)


def _on_the_way(name: str) -> list[str]:
    """The path's parents from the top down, then the path itself."""
    parts = PurePosixPath(name).parts
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _exists(path: Path) -> bool:
    return path.is_symlink() or path.exists()


def _back_up(target: Path, backup_root: Path, name: str, undo: _Undo) -> None:
    backup = None
    if _exists(target):
        backup = backup_root / name
        backup.parent.mkdir(parents=True, exist_ok=True)
        _copy(target, backup)
    undo.steps.append(("file", target, backup))


def _delete(top: Path, name: str, clone: Path, backup_root: Path, undo: _Undo) -> None:
    target = top / name
    _back_up(target, backup_root, name, undo)
    target.unlink(missing_ok=True)
    parent = target.parent
    while parent != top and not (clone / parent.relative_to(top)).is_dir():
        try:
            parent.rmdir()  # only when empty: ignored files keep their folder
        except OSError:
            break
        undo.steps.append(("rmdir", parent, None))
        parent = parent.parent


def _write(top: Path, name: str, clone: Path, backup_root: Path, undo: _Undo) -> None:
    target = top / name
    missing = [p for p in reversed(target.parents) if p.is_relative_to(top) and not p.exists()]
    for folder in missing:
        folder.mkdir()
        undo.steps.append(("mkdir", folder, None))
    _back_up(target, backup_root, name, undo)
    _put(clone / name, target)


def _put(source: Path, target: Path) -> None:
    """Replace target with a copy of source in one rename."""
    partial = target.with_name(f".{target.name}.lambda-scaffold-new")
    if _exists(partial):
        partial.unlink()
    _copy(source, partial)
    partial.replace(target)


def _copy(source: Path, target: Path) -> None:
    if source.is_symlink():
        target.symlink_to(source.readlink())
    else:
        shutil.copy2(source, target)


def _record_conflicts(top: Path, staged: Staged, undo: _Undo) -> None:
    """Record the conflicted paths as unmerged in the index, as copier does in place."""
    if not staged.unmerged:
        return
    lines: list[str] = []
    for path in sorted({entry.path for entry in staged.unmerged}):
        lines.append(f"0 {_NO_SHA}\t{path}")
    for entry in staged.unmerged:
        sha = _copy_blob(staged.clone, top, entry)
        lines.append(f"{entry.mode} {sha} {entry.stage}\t{entry.path}")
    undo.index.extend(sorted({entry.path for entry in staged.unmerged}))
    listing = "".join(f"{line}\0" for line in lines).encode()
    gitutil.git_bytes("update-index", "-z", "--index-info", cwd=top, stdin=listing)


def _copy_blob(clone: Path, top: Path, entry: IndexEntry) -> str:
    blob = gitutil.git_bytes("cat-file", "blob", entry.sha, cwd=clone)
    return gitutil.git_bytes("hash-object", "-w", "--stdin", cwd=top, stdin=blob).decode().strip()


def _roll_back(top: Path, undo: _Undo) -> None:
    """Undo the steps in undo, newest first; keep going past a step that fails."""
    if undo.index:
        _reset_index(top, undo.index)
    for kind, path, backup in reversed(undo.steps):
        try:
            if kind == "mkdir":
                path.rmdir()
            elif kind == "rmdir":
                path.mkdir(exist_ok=True)
            elif backup is None:
                path.unlink(missing_ok=True)
            else:
                _put(backup, path)
        except OSError:
            continue


def _reset_index(top: Path, paths: Sequence[str]) -> None:
    with suppress(GitError):
        gitutil.git("--literal-pathspecs", "reset", "-q", "--", *paths, cwd=top)
