"""The pinned Runtime Interface Emulator and Lambda Web Adapter binaries, fetched once, verified.

- RIE: the ``aws-lambda-rie-<arch>`` member of the pinned ``aws-sam-cli`` wheel from PyPI,
  fetched with this interpreter's pip in hash-checking mode (the wheel's sha256 is pinned), and
  the member's own sha256 is pinned too.
- The adapter: ``cargo install lambda_web_adapter`` at the pinned crates.io version with its
  lock file (cargo checks the crate's checksum against the registry index), linked statically.
  Its sha256 is recorded beside it when built and checked on every use.

Both live in ``$LAMBDA_SCAFFOLD_CACHE`` (default ``$XDG_CACHE_HOME/lambda-scaffold``, else
``~/.cache/lambda-scaffold``), one folder per version. ``LAMBDA_SCAFFOLD_RIE`` and
``LAMBDA_SCAFFOLD_LWA`` name binaries to use instead (offline machines, mirrors). Fetching is
idempotent, serialised by a file lock and atomic: a half-written binary is never used.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from scaffold.errors import DevError

Notify = Callable[[str], None]

SAM_CLI_VERSION: Final = "1.170.0"
SAM_CLI_WHEEL_SHA256: Final = "24ebaf5ecba38dc1758089968cb89ab61e124b84e92a344fc7a2771a47f4d0bf"
RIE_SHA256: Final = {
    "x86_64": "6b1e686e62ab2baf5759c412c4864276ef2a88b094fca53ec070637ccba9b9a5",
    "arm64": "ec2e5d09633d853834c008b1ef264bf834b258a94d551d2b2074966494b39a21",
}
# The newest adapter on crates.io; 1.0.1, the image's tag, is published as an image only.
LWA_VERSION: Final = "1.0.0-rc1"
_TRIPLES: Final = {"x86_64": "x86_64-unknown-linux-gnu", "arm64": "aarch64-unknown-linux-gnu"}
DOWNLOAD_TIMEOUT: Final = 600.0
BUILD_TIMEOUT: Final = 1800.0
LOCK_TIMEOUT: Final = BUILD_TIMEOUT + 60.0
RIE_ENV: Final = "LAMBDA_SCAFFOLD_RIE"
LWA_ENV: Final = "LAMBDA_SCAFFOLD_LWA"


@dataclass(frozen=True)
class Binaries:
    """The two programs of the local Lambda path."""

    rie: Path
    adapter: Path


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """Return the tool's cache folder (not created)."""
    env = os.environ if env is None else env
    if env.get("LAMBDA_SCAFFOLD_CACHE"):
        return Path(env["LAMBDA_SCAFFOLD_CACHE"])
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "lambda-scaffold"


def host_arch() -> str:
    """This machine's architecture in Lambda's words (x86_64 or arm64), or its own name."""
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "aarch64": "arm64"}.get(machine, machine)


def rie_path(cache: Path, arch: str) -> Path:
    """Where the cached RIE for arch lives."""
    return cache / f"rie-sam-{SAM_CLI_VERSION}" / f"aws-lambda-rie-{arch}"


def adapter_path(cache: Path) -> Path:
    """Where the cached adapter lives."""
    return cache / f"lwa-{LWA_VERSION}-static" / "bin" / "lambda-adapter"


def get(*, cache: Path | None = None, notify: Notify | None = None) -> Binaries:
    """Return verified RIE and adapter binaries for this machine, fetching what is missing.

    Args:
        cache: The cache folder (default: :func:`cache_dir`).
        notify: Told in one line before a slow fetch starts.

    Raises:
        DevError: A binary cannot be had or fails its check; the hint names the way out.
    """
    folder = cache or cache_dir()
    arch = host_arch()
    if arch not in RIE_SHA256:
        raise DevError(
            f"no Runtime Interface Emulator is published for {platform.machine()}",
            hint="run the project in containers instead: `make watch` (docker compose watch)",
        )
    say = notify or (lambda _line: None)
    return Binaries(rie=rie(folder, arch, say), adapter=adapter(folder, arch, say))


def _override(variable: str) -> Path | None:
    value = os.environ.get(variable)
    if not value:
        return None
    path = Path(value).expanduser()
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise DevError(
            f"{variable}={value} is not an executable file",
            hint=f"point {variable} at the binary, or unset it to use the pinned one",
        )
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def cache_lock(cache: Path, name: str) -> Iterator[None]:
    """Hold the cache's lock for name; another fetch of the same binary waits (bounded).

    Raises:
        DevError: The cache folder is not writable, or the lock stays held too long.
    """
    try:
        cache.mkdir(parents=True, exist_ok=True)
        handle = (cache / f".{name}.lock").open("w")
    except OSError as err:
        raise DevError(
            f"cannot use the cache folder {cache}: {err.strerror or err}",
            hint="set LAMBDA_SCAFFOLD_CACHE to a writable folder",
        ) from err
    with handle:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as err:
                if time.monotonic() > deadline:
                    raise DevError(
                        f"another fetch of {name} into {cache} has held its lock too long",
                        hint=f"stop it, or remove {cache / ('.' + name + '.lock')}",
                    ) from err
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(argv: list[str], *, cwd: Path, timeout: float, env: Mapping[str, str]) -> str:
    """Run a fetch step; return its output, or raise the output's tail as the reason."""
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as err:
        raise _StepFailedError(f"{argv[0]} took over {timeout:.0f} s") from err
    except OSError as err:
        raise _StepFailedError(f"{argv[0]}: {err.strerror or err}") from err
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-8:])
        raise _StepFailedError(tail or f"{argv[0]} exited with {done.returncode}")
    return done.stdout


