"""arm64 functions on an x86_64 machine: the images build for arm64 and run under QEMU.

With arm64 stand-ins in the engine and QEMU registered for aarch64 executables, every
framework's project with ``--arch arm64`` is built with BuildKit (the Go compiler runs natively
and cross-compiles; Python and Node install their packages under emulation), labelled arm64,
and run: the app image serves HTTP, and a Function URL event goes through the arm64 RIE and the
adapter inside the lambda image. `sam build` (the classic builder, which runs every step under
emulation) builds every arm64 Python project (Flask and FastAPI: pip installs their wheels,
pydantic-core's compiled one among them, for aarch64 under emulation).

Not run: `sam build` of an arm64 Go project. The classic builder has no BUILDPLATFORM, so the
Go compiler itself runs under emulation there (about five minutes here); the Dockerfile steps
are the ones the BuildKit arm64 build above and the x86_64 `sam build` already prove.

What emulation cannot prove: timing and real arm64 hardware; and the adapter stand-in is the
x86_64 build (the kernel runs it natively inside the arm64 container), as crates.io offers no
arm64 binary and no arm64 Rust toolchain is reachable here.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import lambda_binaries as binaries
from tests import support
from tests.containers import emulation, images, standins
from tests.containers.conftest import unavailable
from tests.containers.engine import Engine

FRAMEWORKS = support.FRAMEWORKS
# How each language's image tells which CPU its runtime is for (Go's: the binary's ELF header).
GO_BINARY = "/app/bootstrap"
# Where the Python images keep the app's dependencies.
VENV = "/opt/venv"
# One compiled extension that must be among each Python framework's dependencies.
COMPILED = {"flask": "markupsafe/", "fastapi": "pydantic_core/"}
PROBES = {
    "Python": ["--entrypoint", "python", "-c", "import platform; print(platform.machine())"],
    "Node.js": ["--entrypoint", "node", "-p", "process.arch"],
}


@pytest.fixture(scope="module")
def arm64_engine(engine: Engine) -> Iterator[Engine]:
    """The run's engine with the arm64 stand-ins (but the x86_64 Go build image), then back."""
    try:
        with emulation.arm64():
            standins.build_all(engine, arch="arm64", only=standins.ALL - {"go"})
            try:
                yield engine
            finally:
                standins.build_all(engine, arch="x86_64", only=standins.ALL - {"go"})
    except (emulation.EmulationUnavailableError, standins.StandinUnavailableError) as err:
        unavailable(str(err))


def _runtime_arch(engine: Engine, framework: str, image: str) -> str:
    probe = PROBES.get(support.LANGUAGE[framework])
    if probe is not None:
        result = engine.docker(
            "run", "--rm", "--platform", "linux/arm64", *probe[:2], image, *probe[2:], timeout=120
        )
        return {"aarch64": "arm64", "arm64": "arm64"}.get(result.stdout.strip(), result.stdout)
    return images.elf_arch(images.read_file(engine, image, GO_BINARY))


def _compiled_extensions(engine: Engine, framework: str, image: str) -> dict[str, str]:
    """The architecture of every compiled extension pip put into a Python image's venv.

    The interpreter's own architecture says nothing about the wheels: pip must have picked the
    aarch64 build of each (pydantic-core for FastAPI, MarkupSafe for Flask). Empty for others.
    """
    if support.LANGUAGE[framework] != "Python":
        return {}
    container = engine.docker("create", image, "never-run").stdout.strip()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            engine.docker("cp", f"{container}:{VENV}", scratch)
            root = Path(scratch) / Path(VENV).name
            return {
                str(path.relative_to(root)): images.elf_arch(path.read_bytes())
                for path in sorted(root.rglob("*.so"))
                if path.is_file() and not path.is_symlink()
            }
    finally:
        engine.docker("rm", "-f", container, check=False)


def _assert_compiled_for_arm64(engine: Engine, framework: str, image: str) -> None:
    compiled = _compiled_extensions(engine, framework, image)
    if framework in COMPILED:
        assert any(COMPILED[framework] in path for path in compiled), compiled
    wrong = {path: arch for path, arch in compiled.items() if arch != "arm64"}
    assert not wrong, f"pip installed extensions for another CPU: {wrong}"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_an_arm64_project_builds_and_runs_under_emulation(
    framework: str, arm64_engine: Engine, tmp_path: Path
) -> None:
    engine = arm64_engine
    project = images.render(tmp_path, framework, arch="arm64", port=8123)
    tags = {target: f"lsc-arm64-{framework}:{target}" for target in images.TARGETS}
    for target, tag in tags.items():
        images.build(engine, project, target=target, builder="buildkit", tag=tag, arch="arm64")
        assert images.image_config(engine, tag)["Architecture"] == "arm64"
    assert _runtime_arch(engine, framework, tags["app"]) == "arm64"
    _assert_compiled_for_arm64(engine, framework, tags["app"])
    assert images.RIE_PATH not in images.image_files(engine, tags["app"])

    run = ("--platform", "linux/arm64", "--read-only", "--tmpfs", "/tmp")
    with images.container(engine, tags["app"], *run, "--user", "4242:4242", port=8123) as (
        cid,
        port,
    ):
        images.wait_http(f"http://127.0.0.1:{port}/healthz", timeout=120, engine=engine, cid=cid)
        home = support.http("GET", f"http://127.0.0.1:{port}/?name=arm64")
        assert json.loads(home.body) == {"message": "Hello, arm64!"}
    with images.container(engine, tags["lambda"], *run, port=images.RIE_PORT) as (cid, port):
        event = (project / "events" / "get.json").read_bytes()
        answer = images.wait_rie(port, event, timeout=180, engine=engine, cid=cid)
        assert answer["statusCode"] == 200
        assert json.loads(images.answer_body(answer)) == {"message": "Hello, Lambda!"}


@pytest.fixture(scope="module")
def sam() -> Path:
    try:
        return binaries.sam_cli()
    except (binaries.ChainUnavailableError, AssertionError) as err:
        unavailable(f"the SAM CLI {binaries.SAM_CLI_VERSION} could not be installed: {err}")
        raise


@pytest.mark.parametrize("framework", support.of_language("Python"))
def test_sam_build_builds_an_arm64_function(
    framework: str, arm64_engine: Engine, sam: Path, tool_env: dict[str, str], tmp_path: Path
) -> None:
    engine = arm64_engine
    project = images.render(tmp_path, framework, arch="arm64", port=8123)
    env = {**tool_env, "DOCKER_HOST": engine.host, "SAM_CLI_TELEMETRY": "0"}
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    support.run([str(sam), "build"], cwd=project, env=env, timeout=1800)
    built = (project / ".aws-sam" / "build" / "template.yaml").read_text()
    match = re.search(r"^\s*ImageUri:\s*(\S+)\s*$", built, re.MULTILINE)
    assert match, built
    image = match.group(1)
    assert images.image_config(engine, image)["Architecture"] == "arm64"
    assert _runtime_arch(engine, framework, image) == "arm64"
    _assert_compiled_for_arm64(engine, framework, image)
    assert images.RIE_PATH not in images.image_files(engine, image)
