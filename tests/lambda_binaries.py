"""Real RIE and LWA binaries for the Lambda chain, fetched once into a cache outside the repo.

The cache is ``${LAMBDA_SCAFFOLD_CACHE:-~/.cache/lambda-scaffold}``, resolved at import time,
before the tests' autouse fixture moves HOME into a temporary folder:

- RIE: the ``aws-lambda-rie-<arch>`` member of the pinned ``aws-sam-cli`` wheel (pip download);
- LWA: ``cargo install lambda_web_adapter`` at the newest version on crates.io, linked
  statically (as the published adapter image's binary is), so the same binary runs natively and
  inside the stand-in adapter image of the container suite, whatever libc the image has;
- SAM CLI: the pinned ``aws-sam-cli`` in a virtual environment of its own (its dependencies
  would clash with the tool's), for ``sam build``.

Fetching is idempotent (an executable in place is used as it is), serialised by a file lock
(concurrent test runs wait, bounded) and atomic (a half-written binary is never visible).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import platform
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from tests import support

REAL_HOME: Final = Path("~").expanduser()
CACHE_DIR: Final = Path(
    os.environ.get("LAMBDA_SCAFFOLD_CACHE") or REAL_HOME / ".cache" / "lambda-scaffold"
)
SAM_CLI_VERSION: Final = "1.170.0"
LWA_VERSION: Final = "1.0.0-rc1"  # newest on crates.io; 1.0.1 is image-only (reference.md 7)
DOWNLOAD_TIMEOUT: Final = 600.0
BUILD_TIMEOUT: Final = 1800.0
LOCK_TIMEOUT: Final = BUILD_TIMEOUT + 60


class ChainUnavailableError(Exception):
    """A binary or a privilege the chain needs is missing here."""


@contextlib.contextmanager
def cache_lock(name: str) -> Iterator[None]:
    """Hold an exclusive file lock in the cache, waiting at most LOCK_TIMEOUT seconds."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with (CACHE_DIR / f".{name}.lock").open("w") as handle:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as err:
                if time.monotonic() > deadline:
                    raise ChainUnavailableError(f"{name}: the cache lock is held too long") from err
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def host_arch() -> str:
    """The machine's architecture, in Lambda's words (x86_64 or arm64)."""
    machine = platform.machine().lower()
    return {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, machine
    )


def rie_binary(arch: str | None = None) -> Path:
    """Return RIE from the pinned aws-sam-cli wheel, downloading it once (idempotent, locked).

    Args:
        arch: x86_64 or arm64 (default: this machine's); the wheel carries both.
    """
    member = f"samcli/local/rapid/aws-lambda-rie-{arch or host_arch()}"
    target = CACHE_DIR / f"rie-sam-{SAM_CLI_VERSION}" / Path(member).name
    if os.access(target, os.X_OK):
        return target
    try:
        import pip  # noqa: F401 - only asks whether pip exists
    except ImportError as err:
        raise ChainUnavailableError("fetching RIE needs pip in the test interpreter") from err
    with cache_lock("rie"):
        if os.access(target, os.X_OK):
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
            argv = [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "-q",
                "-d",
                scratch,
                f"aws-sam-cli=={SAM_CLI_VERSION}",
            ]
            support.run(argv, cwd=Path(scratch), timeout=DOWNLOAD_TIMEOUT, env=toolchain_caches())
            wheel = next(Path(scratch).glob("aws_sam_cli-*.whl"))
            with zipfile.ZipFile(wheel) as archive:
                if member not in archive.namelist():
                    raise ChainUnavailableError(f"{wheel.name} has no {member}")
                partial = Path(scratch) / "rie"
                partial.write_bytes(archive.read(member))
            partial.chmod(0o755)
            partial.replace(target)  # atomic: a reader sees no binary or the whole one
    return target


def lwa_binary() -> Path:
    """Return a static lambda-adapter, built once with cargo install (idempotent, locked)."""
    root = CACHE_DIR / f"lwa-{LWA_VERSION}-static"
    target = root / "bin" / "lambda-adapter"
    if os.access(target, os.X_OK):
        return target
    if shutil.which("cargo") is None:
        raise ChainUnavailableError(f"building lambda-adapter {LWA_VERSION} needs cargo on PATH")
    with cache_lock("lwa"):
        if os.access(target, os.X_OK):
            return target
        env = {
            **toolchain_caches(),
            "CARGO_PROFILE_RELEASE_LTO": "false",
            "CARGO_PROFILE_RELEASE_CODEGEN_UNITS": "16",
            # glibc's static libraries: no loader needed, so it also runs in musl or busybox images
            "RUSTFLAGS": "-C target-feature=+crt-static",
        }
        triples = {"x86_64": "x86_64-unknown-linux-gnu", "arm64": "aarch64-unknown-linux-gnu"}
        argv = [
            "cargo",
            "install",
            "lambda_web_adapter",
            "--version",
            LWA_VERSION,
            "--locked",
            "--target",  # crt-static only applies with an explicit target
            triples.get(host_arch(), f"{platform.machine()}-unknown-linux-gnu"),
            "--root",
            str(root),
        ]
        support.run(argv, cwd=CACHE_DIR, timeout=BUILD_TIMEOUT, env=env)
    return target


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
