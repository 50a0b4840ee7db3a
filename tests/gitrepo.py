"""Build tagged git repositories of the template, and git-tracked projects, inside tmp_path."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Final

import yaml

REPO: Final = Path(__file__).resolve().parent.parent
CONFIG: Final = yaml.safe_load((REPO / "copier.yml").read_text())
OLD_LWA: Final[str] = CONFIG["lwa_version"]["default"]
NEW_LWA: Final = "1.99.0"
NEW_FILE: Final = "CONTRIBUTING.md"
_LWA_PIN = re.compile(r'(^lwa_version:\n(?:  .*\n)*?  default: )"[^"]*"', re.MULTILINE)


def git(*args: str, cwd: Path) -> str:
    """Run git without signing; fail the test with git's output when it fails."""
    result = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout


def commit_all(path: Path, message: str) -> None:
    """Stage everything in path's repository and commit it."""
    git("add", "-A", cwd=path)
    git("commit", "-q", "-m", message, cwd=path)


def init_and_commit(path: Path, message: str = "init") -> None:
    """Make path a git repository with everything committed."""
    git("init", "-q", cwd=path)
    commit_all(path, message)


def copy_template(destination: Path) -> Path:
    """Copy copier.yml and blueprints/ from the checkout into destination."""
    destination.mkdir(parents=True)
    shutil.copy2(REPO / "copier.yml", destination / "copier.yml")
    shutil.copytree(
        REPO / "blueprints",
        destination / "blueprints",
        ignore=shutil.ignore_patterns("__pycache__", "*.py[co]", "node_modules", ".venv"),
    )
    return destination


def template_repo(destination: Path, first: str = "v1.0.0", second: str | None = "v1.1.0") -> Path:
    """A git repository of the template tagged first; second (if any) bumps the adapter pin
    and adds CONTRIBUTING.md to the echo blueprint."""
    repo = copy_template(destination)
    init_and_commit(repo, "feat: the template")
    git("tag", first, cwd=repo)
    if second is not None:
        release_next(repo, second)
    return repo


def release_next(repo: Path, tag: str) -> None:
    """Commit the next template version and tag it."""
    config = repo / "copier.yml"
    text, count = _LWA_PIN.subn(rf'\g<1>"{NEW_LWA}"', config.read_text())
    assert count == 1, "the lwa_version pin was not found in copier.yml"
    config.write_text(text)
    (repo / "blueprints" / "echo" / "template" / NEW_FILE).write_text(
        "# Contributing\n\nRun `make test` before you open a pull request.\n"
    )
    commit_all(repo, "feat: adapter pin bumped, contributing guide")
    git("tag", tag, cwd=repo)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root (outside .git) with its content."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


_SLOW_GIT = """#!/bin/sh
# A git that, for copier's template clone, first writes into the clone's folder for 30 s.
case " $* " in
  *" clone "*" --filter=blob:none "*)
    for dest in "$@"; do :; done
    echo $$ > {pid_file}
    i=0
    while [ $i -lt 300 ]; do
      mkdir -p "$dest" && echo $i > "$dest/busy"
      sleep 0.1
      i=$((i + 1))
    done ;;
esac
exec {git} "$@"
"""


def slow_git(folder: Path) -> tuple[Path, Path]:
    """Put a slow git stand-in in folder/bin; return that folder and the file it writes its PID to.

    It stands in for a git that copier started and a signal did not reach (it was sent to the
    CLI alone): it goes on writing inside the run's temporary folders until something stops it.
    """
    real = shutil.which("git")
    assert real is not None, "git is needed"
    bin_dir = folder / "bin"
    bin_dir.mkdir(parents=True)
    pid_file = folder / "slow-git.pid"
    script = bin_dir / "git"
    script.write_text(_SLOW_GIT.format(pid_file=pid_file, git=real))
    script.chmod(0o755)
    return bin_dir, pid_file


def stop_slow_git(pid_file: Path) -> None:
    """Stop the stand-in by its PID if it still runs (a failed test must not leave it)."""
    if pid_file.exists() and running(pid := int(pid_file.read_text())):
        os.kill(pid, signal.SIGKILL)  # its `sleep 0.1` ends by itself


def running(pid: int) -> bool:
    """Tell whether pid runs (a zombie does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")
