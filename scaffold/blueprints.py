"""The registry of blueprints and the one place that finds the bundled copier template."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final

from scaffold.errors import RenderError
from scaffold.models import Framework

TEMPLATE_CONFIG: Final = "copier.yml"
BLUEPRINTS_DIR: Final = "blueprints"


@dataclass(frozen=True)
class Blueprint:
    """One framework's blueprint: what `list` shows and where its tree lives."""

    framework: Framework
    language: str
    title: str
    description: str

    @property
    def subdirectory(self) -> str:
        """The blueprint's tree, relative to the template root."""
        return f"{BLUEPRINTS_DIR}/{self.framework.value}/template"


BLUEPRINTS: Final[tuple[Blueprint, ...]] = (
    Blueprint(Framework.ECHO, "Go", "Go Echo",
              "Echo v4 HTTP server compiled to a static binary on Alpine"),
    Blueprint(Framework.GIN, "Go", "Go Gin",
              "Gin v1 HTTP server in release mode, compiled to a static binary on Alpine"),
    Blueprint(Framework.FLASK, "Python", "Python Flask",
              "Flask app served by gunicorn on a slim Python image"),
    Blueprint(Framework.EXPRESS, "Node.js", "Node Express",
              "Express 5 app on a slim Node.js LTS image"),
)


def get_blueprint(framework: Framework) -> Blueprint:
    """Return the blueprint registered for a framework."""
    for blueprint in BLUEPRINTS:
        if blueprint.framework is framework:
            return blueprint
    raise RenderError(f"no blueprint is registered for {framework.value!r}",
                      hint="run `lambda-scaffold list` to see the frameworks")


def template_root() -> Path:
    """Return the folder that holds copier.yml and blueprints/.

    An installed wheel carries them under ``scaffold/_template``; a source checkout (editable
    install) has them at the repository root.
    """
    bundled = Path(str(resources.files("scaffold"))) / "_template"
    checkout = Path(__file__).resolve().parent.parent
    for root in (bundled, checkout):
        if (root / TEMPLATE_CONFIG).is_file() and (root / BLUEPRINTS_DIR).is_dir():
            return root
    raise RenderError(
        "the bundled template (copier.yml and blueprints/) is missing from this installation",
        hint="reinstall lambda-scaffold, e.g. `pip install --force-reinstall lambda-scaffold`",
    )
