"""Move a rendered tree into an existing folder (``--force``), file by file, or not at all.

Nothing is moved until every target is checked: no move follows a link out of the folder, or
turns a file into a folder or back. A failed move undoes the moves before it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from scaffold.errors import DestinationConflictError
from scaffold.generator.os_errors import os_error

# (rendered file, its place in the destination, the backup of the file it replaced)
Move = tuple[Path, Path, Path | None]


def merge(project: Path, destination: Path, backups: Path, moved: list[Move]) -> None:
    """Move every file of project into an existing destination; undo all of it on a failure.

    Replaced files are kept in backups (an empty folder) until the run ends; every move done is
    appended to moved, so a caller can tell what a signal cut short.

    Raises:
        DestinationConflictError: A target is a link or of the other kind (nothing was moved).
        WriteError: A move failed; the moves done were undone where possible.
    """
    moves = _plan(project, destination)
    backups.mkdir()
    try:
        for number, (source, target, replaces) in enumerate(moves):
            backup = backups / str(number) if replaces else None
            if backup is not None:
                target.rename(backup)
            moved.append((source, target, backup))
            source.rename(target)
    except OSError as err:
        left = _roll_back(moved)
        failure = os_error(err, doing=f"write into {destination}")
        if left:
            failure.hint += f"; these could not be restored: {', '.join(map(str, left))}"
        else:
            failure.message += " (nothing was changed)"
        raise failure from err


def _roll_back(moved: list[Move]) -> list[Path]:
    """Undo the moves in reverse order; return the paths that could not be restored."""
    left: list[Path] = []
    while moved:
        source, target, backup = moved.pop()
        try:
            if target.exists() or target.is_symlink():
                target.rename(source)
            if backup is not None:
                backup.rename(target)
        except OSError:
            left.append(target)
    return left


def _plan(source: Path, target: Path) -> list[tuple[Path, Path, bool]]:
    """List the moves (source, target, replaces a file) that put source's tree into target.

    Raises:
        DestinationConflictError: A target is a link, or a file stands where a folder goes
            or a folder where a file goes, or a target is neither a file nor a folder.
    """
    moves: list[tuple[Path, Path, bool]] = []
    with os.scandir(source) as found:
        entries = sorted(found, key=lambda entry: entry.name)
    for entry in entries:
        there = target / entry.name
        kind = _kind(there)
        is_folder = entry.is_dir(follow_symlinks=False)
        if kind is None:
            moves.append((Path(entry.path), there, False))
        elif is_folder and kind == "folder":
            moves += _plan(Path(entry.path), there)
        elif not is_folder and kind == "file":
            moves.append((Path(entry.path), there, True))
        else:
            raise _conflict(there, kind, wanted="folder" if is_folder else "file")
    return moves


def _kind(path: Path) -> str | None:
    """Tell what is at path without following a link: None, file, folder, link or other."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "folder"
    return "file" if stat.S_ISREG(mode) else "other"


def _conflict(path: Path, kind: str, *, wanted: str) -> DestinationConflictError:
    if kind == "link":
        return DestinationConflictError(
            f"{path} is a symbolic link; lambda-scaffold never writes through a link",
            hint=f"remove or rename {path}, then run again",
        )
    what = {"file": "a file", "folder": "a folder"}.get(kind, "neither a file nor a folder")
    return DestinationConflictError(
        f"{path} is {what}, but the project has a {wanted} there",
        hint=f"move {path} out of the way, then run again",
    )
