"""What `dev` needs of a generated project: its folder, the adapter settings of its image.

The adapter settings (``AWS_LWA_*``) are read from the ``ENV`` instructions of the
Dockerfile's deployed ``app`` stage, so `dev` runs the adapter exactly as the image configures
it, edits included.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from scaffold.errors import NotAProjectError

APP_STAGE: Final = "app"
DEFAULT_READINESS_PATH: Final = "/"


@dataclass(frozen=True)
class DevProject:
    """A generated project, as `dev` runs it."""

    root: Path
    function_name: str
    timeout: int
    memory: int
    adapter_settings: dict[str, str] = field(default_factory=dict)

    @property
    def readiness_path(self) -> str:
        """The path the adapter polls before the first request (and `dev` after each reload)."""
        return self.adapter_settings.get("AWS_LWA_READINESS_CHECK_PATH") or DEFAULT_READINESS_PATH

    def rie_settings(self) -> dict[str, str]:
        """The function's settings as RIE reads them, plus the image's adapter settings."""
        return {
            **self.adapter_settings,
            "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(self.timeout),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory),
        }


def _instructions(text: str) -> list[str]:
    """Join continuation lines; drop comments and blank lines."""
    joined: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        joined.append(current + line)
        current = ""
    if current.strip():
        joined.append(current)
    return joined


def _env_pairs(arguments: str) -> dict[str, str]:
    words = shlex.split(arguments, posix=True)
    if words and "=" not in words[0]:  # the legacy form: ENV KEY value with spaces
        return {words[0]: " ".join(words[1:])}
    return dict(word.split("=", 1) for word in words if "=" in word)


def adapter_settings(dockerfile: Path) -> dict[str, str]:
    """Return the AWS_LWA_* values the Dockerfile's app stage sets (its parents' too).

    Raises:
        NotAProjectError: The Dockerfile cannot be read or has no ``app`` stage.
    """
    try:
        text = dockerfile.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise NotAProjectError(
            f"cannot read {dockerfile}: {getattr(err, 'strerror', None) or err}",
            hint="run `lambda-scaffold dev` in a project made by `lambda-scaffold new`",
        ) from err
    stages: dict[str, dict[str, str]] = {}
    parents: dict[str, str] = {}
    current: str | None = None
    for instruction in _instructions(text):
        keyword, _, arguments = instruction.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = [word for word in arguments.split() if not word.startswith("--")]
            current = words[-1] if len(words) >= 3 and words[-2].upper() == "AS" else None
            if current is not None:
                parents[current] = words[0]
                stages[current] = {}
        elif keyword == "ENV" and current is not None:
            try:
                stages[current].update(_env_pairs(arguments))
            except ValueError:
                continue
    if APP_STAGE not in stages:
        raise NotAProjectError(
            f"{dockerfile} has no `{APP_STAGE}` stage (FROM ... AS {APP_STAGE})",
            hint="restore the Dockerfile from git: `dev` reads the adapter settings there",
        )
    chain = [APP_STAGE]
    while chain[-1] in parents and parents[chain[-1]] in stages and len(chain) < 20:
        chain.append(parents[chain[-1]])
    merged: dict[str, str] = {}
    for stage in reversed(chain):
        merged.update(stages[stage])
    return {key: value for key, value in merged.items() if key.startswith("AWS_LWA_")}
