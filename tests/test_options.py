"""Every framework x architecture x auth x streaming x async init renders a consistent project."""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import dockerfile, support
from tests.yaml_loaders import load_template

Render = Callable[..., Path]
FRAMEWORKS = support.FRAMEWORKS
COMBOS = list(
    itertools.product(["x86_64", "arm64"], ["NONE", "AWS_IAM"], [False, True], [False, True])
)
PLATFORM = {"x86_64": "linux/amd64", "arm64": "linux/arm64"}
ADAPTER_ARCH = {"x86_64": "x86_64", "arm64": "aarch64"}
BIN = Path(sys.executable).parent


def _check_consistency(
    project: Path, arch: str, auth: str, stream: bool, async_init: bool, memory: int, timeout: int
) -> None:
    template: dict[str, Any] = load_template(project)
    function = template["Resources"]["AppFunction"]["Properties"]
    assert function["Architectures"] == [arch]
    assert function["FunctionUrlConfig"]["AuthType"] == auth
    invoke_mode = function["FunctionUrlConfig"]["InvokeMode"]
    assert invoke_mode == ("RESPONSE_STREAM" if stream else "BUFFERED")
    assert template["Globals"]["Function"] == {"Timeout": timeout, "MemorySize": memory}
    assert template["Resources"]["AppFunction"]["Metadata"]["DockerBuildTarget"] == "app"

    path = project / "Dockerfile"
    env = dockerfile.env(path)
    assert env.get("AWS_LWA_INVOKE_MODE") == ("response_stream" if stream else None)
    assert env.get("AWS_LWA_ASYNC_INIT") == ("true" if async_init else None)
    assert "AWS_LWA_AUTHORIZATION_SOURCE" not in env  # opt-in: the adapter warns without it
    assert env["AWS_LWA_READINESS_CHECK_PATH"] == "/healthz"
    text = path.read_text()
    assert f"ARG TARGET_PLATFORM={PLATFORM[arch]}" in text
    assert "aws-lambda-adapter:" in text and f"-{ADAPTER_ARCH[arch]} /lambda-adapter" in text
    # the deployed stage comes before RIE's: `--target app` never reaches it, in either builder
    assert dockerfile.stages(path)[-3:] == ["app", "rie", "lambda"]
    assert "FROM app AS lambda" in text and "/usr/local/bin/aws-lambda-rie" in text
    assert not text.startswith("# syntax") and "--chmod" not in text and "\nADD " not in text
    if "GOARCH=" in text:
        assert f"GOARCH={'arm64' if arch == 'arm64' else 'amd64'}" in text

    compose = yaml.safe_load((project / "docker-compose.yml").read_text())
    for service in compose["services"].values():
        assert service["platform"] == PLATFORM[arch]
    lambda_env = compose["services"]["lambda"]["environment"]
    assert lambda_env["AWS_LAMBDA_FUNCTION_TIMEOUT"] == str(timeout)
    assert lambda_env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == str(memory)
    port = int(env["PORT"])
    assert compose["services"]["web"]["ports"] == [f"127.0.0.1:${{WEB_PORT:-{port}}}:{port}"]
    lambda_port = 9002 if port == 9000 else 9000
    assert compose["services"]["lambda"]["ports"] == [
        f"127.0.0.1:${{LAMBDA_PORT:-{lambda_port}}}:8080"
    ]
    makefile = (project / "Makefile").read_text()
    assert f"LAMBDA_PORT ?= {lambda_port}\n" in makefile and f"WEB_PORT ?= {port}\n" in makefile
    assert "http://localhost:$(LAMBDA_PORT)/2015-03-31" in makefile

    assert f"PLATFORM := {PLATFORM[arch]}" in makefile
    readme = (project / "README.md").read_text()
    assert ("The URL is public" in readme) == (auth == "NONE")
    assert ("awscurl" in readme) == (auth == "AWS_IAM")
    has_stream_route = "/stream" in "".join(
        p.read_text()
        for p in project.rglob("*")
        if p.is_file() and p.suffix in {".go", ".py", ".js"} and "node_modules" not in p.parts
    )
    assert has_stream_route == stream


@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_every_combination_is_consistent_and_lint_clean(
    render_project: Render, framework: str
) -> None:
    projects = []
    for index, (arch, auth, stream, async_init) in enumerate(COMBOS):
        memory, timeout = 128 + 64 * index, (300 if stream else 30) - index
        project = render_project(
            framework,
            name=f"combo-{index}",
            arch=arch,
            auth=auth,
            stream=stream,
            async_init=async_init,
            memory=memory,
            timeout=timeout,
        )
        _check_consistency(project, arch, auth, stream, async_init, memory, timeout)
        projects.append(project)
    hadolint, cfn_lint = str(BIN / "hadolint"), str(BIN / "cfn-lint")
    support.require(hadolint, cfn_lint)
    for project in projects:
        support.run([hadolint, "--failure-threshold", "warning", "Dockerfile"], cwd=project)
    templates = [str(project / "template.yaml") for project in projects]
    result = subprocess.run(
        [cfn_lint, *templates], capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_app_port_9000_moves_the_local_lambda_port(render_project: Render) -> None:
    project = render_project("express", name="nine", port=9000)
    _check_consistency(project, "x86_64", "NONE", False, False, 512, 30)
    compose = yaml.safe_load((project / "docker-compose.yml").read_text())
    # "127.0.0.1:${LAMBDA_PORT:-9002}:8080": the host port is the default of the variable
    host_ports = [
        p.split(":-")[1].split("}")[0] for s in compose["services"].values() for p in s["ports"]
    ]
    assert sorted(host_ports) == ["9000", "9002"]
    assert "--endpoint http://127.0.0.1:9002" in (project / "README.md").read_text()


def test_streaming_lengthens_the_default_timeout(cli: Callable[..., Any]) -> None:
    result = cli("new", "s", "-f", "echo", "-y", "--stream")
    assert result.exit_code == 0, result.output
    assert "Timeout: 300" in (Path("s") / "template.yaml").read_text()
    result = cli("new", "t", "-f", "echo", "-y", "--stream", "--timeout", "60")
    assert result.exit_code == 0, result.output
    assert "Timeout: 60" in (Path("t") / "template.yaml").read_text()


def test_iam_auth_prints_no_public_warning(cli: Callable[..., Any]) -> None:
    result = cli("new", "iam", "-f", "echo", "-y", "--auth", "AWS_IAM", "--arch", "arm64")
    assert result.exit_code == 0, result.output
    assert "anyone on the internet" not in result.stderr
    assert "arm64" in result.stderr
