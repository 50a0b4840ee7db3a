"""Run copier's update on a scratch clone of the project's repository, never on the project.

The scratch folder lives in the repository's git folder (named after the process, so a later
run can tell a killed run's leftovers from a live one's) and holds the clone, copier's own
temporary folders and the backups of the final step.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from scaffold.generator import answers, children, copier_run, gitutil
from scaffold.generator.template_source import ANSWERS_FILE
from scaffold.generator.update.guard import Guard

PREFIX: Final = "lambda-scaffold-update-"
JOURNAL: Final = "journal.json"
_IDENTITY: Final = (
    "-c",
    "user.name=lambda-scaffold",
    "-c",
    "user.email=lambda-scaffold@localhost",
    "-c",
    "commit.gpgsign=false",
    "-c",
    f"core.hooksPath={os.devnull}",
)


@dataclass(frozen=True)
class IndexEntry:
    """One stage of a conflicted path, as `git ls-files -u` prints it."""

    mode: str
    sha: str
    stage: str
    path: str


@dataclass(frozen=True)
class Staged:
    """copier's result in the scratch clone.

    Paths are relative to the top of the work tree, in git's form.
    """

    clone: Path
    changes: tuple[str, ...]
    unmerged: tuple[IndexEntry, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Leftover:
    """The scratch folder of an update that was killed (SIGKILL, power loss)."""

    folder: Path
    journal: tuple[str, ...] | None  # the files it was changing, if it got that far


@contextmanager
def scratch_folder(git_dir: Path, guard: Guard) -> Iterator[Path]:
    """Create the scratch folder, route copier's temporary folders into it, remove it after.

    The removal holds signals back, so a second Ctrl-C cannot leave half of it behind.
    """
    folder: Path | None = None
    saved = tempfile.tempdir
    remove: Callable[[Path], None] = children.remove_tree
    try:
        with guard.atomic():  # a signal now must find the folder named, so it is removed
            folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=git_dir))
            temp = folder / "tmp"
            temp.mkdir()
            tempfile.tempdir = str(temp)  # copier's old/new copies and template clones go here
        yield folder
    except BaseException:
        remove = children.clear  # a git that copier started may still write here
        raise
    finally:
        with guard.deferred():
            tempfile.tempdir = saved
            if folder is not None:
                remove(folder)


def remove_own(git_dir: Path) -> None:
    """Remove this process's scratch folders: the last net after a signal cut a cleanup short."""
    for folder in git_dir.glob(f"{PREFIX}{os.getpid()}-*"):
        children.clear(folder)


def leftovers(git_dir: Path) -> list[Leftover]:
    """Return the scratch folders of updates whose process no longer runs."""
    found = []
    for folder in sorted(git_dir.glob(f"{PREFIX}*")):
        pid = folder.name.removeprefix(PREFIX).split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        found.append(Leftover(folder, read_journal(folder)))
    return found


def write_journal(folder: Path, paths: tuple[str, ...]) -> None:
    """Record the files the final step is about to change, for a run after a SIGKILL."""
    target = folder / JOURNAL
    partial = target.with_suffix(".part")
    partial.write_text(json.dumps(list(paths)), encoding="utf-8")
    partial.replace(target)


def read_journal(folder: Path) -> tuple[str, ...] | None:
    """Return the files a journal names, or None without a (readable) journal."""
    try:
        data = json.loads((folder / JOURNAL).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return tuple(str(item) for item in data) if isinstance(data, list) else None


def stage_update(
    folder: Path,
    top: Path,
    project: Path,
    *,
    source: str | None,
    vcs_ref: str | None,
    interactive: bool,
    record: str | None = None,
) -> Staged:
    """Clone the repository at HEAD into folder and let copier update the clone.

    Args:
        folder: The scratch folder.
        top: The top of the project's work tree (clean under project).
        project: The project folder, inside top.
        source: Another template source to record before updating, or None.
        record: The source the answers file names after the update, when it is not the one
            copier read (the published repository, read from the installed bundle).
        vcs_ref: The template version to update to (default: the newest).
        interactive: Ask the newer template's new questions on the terminal.
    """
    head = gitutil.head_commit(top)
    clone = folder / "clone"
    gitutil.git("clone", "-q", "--shared", "--no-checkout", "--", str(top), str(clone), cwd=folder)
    gitutil.git(*_IDENTITY, "checkout", "-q", "--detach", head or "HEAD", cwd=clone)
    sub = project.relative_to(top).as_posix()
    copy = clone / sub
    if source is not None:  # copier update takes no other source (copier-org/copier#1729)
        commit = answers.load(copy / ANSWERS_FILE).get(answers.COMMIT_KEY)
        recorded = commit if isinstance(commit, str) else None
        answers.record_source(copy / ANSWERS_FILE, source, recorded)
        # committed in the clone only, so copier sees a clean work tree
        name = f"{sub}/{ANSWERS_FILE}" if sub != "." else ANSWERS_FILE
        gitutil.git(*_IDENTITY, "commit", "-q", "--no-verify", "-m", "source", "--", name,
                    cwd=clone)  # fmt: skip
    notes = copier_run.run_update(copy, vcs_ref=vcs_ref, interactive=interactive)
    if record is not None:
        commit = answers.load(copy / ANSWERS_FILE).get(answers.COMMIT_KEY)
        answers.record_source(
            copy / ANSWERS_FILE, record, commit if isinstance(commit, str) else None
        )
    changed = gitutil.git_bytes(
        "--literal-pathspecs", "diff", "--name-only", "-z", "--no-renames", head or "HEAD",
        "--", sub, cwd=clone,
    )  # fmt: skip
    created = gitutil.git_bytes("--literal-pathspecs", "ls-files", "-z", "--others", "--", sub,
                                cwd=clone)  # fmt: skip
    names = {name for name in (changed + created).decode().split("\0") if name}
    return Staged(
        clone=clone,
        changes=tuple(sorted(names)),
        unmerged=_unmerged(clone, sub),
        warnings=tuple(notes),
    )


def _unmerged(clone: Path, sub: str) -> tuple[IndexEntry, ...]:
    out = gitutil.git_bytes("--literal-pathspecs", "ls-files", "-u", "-z", "--", sub, cwd=clone)
    entries = []
    for line in out.decode().split("\0"):
        if not line:
            continue
        info, path = line.split("\t", 1)
        mode, sha, stage = info.split()
        entries.append(IndexEntry(mode, sha, stage, path))
    return tuple(entries)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with suppress(OSError):
        status = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
        return status.rsplit(")", 1)[-1].split()[0] != "Z"  # a zombie is not running
    return True
