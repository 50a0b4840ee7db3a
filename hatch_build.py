"""Hatch build hook: ship the template's release history (a git bundle) inside the package.

``lambda-scaffold update`` merges a project from its recorded release to a newer one; both
releases come from ``scaffold/_template.bundle``, the ``v*`` tags up to the version being built,
so an update needs no network. A build from a checkout without git or without tags still
succeeds, with a warning, and carries no bundle (an update then asks for ``--template``).
An sdist carries the bundle it was built with, and a wheel built from that sdist reuses it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from packaging.version import InvalidVersion, Version

BUNDLE = "scaffold/_template.bundle"


class TemplateBundleHook(BuildHookInterface):  # type: ignore[type-arg]
    """Create the bundle of release tags and force-include it in the wheel or sdist."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:  # noqa: ARG002
        """Add the bundle to build_data's force_include, or warn why there is none."""
        root = Path(self.root)
        built = Version(self.metadata.version)
        self._scratch = Path(tempfile.mkdtemp(prefix="lambda-scaffold-bundle-"))
        target = self._scratch / "_template.bundle"
        reason = _make_bundle(root, built, target)
        if reason is None:
            build_data["force_include"][str(target)] = BUNDLE
            return
        shipped = root / BUNDLE  # a build from an sdist, which carries the bundle
        if (root / ".git").exists() or not shipped.is_file():
            print(
                f"warning: lambda-scaffold {built} is built without a template bundle "
                f"({reason}); `lambda-scaffold update` of its projects needs --template. "
                "Run `git fetch --tags` in a clone of the repository and build again.",
                file=sys.stderr,
            )

    def finalize(self, version: str, build_data: dict[str, Any], artifact: str) -> None:  # noqa: ARG002
        """Remove the scratch folder of the bundle."""
        shutil.rmtree(self._scratch, ignore_errors=True)


def _make_bundle(root: Path, built: Version, target: Path) -> str | None:
    """Write the bundle of the v* tags <= built to target; return why not, or None."""
    if shutil.which("git") is None:
        return "git is not installed"
    top = _git(root, "rev-parse", "--show-toplevel")
    if top is None or Path(top.strip()).resolve() != root.resolve():
        return f"{root} is not the top of a git checkout"
    listed = _git(root, "tag", "--list", "v*") or ""
    tags = [tag for tag in listed.split() if _released(tag, built)]
    if not tags:
        return f"the checkout has no release tag v* up to v{built}"
    refs = [f"refs/tags/{tag}" for tag in sorted(tags, key=lambda tag: Version(tag[1:]))]
    if _git(root, "bundle", "create", "--quiet", str(target), *refs) is None:
        return "`git bundle create` failed"
    return None


def _released(tag: str, built: Version) -> bool:
    try:
        return Version(tag.removeprefix("v")) <= built
    except InvalidVersion:
        return False


def _git(root: Path, *args: str) -> str | None:
    """Run git in root; None when it fails (no repository, no git)."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None
