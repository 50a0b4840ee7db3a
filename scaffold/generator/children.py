"""Remove a working folder after stopping the processes this run started inside it.

copier runs git through plumbum, which does not stop its child when a signal cuts the wait
short: that git goes on writing into the staging or scratch folder while the run removes it, or
creates it again. Only processes that descend from this one *and* work inside the folder (their
working folder or an argument lies in it), with their own descendants, are stopped: a library
caller's other children are left alone. Linux only (it reads /proc); elsewhere it does nothing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from pathlib import Path
from typing import Final

_PROC: Final = Path("/proc")
_GRACE: Final = 2.0  # seconds for SIGTERM, then the same again after SIGKILL
_POLL: Final = 0.02
_REMOVE_TRIES: Final = 10


def clear(folder: Path) -> None:
    """Stop this process's descendants that work inside folder, then remove folder."""
    stop_inside(folder)
    remove_tree(folder)


def remove_tree(root: Path) -> None:
    """Remove root, trying again for a moment while something still writes inside it.

    A signal sent to the whole process group also stops the git that copier runs there; git
    removes its half-made clone as it exits, so the first removal can race it. Bounded: ten
    tries within about three seconds.
    """
    for attempt in range(_REMOVE_TRIES):
        shutil.rmtree(root, ignore_errors=True)
        if not root.exists():
            return
        time.sleep(0.05 * (attempt + 1))


def stop_inside(folder: Path) -> tuple[int, ...]:
    """SIGTERM, then SIGKILL, this process's descendants that work inside folder; wait for them.

    Bounded: about four seconds at most. Returns the process IDs it signalled.
    """
    if not _PROC.is_dir():
        return ()
    parents = _parents()
    ours = _descendants(os.getpid(), parents)
    names = {str(folder.absolute()), str(folder.resolve())}  # /proc shows resolved paths
    inside = {pid for pid in ours if _works_inside(pid, names)}
    targets = inside | {pid for top in inside for pid in _descendants(top, parents)}
    for signum in (signal.SIGTERM, signal.SIGKILL):
        for pid in targets:
            with contextlib.suppress(OSError):
                os.kill(pid, signum)
        if _ended(targets, within=_GRACE):
            break
    return tuple(sorted(targets))


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, parent, ...), or None."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()


def _parents() -> dict[int, int]:
    """Every process's parent."""
    found = {}
    for entry in _PROC.iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) and len(fields) > 1:
            found[int(entry.name)] = int(fields[1])
    return found


def _descendants(root: int, parents: dict[int, int]) -> set[int]:
    """The processes below root (bounded by the table: each process is visited once)."""
    below: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - below
        below |= frontier
    return below


def _works_inside(pid: int, folders: set[str]) -> bool:
    """Tell whether the process's working folder or one of its arguments lies in a folder."""
    prefixes = tuple(f"{folder}{os.sep}" for folder in folders)
    places = []
    with contextlib.suppress(OSError):
        places.append(str((_PROC / str(pid) / "cwd").readlink()))
    with contextlib.suppress(OSError):
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
        places.extend(os.fsdecode(arg) for arg in raw.split(b"\0") if arg)
    return any(place in folders or place.startswith(prefixes) for place in places)


def _ended(pids: set[int], *, within: float) -> bool:
    """Wait until every pid has ended (reaping this process's own children); tell if they did."""
    deadline = time.monotonic() + within
    while True:
        running = {pid for pid in pids if _running(pid)}
        if not running:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL)


def _running(pid: int) -> bool:
    """Tell whether pid still runs; a child of this process that ended is reaped here."""
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    fields = _stat(pid)
    return fields is not None and len(fields) > 0 and fields[0] not in ("Z", "X")
