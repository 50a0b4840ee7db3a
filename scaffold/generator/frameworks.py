"""The framework registry: one entry per blueprint, the only list of frameworks in the code.

Adding a framework is a member here, an entry in ``BLUEPRINTS``, its template folder
``blueprints/<name>/template`` and its choice (and pins) in ``copier.yml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from scaffold.errors import RenderError


class Framework(StrEnum):
    """The web frameworks a project can be rendered for."""

    ECHO = "echo"
    GIN = "gin"
    FLASK = "flask"
    EXPRESS = "express"
    FASTAPI = "fastapi"


@dataclass(frozen=True)
class Blueprint:
    """One framework's blueprint: what `list` shows and the language its project is written in."""

    framework: Framework
    language: str
    title: str
    description: str

    @property
    def subdirectory(self) -> str:
        """The blueprint's tree, relative to the template root."""
        return f"blueprints/{self.framework.value}/template"


BLUEPRINTS: Final[tuple[Blueprint, ...]] = (
    Blueprint(
        Framework.ECHO,
        "Go",
        "Go Echo",
        "Echo v4 HTTP server: one static binary, no OS in the image",
    ),
    Blueprint(
        Framework.GIN,
        "Go",
        "Go Gin",
        "Gin v1 HTTP server in release mode: one static binary, no OS in the image",
    ),
    Blueprint(
        Framework.FLASK,
        "Python",
        "Python Flask",
        "Flask app served by gunicorn on a slim Python image",
    ),
    Blueprint(
        Framework.EXPRESS, "Node.js", "Node Express", "Express 5 app on a slim Node.js LTS image"
    ),
    Blueprint(
        Framework.FASTAPI,
        "Python",
        "Python FastAPI",
        "FastAPI app served by uvicorn on a slim Python image",
    ),
)
DEFAULT_FRAMEWORK: Final = BLUEPRINTS[0].framework


def framework_names() -> tuple[str, ...]:
    """Return the frameworks' names in registry order: ("echo", "gin", ...)."""
    return tuple(bp.framework.value for bp in BLUEPRINTS)


def framework_flag_hint() -> str:
    """Return the --framework usage that hints name, e.g. "--framework echo|gin|flask"."""
    return "--framework " + "|".join(framework_names())


def get_blueprint(framework: Framework) -> Blueprint:
    """Return the blueprint registered for a framework."""
    for blueprint in BLUEPRINTS:
        if blueprint.framework is framework:
            return blueprint
    raise RenderError(
        f"no blueprint is registered for {framework.value!r}",
        hint="run `lambda-scaffold list` to see the frameworks",
    )
