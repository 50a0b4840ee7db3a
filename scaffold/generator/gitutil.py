"""The one seam for outside commands, and the few git questions the update flow asks.

Commands run from an argv list, never through a shell.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from scaffold.errors import GitError

TIMEOUT_ENV: Final = "LAMBDA_SCAFFOLD_GIT_TIMEOUT"
DEFAULT_TIMEOUT: Final = 30
# git aborts an HTTP(S) transfer slower than LIMIT bytes/s for TIME seconds (git-config(1),
# http.lowSpeedLimit): a server that accepts the connection and never answers is given up.
_LOW_SPEED_LIMIT: Final = "GIT_HTTP_LOW_SPEED_LIMIT"
_LOW_SPEED_TIME: Final = "GIT_HTTP_LOW_SPEED_TIME"
# git's words when that limit or a connection timeout ends a fetch.
TIMEOUT_WORDS: Final = ("Operation too slow", "timed out", "Timeout was reached")


@dataclass(frozen=True)
class CommandResult:
    """The outcome of one command."""

    returncode: int
    stdout: str
    stderr: str


def run_command(argv: list[str], *, cwd: Path) -> CommandResult:
    """Run argv in cwd and capture its output; never raise for a non-zero exit.

    Raises:
        GitError: The program is not installed.
    """
    try:
        done = subprocess.run(  # an argv list, never a shell
            argv,
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as err:
        raise GitError(
            f"{argv[0]} is not installed or not on PATH",
            hint=f"install {argv[0]} and run the command again",
        ) from err
    return CommandResult(done.returncode, done.stdout, done.stderr)


def git_bytes(*args: str, cwd: Path, stdin: bytes = b"") -> bytes:
    """Run one git command on bytes (blobs, NUL-separated lists) and return its stdout.

    Raises:
        GitError: git is missing or the command failed.
    """
    try:
        done = subprocess.run(  # an argv list, never a shell
            ["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False
        )
    except FileNotFoundError as err:
        raise GitError("git is not installed or not on PATH", hint="install git") from err
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(
            f"`git {' '.join(args)}` failed: {detail[0] if detail else 'no output'}",
            hint="check the repository with `git status`",
        )
    return done.stdout


def git(*args: str, cwd: Path) -> str:
    """Run one git command and return its stdout.

    Raises:
        GitError: git is missing or the command failed.
    """
    result = run_command(["git", *args], cwd=cwd)
    if result.returncode != 0:
        detail = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise GitError(
            f"`git {' '.join(args)}` failed: {detail[0] if detail else 'no output'}",
            hint="check the repository with `git status`",
        )
    return result.stdout


def work_tree_root(path: Path) -> Path | None:
    """Return the top folder of the git work tree that holds path, or None outside git."""
    result = run_command(["git", "rev-parse", "--show-toplevel"], cwd=path)
    if result.returncode != 0:
        return None
    return Path(result.stdout.strip())


def status_paths(path: Path) -> list[str]:
    """Return the paths under path that differ from HEAD, untracked files included.

    Paths are relative to the work tree's top folder, as git prints them.
    """
    out = git("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".", cwd=path)
    entries = out.split("\0")
    paths: list[str] = []
    index = 0
    while index < len(entries):
        entry = entries[index]
        index += 1
        if len(entry) < 4:
            continue
        paths.append(entry[3:])
        if entry[0] in "RC":  # a rename or copy is followed by its source path
            index += 1
    return paths


def unmerged_paths(path: Path) -> list[str]:
    """Return the paths under path that git records as unmerged (conflicts)."""
    out = git("diff", "--name-only", "-z", "--diff-filter=U", "--", ".", cwd=path)
    return [name for name in out.split("\0") if name]


def git_dir(path: Path) -> Path:
    """Return the git folder of the repository that holds path (.git, or a worktree's)."""
    return Path(git("rev-parse", "--absolute-git-dir", cwd=path).strip())


def head_commit(path: Path) -> str | None:
    """Return the commit HEAD names, or None in a repository without commits."""
    result = run_command(["git", "rev-parse", "--verify", "-q", "HEAD^{commit}"], cwd=path)
    return result.stdout.strip() if result.returncode == 0 else None


def tracked_paths(top: Path, under: str) -> set[str]:
    """Return the files git tracks under a folder of the work tree (paths from the top)."""
    out = git("--literal-pathspecs", "ls-files", "-z", "--", under, cwd=top)
    return {name for name in out.split("\0") if name}


def is_ignored(top: Path, name: str) -> bool:
    """Tell whether git ignores a path of the work tree (a .gitignore rule matches it)."""
    result = run_command(["git", "check-ignore", "-q", "--no-index", "--", name], cwd=top)
    return result.returncode == 0


def hidden_paths(path: Path) -> list[str]:
    """Return the files under path that are flagged --assume-unchanged (hidden from status)."""
    out = git("ls-files", "-v", "-z", "--", ".", cwd=path)
    return [entry[2:] for entry in out.split("\0") if entry[:2] == "h "]


@contextmanager
def network_timeouts() -> Iterator[dict[str, str]]:
    """Make git give up HTTP(S) transfers that stall, for the length of the block.

    The limit comes from LAMBDA_SCAFFOLD_GIT_TIMEOUT (seconds, default 30); git's own
    GIT_HTTP_LOW_SPEED_* settings win when they are set. Yields the variables it set in
    os.environ, for tools that took a copy of the environment earlier (plumbum, for copier).
    """
    wanted = {_LOW_SPEED_LIMIT: "1", _LOW_SPEED_TIME: str(timeout_seconds())}
    added = {name: value for name, value in wanted.items() if name not in os.environ}
    os.environ.update(added)
    try:
        yield added
    finally:
        for name in added:
            os.environ.pop(name, None)


def timeout_seconds() -> int:
    """Return the seconds a stalled git transfer is given (LAMBDA_SCAFFOLD_GIT_TIMEOUT)."""
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if text.isdigit() and int(text) > 0:
        return int(text)
    return DEFAULT_TIMEOUT
