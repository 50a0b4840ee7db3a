"""What copier says, read: hints for the messages it stops with, and its conflict markers.

Each hint names the fix in one sentence. The wording is copier 9's (copier/_main.py,
copier/_user_data.py); tests/test_update.py and tests/test_template_repo.py fail if it changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from scaffold.errors import InvalidAnswerError, RenderError
from scaffold.generator.gitutil import TIMEOUT_ENV, TIMEOUT_WORDS, timeout_seconds
from scaffold.generator.template_source import ANSWERS_FILE

# copier's words for a recorded answer its question refuses (copier/_user_data.py)
_BAD_ANSWER: Final = re.compile(
    r"^(?:Validation error for question|Invalid choice for) '(?P<name>[^']+)': (?P<why>.*)$"
)

# The labels copier 9.19 gives `git merge-file` for inline conflicts (copier/_main.py).
CONFLICT_MARKERS: Final = (b"<<<<<<< before updating", b">>>>>>> after updating")

_USER_MESSAGE_HINTS: Final = (
    (
        "cannot obtain old template references",
        f"{ANSWERS_FILE} must name the template repository (_src_path) and the release the project "
        "was made from (_commit: vX.Y.Z); projects made by a development build record no release: "
        "add the closest one, commit, and run again",
    ),
    ("downgrading", "pass a newer version to --to, or leave it out for the newest release"),
    (
        "git-tracked templates",
        "point _src_path in the answers file at the template's git "
        "repository, whose releases are tagged vX.Y.Z",
    ),
    ("version from", "the template's releases must be git tags such as v1.2.0"),
    ("dirty", "commit or stash your changes (untracked files count), then run again"),
    (
        "git-tracked subprojects",
        "run `git init && git add -A && git commit -m init` in the project first",
    ),
)


def user_message_error(err: Exception, source: str) -> RenderError:
    """Turn a copier UserMessageError into a RenderError whose hint names the fix."""
    message = first_line(err)
    for words, hint in _USER_MESSAGE_HINTS:
        if words in message:
            return RenderError(message, hint=hint)
    return RenderError(
        f"copier stopped: {message}", hint=f"check the template {source} and {ANSWERS_FILE}"
    )


def git_detail(err: Exception) -> str:
    """Return the line of a failed git command's stderr that says why."""
    stderr = str(getattr(err, "stderr", "") or "").strip().splitlines()
    fatal = [line for line in stderr if line.startswith(("fatal:", "error:"))]
    return (fatal or stderr or [first_line(err)])[0]


def first_line(err: BaseException | str) -> str:
    """Return the first line of an error's message."""
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]


def render_failure(err: Exception, source: str, *, hint: str) -> RenderError:
    """Describe a failed render: an unknown version, or a template that does not fit."""
    message = first_line(err)
    if message.startswith("Unknown revision"):
        return RenderError(
            f"the template {source} has no such version ({message})",
            hint=f"list its versions with `git ls-remote --tags {source}`",
        )
    return RenderError(f"the template {source} could not be rendered: {message}", hint=hint)


def fetch_failure(err: Exception, source: str) -> RenderError:
    """Describe a git fetch of the template that failed, or that stalled past the timeout."""
    detail = git_detail(err)
    if any(words in detail for words in TIMEOUT_WORDS):
        return RenderError(
            f"the template {source} did not answer within {timeout_seconds()} s: {detail}",
            hint="check the URL and your network; a slow server may need a longer wait, e.g. "
            f"{TIMEOUT_ENV}=120",
        )
    return RenderError(
        f"git could not fetch the template {source}: {detail}",
        hint="check the URL or path, the version tag and your network "
        f"(`git ls-remote --tags {source}` must work)",
    )


@contextmanager
def recorded_answer_errors() -> Iterator[None]:
    """Turn copier's refusal of an answer read from the answers file into InvalidAnswerError.

    During an update every old answer comes from the answers file, so the fix is there, not on
    a terminal.
    """
    try:
        yield
    except ValueError as err:
        found = _BAD_ANSWER.match(first_line(err))
        if found is None or isinstance(err, InvalidAnswerError):
            raise
        name, why = found["name"], found["why"].strip()
        raise InvalidAnswerError(
            f"the answer `{name}` recorded in {ANSWERS_FILE} is not valid: {why}",
            hint=f"correct `{name}:` in {ANSWERS_FILE}, commit, and run the update again",
        ) from err
