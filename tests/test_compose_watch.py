"""The `develop` watch rules of docker-compose.yml and `make watch`, without an engine.

Compose v2 itself reads every framework's file in every option mix (``docker compose config``
needs no engine), with and without what ``make watch`` sets. The ``ignore`` lists are compared
with the rendered .dockerignore, pattern by pattern and on a tree of files, and the sync target
with the folder the Dockerfile copies the project into. The engine runs ``make watch`` in
tests/containers/test_watch.py.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import pytest
import yaml

from tests import docker_context, dockerfile, support
from tests.containers import plugins
from tests.containers.test_compose import MIXES

FRAMEWORKS = support.FRAMEWORKS
Render = Callable[..., Path]
# What carries a saved change into the services, per language, and the files whose change needs
# a new image (the dependency locks; the Dockerfile is in .dockerignore, which Compose applies).
SYNCS: Final = {"Python": True, "Node.js": True, "Go": False}
REBUILDS: Final = {
    "Python": ["requirements.txt"],
    "Node.js": ["package.json", "package-lock.json"],
    "Go": [],
}
# Files a project grows while you work on it, and files it starts with.
GROWN: Final = [
    "src/routes/users.py",
    "src/routes/users.js",
    "internal/store/store.go",
    "templates/index.html",
    "static/app.css",
    "node_modules/express/index.js",
    "src/node_modules/x/index.js",
    ".venv/lib/site.py",
    "venv/bin/python",
    "__pycache__/app.cpython-313.pyc",
    "pkg/__pycache__/m.cpython-313.pyc",
    "pkg/m.pyc",
    "tests/test_more.py",
    "pkg/test_unit.py",
    "pkg/unit_test.py",
    "pkg/unit_test.go",
    "pkg/testdata/golden.json",
    "test/routes.js",
    "lib/app.test.js",
    "coverage/lcov.info",
    ".pytest_cache/v/x",
    ".env",
    ".env.local",
    "key.pem",
    ".aws-sam/build.toml",
    ".git/HEAD",
    ".idea/workspace.xml",
    "bin/app",
    "bootstrap",
    "samconfig.prod.toml",
    "npm-debug.log.1",
]


def dockerignore_patterns(project: Path) -> list[str]:
    """The patterns of the rendered .dockerignore, in order (comments and blank lines dropped)."""
    lines = (line.strip() for line in (project / ".dockerignore").read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _workdir(path: Path, stage: str = "app") -> str:
    """The last WORKDIR of a Dockerfile stage, where its `COPY . .` puts the project."""
    current, workdir = "", "/"
    for instruction in dockerfile.instructions(path):
        keyword, _, rest = instruction.partition(" ")
        if keyword.upper() == "FROM":
            match = re.search(r"\bAS\s+(\S+)", rest, re.IGNORECASE)
            current = match.group(1) if match else ""
        elif keyword.upper() == "WORKDIR" and current == stage:
            workdir = rest.strip()
        elif keyword.upper() == "COPY" and current == stage and rest.split() == [".", "."]:
            return workdir
    raise AssertionError(f"{path}: the {stage} stage has no `COPY . .`")


def _compose() -> Path:
    try:
        return plugins.compose()
    except plugins.PluginUnavailableError as err:
        if support.REQUIRE_TOOLCHAINS:
            pytest.fail(f"{err} (LAMBDA_SCAFFOLD_REQUIRE_TOOLCHAINS=1 forbids skipping)")
        pytest.skip(str(err))


def _config(compose: Path, project: Path, tmp_path: Path, **env: str) -> dict[str, Any]:
    """`docker compose config` as JSON, against no engine at all (the socket does not exist)."""
    environ = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DOCKER_HOST": f"unix://{tmp_path / 'no-engine.sock'}",
        "DOCKER_CONFIG": str(tmp_path / "docker-config"),
        **env,
    }
    result = subprocess.run(
        [str(compose), "config", "--format", "json"],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert isinstance(config, dict)
    return config


def _expected_watch(project: Path, framework: str) -> list[dict[str, Any]]:
    """The rules as Compose reports them: absolute paths, the defaults it fills in dropped."""
    language = support.LANGUAGE[framework]
    ignore = dockerignore_patterns(project)
    root = str(project.resolve())
    if not SYNCS[language]:
        return [{"action": "rebuild", "path": root, "ignore": ignore}]
    target = _workdir(project / "Dockerfile")
    rules: list[dict[str, Any]] = [
        {"action": "sync+restart", "path": root, "target": target, "ignore": ignore}
    ]
    rules += [{"action": "rebuild", "path": f"{root}/{name}"} for name in REBUILDS[language]]
    return rules


def _rules(service: dict[str, Any]) -> list[dict[str, Any]]:
    keep = ("action", "path", "target", "ignore")
    return [{k: rule[k] for k in keep if rule.get(k)} for rule in service["develop"]["watch"]]


@pytest.mark.toolchain
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_compose_reads_the_watch_rules_in_every_option_mix(
    render_project: Render, framework: str, tmp_path: Path
) -> None:
    compose = _compose()
    syncs = SYNCS[support.LANGUAGE[framework]]
    for answers in MIXES:
        project = render_project(framework, **answers)
        expected = _expected_watch(project, framework)
        for name in REBUILDS[support.LANGUAGE[framework]]:
            assert (project / name).is_file(), name
        # as `make up` runs: read-only, as the image's user
        services = _config(compose, project, tmp_path)["services"]
        for name in ("web", "lambda"):
            assert _rules(services[name]) == expected, (name, answers)
            assert services[name]["read_only"] is True, name
            assert "user" not in services[name], name
        # as `make watch` runs Python and Node: writable, and as root where the engine needs it
        services = _config(compose, project, tmp_path, READ_ONLY="false", APP_USER="root")[
            "services"
        ]
        for name in ("web", "lambda"):
            assert _rules(services[name]) == expected, (name, answers)
            assert services[name].get("read_only", False) is not syncs, name
            assert services[name].get("user") == ("root" if syncs else None), name


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_watch_ignores_exactly_what_dockerignore_keeps_out(
    render_project: Render, framework: str
) -> None:
    project = render_project(framework)
    compose = yaml.safe_load((project / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["web"]["develop"] == services["lambda"]["develop"]
    patterns = dockerignore_patterns(project)
    assert len(patterns) > 20
    rules = services["web"]["develop"]["watch"]
    whole = [rule for rule in rules if rule["path"] == "."]
    assert len(whole) == 1, "one rule watches the whole build context"
    assert whole[0]["ignore"] == patterns
    for rule in rules:
        assert "ignore" not in rule or rule["ignore"] == patterns, rule
    # the same files on a grown tree: what the rule watches is what reaches the image
    for relative in GROWN:
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")
    files = sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file())
    watched = docker_context.rules(whole[0]["ignore"])
    context = docker_context.copy_context(project, project.parent / "context")
    assert [f for f in files if docker_context.included(f, watched)] == context
    assert "templates/index.html" in context and ".env" not in context


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_make_watch_runs_compose_watch(render_project: Render, framework: str) -> None:
    project = render_project(framework)
    syncs = SYNCS[support.LANGUAGE[framework]]
    makefile = (project / "Makefile").read_text()
    assert re.search(r"^\.PHONY:.*\bwatch\b", makefile, re.M)
    dry = support.run(["make", "-n", "watch"], cwd=project).stdout
    assert "docker compose watch" in dry and "docker compose stop" in dry
    assert ("READ_ONLY=false docker compose watch" in dry) is syncs
    assert ("APP_USER=root" in dry) is syncs
    helped = support.run(["make", "help"], cwd=project).stdout
    assert re.search(r"^  watch +Build and start both services, then ", helped, re.M)
