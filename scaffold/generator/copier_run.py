"""The only module that imports copier: run its copy and update, translate what it says.

Every copier exception becomes a RenderError whose hint names the fix (the wording knowledge is
in :mod:`.copier_messages`), and copier's warnings come back as messages for a human.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from scaffold import interrupts
from scaffold.errors import RenderError, ScaffoldError
from scaffold.generator import answers as answers_file
from scaffold.generator import gitutil
from scaffold.generator.copier_messages import (
    fetch_failure,
    first_line,
    recorded_answer_errors,
    render_failure,
    user_message_error,
)
from scaffold.generator.os_errors import os_error
from scaffold.generator.template_source import ANSWERS_FILE

Answers = Mapping[str, str | int | bool]


def run_copier(
    source: str,
    output: Path,
    answers: Answers,
    *,
    vcs_ref: str | None = None,
    label: str | None = None,
    git: bool = True,
) -> list[str]:
    """Run copier non-interactively; translate every failure into a RenderError.

    label names the template in messages (default: source). git=False hides git from copier,
    for a plain template folder rendered into a new folder: copier's git calls there can only
    answer "no" (is the template a repository, or a bundle; one `git config core.fileMode` per
    file, for an index that cannot hold files that did not exist), and skipping those twenty-odd
    processes saves about 30 ms.

    Returns:
        copier's warnings, as messages for a human.
    """
    copier = _import_copier()
    with (
        _copier_errors(
            label or source,
            question_hint="check that the template asks the same questions "
            "as lambda-scaffold (framework, name, port, ...)",
        ) as notes,
        _commands_found(git=git),
    ):
        copier.run_copy(
            source,
            output,
            data=dict(answers),
            vcs_ref=vcs_ref,
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=False,
            cleanup_on_error=True,
            settings=copier.Settings(),
        )
    return notes


def run_update(project: Path, *, vcs_ref: str | None, interactive: bool) -> list[str]:
    """Update project in place from the template its answers file names (copier's 3-way merge).

    Conflicts are left as inline markers and recorded as unmerged paths in git's index.

    Args:
        project: The generated project, inside a clean git work tree.
        vcs_ref: The template tag to update to (default: the newest).
        interactive: Ask new questions of the newer template on the terminal; otherwise they get
            their defaults.

    Returns:
        copier's warnings, as messages for a human.
    """
    copier = _import_copier()
    from plumbum import local

    recorded = answers_file.load(project / ANSWERS_FILE).get(answers_file.SOURCE_KEY)
    source = recorded if isinstance(recorded, str) else f"named in {ANSWERS_FILE}"
    with (
        _copier_errors(
            source,
            question_hint="run `lambda-scaffold update` on a "
            "terminal without --no-input to answer the new questions",
        ) as notes,
        recorded_answer_errors(),
        gitutil.network_timeouts() as timeouts,
        local.env(**timeouts),  # plumbum copied os.environ when copier imported it
    ):
        copier.run_update(
            project,
            vcs_ref=vcs_ref,
            defaults=not interactive,
            skip_answered=True,  # ask only the questions the newer template added
            overwrite=True,
            quiet=True,
            unsafe=False,
            conflict="inline",
            settings=copier.Settings(),
        )
    return notes


@contextmanager
def _commands_found(*, git: bool) -> Iterator[None]:
    """Let copier find git (and every other command) on the PATH, or none at all."""
    if git:
        yield
        return
    from plumbum import local

    with local.env(PATH=os.devnull):  # a file, not a folder: no command is found through it
        yield


def _import_copier() -> ModuleType:
    """Import copier (about half a second, so only when a command renders) with signals held.

    A signal that cuts pydantic's schema building short becomes a pydantic SchemaError instead
    of the signal's exception; held, it is acted on once the import is complete.
    """
    with interrupts.deferred() as held:
        import copier
    interrupts.after(held, written=None)
    return copier


@contextmanager
def _copier_errors(source: str, *, question_hint: str) -> Iterator[list[str]]:
    """Collect copier's warnings; turn its exceptions into RenderError with a hint.

    After a signal, whatever copier or a library made of the signal's exception is the signal.
    """
    try:
        with _translated(source, question_hint=question_hint) as notes:
            yield notes
    except Exception as err:
        signum = interrupts.raised()
        if signum is None:
            raise
        raise interrupts.Interrupted(signum) from err


@contextmanager
def _translated(source: str, *, question_hint: str) -> Iterator[list[str]]:
    from copier.errors import CopierError, UnsafeTemplateError, UserMessageError
    from jinja2 import TemplateError
    from plumbum.commands.processes import ProcessExecutionError

    try:
        with _copier_warnings() as notes:
            yield notes
    except KeyboardInterrupt:  # CopierAnswersInterrupt is also a CopierError: the CLI exits 130
        raise
    except ScaffoldError:  # already translated (an InvalidAnswerError is also a ValueError)
        raise
    except UnsafeTemplateError as err:
        raise RenderError(
            f"the template {source} wants to run tasks, migrations or extensions",
            hint="lambda-scaffold never runs template code; use `copier` with "
            "--trust if you trust this template",
        ) from err
    except UserMessageError as err:
        raise user_message_error(err, source) from err
    except ProcessExecutionError as err:
        raise fetch_failure(err, source) from err
    except (CopierError, TemplateError, ValueError) as err:
        raise render_failure(err, source, hint=question_hint) from err
    except OSError as err:
        raise os_error(err, doing="render the project") from err


@contextmanager
def _copier_warnings() -> Iterator[list[str]]:
    """Record copier's warnings as messages; let every other warning through unchanged."""
    from copier.errors import CopierWarning

    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CopierWarning)
        # copier's scantree (copier/_tools.py) leaves os.scandir open when a render fails
        # midway; the iterator is closed as the error unwinds, with this one warning.
        warnings.filterwarnings(
            "ignore", message="unclosed scandir iterator", category=ResourceWarning
        )
        yield notes
    for item in caught:
        if issubclass(item.category, CopierWarning):
            notes.append(first_line(item.message))
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
