"""What each generated README tells the newcomer: readiness, IAM, logs, prerequisites."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import access_log, support
from tests.yaml_loaders import load_template

FRAMEWORKS = support.FRAMEWORKS
PINS: dict[str, Any] = yaml.safe_load((Path(__file__).parent.parent / "copier.yml").read_text())
MATRIX = list(itertools.product(FRAMEWORKS, ["NONE", "AWS_IAM"], [False, True], [False, True]))
Render = Callable[..., Path]


def _readme(project: Path) -> str:
    return (project / "README.md").read_text()


def _section(readme: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", readme, re.S | re.M)
    assert match, f"no '## {title}' section"
    return str(match.group(1))


def _blocks(text: str, language: str) -> list[str]:
    found: list[str] = re.findall(rf"^```{language}\n(.*?)^```", text, re.S | re.M)
    return found


@pytest.mark.parametrize(("framework", "auth", "stream", "async_init"), MATRIX)
def test_readiness_check_as_the_pinned_adapter_does_it(
    render_project: Render, framework: str, auth: str, stream: bool, async_init: bool
) -> None:
    project = render_project(framework, auth=auth, stream=stream, async_init=async_init)
    row = next(
        line
        for line in _readme(project).splitlines()
        if line.startswith("| `AWS_LWA_READINESS_CHECK_PATH`")
    )
    assert "every cold start" in row
    assert "`AWS_LWA_READINESS_CHECK_HEALTHY_STATUS` (default `100-499`: a 404 does too)" in row
    assert "for a 200" not in row


@pytest.mark.parametrize(("framework", "auth", "stream", "async_init"), MATRIX)
def test_authorization_header_renaming_is_opt_in(
    render_project: Render, framework: str, auth: str, stream: bool, async_init: bool
) -> None:
    project = render_project(framework, auth=auth, stream=stream, async_init=async_init)
    for name in ("Dockerfile", "template.yaml", "docker-compose.yml"):
        assert "AWS_LWA_AUTHORIZATION_SOURCE" not in (project / name).read_text(), name
    call = _section(_readme(project), "Call it")
    if auth == "AWS_IAM":
        assert "add `AWS_LWA_AUTHORIZATION_SOURCE=X-App-Authorization`" in call
        assert "It is not set by default, because the adapter logs a warning" in call
    assert "AWS_LWA_AUTHORIZATION_SOURCE" not in _section(_readme(project), "Configuration")


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_iam_readme_grants_both_actions_on_the_function(
    render_project: Render, framework: str
) -> None:
    call = _section(_readme(render_project(framework, auth="AWS_IAM")), "Call it")
    [policy_text] = _blocks(call, "json")
    policy = json.loads(policy_text)
    assert policy["Version"] == "2012-10-17"
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == ["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"]
    assert re.fullmatch(r"arn:aws:lambda:[A-Z_]+:[A-Z_]+:function:[A-Z_]+", statement["Resource"])
    assert "`FunctionArn` in `make outputs`" in call
    [signed] = _blocks(call, "sh")
    assert signed.startswith("awscurl --service lambda ")
    public = _section(_readme(render_project(framework, auth="NONE")), "Call it")
    assert _blocks(public, "json") == []


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_readme_shows_the_access_log_and_where_to_read_it(
    render_project: Render, framework: str
) -> None:
    project = render_project(framework, name="orders-api")
    logs = _section(_readme(project), "Logs")
    [example] = _blocks(logs, "json")
    entry = json.loads(example)
    access_log.check(entry)
    assert _blocks(logs, "sh") == ["make logs\n"]
    assert "`sam logs --tail`" in logs
    assert "`x-amzn-lambda-context`" in logs and "`/healthz`" in logs
    resources: Any = load_template(project)["Resources"]
    group = resources["AppLogGroup"]["Properties"]["LogGroupName"]
    assert group == {"Sub": "/aws/lambda/${AWS::StackName}"}
    assert "`/aws/lambda/<stack name>` (`/aws/lambda/orders-api` with the default stack" in logs


def _image_version(framework: str) -> str:
    if support.LANGUAGE[framework] == "Go":
        return "Go " + str(PINS["go_image"]["default"]).split(":")[-1].split("-")[0]
    if support.LANGUAGE[framework] == "Python":
        return "Python " + str(PINS["python_version"]["default"])
    return "Node.js " + str(PINS["node_version"]["default"])


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_prerequisites_are_current_and_name_what_the_image_runs(
    render_project: Render, framework: str
) -> None:
    project = render_project(framework)
    prerequisites = _section(_readme(project), "Prerequisites")
    first = prerequisites.strip().splitlines()[0]
    assert _image_version(framework) + ")" in first, first
    assert "Node.js 20 or newer" not in prerequisites
    if framework == "express":
        assert first.startswith("- Node.js 22 or newer with npm (Node.js 20 reached its end")
        package = json.loads((project / "package.json").read_text())
        assert package["engines"]["node"] == ">=22"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_inner_loop_is_one_table_of_the_three_commands(
    render_project: Render, framework: str
) -> None:
    project = render_project(framework)
    section = _section(_readme(project), "Inner loop")
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert rows[:2] == ["| Command | What reloads | How fast |", "|---|---|---|"]
    commands = [row.split(" | ")[0].removeprefix("| ") for row in rows[2:]]
    assert commands == ["`make dev`", "`make watch`", "`lambda-scaffold dev`"]
    for row in rows[2:]:
        assert len(row.strip("|").split(" | ")) == 3, row
        assert "{{" not in row and row.split(" | ")[2].strip(" |"), row
    # `make dev` is a target of this Makefile, listed by `make help` (test_make_dev runs it).
    makefile = (project / "Makefile").read_text()
    assert re.search(r"^dev: .*## ", makefile, re.M)
    assert re.search(r"^\.PHONY: .*\bdev\b", makefile, re.M)
