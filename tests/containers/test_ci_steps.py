"""ci.yml's own steps, run as written: the `run:` blocks of Lint, Test, Build and Smoke test.

Per framework, a project is rendered with ``--ci github`` and each step's script is taken from
the rendered workflow and run with bash the way GitHub Actions runs it (``bash -e -o pipefail``)
in the project: lint and tests with this machine's toolchains, the image builds and ``make
smoke`` against the private engine with the stand-in base images, buildx as the workflow sets
it up. The smoke step is run twice, as a re-run of the job would, to show it is repeatable and
leaves no container behind.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import support
from tests.containers import images
from tests.containers.engine import Engine

STEPS = ("Lint", "Test", "Build", "Smoke test")
STEP_TIMEOUT = 900.0


def _runs(project: Path) -> dict[str, str]:
    workflow: dict[Any, Any] = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    runs = {str(step["name"]): str(step["run"]) for step in steps if "run" in step}
    assert set(STEPS) <= set(runs), runs
    return runs


def _bash(script: str, project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("framework", support.FRAMEWORKS)
def test_ci_steps_pass_as_written(
    framework: str,
    engine: Engine,
    docker_configs: dict[bool, Path],
    tool_env: dict[str, str],
    tmp_path: Path,
) -> None:
    support.require("make", "bash", "curl", *support.TOOLS[framework])
    stream = framework in {"gin", "fastapi"}  # both invoke modes go through the smoke test
    project = images.render(tmp_path, framework, name=f"ci-{framework}", stream=stream)
    env = {
        **tool_env,
        "DOCKER_HOST": engine.host,
        "DOCKER_CONFIG": str(docker_configs[True]),
        "SMOKE_PORT": str(support.free_port()),
    }
    env.pop("MAKEFLAGS", None)
    env.pop("MAKELEVEL", None)
    runs = _runs(project)
    for name in (*STEPS, "Smoke test"):
        result = _bash(runs[name], project, env)
        assert result.returncode == 0, f"{name}:\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
        if name == "Smoke test":
            for event in sorted((project / "events").glob("*.json")):
                assert f"smoke: events/{event.name}: ok" in result.stdout, result.stdout
    left = engine.docker("ps", "-aq", "--filter", f"ancestor=ci-{framework}:lambda").stdout
    assert not left.strip(), "make smoke left a container behind"


def test_smoke_fails_on_an_answer_that_is_not_2xx(
    engine: Engine,
    docker_configs: dict[bool, Path],
    tool_env: dict[str, str],
    tmp_path: Path,
) -> None:
    support.require("make", "bash", "curl", *support.TOOLS["echo"])
    project = images.render(tmp_path, "echo", name="ci-missing")
    event = json.loads((project / "events" / "get.json").read_text())
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/no-such-route"
    (project / "events" / "missing.json").write_text(json.dumps(event))
    env = {
        **tool_env,
        "DOCKER_HOST": engine.host,
        "DOCKER_CONFIG": str(docker_configs[True]),
        "SMOKE_PORT": str(support.free_port()),
    }
    result = _bash(_runs(project)["Smoke test"], project, env)
    assert result.returncode != 0, result.stdout
    assert "smoke: events/missing.json: no 2xx statusCode" in result.stderr, result.stderr
    left = engine.docker("ps", "-aq", "--filter", "ancestor=ci-missing:lambda").stdout
    assert not left.strip(), "a failed make smoke left its container behind"
