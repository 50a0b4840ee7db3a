"""Fetch a template's git repository within a deadline: a peer that stops answering cannot hang.

git has no overall timeout (``http.lowSpeedTime`` covers only HTTP, nothing covers ``git://``),
so the clone runs as a child process group that is killed when the deadline passes or the run
is interrupted. copier then renders from the local clone and never touches the network.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
from pathlib import Path
from typing import Final

from scaffold.errors import EXIT_USAGE, RenderError
from scaffold.generator.copier_messages import first_line
from scaffold.generator.template_source import is_remote_source

TIMEOUT_VARIABLE: Final = "LAMBDA_SCAFFOLD_FETCH_TIMEOUT"
DEFAULT_TIMEOUT: Final = 120.0
_SHORTHANDS: Final = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}


def fetch_timeout() -> float:
    """Return the seconds a template fetch may take: LAMBDA_SCAFFOLD_FETCH_TIMEOUT or 120.

    Raises:
        RenderError: The variable is not a positive number of seconds (exit code 2).
    """
    text = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise RenderError(
            f"{TIMEOUT_VARIABLE}={text} is not a number of seconds",
            hint=f"set it to a positive number such as 300, or unset it for {DEFAULT_TIMEOUT:g}",
            exit_code=EXIT_USAGE,
        )
    return seconds


def expand(source: str) -> str:
    """Turn copier's gh:/gl: shorthands into the URLs git understands."""
    for shorthand, base in _SHORTHANDS.items():
        if source.startswith(shorthand):
            path = source.removeprefix(shorthand)
            return base + (path if path.endswith(".git") else f"{path}.git")
    return source


def clone(source: str, into: Path, *, timeout: float) -> Path:
    """Clone the git repository source (with its tags) into the new folder into.

    Raises:
        RenderError: git is missing, failed, or did not finish within timeout seconds.
    """
    url = expand(source)
    late = _late(f"fetching the template {source} took longer than {timeout:g} s")
    _git_within(["clone", "--quiet", "--", url, str(into)], source, url, timeout, late)
    return into


def probe(source: str, *, timeout: float, late: RenderError) -> None:
    """Ask the git server of source for its tags, and give up after timeout seconds.

    Every transport counts (https, ssh, git://): a peer that accepts and never answers fails
    here instead of stalling a longer operation that has no deadline of its own.

    Raises:
        RenderError: git is missing or failed; late when the deadline passed.
    """
    url = expand(source)
    _git_within(["ls-remote", "--tags", "--quiet", "--", url], source, url, timeout, late)


def list_tags(source: str, *, timeout: float) -> list[str]:
    """Return the tag names of the git repository (or bundle file) source.

    Raises:
        RenderError: git is missing or failed, or did not answer within timeout seconds.
    """
    url = expand(source)
    late = _late(f"the template {source} did not list its tags within {timeout:g} s")
    out = _git_within(["ls-remote", "--tags", "--refs", "--", url], source, url, timeout, late)
    lines = out.decode("utf-8", "replace").splitlines()
    return [line.split("\t", 1)[1].removeprefix("refs/tags/") for line in lines if "\t" in line]


def fetch_tags(source: str, tags: list[str], into: Path, *, timeout: float) -> None:
    """Fetch the given tags of source into the bare repository into (shallow for a URL).

    Raises:
        RenderError: git is missing or failed, or did not finish within timeout seconds.
    """
    url = expand(source)
    late = _late(f"fetching the template {source} took longer than {timeout:g} s")
    refs = [f"refs/tags/{tag}:refs/tags/{tag}" for tag in tags]
    depth = ["--depth=1"] if is_remote_source(source) else []
    args = ["--git-dir", str(into), "fetch", "--quiet", "--no-tags", *depth, "--", url, *refs]
    _git_within(args, source, url, timeout, late)


def _late(message: str) -> RenderError:
    """Return the error of a git command that passed its deadline."""
    return RenderError(
        message, hint=f"check the URL and your network; on a slow link raise {TIMEOUT_VARIABLE}"
    )


def _git_within(args: list[str], source: str, url: str, timeout: float, late: RenderError) -> bytes:
    try:
        process = subprocess.Popen(
            ["git", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
            start_new_session=True,  # its own group: killing it also stops git-remote-* and ssh
        )
    except OSError as err:
        raise RenderError(
            f"git cannot run: {first_line(err)}", hint="install git, then run again"
        ) from err
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as err:
        _kill(process)
        raise late from err
    except BaseException:
        _kill(process)
        raise
    if process.returncode != 0:
        lines = stderr.decode("utf-8", "replace").strip().splitlines()
        fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
        detail = (fatal or lines or [f"exit code {process.returncode}"])[0]
        raise RenderError(
            f"git could not fetch the template {source}: {detail}",
            hint="check the URL, the version tag and your network "
            f"(`git ls-remote --tags {url}` must work)",
        )
    return stdout


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()  # reaps it and closes its stderr pipe
