"""File-system helpers of the render flow: stage the bundled template, list the output."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from scaffold.generator.template_source import BLUEPRINTS_DIR, TEMPLATE_CONFIG, template_root

_STAGED: Final = (TEMPLATE_CONFIG, BLUEPRINTS_DIR)
_IGNORED: Final = shutil.ignore_patterns("__pycache__", "*.py[co]")


def stage_bundled(scratch: Path) -> Path:
    """Return the bundled template as a plain folder, so copier renders its files as they are.

    An installed package's template is such a folder already. A source checkout's is the root
    of a git repository, from which copier would render the newest release tag instead of the
    working tree, so its copier.yml and blueprints/ are put in scratch (hard links where the
    file system allows, copies elsewhere).
    """
    root = template_root()
    if not (root / ".git").exists():
        return root
    staged = scratch / "template"
    staged.mkdir()
    for entry in _STAGED:
        source = root / entry
        if source.is_dir():
            shutil.copytree(source, staged / entry, ignore=_IGNORED, copy_function=_link_or_copy)
        else:
            _link_or_copy(str(source), str(staged / entry))
    return staged


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed
        shutil.copy2(source, target)


def list_files(root: Path) -> Iterator[str]:
    """Yield the relative POSIX paths of the files under root, sorted."""
    for path in sorted(root.rglob("*")):
        if path.is_file() or path.is_symlink():
            yield path.relative_to(root).as_posix()
