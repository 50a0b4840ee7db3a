"""The one seam for outside commands, and the few git questions the update flow asks.

Commands run from an argv list, never through a shell.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from scaffold.errors import GitError


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
