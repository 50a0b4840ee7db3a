"""The library entry points: the same pipeline as the CLI, without prompts or printing."""

from __future__ import annotations

from scaffold.generator.frameworks import BLUEPRINTS, Blueprint
from scaffold.generator.models import ProjectRequest, RenderResult


def generate(
    request: ProjectRequest,
    *,
    dry_run: bool = False,
    overwrite: bool = False,
    template: str | None = None,
    vcs_ref: str | None = None,
) -> RenderResult:
    """Render a project; see :func:`scaffold.generator.render.render`."""
    from scaffold.generator.plan import check_request
    from scaffold.generator.render import render  # deferred: keeps `import scaffold` free of copier

    check_request(request)
    return render(request, dry_run=dry_run, overwrite=overwrite, template=template, vcs_ref=vcs_ref)


def list_blueprints() -> tuple[Blueprint, ...]:
    """Return the registered blueprints, one per framework."""
    return BLUEPRINTS
