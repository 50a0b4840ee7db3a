"""What the Dockerfile builds, built natively: the context as .dockerignore leaves it, the build
stage's own commands, the binary for the function's architecture, and the app it starts."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import docker_context, dockerfile, support

pytestmark = [pytest.mark.toolchain, pytest.mark.slow]
Render = Callable[..., Path]
ELF_MACHINE = {"x86_64": 0x3E, "arm64": 0xB7}
NEVER_IN_CONTEXT = (
    "README.md",
    "Makefile",
    "template.yaml",
    "samconfig.toml",
    "docker-compose.yml",
    "events/get.json",
    ".copier-answers.yml",
    ".gitignore",
)


def _stage_runs(path: Path, stage: str) -> list[str]:
    runs: list[str] = []
    current = ""
    for instruction in dockerfile.instructions(path):
        keyword, _, rest = instruction.partition(" ")
        if keyword.upper() == "FROM":
            current = rest.split()[-1] if " AS " in rest.upper() else ""
        elif keyword.upper() == "RUN" and current == stage:
            runs.append(rest)
    return runs


def _check_context(project: Path, context: Path) -> list[str]:
    copied = docker_context.copy_context(project, context)
    for source in docker_context.copy_sources(project / "Dockerfile"):
        pattern = source.removeprefix("./").rstrip("/") or "*"
        assert pattern in {"*", "."} or any(fnmatch.fnmatch(p, pattern) for p in copied), (
            f"COPY {source}: nothing in the build context matches (check .dockerignore)"
        )
    for name in NEVER_IN_CONTEXT:
        assert name not in copied, f"{name} reaches the build context"
    return copied


def _elf(path: Path) -> tuple[int, bool]:
    data = path.read_bytes()
    assert data[:4] == b"\x7fELF"
    machine = int.from_bytes(data[18:20], "little")
    return machine, b"/ld-linux" in data[:4096] or b"/ld-musl" in data[:4096]


@pytest.mark.parametrize("framework", ["echo", "gin"])
@pytest.mark.parametrize("arch", ["x86_64", "arm64"])
def test_go_image_build_stage(
    render_project: Render, framework: str, arch: str, tmp_path: Path
) -> None:
    support.require("go")
    project = render_project(framework, name="image-demo", arch=arch)
    context = tmp_path / "context"
    copied = _check_context(project, context)
    assert not any(p.endswith("_test.go") for p in copied)
    binary = tmp_path / "out" / "bootstrap"
    for command in _stage_runs(project / "Dockerfile", "build"):
        support.run(
            ["sh", "-c", command.replace("/out/bootstrap", shlex.quote(str(binary)))],
            cwd=context,
            timeout=600,
        )
    machine, dynamic = _elf(binary)
    assert machine == ELF_MACHINE[arch]
    assert not dynamic, "the binary must be static (CGO_ENABLED=0): the image has no libc"
    if arch != "x86_64":
        return
    port = support.free_port()
    with support.running(
        [str(binary)], cwd=tmp_path, env={"PORT": str(port)}, log=tmp_path / "app.log"
    ) as process:
        support.wait_http(f"http://127.0.0.1:{port}/healthz", timeout=30, process=process)


def _cmd(path: Path, stage: str = "app") -> list[str]:
    current, command = "", []
    for instruction in dockerfile.instructions(path):
        keyword, _, rest = instruction.partition(" ")
        if keyword.upper() == "FROM":
            current = rest.split()[-1] if " AS " in rest.upper() else ""
        elif keyword.upper() == "CMD" and current == stage:
            command = json.loads(rest)
    assert command, f"no exec-form CMD in stage {stage}"
    return command


def _canonical(requirement: str) -> str:
    """A pinned requirement, its name normalised as PEP 503 does (pydantic_core: pydantic-core)."""
    name, _, version = requirement.partition("==")
    return re.sub(r"[-_.]+", "-", name).lower() + "==" + version


# The stage of an interpreted language's image that installs the dependencies.
INSTALL_STAGE = {"Python": "build", "Node.js": "deps"}


@pytest.mark.parametrize(
    ("framework", "stage", "tools"),
    [
        (name, INSTALL_STAGE[language], support.TOOLS[name])
        for name, language in support.LANGUAGE.items()
        if language in INSTALL_STAGE
    ],
)
def test_interpreted_image_installs_and_starts(
    render_project: Render, framework: str, stage: str, tools: list[str], tmp_path: Path
) -> None:
    support.require(*tools)
    project = render_project(framework, name="image-demo")
    context = tmp_path / "context"
    copied = _check_context(project, context)
    assert not any("test" in Path(p).name for p in copied), copied
    venv = tmp_path / "venv"
    for command in _stage_runs(project / "Dockerfile", stage):
        support.run(
            ["sh", "-c", command.replace("/opt/venv", shlex.quote(str(venv)))],
            cwd=context,
            timeout=600,
        )
    if support.LANGUAGE[framework] == "Python":
        pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
        frozen = support.run([*pip, "freeze"], cwd=context).stdout
        pinned = (context / "requirements.txt").read_text()
        installed = {_canonical(line) for line in frozen.split() if "==" in line}
        assert installed == {_canonical(line) for line in pinned.split() if "==" in line}, (
            "requirements.txt must pin every installed package, and only those"
        )
    start = _cmd(project / "Dockerfile")
    env = {
        "PORT": str(support.free_port()),
        "NODE_ENV": "production",
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
    }
    with support.running(start, cwd=context, env=env, log=tmp_path / "app.log") as process:
        support.wait_http(f"http://127.0.0.1:{env['PORT']}/healthz", timeout=60, process=process)
        assert support.http("GET", f"http://127.0.0.1:{env['PORT']}/").status == 200
