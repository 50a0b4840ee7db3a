"""File-system helpers of the render flow: stage the bundled template, list the output."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from scaffold.generator.template_source import BLUEPRINTS_DIR, TEMPLATE_CONFIG, template_root

_STAGED: Final = (TEMPLATE_CONFIG, BLUEPRINTS_DIR)


def stage_bundled(scratch: Path) -> Path:
    """Copy the bundled template into scratch: a plain folder renders the files as they are.

    From a git checkout copier would render the newest release tag instead of the working tree.
    """
    root = template_root()
    staged = scratch / "template"
    staged.mkdir()
    for entry in _STAGED:
        source = root / entry
        if source.is_dir():
            shutil.copytree(
                source, staged / entry, ignore=shutil.ignore_patterns("__pycache__", "*.py[co]")
            )
        else:
            shutil.copy2(source, staged / entry)
    return staged


def list_files(root: Path) -> Iterator[str]:
    """Yield the relative POSIX paths of the files under root, sorted."""
    for path in sorted(root.rglob("*")):
        if path.is_file() or path.is_symlink():
            yield path.relative_to(root).as_posix()
