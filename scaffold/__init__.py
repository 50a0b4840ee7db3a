"""lambda-scaffold: web apps on AWS Lambda with the Lambda Web Adapter, SAM and a Function URL.

The library API is the same pipeline as ``lambda-scaffold new``, without prompts::

    from scaffold import ProjectRequest, Framework, generate
    generate(ProjectRequest(destination=Path("orders-api"), framework=Framework.GIN,
                            name="orders-api"))
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from scaffold.api import generate, list_blueprints
from scaffold.errors import ScaffoldError
from scaffold.models import Architecture, AuthType, Framework, ProjectRequest, RenderResult

try:
    __version__ = version("lambda-scaffold")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0.0.0"

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
