"""The one error type of lambda-scaffold: a message, a hint that names the fix, an exit code."""

from __future__ import annotations

from typing import Final

EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERRUPTED: Final = 130


class ScaffoldError(Exception):
    """Base of every error the tool reports to a user.

    Args:
        message: What went wrong, in one sentence.
        hint: How to fix it, in one sentence.
        exit_code: The process exit code the CLI uses for it.
    """

    exit_code: int = EXIT_FAILURE

    def __init__(self, message: str, *, hint: str = "", exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InvalidAnswerError(ScaffoldError, ValueError):
    """Raised when a flag or an answer breaks a rule (name, port, framework, sizes)."""

    exit_code = EXIT_USAGE


class MissingAnswerError(ScaffoldError):
    """Raised when an answer is needed but there is no terminal to ask on."""

    exit_code = EXIT_USAGE


class DestinationNotEmptyError(ScaffoldError):
    """Raised when the destination folder already holds files and --force was not given."""


class RenderError(ScaffoldError):
    """Raised when the template cannot be rendered (broken or unsuitable template, disk error)."""
