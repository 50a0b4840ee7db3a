"""The questions of `new`, each declared once.

The CLI's options, the prompts, the summary, the plan and the copier answers are all derived
from ``QUESTIONS``; ``copier.yml`` asks the same questions under the same names, with the same
types, choices and defaults (tests/test_contract.py keeps the two in step). A new question is an
entry here, a field of :class:`~scaffold.generator.models.ProjectRequest` and its question in
``copier.yml``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Final

from scaffold.errors import InvalidAnswerError, MissingAnswerError
from scaffold.generator import naming
from scaffold.generator.frameworks import BLUEPRINTS, DEFAULT_FRAMEWORK, framework_names
from scaffold.generator.models import (
    DEFAULT_MEMORY,
    DEFAULT_PORT,
    Architecture,
    AuthType,
    CiProvider,
    Value,
    default_timeout,
)

Answers = Mapping[str, Value]


class Kind(StrEnum):
    """How a question is asked: pick one, type a value, or say yes or no."""

    SELECT = "select"
    TEXT = "text"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class Choice:
    """One answer a select question offers: the value recorded and the words shown."""

    value: str
    label: str


@dataclass(frozen=True)
class Question:
    """One question: how it is asked, checked, defaulted, flagged and summarised.

    Attributes:
        name: The answer's key: the copier question, the request field and the flag's stem.
        kind: How the prompt asks it; a CONFIRM question is a ``--x/--no-x`` flag pair.
        answer_type: The type copier.yml declares (str, int or bool).
        prompt: The prompt's message.
        help: The flag's help line.
        label: The row name in the summary.
        parse: Checks and normalises a raw answer (flag text, prompt text or a library value);
            raises InvalidAnswerError naming the fix.
        default: The answer when none was given, from the answers before it and the destination.
        choices: What a SELECT question offers, in order.
        instruction: The hint shown beside a TEXT or CONFIRM prompt.
        short: A one-letter flag, if any.
        show: How the summary prints the answer.
    """

    name: str
    kind: Kind
    answer_type: type[Value]
    prompt: str
    help: str
    label: str
    parse: Callable[[Value], Value]
    default: Callable[[Answers, Path | None], Value]
    choices: Callable[[], tuple[Choice, ...]] = field(default=lambda: ())
    instruction: str = ""
    short: str | None = None
    show: Callable[[Value], str] = str

    @property
    def flag(self) -> str:
        """The long option: ``--async-init`` for ``async_init``."""
        return "--" + self.name.replace("_", "-")


def _as_bool(value: Value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "y", "on", "1"}:
        return True
    if text in {"false", "no", "n", "off", "0"}:
        return False
    raise InvalidAnswerError(f"{value!r} is not yes or no", hint="answer true or false")


def _on_off(value: Value) -> str:
    return "on" if value else "off"


def _framework_choices() -> tuple[Choice, ...]:
    return tuple(Choice(bp.framework.value, f"{bp.title} - {bp.description}") for bp in BLUEPRINTS)


def _framework_title(value: Value) -> str:
    return next(bp.title for bp in BLUEPRINTS if bp.framework.value == value)


def _default_name(_answers: Answers, destination: Path | None) -> str:
    if destination is None:
        raise MissingAnswerError(
            "no destination and no project name were given",
            hint="pass a destination folder, e.g. `lambda-scaffold new orders-api`, or --name",
        )
    return naming.name_from_destination(destination)


QUESTIONS: Final[tuple[Question, ...]] = (
    Question(
        name="framework",
        kind=Kind.SELECT,
        answer_type=str,
        prompt="Framework",
        help=", ".join(framework_names())
        + f" (default {DEFAULT_FRAMEWORK.value} with --no-input).",
        label="framework",
        parse=lambda value: naming.parse_framework(str(value)),
        default=lambda _answers, _destination: DEFAULT_FRAMEWORK,
        choices=_framework_choices,
        short="-f",
        show=_framework_title,
    ),
    Question(
        name="name",
        kind=Kind.TEXT,
        answer_type=str,
        prompt="Project name",
        help="Project name (default: DEST's folder name).",
        label="name",
        parse=lambda value: naming.validate_name(str(value).strip()),
        default=_default_name,
        instruction="(lowercase letters, digits, hyphens)",
    ),
    Question(
        name="port",
        kind=Kind.TEXT,
        answer_type=int,
        prompt="Port",
        help=f"App port (default {DEFAULT_PORT}).",
        label="port",
        parse=lambda value: naming.validate_port(_number(value)),
        default=lambda _answers, _destination: DEFAULT_PORT,
        instruction="(1024-65535; 3000, 8080 and 9001 are taken on Lambda)",
    ),
    Question(
        name="arch",
        kind=Kind.SELECT,
        answer_type=str,
        prompt="Architecture",
        help="x86_64 (default) or arm64.",
        label="architecture",
        parse=lambda value: naming.parse_arch(str(value)),
        default=lambda _answers, _destination: Architecture.X86_64,
        choices=lambda: (
            Choice(Architecture.X86_64.value, "x86_64 - the default"),
            Choice(
                Architecture.ARM64.value, "arm64 - cheaper per GB-second, native on Apple silicon"
            ),
        ),
    ),
    Question(
        name="auth",
        kind=Kind.SELECT,
        answer_type=str,
        prompt="Function URL auth",
        help="Function URL auth: NONE (default, public) or AWS_IAM.",
        label="function URL auth",
        parse=lambda value: naming.parse_auth(str(value)),
        default=lambda _answers, _destination: AuthType.NONE,
        choices=lambda: (
            Choice(AuthType.NONE.value, "NONE - a public URL anyone on the internet can call"),
            Choice(AuthType.AWS_IAM.value, "AWS_IAM - only SigV4-signed requests"),
        ),
    ),
    Question(
        name="stream",
        kind=Kind.CONFIRM,
        answer_type=bool,
        prompt="Stream responses?",
        help="Response streaming (default off).",
        label="streaming",
        parse=_as_bool,
        default=lambda _answers, _destination: False,
        instruction="(RESPONSE_STREAM invoke mode and a GET /stream example) ",
        show=_on_off,
    ),
    Question(
        name="memory",
        kind=Kind.TEXT,
        answer_type=int,
        prompt="Memory (MB)",
        help=f"Memory in MB, 128-10240 (default {DEFAULT_MEMORY}).",
        label="memory",
        parse=lambda value: naming.validate_memory(_number(value)),
        default=lambda _answers, _destination: DEFAULT_MEMORY,
        instruction="(128-10240; CPU grows with memory)",
        show=lambda value: f"{value} MB",
    ),
    Question(
        name="timeout",
        kind=Kind.TEXT,
        answer_type=int,
        prompt="Timeout (seconds)",
        help="Timeout in s, 1-900 (default 30; 300 when streaming).",
        label="timeout",
        parse=lambda value: naming.validate_timeout(_number(value)),
        default=lambda answers, _destination: default_timeout(stream=bool(answers.get("stream"))),
        instruction="(1-900)",
        show=lambda value: f"{value} s",
    ),
    Question(
        name="async_init",
        kind=Kind.CONFIRM,
        answer_type=bool,
        prompt="Async init?",
        help="Set AWS_LWA_ASYNC_INIT (default off).",
        label="async init",
        parse=_as_bool,
        default=lambda _answers, _destination: False,
        instruction="(AWS_LWA_ASYNC_INIT: for apps that need over 10 s to start) ",
        show=_on_off,
    ),
    Question(
        name="ci",
        kind=Kind.SELECT,
        answer_type=str,
        prompt="CI/CD",
        help="CI/CD workflows: github (default, GitHub Actions with OIDC deploys) or none.",
        label="CI/CD",
        parse=lambda value: naming.parse_ci(str(value)),
        default=lambda _answers, _destination: CiProvider.GITHUB,
        choices=lambda: (
            Choice(CiProvider.GITHUB.value, "github - GitHub Actions: test, deploy with OIDC"),
            Choice(CiProvider.NONE.value, "none - no CI/CD files"),
        ),
    ),
)


def _number(value: Value) -> int | str:
    return value if isinstance(value, int) else str(value)


def question(name: str) -> Question:
    """Return the question called name."""
    for entry in QUESTIONS:
        if entry.name == name:
            return entry
    raise KeyError(name)
