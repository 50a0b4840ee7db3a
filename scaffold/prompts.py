"""The only questionary user: ask, on a terminal, for the answers the flags did not give."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import questionary
from questionary import Choice

from scaffold import naming
from scaffold.blueprints import BLUEPRINTS
from scaffold.errors import InvalidAnswerError
from scaffold.models import (
    DEFAULT_MEMORY,
    DEFAULT_PORT,
    Architecture,
    AuthType,
    RequestDraft,
    default_timeout,
)

FALLBACK_NAME = "my-lambda-app"


def complete(draft: RequestDraft, **io: Any) -> RequestDraft:
    """Ask for every answer missing from draft and return the completed draft.

    Args:
        draft: The answers given by flags; None means "ask".
        **io: Passed to prompt_toolkit (``input``/``output``), for tests.

    Raises:
        KeyboardInterrupt: The user pressed Ctrl-C.
    """
    framework = draft.framework or ask_framework(**io)
    name = draft.name or ask_name(_default_name(draft.destination), **io)
    port = draft.port if draft.port is not None else ask_port(**io)
    arch = draft.arch or ask_arch(**io)
    auth = draft.auth or ask_auth(**io)
    stream = draft.stream if draft.stream is not None else ask_stream(**io)
    memory = draft.memory if draft.memory is not None else ask_memory(**io)
    timeout = draft.timeout if draft.timeout is not None else ask_timeout(stream=stream, **io)
    async_init = draft.async_init if draft.async_init is not None else ask_async_init(**io)
    return replace(
        draft,
        framework=framework,
        name=name,
        port=port,
        arch=arch,
        auth=auth,
        stream=stream,
        memory=memory,
        timeout=timeout,
        async_init=async_init,
    )


def ask_framework(**io: Any) -> str:
    """Ask which web framework to use."""
    choices = [
        Choice(f"{bp.title} - {bp.description}", value=bp.framework.value) for bp in BLUEPRINTS
    ]
    answer: str = questionary.select("Framework", choices=choices, **io).unsafe_ask()
    return answer


def ask_name(default: str, **io: Any) -> str:
    """Ask for the project name."""
    answer: str = questionary.text(
        "Project name",
        default=default,
        validate=_validator(naming.validate_name),
        instruction="(lowercase letters, digits, hyphens)",
        **io,
    ).unsafe_ask()
    return answer.strip()


def ask_port(**io: Any) -> int:
    """Ask for the app's port."""
    answer: str = questionary.text(
        "Port",
        default=str(DEFAULT_PORT),
        validate=_validator(naming.validate_port),
        instruction="(1024-65535; 3000, 8080 and 9001 are taken on Lambda)",
        **io,
    ).unsafe_ask()
    return naming.validate_port(answer)


def ask_arch(**io: Any) -> str:
    """Ask for the Lambda architecture."""
    choices = [
        Choice("x86_64 - the default", value=Architecture.X86_64.value),
        Choice(
            "arm64 - cheaper per GB-second, native on Apple silicon", value=Architecture.ARM64.value
        ),
    ]
    answer: str = questionary.select("Architecture", choices=choices, **io).unsafe_ask()
    return answer


def ask_auth(**io: Any) -> str:
    """Ask for the Function URL auth type."""
    choices = [
        Choice("NONE - a public URL anyone on the internet can call", value=AuthType.NONE.value),
        Choice("AWS_IAM - only SigV4-signed requests", value=AuthType.AWS_IAM.value),
    ]
    answer: str = questionary.select("Function URL auth", choices=choices, **io).unsafe_ask()
    return answer


def ask_stream(**io: Any) -> bool:
    """Ask whether responses are streamed."""
    answer: bool = questionary.confirm(
        "Stream responses?",
        default=False,
        instruction="(RESPONSE_STREAM invoke mode and a GET /stream example) ",
        **io,
    ).unsafe_ask()
    return answer


def ask_memory(**io: Any) -> int:
    """Ask for the function's memory size."""
    answer: str = questionary.text(
        "Memory (MB)",
        default=str(DEFAULT_MEMORY),
        validate=_validator(naming.validate_memory),
        instruction="(128-10240; CPU grows with memory)",
        **io,
    ).unsafe_ask()
    return naming.validate_memory(answer)


def ask_timeout(*, stream: bool, **io: Any) -> int:
    """Ask for the function's timeout."""
    answer: str = questionary.text(
        "Timeout (seconds)",
        default=str(default_timeout(stream=stream)),
        validate=_validator(naming.validate_timeout),
        instruction="(1-900)",
        **io,
    ).unsafe_ask()
    return naming.validate_timeout(answer)


def ask_async_init(**io: Any) -> bool:
    """Ask whether the adapter should use async init."""
    answer: bool = questionary.confirm(
        "Async init?",
        default=False,
        instruction="(AWS_LWA_ASYNC_INIT: for apps that need over 10 s to start) ",
        **io,
    ).unsafe_ask()
    return answer


def _default_name(destination: Path | None) -> str:
    if destination is None:
        return FALLBACK_NAME
    try:
        return naming.name_from_destination(destination)
    except InvalidAnswerError:
        return FALLBACK_NAME


def _validator(check: Callable[[str], object]) -> Callable[[str], bool | str]:
    def validate(text: str) -> bool | str:
        try:
            check(text.strip())
        except InvalidAnswerError as err:
            return f"{err.message} - {err.hint}" if err.hint else err.message
        return True

    return validate
