"""A project that grew: code a user adds reaches the image, secrets and local clutter do not.

Per framework, a rendered project gets what users add first (a Go package; a Python package
and a templates/ file read at runtime, through Flask's render_template or, for FastAPI, a
``lib/`` package and a file the route reads itself; a JavaScript module under src/) and a route
that uses it, plus the local files that must never reach an image (.env, .git, .aws-sam, a
venv, node_modules, build output). The Dockerfile is not touched. Both builders must build it,
and the app image must serve the new route.

What a language's images share (where the project's files go, the clutter of its tooling) is
keyed by ``support.LANGUAGE``; only the app code that grows is per framework.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests import support
from tests.containers import images
from tests.containers.engine import Engine

FRAMEWORKS = support.FRAMEWORKS
GREETING = "grown in a package of its own"
CLUTTER = (
    ".env",
    ".env.local",
    ".git/HEAD",
    ".aws-sam/build.toml",
    "events/extra.json",
)
CLUTTER_BY_LANGUAGE = {
    "Go": ("bin/demo", "bootstrap"),
    "Python": (".venv/pyvenv.cfg", "__pycache__/app.cpython-313.pyc", "test_app.py"),
    "Node.js": ("node_modules/left-pad/index.js", "app.test.js", "coverage/lcov.info"),
}
# Where the project's files end up in each image: Go's stay in the build stage.
WORKDIR_BY_LANGUAGE = {"Go": "/src", "Python": "/app", "Node.js": "/app"}
STAGE_BY_LANGUAGE = {"Go": "build", "Python": "app", "Node.js": "app"}
WORKDIR = {name: WORKDIR_BY_LANGUAGE[language] for name, language in support.LANGUAGE.items()}
STAGE = {name: STAGE_BY_LANGUAGE[language] for name, language in support.LANGUAGE.items()}
CLUTTER_BY_FRAMEWORK = {
    name: CLUTTER_BY_LANGUAGE[language] for name, language in support.LANGUAGE.items()
}


def _insert_after(path: Path, anchor: str, line: str) -> None:
    text = path.read_text()
    assert anchor in text, f"{path.name} has no {anchor!r}"
    path.write_text(text.replace(anchor, f"{anchor}\n{line}", 1))


def _grow_go(project: Path, framework: str) -> None:
    package = project / "internal" / "greeting"
    package.mkdir(parents=True)
    (package / "greeting.go").write_text(
        f"// Package greeting is a package the user added.\npackage greeting\n\n"
        f'// Text is what /grown says.\nfunc Text() string {{ return "{GREETING}" }}\n'
    )
    if framework == "echo":
        handler = (
            "func grown(c echo.Context) error { return c.String(http.StatusOK, greeting.Text()) }\n"
        )
        imports = '"net/http"\n\n\t"demo/internal/greeting"\n\t"github.com/labstack/echo/v4"'
        _insert_after(project / "main.go", "e := echo.New()", '\te.GET("/grown", grown)')
    else:
        handler = "func grown(c *gin.Context) { c.String(http.StatusOK, greeting.Text()) }\n"
        imports = '"net/http"\n\n\t"demo/internal/greeting"\n\t"github.com/gin-gonic/gin"'
        _insert_after(project / "main.go", "r := gin.New()", '\tr.GET("/grown", grown)')
    (project / "grown.go").write_text(f"package main\n\nimport (\n\t{imports}\n)\n\n{handler}")


def _grow_flask(project: Path) -> None:
    (project / "greeting").mkdir()
    (project / "greeting" / "__init__.py").write_text(
        f'def text() -> str:\n    return "{GREETING}"\n'
    )
    (project / "templates").mkdir()
    (project / "templates" / "grown.html").write_text("<p>{{ text }}</p>\n")
    with (project / "app.py").open("a") as handle:
        handle.write(
            "\n\nfrom flask import render_template  # noqa: E402\n"
            "from greeting import text  # noqa: E402\n\n\n"
            '@app.get("/grown")\n'
            "def grown() -> str:\n"
            '    return render_template("grown.html", text=text())\n'
        )


def _grow_fastapi(project: Path) -> None:
    """A package lib/ (a module the new route imports) and a templates/ file read at runtime.

    The project's requirements have no Jinja2, so the route reads and fills the file itself.
    """
    (project / "lib").mkdir()
    (project / "lib" / "__init__.py").write_text('"""Code the user added."""\n')
    (project / "lib" / "greeting.py").write_text(
        f'"""What /grown says."""\n\n\ndef text() -> str:\n    return "{GREETING}"\n'
    )
    (project / "templates").mkdir()
    (project / "templates" / "grown.html").write_text("<p>{text}</p>\n")
    with (project / "app.py").open("a") as handle:
        handle.write(
            "\n\nfrom pathlib import Path  # noqa: E402\n\n"
            "from fastapi.responses import HTMLResponse  # noqa: E402\n\n"
            "from lib.greeting import text  # noqa: E402\n\n"
            'TEMPLATES = Path(__file__).resolve().parent / "templates"\n\n\n'
            '@app.get("/grown", response_class=HTMLResponse)\n'
            "async def grown() -> HTMLResponse:\n"
            '    page = (TEMPLATES / "grown.html").read_text(encoding="utf-8")\n'
            "    return HTMLResponse(page.format(text=text()))\n"
        )


def _grow_express(project: Path) -> None:
    (project / "src").mkdir()
    (project / "src" / "greeting.js").write_text(
        f"'use strict';\nexports.text = () => '{GREETING}';\n"
    )
    _insert_after(
        project / "app.js",
        "const app = express();",
        "app.get('/grown', (req, res) => "
        "res.type('text/plain').send(require('./src/greeting').text()));",
    )


# How each framework's app code grows: Go's two share _grow_go, the others differ.
GROW: dict[str, Callable[[Path], None]] = {
    "flask": _grow_flask,
    "fastapi": _grow_fastapi,
    "express": _grow_express,
}


def _grow(project: Path, framework: str) -> list[str]:
    """Add a package and a route, and the clutter; return the clutter's relative paths."""
    if support.LANGUAGE[framework] == "Go":
        _grow_go(project, framework)
    else:
        assert framework in GROW, f"test_grown.py does not know how {framework}'s app grows"
        GROW[framework](project)
    clutter = [*CLUTTER, *CLUTTER_BY_FRAMEWORK[framework]]
    for relative in clutter:
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text("SECRET=do-not-ship\n")
    return clutter


