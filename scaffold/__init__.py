"""lambda-scaffold: web apps on AWS Lambda with the Lambda Web Adapter, SAM and a Function URL.

The library API is the same pipeline as ``lambda-scaffold new``, without prompts::

    from scaffold import ProjectRequest, Framework, generate
    generate(ProjectRequest(destination=Path("orders-api"), framework=Framework.GIN,
                            name="orders-api"))

The names load on first use, so the CLI's fast commands do not pay for the generator.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scaffold.api import generate, list_blueprints
    from scaffold.errors import ScaffoldError
    from scaffold.generator.frameworks import Framework
    from scaffold.generator.models import Architecture, AuthType, ProjectRequest, RenderResult
    from scaffold.version import __version__

_HOMES = {
    "generate": "scaffold.api",
    "list_blueprints": "scaffold.api",
    "ScaffoldError": "scaffold.errors",
    "Framework": "scaffold.generator.frameworks",
    "Architecture": "scaffold.generator.models",
    "AuthType": "scaffold.generator.models",
    "ProjectRequest": "scaffold.generator.models",
    "RenderResult": "scaffold.generator.models",
    "__version__": "scaffold.version",
}

__all__ = [
    "Architecture",
    "AuthType",
    "Framework",
    "ProjectRequest",
    "RenderResult",
    "ScaffoldError",
    "__version__",
    "generate",
    "list_blueprints",
]


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'scaffold' has no attribute {name!r}")
    return getattr(import_module(home), name)
