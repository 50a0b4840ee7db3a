"""Render a ProjectRequest into its destination: check, stage, run copier, record, put in place."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from scaffold.errors import EXIT_USAGE, RenderError
from scaffold.generator import answers as answers_file
from scaffold.generator import copier_run, staging
from scaffold.generator.fetching import clone, fetch_timeout
from scaffold.generator.files import list_files, stage_bundled
from scaffold.generator.models import ProjectRequest, RenderResult
from scaffold.generator.os_errors import os_error
from scaffold.generator.template_source import (
    ANSWERS_FILE,
    TEMPLATE_REPO,
    is_bundle_file,
    is_remote_source,
    normalize_source,
    release_tag,
    template_repository,
)

Answers = Mapping[str, str | int | bool]
TEMPLATE_CONFIGS: Final = ("copier.yml", "copier.yaml")
_FIT_HINT: Final = (
    f"a custom template must ask lambda-scaffold's questions (framework, name, "
    f"port, ...) and write {ANSWERS_FILE}; start from a fork of {TEMPLATE_REPO}"
)


def check_destination(destination: Path, *, overwrite: bool) -> None:
    """Refuse a link, a file, or a non-empty folder (unless overwrite is set) as destination."""
    staging.absolute(destination)  # refuses a working folder that no longer exists
    staging.check_destination(destination, overwrite=overwrite)


def check_template(template: str) -> str:
    """Return the template source as copier should record it; refuse a folder with no copier.yml.

    A git URL, or a git bundle file (``*.bundle``), is returned as given: it is checked when
    copier reads it.
    """
    source = normalize_source(template)
    if is_remote_source(source) or is_bundle_file(source):
        return source
    folder = Path(source)
    if not folder.is_dir():
        raise RenderError(
            f"the template {source} is not a folder",
            hint="pass the folder or git URL of a copier template to --template",
        )
    if not any((folder / name).is_file() for name in TEMPLATE_CONFIGS):
        raise RenderError(f"the template {source} has no copier.yml", hint=_FIT_HINT)
    return source


def render(
    request: ProjectRequest,
    *,
    dry_run: bool = False,
    overwrite: bool = False,
    template: str | None = None,
    vcs_ref: str | None = None,
) -> RenderResult:
    """Render the project described by request.

    The project is rendered into a staging folder beside the destination and put in place only
    when copier succeeded (see scaffold.generator.staging), so a failure or a signal leaves the
    destination as it was, or complete.

    Args:
        request: The validated answers and the destination.
        dry_run: Render and list the files, but write nothing to the destination.
        overwrite: Allow a non-empty destination; rendered files replace existing ones.
        template: Another copier template (path or git URL) instead of the bundled one.
        vcs_ref: The git tag or commit of template to render (default: its newest tag).

    Returns:
        The relative paths of the files written (or that would be written), and copier's
        warnings.
    """
    check_destination(request.destination, overwrite=overwrite)
    destination = staging.absolute(request.destination)
    if template is None and vcs_ref is not None:
        raise RenderError(
            "a template version can only be chosen for a git template",
            hint="pass the template repository as well",
            exit_code=EXIT_USAGE,
        )
    source = None if template is None else check_template(template)
    timeout = fetch_timeout() if source is not None and is_remote_source(source) else None
    with staging.workspace(destination, overwrite=overwrite, dry_run=dry_run) as work:
        try:
            with _temporary_files_in(work.tmp):
                notes = _render_into(work, source, request.answers(), vcs_ref, timeout)
            files = tuple(list_files(work.project))
        except OSError as err:
            raise os_error(err, doing="render the project") from err
        if not dry_run:
            work.commit()
    return RenderResult(request=request, files=files, dry_run=dry_run, warnings=tuple(notes))


def _render_into(
    work: staging.Workspace,
    source: str | None,
    answers: Answers,
    vcs_ref: str | None,
    timeout: float | None,
) -> list[str]:
    """Render into work.project from the bundled template, a folder, or a fetched git URL."""
    output = work.project
    if source is None:
        bundled = str(stage_bundled(work.root))  # a plain folder: copier needs no git for it
        notes = copier_run.run_copier(bundled, output, answers, git=False)
        _record_bundled_source(output)
        return notes
    if timeout is None:
        local = source
    else:
        local = str(clone(source, work.root / "template", timeout=timeout))
    notes = copier_run.run_copier(local, output, answers, vcs_ref=vcs_ref, label=source)
    if local != source:
        _record_fetched_source(output, source)
    return notes + _check_fit(source, output, answers)


@contextmanager
def _temporary_files_in(folder: Path) -> Iterator[None]:
    """Point Python's temporary files (copier's clones and copies) into folder for the body.

    The folder is removed with the workspace, so even the temporary files of a killed run
    never pile up in the system's temporary folder.
    """
    previous = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield
    finally:
        tempfile.tempdir = previous


def _record_bundled_source(output: Path) -> None:
    """Point the answers file at the published template repository and this release's tag.

    The bundled template renders from a temporary copy, which copier would record otherwise.
    """
    from scaffold.version import __version__

    path = output / ANSWERS_FILE
    if path.is_file():
        answers_file.record_source(path, template_repository(), release_tag(__version__))


def _record_fetched_source(output: Path, source: str) -> None:
    """Point the answers file at the git URL instead of the local clone copier rendered."""
    path = output / ANSWERS_FILE
    if path.is_file():
        commit = answers_file.load(path).get(answers_file.COMMIT_KEY)
        answers_file.record_source(path, source, commit if isinstance(commit, str) else None)


def _check_fit(source: str, output: Path, answers: Answers) -> list[str]:
    """Refuse a custom template that does not record lambda-scaffold's questions."""
    path = output / ANSWERS_FILE
    if not path.is_file():
        raise RenderError(f"the template {source} does not write {ANSWERS_FILE}", hint=_FIT_HINT)
    recorded = answers_file.load(path)
    missing = [key for key in answers if key not in recorded]
    if missing:
        raise RenderError(
            f"the template {source} does not ask {', '.join(missing)}", hint=_FIT_HINT
        )
    if answers_file.COMMIT_KEY in recorded:
        return []
    return [
        f"the template {source} is not a tagged git repository, so `lambda-scaffold update` "
        "cannot update this project later"
    ]
