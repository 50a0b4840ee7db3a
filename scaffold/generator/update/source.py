"""Which template an update (or `update --check`) reads, and which one the project records.

A project made by the bundled template records the published repository (its stable identity).
An update of such a project reads the release history this installation carries (a git bundle,
no network), or the mirror LAMBDA_SCAFFOLD_TEMPLATE_REPO names, and the answers file goes on
naming the published repository. ``--template SRC`` reads SRC and records it.
"""

from __future__ import annotations

from dataclasses import dataclass

from scaffold.errors import RenderError
from scaffold.generator import releases, render
from scaffold.generator.template_source import (
    TEMPLATE_REPO,
    installed_bundle,
    is_default_source,
    mirror_override,
)


@dataclass(frozen=True)
class Source:
    """Where the template is read from, and what the answers file records afterwards.

    read is None when the recorded source is read as it is; record is None when the answers
    file records what was read.
    """

    read: str | None
    record: str | None = None
    bundled: bool = False


def resolve(recorded: object, template: str | None) -> Source:
    """Choose the template source of an update of a project that records recorded.

    Raises:
        RenderError: the project records the published repository and this installation
            carries no release history (a build without release tags).
    """
    if template is not None:
        return Source(render.check_template(template))
    if not is_default_source(recorded):
        return Source(None)
    mirror = mirror_override()
    if mirror is not None:
        return Source(render.check_template(mirror), record=str(recorded))
    bundle = installed_bundle()
    if bundle is None:
        raise RenderError(
            f"this lambda-scaffold carries no template releases to update from (it was built "
            f"without its release tags), and the project's template {TEMPLATE_REPO} is read "
            "from them",
            hint="pass a clone or mirror of the template repository: "
            "`lambda-scaffold update --template <folder or git URL>`",
        )
    return Source(str(bundle), record=str(recorded), bundled=True)


def check_known(source: Source, tag: str | None) -> None:
    """Refuse a version the installed release history does not have (a newer release).

    Raises:
        RenderError: tag is not among the bundle's releases.
    """
    if tag is None or not source.bundled or source.read is None:
        return
    known = releases.release_tags(source.read)
    if tag in known:
        return
    newest = known[-1] if known else "none"
    wanted, top = releases.version_of(tag), releases.version_of(newest)
    newer = wanted is not None and (top is None or wanted > top)
    raise RenderError(
        f"this lambda-scaffold knows template releases up to {newest}, not {tag}"
        if newer
        else f"this lambda-scaffold knows no template release {tag} (newest: {newest})",
        hint="upgrade lambda-scaffold (e.g. `pip install --upgrade lambda-scaffold`) to get "
        "newer releases, or pass a clone of the template repository with --template SRC",
    )
