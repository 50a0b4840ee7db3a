"""The only module that talks to copier: render a ProjectRequest into a folder."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from scaffold.blueprints import BLUEPRINTS_DIR, TEMPLATE_CONFIG, template_root
from scaffold.errors import DestinationNotEmptyError, RenderError
from scaffold.models import ProjectRequest, RenderResult

Answers = Mapping[str, str | int | bool]
_STAGED: Final = (TEMPLATE_CONFIG, BLUEPRINTS_DIR)


def check_destination(destination: Path, *, overwrite: bool) -> None:
    """Refuse a destination that is a file, or a non-empty folder unless overwrite is set."""
    if destination.exists() and not destination.is_dir():
        raise DestinationNotEmptyError(
            f"{destination} exists and is not a folder",
            hint="choose another destination",
        )
    if destination.is_dir() and any(destination.iterdir()) and not overwrite:
        raise DestinationNotEmptyError(
            f"{destination} is not empty",
            hint="choose an empty or new folder, or pass --force to write into it",
        )


def render(
    request: ProjectRequest,
    *,
    dry_run: bool = False,
    overwrite: bool = False,
    template: str | None = None,
) -> RenderResult:
    """Render the project described by request.

    The project is rendered into a private temporary folder first and moved into place only when
    copier succeeded, so a failure or an interrupt leaves nothing half-written.

    Args:
        request: The validated answers and the destination.
        dry_run: Render and list the files, but write nothing to the destination.
        overwrite: Allow a non-empty destination; rendered files replace existing ones.
        template: Another copier template (path or git URL) instead of the bundled one.

    Returns:
        The relative paths of the files written (or that would be written).
    """
    destination = request.destination
    check_destination(destination, overwrite=overwrite)
    with tempfile.TemporaryDirectory(prefix="lambda-scaffold-") as scratch:
        scratch_dir = Path(scratch)
        source = template if template is not None else str(_stage_bundled(scratch_dir))
        output = scratch_dir / "project"
        run_copier(source, output, request.answers())
        files = tuple(_list_files(output))
        if not dry_run:
            _move_into(output, destination)
    return RenderResult(request=request, files=files, dry_run=dry_run)


def run_copier(source: str, output: Path, answers: Answers) -> None:
    """Run copier non-interactively; translate every failure into a RenderError."""
    import copier  # deferred: importing copier costs about half a second
    from copier.errors import CopierError
    from jinja2 import TemplateError

    try:
        copier.run_copy(
            source,
            output,
            data=dict(answers),
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=False,
            cleanup_on_error=True,
            settings=copier.Settings(),
        )
    except (CopierError, TemplateError, ValueError) as err:
        raise RenderError(
            f"the template {source} could not be rendered: {_first_line(err)}",
            hint="check that the template asks the same questions as lambda-scaffold "
            "(framework, name, port, ...)",
        ) from err
    except OSError as err:
        raise RenderError(f"rendering failed: {err}", hint="check disk space and permissions") from err


def _stage_bundled(scratch: Path) -> Path:
    """Copy the bundled template into scratch: a plain folder renders the files as they are.

    From a git checkout copier would render the newest release tag instead of the working tree.
    """
    root = template_root()
    staged = scratch / "template"
    staged.mkdir()
    for entry in _STAGED:
        source = root / entry
        if source.is_dir():
            shutil.copytree(source, staged / entry,
                            ignore=shutil.ignore_patterns("__pycache__", "*.py[co]"))
        else:
            shutil.copy2(source, staged / entry)
    return staged


def _list_files(root: Path) -> Iterator[str]:
    for path in sorted(root.rglob("*")):
        if path.is_file() or path.is_symlink():
            yield path.relative_to(root).as_posix()


def _move_into(output: Path, destination: Path) -> None:
    if not destination.exists():
        with _created_parents(destination.parent):
            shutil.move(str(output), str(destination))
        return
    for path in sorted(output.rglob("*")):
        target = destination / path.relative_to(output)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        else:
            shutil.copy2(path, target)


@contextmanager
def _created_parents(folder: Path) -> Iterator[None]:
    """Create missing parent folders, and remove the ones created here if the body fails."""
    missing = [parent for parent in (folder, *folder.parents) if not parent.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    try:
        yield
    except BaseException:
        for parent in missing:
            shutil.rmtree(parent, ignore_errors=True)
        raise


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]
