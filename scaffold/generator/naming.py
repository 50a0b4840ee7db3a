"""Pure validators and normalisers for every answer; they raise, never print."""

from __future__ import annotations

import difflib
import re
from enum import StrEnum
from pathlib import Path
from typing import Final, TypeVar

from scaffold.errors import InvalidAnswerError
from scaffold.generator.frameworks import Framework
from scaffold.generator.models import Architecture, AuthType, CiProvider
from scaffold.generator.reserved_names import reservation

NAME_PATTERN: Final = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
NAME_MAX: Final = 40
PORT_MIN: Final = 1024
PORT_MAX: Final = 65535
MEMORY_MIN: Final = 128
MEMORY_MAX: Final = 10240
TIMEOUT_MIN: Final = 1
TIMEOUT_MAX: Final = 900
RESERVED_PORTS: Final[dict[int, str]] = {
    3000: "port 3000 is used by the Lambda Insights extension",
    8080: "port 8080 is used by the Runtime Interface Emulator in local Lambda runs",
    9001: "port 9001 is the Lambda Runtime API",
}

E = TypeVar("E", bound=StrEnum)


def validate_name(value: str) -> str:
    """Return a valid project name or raise InvalidAnswerError.

    The name becomes the stack name, the Go module and the npm package name, so a name that
    Go or npm reserves (scaffold.generator.reserved_names) is refused for every framework.
    """
    if not value:
        raise InvalidAnswerError("the project name is empty", hint="use e.g. --name orders-api")
    if len(value) > NAME_MAX:
        raise InvalidAnswerError(
            f"the project name {value!r} is {len(value)} characters long, over {NAME_MAX}",
            hint=f"shorten it, e.g. --name {slugify(value) or 'orders-api'}",
        )
    if not NAME_PATTERN.match(value) or value.endswith("-") or "--" in value:
        suggestion = slugify(value) or "orders-api"
        raise InvalidAnswerError(
            f"the project name {value!r} is not valid: it must start with a lowercase letter and "
            "hold only lowercase letters, digits and single hyphens",
            hint=f"try --name {suggestion}",
        )
    reserved = reservation(value)
    if reserved is not None:
        raise InvalidAnswerError(
            f"the project name {value!r} is reserved by {reserved.owner}: {reserved.reason}",
            hint=f"pick another, e.g. --name {value}-app",
        )
    return value


def slugify(value: str) -> str:
    """Turn free text (a folder name) into a project name, or '' when nothing usable is left."""
    slug = re.sub(r"[^a-z0-9]+", "-", value.lower())
    slug = re.sub(r"^[^a-z]+", "", slug)[:NAME_MAX].strip("-")
    return slug if NAME_PATTERN.match(slug) else ""


def name_from_destination(destination: Path) -> str:
    """Derive the default project name from the destination folder's name."""
    folder = destination.resolve().name
    slug = slugify(folder)
    if not slug:
        raise InvalidAnswerError(
            f"cannot derive a project name from the folder name {folder!r}",
            hint="pass one with --name, e.g. --name orders-api",
        )
    reserved = reservation(slug)
    if reserved is not None:
        raise InvalidAnswerError(
            f"the folder name {folder!r} gives the project name {slug!r}, which is reserved by "
            f"{reserved.owner}: {reserved.reason}",
            hint=f"pass another with --name, e.g. --name {slug}-app",
        )
    return slug


def validate_port(value: int | str) -> int:
    """Return a usable app port or raise InvalidAnswerError naming the fix."""
    port = _as_int(value, what="port", hint="use e.g. --port 8000")
    if not PORT_MIN <= port <= PORT_MAX:
        raise InvalidAnswerError(
            f"port {port} is out of range {PORT_MIN}-{PORT_MAX} "
            "(the app runs as a non-root user on Lambda)",
            hint="use e.g. --port 8000",
        )
    if port in RESERVED_PORTS:
        raise InvalidAnswerError(RESERVED_PORTS[port], hint="use e.g. --port 8000")
    return port


def validate_memory(value: int | str) -> int:
    """Return a Lambda memory size in MB or raise InvalidAnswerError."""
    memory = _as_int(value, what="memory size", hint="use e.g. --memory 512")
    if not MEMORY_MIN <= memory <= MEMORY_MAX:
        raise InvalidAnswerError(
            f"memory size {memory} MB is out of range {MEMORY_MIN}-{MEMORY_MAX}",
            hint="use e.g. --memory 512",
        )
    return memory


def validate_timeout(value: int | str) -> int:
    """Return a Lambda timeout in seconds or raise InvalidAnswerError."""
    timeout = _as_int(value, what="timeout", hint="use e.g. --timeout 30")
    if not TIMEOUT_MIN <= timeout <= TIMEOUT_MAX:
        raise InvalidAnswerError(
            f"timeout {timeout} s is out of range {TIMEOUT_MIN}-{TIMEOUT_MAX}",
            hint="use e.g. --timeout 30",
        )
    return timeout


def parse_framework(value: str) -> Framework:
    """Return the Framework named by value, with a 'did you mean' when it is unknown."""
    return _parse_choice(Framework, value, what="framework", flag="--framework")


def parse_arch(value: str) -> Architecture:
    """Return the Architecture named by value (x86_64 or arm64)."""
    aliases = {"amd64": "x86_64", "x86-64": "x86_64", "aarch64": "arm64"}
    return _parse_choice(
        Architecture, aliases.get(value.lower(), value), what="architecture", flag="--arch"
    )


def parse_auth(value: str) -> AuthType:
    """Return the Function URL AuthType named by value (NONE or AWS_IAM)."""
    return _parse_choice(AuthType, value.upper().replace("-", "_"), what="auth type", flag="--auth")


def parse_ci(value: str) -> CiProvider:
    """Return the CI provider named by value (github or none)."""
    return _parse_choice(CiProvider, value.strip().lower(), what="CI provider", flag="--ci")


def _parse_choice(enum: type[E], value: str, *, what: str, flag: str) -> E:
    choices = [member.value for member in enum]
    if value in choices:
        return enum(value)
    lowered = {choice.lower(): choice for choice in choices}
    if value.lower() in lowered:
        return enum(lowered[value.lower()])
    close = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.5)
    known = ", ".join(choices)
    if close:
        return_hint = f"did you mean {flag} {lowered[close[0]]}? (choices: {known})"
    else:
        return_hint = f"choose one of: {known}"
    raise InvalidAnswerError(f"unknown {what} {value!r}", hint=return_hint)


def _as_int(value: int | str, *, what: str, hint: str) -> int:
    if isinstance(value, bool):
        raise InvalidAnswerError(f"the {what} must be a whole number", hint=hint)
    if isinstance(value, int):
        return value
    text = value.strip()
    if not re.fullmatch(r"[+-]?\d+", text):
        raise InvalidAnswerError(f"the {what} {value!r} is not a whole number", hint=hint)
    return int(text)
