"""Real RIE and LWA binaries for the Lambda chain, fetched once into a cache outside the repo.

The cache is ``${LAMBDA_SCAFFOLD_CACHE:-~/.cache/lambda-scaffold}``, resolved at import time,
before the tests' autouse fixture moves HOME into a temporary folder:

- RIE and LWA: fetched and verified by the tool's own code (``lambda_local.dev.binaries``,
  what `lambda-scaffold dev` uses): RIE from the pinned ``aws-sam-cli`` wheel, LWA built with
  ``cargo install`` and linked statically, so the same binary runs natively and inside the
  stand-in adapter image of the container suite, whatever libc the image has;
- SAM CLI: the pinned ``aws-sam-cli`` in a virtual environment of its own (its dependencies
  would clash with the tool's), for ``sam build``.

Fetching is idempotent (an executable in place is used as it is), serialised by a file lock
(concurrent test runs wait, bounded) and atomic (a half-written binary is never visible).
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from scaffold.errors import DevError
from scaffold.lambda_local.dev import binaries
from tests import support

REAL_HOME: Final = Path("~").expanduser()
CACHE_DIR: Final = Path(
    os.environ.get("LAMBDA_SCAFFOLD_CACHE") or REAL_HOME / ".cache" / "lambda-scaffold"
)
SAM_CLI_VERSION: Final = binaries.SAM_CLI_VERSION
LWA_VERSION: Final = binaries.LWA_VERSION
DOWNLOAD_TIMEOUT: Final = 600.0
BUILD_TIMEOUT: Final = 1800.0


class ChainUnavailableError(Exception):
    """A binary or a privilege the chain needs is missing here."""


@contextlib.contextmanager
def cache_lock(name: str) -> Iterator[None]:
    """Hold the tool's own cache lock for name (bounded wait), as `dev` does when fetching."""
    try:
        with binaries.cache_lock(CACHE_DIR, name):
            yield
    except DevError as err:
        raise ChainUnavailableError(str(err)) from err


def host_arch() -> str:
    """The machine's architecture, in Lambda's words (x86_64 or arm64)."""
    machine = platform.machine().lower()
    return {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, machine
    )


def rie_binary(arch: str | None = None) -> Path:
    """Return RIE from the pinned aws-sam-cli wheel, as `lambda-scaffold dev` fetches it.

    Args:
        arch: x86_64 or arm64 (default: this machine's); the wheel carries both.
    """
    try:
        return binaries.rie(CACHE_DIR, arch or host_arch(), lambda _line: None)
    except DevError as err:
        raise ChainUnavailableError(str(err)) from err


def lwa_binary() -> Path:
    """Return the static lambda-adapter that `lambda-scaffold dev` builds (cargo install)."""
    try:
        return binaries.adapter(CACHE_DIR, host_arch(), lambda _line: None)
    except DevError as err:
        raise ChainUnavailableError(str(err)) from err


def sam_cli() -> Path:
    """Return the pinned SAM CLI's ``sam``, installed once in a virtual environment of its own.

    A venv's scripts name its folder in their ``#!`` lines, so it is built where it lives; a
    marker written last tells a complete install from an interrupted one.
    """
    root = CACHE_DIR / f"sam-cli-{SAM_CLI_VERSION}"
    done = root / ".installed"
    if done.is_file():
        return root / "bin" / "sam"
    with cache_lock("sam"):
        if done.is_file():
            return root / "bin" / "sam"
        shutil.rmtree(root, ignore_errors=True)
        support.run([sys.executable, "-m", "venv", str(root)], cwd=CACHE_DIR, timeout=120)
        argv = [str(root / "bin" / "python"), "-m", "pip", "install", "-q"]
        argv += ["--disable-pip-version-check", f"aws-sam-cli=={SAM_CLI_VERSION}"]
        support.run(argv, cwd=CACHE_DIR, timeout=DOWNLOAD_TIMEOUT, env=toolchain_caches())
        done.touch()
    return root / "bin" / "sam"


def toolchain_caches() -> dict[str, str]:
    """Point Go, npm, pip and cargo at the real user's homes: the tests' HOME is a fresh folder.

    Without this every test would download Go modules and npm packages again, and a rustup
    ``cargo`` would find no toolchain.
    """
    xdg = Path(os.environ.get("XDG_CACHE_HOME") or REAL_HOME / ".cache")
    defaults = {
        "GOPATH": REAL_HOME / "go",
        "GOCACHE": xdg / "go-build",
        "npm_config_cache": REAL_HOME / ".npm",
        "PIP_CACHE_DIR": xdg / "pip",
        "CARGO_HOME": REAL_HOME / ".cargo",
        "RUSTUP_HOME": REAL_HOME / ".rustup",
    }
    return {
        key: str(value)
        for key, value in defaults.items()
        if key not in os.environ and (not key.endswith("_HOME") or value.is_dir())
    }
