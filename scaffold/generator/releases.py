"""A template's releases: its v* tags in PEP 440 order, and a file as one release has it.

Tags are listed the way copier lists them (``git ls-remote --tags``), from a URL, a folder or a
git bundle; files are read from a bare repository in a temporary folder, never from a project.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from packaging.version import InvalidVersion, Version

from scaffold.errors import GitError, RenderError
from scaffold.generator import fetching, gitutil
from scaffold.generator.template_source import is_remote_source


def version_of(tag: str) -> Version | None:
    """Return the PEP 440 version of a release tag ("v1.2.0" -> 1.2.0), or None for another ref."""
    try:
        return Version(tag.strip().removeprefix("v"))
    except InvalidVersion:
        return None


def is_readable(source: str) -> bool:
    """Tell whether source may hold releases: a URL, a folder or a bundle file that exists."""
    return is_remote_source(source) or Path(source).expanduser().exists()


def release_tags(source: str) -> list[str]:
    """Return the release tags of source, oldest first (PEP 440 order).

    Raises:
        RenderError: git failed, or a remote source did not answer in time.
    """
    named = fetching.list_tags(source, timeout=fetching.fetch_timeout())
    return ordered(named)


def ordered(tags: Iterable[str]) -> list[str]:
    """Keep the tags that are versions, oldest first."""
    valid = {tag: version for tag in tags if (version := version_of(tag)) is not None}
    return sorted(valid, key=valid.__getitem__)


def newest(tags: Sequence[str], *, prereleases: bool) -> str | None:
    """Return the newest release among tags; pre-releases count only when prereleases is set."""
    kept = [tag for tag in ordered(tags) if prereleases or not _is_prerelease(tag)]
    return kept[-1] if kept else None


def read_at(source: str, tags: Sequence[str], path: str) -> dict[str, str]:
    """Return the text of the file path at each of tags of source.

    Raises:
        RenderError: a tag or the file is missing, or git failed.
    """
    with tempfile.TemporaryDirectory(prefix="lambda-scaffold-releases-") as folder:
        bare = Path(folder) / "repo.git"
        gitutil.git("init", "--quiet", "--bare", str(bare), cwd=Path(folder))
        fetching.fetch_tags(source, list(tags), bare, timeout=fetching.fetch_timeout())
        texts: dict[str, str] = {}
        for tag in tags:
            try:
                texts[tag] = gitutil.git(f"--git-dir={bare}", "show", f"{tag}:{path}",
                                         cwd=Path(folder))  # fmt: skip
            except GitError as err:
                raise RenderError(
                    f"the template {source} has no {path} at {tag}",
                    hint="check that the source is a lambda-scaffold template repository",
                ) from err
        return texts


def _is_prerelease(tag: str) -> bool:
    version = version_of(tag)
    return version is not None and version.is_prerelease
