"""Records that travel between the layers: frameworks, options and the project request."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Final


class Framework(StrEnum):
    """The web frameworks a project can be rendered for."""

    ECHO = "echo"
    GIN = "gin"
    FLASK = "flask"
    EXPRESS = "express"


class Architecture(StrEnum):
    """Lambda instruction set architectures."""

    X86_64 = "x86_64"
    ARM64 = "arm64"


class AuthType(StrEnum):
    """Function URL AuthType values."""

    NONE = "NONE"
    AWS_IAM = "AWS_IAM"


DEFAULT_PORT: Final = 8000
DEFAULT_MEMORY: Final = 512
DEFAULT_TIMEOUT: Final = 30
DEFAULT_STREAM_TIMEOUT: Final = 300


def default_timeout(*, stream: bool) -> int:
    """Return the default function timeout: streamed responses get longer."""
    return DEFAULT_STREAM_TIMEOUT if stream else DEFAULT_TIMEOUT


@dataclass(frozen=True)
class RequestDraft:
    """What the flags gave: every answer may still be missing."""

    destination: Path | None = None
    framework: str | None = None
    name: str | None = None
    port: int | None = None
    arch: str | None = None
    auth: str | None = None
    stream: bool | None = None
    memory: int | None = None
    timeout: int | None = None
    async_init: bool | None = None


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
    timeout: int = DEFAULT_TIMEOUT
    async_init: bool = False

    def answers(self) -> dict[str, str | int | bool]:
        """Return the copier answers, keyed like the questions in copier.yml."""
        return {
            "framework": str(self.framework),
            "name": self.name,
            "port": self.port,
            "arch": str(self.arch),
            "auth": str(self.auth),
            "stream": self.stream,
            "memory": self.memory,
            "timeout": self.timeout,
            "async_init": self.async_init,
        }


@dataclass(frozen=True)
class RenderResult:
    """What a render wrote (or, in a dry run, would write)."""

    request: ProjectRequest
    files: tuple[str, ...]
    dry_run: bool = False
    warnings: tuple[str, ...] = field(default=())
