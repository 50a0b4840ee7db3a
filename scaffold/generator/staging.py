"""Put a rendered tree into DEST whole or not at all: claim DEST, stage beside it, move it in.

A run claims DEST first (it creates DEST, or locks the folder that is there), so two runs
cannot write into the same folder. The project is rendered into a hidden staging folder on
DEST's own file system, in DEST's parent; a new DEST then appears with one rename. Into an
existing folder (``--force``) every file is moved in by rename after a check that nothing
follows a link out of DEST or turns a file into a folder or back; if a move fails, the moves
done so far are undone. Signals are held while files move and while the staging folder is
removed, so DEST is either as it was or complete.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from scaffold import interrupts
from scaffold.errors import (
    DestinationBusyError,
    DestinationConflictError,
    DestinationNotEmptyError,
    ScaffoldError,
    WriteError,
)
from scaffold.generator import children
from scaffold.generator.merge import Move, merge
from scaffold.generator.os_errors import os_error

if sys.platform != "win32":
    import fcntl

STAGING_PREFIX: Final = ".lambda-scaffold-"


def absolute(destination: Path) -> Path:
    """Return destination as an absolute path; refuse when the working folder is gone."""
    try:
        return destination.absolute()
    except FileNotFoundError as err:
        raise WriteError(
            "the current folder no longer exists",
            hint="cd into an existing folder, or pass an absolute destination",
        ) from err


def check_destination(destination: Path, *, overwrite: bool) -> None:
    """Refuse a link, a file, or a non-empty folder (unless overwrite is set) as destination."""
    try:
        info = destination.lstat()
    except FileNotFoundError:
        return
    except OSError as err:
        raise os_error(err, doing=f"read {destination}") from err
    if stat.S_ISLNK(info.st_mode):
        raise DestinationConflictError(
            f"{destination} is a symbolic link (to {destination.readlink()})",
            hint="pass the folder it points to, or choose another destination",
        )
    if not stat.S_ISDIR(info.st_mode):
        raise DestinationNotEmptyError(
            f"{destination} exists and is not a folder", hint="choose another destination"
        )
    if not overwrite and _has_entries(destination):
        raise DestinationNotEmptyError(
            f"{destination} is not empty",
            hint="choose an empty or new folder, or pass --force to write into it",
        )


def _has_entries(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return any(not entry.name.startswith(STAGING_PREFIX) for entry in entries)
    except OSError as err:
        raise os_error(err, doing=f"read {folder}") from err


@dataclass
class Workspace:
    """Where a run renders: a private folder, and (unless a dry run) a claimed destination."""

    root: Path
    destination: Path | None = None
    created: bool = False
    moved: list[Move] = field(default_factory=list)
    committed: bool = False

    @property
    def project(self) -> Path:
        """The folder copier renders into."""
        return self.root / "project"

    @property
    def tmp(self) -> Path:
        """The folder for the temporary files of the render (copier's clones among them)."""
        return self.root / "tmp"

    def commit(self) -> None:
        """Put the rendered project into the destination, whole or not at all."""
        if self.destination is None:
            raise RuntimeError("a dry run has no destination to commit to")
        with interrupts.deferred() as held:
            if self.created and _replaced_claim(self.project, self.destination):
                self.moved.append((self.project, self.destination, None))
            else:
                merge(self.project, self.destination, self.root / "replaced", self.moved)
            self.committed = True
        interrupts.after(held, written=self.destination)


@contextmanager
def workspace(destination: Path, *, overwrite: bool, dry_run: bool) -> Iterator[Workspace]:
    """Prepare a Workspace for destination; remove everything but a committed project after.

    A dry run works in the system's temporary folder and touches nothing near destination.

    Raises:
        DestinationBusyError: Another run is writing destination.
        DestinationNotEmptyError: destination holds files and overwrite is not set.
        WriteError: The file system refused to create a folder.
        Interrupted: A signal stopped the run (after cleaning up).
    """
    if dry_run:
        with (
            interrupts.handled(),
            _private(lambda: Path(tempfile.mkdtemp(prefix=STAGING_PREFIX))) as root,
        ):
            scratch = Workspace(root=root)
            scratch.tmp.mkdir()
            yield scratch
        return
    work: Workspace | None = None
    with interrupts.handled():
        try:
            with (
                _claimed(destination, overwrite=overwrite) as created,
                _staging(destination) as root,
            ):
                work = Workspace(root=root, destination=destination, created=created)
                work.tmp.mkdir()
                yield work
        except BaseException as err:
            stopped = interrupts.unwrap(err)
            if stopped is None:
                raise
            if work is not None and work.committed:  # the signal came after the last rename
                stopped.written = destination
                stopped.left = tuple(path for path in stopped.left if not _holds(path, destination))
            if stopped is err:
                raise
            raise stopped from err


def _holds(folder: Path, destination: Path) -> bool:
    """Tell whether folder is destination or one of its parents."""
    return folder == destination or folder in destination.parents


@contextmanager
def _private(make: Callable[[], Path]) -> Iterator[Path]:
    """Create a private folder with make; remove it after the body, holding signals.

    If it cannot be removed after an interrupt, the Interrupted names it.
    """
    root: Path | None = None
    try:
        with interrupts.deferred() as held:
            try:
                root = make()
            except OSError as err:
                raise os_error(err, doing="create a working folder") from err
        interrupts.after(held, written=None)
        yield root
        # inside the try: a signal before the removal starts must still find the folder named
        with interrupts.deferred() as held:
            children.remove_tree(root)
        interrupts.after(held, written=None)
    except BaseException as err:
        if root is not None:
            with interrupts.deferred():
                children.clear(root)  # a git that copier started may still write here
            stopped = interrupts.unwrap(err)
            if stopped is not None and root.exists():
                stopped.left += (root,)
        raise


@contextmanager
def _claimed(destination: Path, *, overwrite: bool) -> Iterator[bool]:
    """Create or lock destination for this run alone; yield whether this run created it."""
    with _cleanup_on_failure() as undo:
        with interrupts.deferred() as held:
            for folder in (*reversed(destination.parents), destination):
                with contextlib.suppress(FileExistsError), _refused(f"create {folder}"):
                    folder.mkdir()
                    undo.append(folder)
        interrupts.after(held, written=None)
        created = destination in undo
        if not created:
            check_destination(destination, overwrite=overwrite)
        with _locked(destination):
            check_destination(destination, overwrite=overwrite)
            yield created


@contextmanager
def _refused(doing: str) -> Iterator[None]:
    try:
        yield
    except FileExistsError:
        raise
    except OSError as err:
        raise os_error(err, doing=doing) from err


@contextmanager
def _cleanup_on_failure() -> Iterator[list[Path]]:
    """Yield a list of empty folders to remove again if the body fails or is interrupted."""
    created: list[Path] = []
    try:
        yield created
    except BaseException as err:
        stopped = interrupts.unwrap(err)
        if stopped is not None and stopped.written is not None:
            raise
        with interrupts.deferred():
            left = tuple(folder for folder in reversed(created) if not _remove_empty(folder))
        if stopped is not None:
            stopped.left += left
        raise


def _remove_empty(folder: Path) -> bool:
    """Remove folder if it is empty or gone; tell whether it is gone."""
    try:
        folder.rmdir()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on folder: released by the kernel even on SIGKILL."""
    if sys.platform == "win32":
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as err:
        raise os_error(err, doing=f"open {folder}") from err
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            raise DestinationBusyError(
                f"another lambda-scaffold run is writing {folder}",
                hint="wait for it to finish, or choose another destination",
            ) from err
        yield
    finally:
        os.close(fd)


def _staging_prefix(destination: Path) -> str:
    """A prefix of the staging folders of one destination, short whatever its name."""
    key = hashlib.sha256(destination.name.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return f"{STAGING_PREFIX}{key}-"


@contextmanager
def _staging(destination: Path) -> Iterator[Path]:
    """Create a locked staging folder on destination's file system; remove it afterwards.

    It sits in destination's parent, or inside destination when that is another file system
    (a mount point) or the parent is not writable. Leftovers of killed runs are removed first.
    """
    prefix = _staging_prefix(destination)
    places = [destination.parent, destination]
    if destination.stat().st_dev != destination.parent.stat().st_dev:
        places.reverse()
    for place in places:
        _sweep(place, prefix)
    with _private(lambda: _make_staging(places, prefix)) as root, _locked(root):
        yield root


def _make_staging(places: list[Path], prefix: str) -> Path:
    error: OSError | None = None
    for place in places:
        try:
            return Path(tempfile.mkdtemp(prefix=prefix, dir=place))
        except OSError as err:
            error = error or err
    assert error is not None
    raise os_error(error, doing=f"write in {places[0]}")


def _sweep(place: Path, prefix: str) -> None:
    """Remove the staging folders of killed runs: those that no live run holds locked."""
    try:
        with os.scandir(place) as entries:
            stale = [Path(entry.path) for entry in entries if entry.name.startswith(prefix)]
    except OSError:
        return
    for folder in stale:
        with contextlib.suppress(ScaffoldError, OSError), _locked(folder):
            shutil.rmtree(folder, ignore_errors=True)


def _replaced_claim(project: Path, destination: Path) -> bool:
    """Rename project over the empty folder this run created; False if that is not possible."""
    try:
        project.rename(destination)
    except OSError:
        return False
    return True
