"""Where templates come from: the bundled copier template, its release repository and tags."""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path
from typing import Final

from scaffold.errors import RenderError

TEMPLATE_CONFIG: Final = "copier.yml"
BLUEPRINTS_DIR: Final = "blueprints"
ANSWERS_FILE: Final = ".copier-answers.yml"
# Where released templates live: a project made by the bundled template records this repository
# and the release tag v<version> in its answers file, so `copier update` can find both.
TEMPLATE_REPO: Final = "https://github.com/lambda-scaffold/lambda-scaffold.git"
TEMPLATE_REPO_ENV: Final = "LAMBDA_SCAFFOLD_TEMPLATE_REPO"
# The release tags v* up to this version, as a git bundle the build puts beside the package
# (hatch_build.py): updates of projects that record TEMPLATE_REPO read it instead of the network.
BUNDLE_FILE: Final = "_template.bundle"


def template_root() -> Path:
    """Return the folder that holds copier.yml and blueprints/.

    An installed wheel carries them under ``scaffold/_template``; a source checkout (editable
    install) has them at the repository root.
    """
    bundled = Path(str(resources.files("scaffold"))) / "_template"
    checkout = Path(__file__).resolve().parents[2]
    for root in (bundled, checkout):
        if (root / TEMPLATE_CONFIG).is_file() and (root / BLUEPRINTS_DIR).is_dir():
            return root
    raise RenderError(
        "the bundled template (copier.yml and blueprints/) is missing from this installation",
        hint="reinstall lambda-scaffold, e.g. `pip install --force-reinstall lambda-scaffold`",
    )


def template_repository() -> str:
    """Return the git repository that publishes the bundled template.

    ``LAMBDA_SCAFFOLD_TEMPLATE_REPO`` overrides it, for forks, mirrors and tests.
    """
    return normalize_source(os.environ.get(TEMPLATE_REPO_ENV, "").strip() or TEMPLATE_REPO)


def installed_bundle() -> Path | None:
    """Return the git bundle of the template's releases that this installation carries, if any.

    A wheel built from a checkout with its release tags carries one; an editable install or a
    build without tags does not.
    """
    bundle = Path(str(resources.files("scaffold"))) / BUNDLE_FILE
    return bundle if bundle.is_file() else None


def mirror_override() -> str | None:
    """Return the template source LAMBDA_SCAFFOLD_TEMPLATE_REPO names, or None when unset."""
    text = os.environ.get(TEMPLATE_REPO_ENV, "").strip()
    return normalize_source(text) if text else None


def is_default_source(source: object) -> bool:
    """Tell whether source is the published repository that the bundled template records."""
    if not isinstance(source, str):
        return False
    return _canonical(source) == _canonical(TEMPLATE_REPO)


def is_bundle_file(source: str) -> bool:
    """Tell a git bundle file (``*.bundle``) from a folder or URL."""
    return not is_remote_source(source) and source.endswith(".bundle") and Path(source).is_file()


def _canonical(source: str) -> str:
    return source.strip().rstrip("/").removesuffix(".git").lower()


def release_tag(version: str) -> str | None:
    """Return the git tag of a released version ("1.2.0" -> "v1.2.0").

    Development builds ("1.2.0.dev3", "1.2.0+g1a2b3c", the "0.0.0" of a bare source tree) match
    no tag, so they get None.
    """
    if version == "0.0.0" or not re.fullmatch(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?", version):
        return None
    return f"v{version}"


def is_remote_source(source: str) -> bool:
    """Tell a git URL (https://, ssh://, git@host:, gh:, gl:) from a local path."""
    return bool(re.match(r"^([a-z][a-z0-9+.-]*://|gh:|gl:|[\w.-]+@[\w.-]+:)", source))


def normalize_source(source: str) -> str:
    """Return a template source as copier should record it: URLs as given, paths absolute.

    copier records ``_src_path`` exactly as passed, and a relative path breaks later updates
    (copier-org/copier#335, #1616).
    """
    if is_remote_source(source):
        return source
    return str(Path(source).expanduser().resolve())
