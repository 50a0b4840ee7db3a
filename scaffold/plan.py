"""Turn a draft of answers into a complete, validated ProjectRequest."""

from __future__ import annotations

from pathlib import Path

from scaffold import naming
from scaffold.errors import MissingAnswerError
from scaffold.models import (
    DEFAULT_MEMORY,
    DEFAULT_PORT,
    Architecture,
    AuthType,
    ProjectRequest,
    RequestDraft,
    default_timeout,
)
from scaffold.staging import absolute


def build_request(draft: RequestDraft) -> ProjectRequest:
    """Validate every answer, fill defaults, and decide the destination.

    Without a destination the project goes to ``./<name>``; without a name it is derived from
    the destination's folder name.

    Raises:
        InvalidAnswerError: An answer breaks a rule.
        MissingAnswerError: Neither a destination nor a name was given.
    """
    if draft.framework is None:
        raise MissingAnswerError(
            "no framework was chosen", hint="pass --framework echo|gin|flask|express"
        )
    framework = naming.parse_framework(draft.framework)
    if draft.name is not None:
        name = naming.validate_name(draft.name)
    elif draft.destination is not None:
        name = naming.name_from_destination(draft.destination)
    else:
        raise MissingAnswerError(
            "no destination and no project name were given",
            hint="pass a destination folder, e.g. `lambda-scaffold new orders-api`, or --name",
        )
    destination = draft.destination if draft.destination is not None else absolute(Path(name))
    stream = bool(draft.stream)
    return ProjectRequest(
        destination=destination,
        framework=framework,
        name=name,
        port=naming.validate_port(draft.port if draft.port is not None else DEFAULT_PORT),
        arch=naming.parse_arch(draft.arch) if draft.arch is not None else Architecture.X86_64,
        auth=naming.parse_auth(draft.auth) if draft.auth is not None else AuthType.NONE,
        stream=stream,
        memory=naming.validate_memory(draft.memory if draft.memory is not None else DEFAULT_MEMORY),
        timeout=naming.validate_timeout(
            draft.timeout if draft.timeout is not None else default_timeout(stream=stream)
        ),
        async_init=bool(draft.async_init),
    )


def check_request(request: ProjectRequest) -> None:
    """Re-check a request built by library code rather than by build_request.

    Raises:
        InvalidAnswerError: An answer breaks a rule.
    """
    naming.validate_name(request.name)
    naming.validate_port(request.port)
    naming.validate_memory(request.memory)
    naming.validate_timeout(request.timeout)
    naming.parse_framework(str(request.framework))
    naming.parse_arch(str(request.arch))
    naming.parse_auth(str(request.auth))
