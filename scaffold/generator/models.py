"""Records that travel between the layers: the options, the draft and the project request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Final

from scaffold.generator.frameworks import Framework

Value = str | int | bool


class Architecture(StrEnum):
    """Lambda instruction set architectures."""

    X86_64 = "x86_64"
    ARM64 = "arm64"


class AuthType(StrEnum):
    """Function URL AuthType values."""

    NONE = "NONE"
    AWS_IAM = "AWS_IAM"


class CiProvider(StrEnum):
    """Where the generated project's CI/CD workflows run: GitHub Actions, or nowhere."""

    GITHUB = "github"
    NONE = "none"


DEFAULT_PORT: Final = 8000
DEFAULT_MEMORY: Final = 512
DEFAULT_TIMEOUT: Final = 30
DEFAULT_STREAM_TIMEOUT: Final = 300


def default_timeout(*, stream: bool) -> int:
    """Return the default function timeout: streamed responses get longer."""
    return DEFAULT_STREAM_TIMEOUT if stream else DEFAULT_TIMEOUT


@dataclass(frozen=True)
class RequestDraft:
    """The answers given so far (by flags, then prompts), keyed by question name.

    A question missing from ``given`` is still open: it is asked, or gets its default.
    """

    destination: Path | None = None
    given: Mapping[str, Value] = field(default_factory=dict)

    def answer(self, name: str, value: Value) -> RequestDraft:
        """Return a draft with one more answer."""
        return replace(self, given={**self.given, name: value})


@dataclass(frozen=True)
class ProjectRequest:
    """A complete, validated request to render one project."""

    destination: Path
    framework: Framework
    name: str
    port: int = DEFAULT_PORT
    arch: Architecture = Architecture.X86_64
    auth: AuthType = AuthType.NONE
    stream: bool = False
    memory: int = DEFAULT_MEMORY
    timeout: int | None = None  # None: 300 s when streaming, else 30 s (as `new` does)
    async_init: bool = False
    ci: CiProvider = CiProvider.GITHUB

    def __post_init__(self) -> None:
        if self.timeout is None:  # the streaming choice decides the default, as in copier.yml
            object.__setattr__(self, "timeout", default_timeout(stream=self.stream))

    def answers(self) -> dict[str, Value]:
        """Return the copier answers: every field but the destination, enums as plain strings."""
        answers: dict[str, Value] = {}
        for entry in fields(self):
            if entry.name != "destination":
                value = getattr(self, entry.name)
                answers[entry.name] = str(value) if isinstance(value, StrEnum) else value
        return answers


@dataclass(frozen=True)
class RenderResult:
    """What a render wrote (or, in a dry run, would write)."""

    request: ProjectRequest
    files: tuple[str, ...]
    dry_run: bool = False
    warnings: tuple[str, ...] = field(default=())
