"""The Makefile's deploy, url, outputs, region, logs, delete and help targets, with real make.

AWS cannot be reached here, so ``sam``, ``aws``, ``curl`` and ``awscurl`` are recording stand-ins
(:mod:`tests.aws_shims`): the tests check which commands the targets run, with which settings,
and that the README's steps are single commands that work as written.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import support
from tests.aws_shims import FUNCTION_URL, Call, Shims

pytestmark = pytest.mark.toolchain
FRAMEWORKS = support.FRAMEWORKS
Render = Callable[..., Path]
REGION = "eu-west-1"
URL = FUNCTION_URL.format(region=REGION)


def _env(shims: Shims, *, stack: str = "", **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in {"PORT", "MAKEFLAGS", "MAKELEVEL"}}
    return {**base, **extra, **shims.env(region=REGION, stack=stack)}


def _make(
    project: Path, shims: Shims, *targets: str, stack: str = "", **extra: str
) -> subprocess.CompletedProcess[str]:
    support.require("make", "awk")
    return subprocess.run(
        ["make", "--no-print-directory", *targets],
        cwd=project,
        env=_env(shims, stack=stack, **extra),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_deploy_asks_once_then_deploys_straight_away(
    render_project: Render, framework: str, tmp_path: Path
) -> None:
    project = render_project(framework, name="demo")
    shims = Shims(tmp_path)
    _ok(_make(project, shims, "deploy"))
    assert shims.calls() == [Call("sam", ["build"]), Call("sam", ["deploy", "--guided"])]
    assert f'region = "{REGION}"' in (project / "samconfig.toml").read_text()
    _ok(_make(project, shims, "deploy"))
    assert shims.calls() == [Call("sam", ["build"]), Call("sam", ["deploy"])]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_region_written_by_hand_skips_the_questions(
    render_project: Render, framework: str, tmp_path: Path
) -> None:
    project = render_project(framework, name="demo")
    config = project / "samconfig.toml"
    text = config.read_text()
    assert '# region = "us-east-1"' in text
    config.write_text(text.replace('# region = "us-east-1"', 'region = "ap-south-1"'))
    shims = Shims(tmp_path)
    _ok(_make(project, shims, "deploy"))
    assert shims.calls() == [Call("sam", ["build"]), Call("sam", ["deploy"])]
    assert _ok(_make(project, shims, "-s", "region")).strip() == "ap-south-1"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_url_outputs_logs_and_delete_use_the_saved_settings(
    render_project: Render, framework: str, tmp_path: Path
) -> None:
    project = render_project(framework, name="demo")
    shims = Shims(tmp_path)
    # A stack name other than the default, typed into the guided deploy.
    _ok(_make(project, shims, "deploy", stack="orders-prod"))
    shims.calls()
    stack = ["--stack-name", "orders-prod", "--region", REGION]
    assert _ok(_make(project, shims, "-s", "url")).strip() == URL
    [url_call] = shims.calls()
    assert url_call.tool == "aws" and url_call.args[:2] == ["cloudformation", "describe-stacks"]
    assert url_call.args[2:6] == stack
    outputs = _ok(_make(project, shims, "-s", "outputs"))
    assert "FunctionArn\tarn:aws:lambda:eu-west-1:" in outputs and URL in outputs
    shims.calls()
    _ok(_make(project, shims, "logs"))
    assert shims.calls() == [Call("sam", ["logs", *stack, "--tail"])]
    _ok(_make(project, shims, "delete"))
    assert shims.calls() == [Call("sam", ["delete", *stack])]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_saved_profile_is_used_too(
    render_project: Render, framework: str, tmp_path: Path
) -> None:
    project = render_project(framework, name="demo")
    config = project / "samconfig.toml"
    config.write_text(
        config.read_text().replace(
            "[default.deploy.parameters]\n",
            f'[default.deploy.parameters]\nregion = "{REGION}"\nprofile = "work"\n',
        )
    )
    shims = Shims(tmp_path)
    _ok(_make(project, shims, "delete"))
    assert shims.calls() == [
        Call("sam", ["delete", "--stack-name", "demo", "--region", REGION, "--profile", "work"])
    ]


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("target", ["url", "outputs", "region", "logs", "delete"])
def test_before_the_first_deploy_the_targets_say_so(
    render_project: Render, framework: str, target: str, tmp_path: Path
) -> None:
    project = render_project(framework, name="demo")
    shims = Shims(tmp_path)
    result = _make(project, shims, target)
    assert result.returncode != 0
    assert "run make deploy first" in result.stderr
    assert shims.calls() == []


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_help_prints_values(render_project: Render, framework: str, tmp_path: Path) -> None:
    project = render_project(framework, name="demo", port=8123)
    shims = Shims(tmp_path)
    text = _ok(_make(project, shims, "help"))
    assert "$(" not in text, text
    assert "8123" in text and "events/get.json" in text, text
    targets = re.findall(r"^  ([a-z]+) ", text, re.MULTILINE)
    assert {"deploy", "url", "outputs", "region", "logs", "delete"} <= set(targets)
    assert "9090" in _ok(_make(project, shims, "help", PORT="9090"))


def _section(readme: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", readme, re.S | re.M)
    assert match, f"no '## {title}' section"
    return str(match.group(1))


def _single_command(readme: str, title: str) -> str:
    blocks: list[str] = re.findall(r"^```sh\n(.*?)^```", _section(readme, title), re.S | re.M)
    assert len(blocks) == 1, f"'{title}' should show one command block: {blocks}"
    lines = [line for line in blocks[0].splitlines() if line.strip()]
    assert len(lines) == 1 and not lines[0].rstrip().endswith("\\"), blocks[0]
    return lines[0]


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("auth", ["NONE", "AWS_IAM"])
def test_readme_steps_are_single_commands_that_work(
    render_project: Render, framework: str, auth: str, tmp_path: Path
) -> None:
    project = render_project(framework, name="demo", auth=auth)
    readme = (project / "README.md").read_text()
    shims = Shims(tmp_path)
    stack = ["--stack-name", "demo", "--region", REGION]

    def run(title: str) -> list[Call]:
        support.require("bash")
        command = _single_command(readme, title)
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", command],
            cwd=project,
            env=_env(shims),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}{result.stderr}"
        return shims.calls()

    assert run("Deploy") == [Call("sam", ["build"]), Call("sam", ["deploy", "--guided"])]
    called = run("Call it")
    if auth == "NONE":
        assert called[-1] == Call("curl", [f"{URL}?name=Lambda"])
    else:
        assert called[-1] == Call(
            "awscurl", ["--service", "lambda", "--region", REGION, f"{URL}?name=Lambda"]
        )
    assert all(call.args[2:6] == stack for call in called if call.tool == "aws")
    assert run("Logs") == [Call("sam", ["logs", *stack, "--tail"])]
    assert run("Delete") == [Call("sam", ["delete", *stack])]
    assert run("Deploy") == [Call("sam", ["build"]), Call("sam", ["deploy"])]
