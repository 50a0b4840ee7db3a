"""A project that grew: code a user adds reaches the image, secrets and local clutter do not.

Per framework, a rendered project gets what users add first (a Go package, a Python package
with a templates/ folder, a JavaScript module under src/) and a route that uses it, plus the
local files that must never reach an image (.env, .git, .aws-sam, a venv, node_modules,
build output). The Dockerfile is not touched. Both builders must build it, and the app image
must serve the new route.
"""

from __future__ import annotations

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
CLUTTER_BY_FRAMEWORK = {
    "echo": ("bin/demo", "bootstrap"),
    "gin": ("bin/demo", "bootstrap"),
    "flask": (".venv/pyvenv.cfg", "__pycache__/app.cpython-313.pyc", "test_app.py"),
    "express": ("node_modules/left-pad/index.js", "app.test.js", "coverage/lcov.info"),
}
# Where the project's files end up in each image: Go's stay in the build stage.
WORKDIR = {"echo": "/src", "gin": "/src", "flask": "/app", "express": "/app"}
STAGE = {"echo": "build", "gin": "build", "flask": "app", "express": "app"}


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


def _grow(project: Path, framework: str) -> list[str]:
    """Add a package and a route, and the clutter; return the clutter's relative paths."""
    if framework in ("echo", "gin"):
        _grow_go(project, framework)
    elif framework == "flask":
        _grow_flask(project)
    else:
        _grow_express(project)
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