class _StepFailedError(Exception):
    """A fetch step failed; the message is what it printed."""


def rie(cache: Path, arch: str, say: Notify) -> Path:
    """Return the verified RIE for arch (x86_64 or arm64), fetching it once.

    Raises:
        DevError: It cannot be fetched or fails its sha256.
    """
    override = _override(RIE_ENV)
    if override is not None:
        return override
    target = rie_path(cache, arch)
    if target.is_file() and _sha256(target) == RIE_SHA256[arch]:
        return target
    hint = (
        f"check the connection to PyPI (or your pip index), or set {RIE_ENV} to an "
        "aws-lambda-rie binary (github.com/aws/aws-lambda-runtime-interface-emulator releases)"
    )
    with cache_lock(cache, "rie"):
        if target.is_file() and _sha256(target) == RIE_SHA256[arch]:
            return target
        say(f"Fetching the Runtime Interface Emulator (aws-sam-cli {SAM_CLI_VERSION} from PyPI)")
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".fetch-") as scratch:
            folder = Path(scratch)
            pins = folder / "pins.txt"
            pins.write_text(
                f"aws-sam-cli=={SAM_CLI_VERSION} --hash=sha256:{SAM_CLI_WHEEL_SHA256}\n"
            )
            argv = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
            argv += ["--require-hashes", "--disable-pip-version-check", "-q", "-d", scratch]
            try:
                _run([*argv, "-r", str(pins)], cwd=folder, timeout=DOWNLOAD_TIMEOUT, env={})
            except _StepFailedError as err:
                raise DevError(
                    f"cannot fetch aws-sam-cli {SAM_CLI_VERSION}: {err}", hint=hint
                ) from err
            member = f"samcli/local/rapid/aws-lambda-rie-{arch}"
            wheels = list(folder.glob("aws_sam_cli-*.whl"))
            try:
                with zipfile.ZipFile(wheels[0]) as archive:
                    data = archive.read(member)
            except (IndexError, KeyError, zipfile.BadZipFile, OSError) as err:
                raise DevError(f"the aws-sam-cli wheel holds no {member}", hint=hint) from err
            if hashlib.sha256(data).hexdigest() != RIE_SHA256[arch]:
                raise DevError(f"{member} does not match its pinned sha256", hint=hint)
            partial = folder / "rie"
            partial.write_bytes(data)
            partial.chmod(0o755)
            partial.replace(target)  # atomic: no binary or the whole one
    return target


def _recorded(target: Path) -> bool:
    """Tell whether target is a built adapter whose sha256 matches the one recorded at build."""
    record = target.with_name(target.name + ".sha256")
    try:
        return target.is_file() and record.read_text().strip() == _sha256(target)
    except OSError:
        return False


def adapter(cache: Path, arch: str, say: Notify) -> Path:
    """Return the adapter built for this machine (arch), building it once.

    Raises:
        DevError: cargo is missing or the build fails.
    """
    override = _override(LWA_ENV)
    if override is not None:
        return override
    target = adapter_path(cache)
    if _recorded(target):
        return target
    hint = (
        f"install Rust (https://rustup.rs) and check the connection to crates.io, or set {LWA_ENV}"
        " to a lambda-adapter binary (e.g. copied out of the project's image)"
    )
    if shutil.which("cargo") is None:
        raise DevError(
            f"building lambda-adapter {LWA_VERSION} needs cargo, which is not on PATH", hint=hint
        )
    with cache_lock(cache, "lwa"):
        if _recorded(target):
            return target
        say(f"Building the Lambda Web Adapter {LWA_VERSION} from crates.io (once; a few minutes)")
        root = target.parent.parent
        with tempfile.TemporaryDirectory(dir=cache, prefix=".lwa-") as scratch:
            env = {
                "CARGO_PROFILE_RELEASE_LTO": "false",
                "CARGO_PROFILE_RELEASE_CODEGEN_UNITS": "16",
                # glibc's static libraries: no loader needed, so it runs in any image too
                "RUSTFLAGS": "-C target-feature=+crt-static",
                "CARGO_TARGET_DIR": str(Path(scratch) / "target"),
            }
            argv = ["cargo", "install", "lambda_web_adapter", "--version", LWA_VERSION]
            argv += ["--locked", "--target", _TRIPLES[arch], "--root", scratch]
            try:
                _run(argv, cwd=Path(scratch), timeout=BUILD_TIMEOUT, env=env)
            except _StepFailedError as err:
                raise DevError(
                    f"cannot build lambda-adapter {LWA_VERSION}: {err}", hint=hint
                ) from err
            built = Path(scratch) / "bin" / "lambda-adapter"
            target.parent.mkdir(parents=True, exist_ok=True)
            record = target.with_name(target.name + ".sha256")
            staged = target.with_name(".lambda-adapter.partial")
            shutil.copy2(built, staged)
            (root / ".record.partial").write_text(_sha256(staged) + "\n")
            staged.replace(target)
            (root / ".record.partial").replace(record)
    return target
