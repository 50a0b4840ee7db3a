"""actionlint, pinned, built once with ``go install`` into the test cache (from the Go proxy).

:class:`ChainUnavailableError` says why the tool cannot be had; the tests turn it into a skip (or
a failure where toolchains are required).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Final

from tests import support
from tests.lambda_binaries import CACHE_DIR, ChainUnavailableError, cache_lock, toolchain_caches

ACTIONLINT_MODULE: Final = "github.com/rhysd/actionlint/cmd/actionlint"
ACTIONLINT_VERSION: Final = "v1.7.12"
INSTALL_TIMEOUT: Final = 600.0


def actionlint() -> Path:
    """Return the pinned actionlint, built on first use (needs go and the Go module proxy)."""
    root = CACHE_DIR / f"actionlint-{ACTIONLINT_VERSION}"
    binary = root / "actionlint"
    if binary.is_file():
        return binary
    if shutil.which("go") is None:
        raise ChainUnavailableError("actionlint is built with go, which is not on PATH")
    with cache_lock("actionlint"):
        if binary.is_file():
            return binary
        root.mkdir(parents=True, exist_ok=True)
        env = {**toolchain_caches(), "GOBIN": str(root), "GOFLAGS": "-modcacherw"}
        argv = ["go", "install", f"{ACTIONLINT_MODULE}@{ACTIONLINT_VERSION}"]
        support.run(argv, cwd=root, timeout=INSTALL_TIMEOUT, env=env)
    if not binary.is_file():
        raise ChainUnavailableError(f"go install left no actionlint in {root}")
    return binary
