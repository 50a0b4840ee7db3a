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


class DestinationBusyError(ScaffoldError):
    """Raised when another run of lambda-scaffold is writing the same destination."""


class DestinationConflictError(ScaffoldError):
    """Raised when --force would write through a link, or swap a file and a folder."""


class WriteError(ScaffoldError):
    """Raised when the file system refuses a write: disk full, permissions, long names."""


class OutputError(ScaffoldError):
    """Raised when stdout cannot take the output: closed, a full disk, a broken pipe."""


class RenderError(ScaffoldError):
    """Raised when the template cannot be rendered (broken or unsuitable template, disk error)."""


class AnswersFileError(ScaffoldError):
    """Raised when an answers file cannot be read or is not a YAML mapping."""


class InvalidEventError(ScaffoldError, ValueError):
    """Raised when a request cannot become an event, or an event file is not a 2.0 event."""

    exit_code = EXIT_USAGE


class GitError(ScaffoldError):
    """Raised when git is missing or a git command fails unexpectedly."""


class FunctionError(ScaffoldError):
    """Raised when the function answered with an error object instead of a response."""


class FunctionTimeoutError(FunctionError):
    """Raised when RIE stopped the invocation after the function timeout."""


class RuntimeExitError(FunctionError):
    """Raised when the runtime (the app or the adapter) exited: RIE answers 502."""


class BadAnswerError(ScaffoldError):
    """Raised when the answer is neither a response, an error object nor a known message."""


class RieUnreachableError(ScaffoldError):
    """Raised when nothing answers at the RIE endpoint (refused, unknown host, timed out)."""


class InvalidEndpointError(ScaffoldError, ValueError):
    """Raised when the endpoint is not an http(s) URL."""

    exit_code = EXIT_USAGE


class ServeError(ScaffoldError):
    """Raised when the local server cannot start (address in use, bad host)."""


class DevError(ScaffoldError):
    """Raised when `dev` cannot start or keep the local Lambda path (binaries, platform, app)."""


class NotAProjectError(ScaffoldError):
    """Raised when the folder to update is missing or has no copier answers file."""

    exit_code = EXIT_USAGE


class WorkTreeError(ScaffoldError):
    """Raised when the project is not in a git work tree, or that work tree has changes."""


class ConflictsError(ScaffoldError):
    """Raised (by the CLI, after the summary) when an update left merge conflicts."""


class UpdateInterruptedError(ScaffoldError):
    """Raised when SIGINT, SIGTERM or SIGHUP stopped an update (after it was rolled back).

    Its exit code is 128 + the signal number: 130, 143 or 129.
    """

    exit_code = EXIT_INTERRUPTED
