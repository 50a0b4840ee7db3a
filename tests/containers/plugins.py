"""The docker CLI plugins a user has: Compose v2 and buildx, built from the Go module proxy.

Debian ships neither (only the Python Compose v1), and no download site is reachable, so both
are built once from their module sources at pinned versions into the cache. A test picks a
docker configuration (``DOCKER_CONFIG``) with or without buildx: without it, ``docker build``
and Compose use the classic builder, as on older engines; with it, ``docker buildx build`` and
Compose (through bake) use BuildKit, as on Docker 23+ and Docker Desktop.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Final

from tests import support
from tests.lambda_binaries import BUILD_TIMEOUT, CACHE_DIR, cache_lock, toolchain_caches

COMPOSE: Final = ("github.com/docker/compose/v2", "v2.40.3", "./cmd", "internal.Version")
BUILDX: Final = ("github.com/docker/buildx", "v0.38.2", "./cmd/buildx", "version.Version")


class PluginUnavailableError(Exception):
    """Go, or a module the plugin needs, is missing here."""


def _build(module: str, version: str, package: str, version_var: str, name: str) -> Path:
    """Build one plugin from its module's source, once (idempotent, locked, atomic)."""
    target = CACHE_DIR / f"{name}-{version}" / name
    if os.access(target, os.X_OK):
        return target
    if shutil.which("go") is None:
        raise PluginUnavailableError(f"building {name} {version} needs go on PATH")
    env = {**toolchain_caches(), "CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false"}
    with cache_lock(name):
        if os.access(target, os.X_OK):
            return target
        download = subprocess.run(
            ["go", "mod", "download", "-json", f"{module}@{version}"],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            timeout=BUILD_TIMEOUT,
            check=False,
        )
        if download.returncode != 0:
            raise PluginUnavailableError(f"{module}@{version}: {download.stdout}{download.stderr}")
        source = Path(json.loads(download.stdout)["Dir"])
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
            # Its own go.mod (replace and exclude directives) applies only as the main module,
            # so it is built in a writable copy of the source, not with `go install`.
            work = Path(scratch) / "src"
            shutil.copytree(source, work)
            for folder in (work, *(path for path in work.rglob("*") if path.is_dir())):
                folder.chmod(0o755)  # module cache copies are read-only: let cleanup delete
            flags = f"-s -w -X {module}/{version_var}={version}"
            partial = Path(scratch) / name
            argv = ["go", "build", "-trimpath", f"-ldflags={flags}", "-o", str(partial), package]
            support.run(argv, cwd=work, timeout=BUILD_TIMEOUT, env=env)
            partial.replace(target)
    return target


def compose() -> Path:
    """The Compose v2 plugin binary."""
    return _build(*COMPOSE, "docker-compose")


def buildx() -> Path:
    """The buildx plugin binary."""
    return _build(*BUILDX, "docker-buildx")


def docker_config(root: Path, *, with_buildx: bool) -> Path:
    """A DOCKER_CONFIG folder whose cli-plugins hold Compose, and buildx if asked."""
    plugins = root / "cli-plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    (plugins / "docker-compose").symlink_to(compose())
    if with_buildx:
        (plugins / "docker-buildx").symlink_to(buildx())
    return root