@pytest.mark.parametrize("builder", images.BUILDERS)
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_grown_project_builds_and_serves_its_new_route(
    framework: str, builder: images.Builder, engine: Engine, tmp_path: Path
) -> None:
    project = images.render(tmp_path, framework, port=8123)
    clutter = _grow(project, framework)
    app = f"lsc-grown-{framework}:{builder}-app"
    images.build(engine, project, target="app", builder=builder, tag=app)
    with images.container(engine, app, "--read-only", "--tmpfs", "/tmp", port=8123) as (cid, port):
        images.wait_http(f"http://127.0.0.1:{port}/healthz", timeout=60, engine=engine, cid=cid)
        answer = support.http("GET", f"http://127.0.0.1:{port}/grown")
        assert answer.status == 200, images.logs(engine, cid)
        assert GREETING in answer.body.decode()
    stage = f"lsc-grown-{framework}:{builder}-{STAGE[framework]}"
    if STAGE[framework] != "app":
        images.build(engine, project, target=STAGE[framework], builder=builder, tag=stage)
    files = images.image_files(engine, stage)
    shipped = [path for path in clutter if f"{WORKDIR[framework]}/{path}" in files]
    assert not shipped, f"these reached the image: {shipped}"
    assert f"{WORKDIR[framework]}/Dockerfile" not in files
