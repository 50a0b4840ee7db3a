"""arm64 emulation for the run: QEMU user mode registered with the kernel's binfmt_misc.

Registering is machine-wide, so it is undone afterwards: :func:`arm64` registers
``qemu-aarch64`` (flag F: the kernel opens the interpreter once, so it also works inside
containers) only if no aarch64 handler is registered yet, mounts binfmt_misc only if it is not
mounted, and removes exactly what it added.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Final

BINFMT: Final = Path("/proc/sys/fs/binfmt_misc")
ENTRY: Final = "lambda-scaffold-aarch64"
# The ELF header of an aarch64 executable, and the mask of the bytes that matter (Debian's
# qemu-user-static uses the same pair).
MAGIC: Final = r"\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00"
MASK: Final = r"\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff"


class EmulationUnavailableError(Exception):
    """QEMU or binfmt_misc is not available (or not writable) here."""


def _registered() -> bool:
    """Tell whether some enabled handler already runs aarch64 executables."""
    for entry in BINFMT.glob("*"):
        if entry.name in {"register", "status"}:
            continue
        with contextlib.suppress(OSError):
            text = entry.read_text()
            if (
                text.startswith("enabled")
                and "magic 7f454c460201010000000000000000000200b700" in text
            ):
                return True
    return False


@contextlib.contextmanager
def arm64() -> Iterator[None]:
    """Make arm64 executables run here for the body; undo what was set up on exit."""
    qemu = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
    if qemu is None:
        raise EmulationUnavailableError("needs QEMU user mode: `apt-get install qemu-user-static`")
    mounted = False
    if not (BINFMT / "register").exists():
        result = subprocess.run(
            ["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise EmulationUnavailableError(f"cannot mount binfmt_misc: {result.stderr.strip()}")
        mounted = True
    added = False
    try:
        if not _registered():
            try:
                (BINFMT / "register").write_text(f":{ENTRY}:M::{MAGIC}:{MASK}:{qemu}:F")
            except OSError as err:
                raise EmulationUnavailableError(f"cannot register {qemu}: {err}") from err
            added = True
        yield
    finally:
        if added:
            with contextlib.suppress(OSError):
                (BINFMT / ENTRY).write_text("-1")
        if mounted:
            subprocess.run(["umount", str(BINFMT)], capture_output=True, check=False)
