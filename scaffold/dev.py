"""Set up `lambda-scaffold dev` for a project folder: checks, settings, binaries; then run it.

It joins the two halves: the project's answers file (read by :mod:`scaffold.generator`) and the
local Lambda path (:mod:`scaffold.lambda_local.dev`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffold.errors import DevError, InvalidAnswerError, NotAProjectError
from scaffold.lambda_local.dev import binaries
from scaffold.lambda_local.dev.project import DevProject, adapter_settings
from scaffold.lambda_local.dev.session import DevEvents, DevOptions, Session

ANSWERS_FILE = ".copier-answers.yml"
DEFAULT_PORT = 9080


@dataclass(frozen=True)
class Plan:
    """Everything `dev` needs, checked before anything starts."""

    project: DevProject
    binaries: binaries.Binaries
    options: DevOptions
    notes: list[str] = field(default_factory=list)


def _number(answers: dict[str, Any], key: str, default: int) -> int:
    value = answers.get(key, default)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def prepare(
    path: Path,
    *,
    host: str,
    port: int | None,
    wait: float,
    notify: Callable[[str], None],
    platform: str = sys.platform,
) -> Plan:
    """Check the machine and the project, and get the binaries (fetched once, verified).

    Raises:
        DevError: Not Linux, or a binary cannot be had.
        NotAProjectError: PATH is not a generated project.
        InvalidAnswerError: A bad --port or --wait.
    """
    if not platform.startswith("linux"):
        raise DevError(
            "`lambda-scaffold dev` runs on Linux only: the Runtime Interface Emulator and the "
            "Lambda Web Adapter are Linux programs",
            hint="use `make watch` (docker compose watch) on macOS and Windows",
        )
    if port is not None and (isinstance(port, bool) or not 0 <= port <= 65535):
        raise InvalidAnswerError(
            f"--port {port} is not a TCP port", hint="pass a port from 1024 to 65535, e.g. 9080"
        )
    if not 0 < wait <= 3600:
        raise InvalidAnswerError(
            f"--wait {wait:g} is out of range", hint="pass seconds above 0, at most 3600"
        )
    from scaffold.generator import answers as answers_file

    root = path.resolve()
    recorded = root / ANSWERS_FILE
    if not recorded.is_file():
        raise NotAProjectError(
            f"{root} has no {ANSWERS_FILE}: it is not a project made by lambda-scaffold",
            hint="run `lambda-scaffold dev` in a generated project, or pass its folder",
        )
    if not (root / "Makefile").is_file():
        raise NotAProjectError(
            f"{root} has no Makefile: `dev` starts the app with `make run`",
            hint="restore the Makefile from git (`git checkout -- Makefile`)",
        )
    answers = answers_file.load(recorded)
    project = DevProject(
        root=root,
        function_name=str(answers.get("name") or root.name),
        timeout=_number(answers, "timeout", 30),
        memory=_number(answers, "memory", 512),
        adapter_settings=adapter_settings(root / "Dockerfile"),
    )
    notes = []
    arch = str(answers.get("arch") or "x86_64")
    here = binaries.host_arch()
    if arch != here:
        notes.append(
            f"The function is {arch}; `dev` runs the app natively on this {here} machine "
            "(`make watch` and `make up` run the image for the function's architecture)"
        )
    if port is None:  # the generated README's `serve` port: 9080, or 9081 beside an app on 9080
        port = DEFAULT_PORT + 1 if answers.get("port") == DEFAULT_PORT else DEFAULT_PORT
    found = binaries.get(notify=notify)
    return Plan(project, found, DevOptions(host=host, port=port, wait=wait), notes)


def run(plan: Plan, events: DevEvents) -> None:
    """Run the loop until Ctrl-C, SIGTERM or SIGHUP; every process it started is stopped."""
    Session(plan.project, plan.binaries, events, plan.options).run()
