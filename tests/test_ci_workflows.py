"""The generated CI/CD (``--ci github``): workflows, the deploy role's template, ``make bootstrap``.

actionlint (pinned, with shellcheck for the ``run:`` scripts) and cfn-lint check the files as
GitHub and CloudFormation would; the policy and trust of the deploy role are read from the
template; ``make bootstrap`` runs for real against stand-ins for ``aws`` (tests/aws_shims.py)
in a git repository whose origin names the GitHub repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import ci_tools, support
from tests.aws_shims import Shims
from tests.lambda_binaries import ChainUnavailableError
from tests.yaml_loaders import CfnLoader

Render = Callable[..., Path]
BIN = Path(sys.executable).parent
WORKFLOWS = ("ci.yml", "deploy.yml", "update-check.yml")
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)\s*#\s*v\d+(?:\.\d+){0,2}\s*$")
# Every framework, and every value of arch, auth and stream, at least once.
MATRIX = [
    ("echo", "x86_64", "NONE", False),
    ("gin", "arm64", "AWS_IAM", True),
    ("flask", "arm64", "NONE", True),
    ("fastapi", "x86_64", "AWS_IAM", False),
    ("express", "arm64", "AWS_IAM", False),
    ("express", "x86_64", "NONE", True),
]
IDS = [
    f"{fw}-{arch}-{auth}-{'stream' if stream else 'buffered'}" for fw, arch, auth, stream in MATRIX
]


def _render(render_project: Render, framework: str, arch: str, auth: str, stream: bool) -> Path:
    return render_project(framework, name="orders", arch=arch, auth=auth, stream=stream)


def _workflow(project: Path, name: str) -> dict[Any, Any]:
    data = yaml.safe_load((project / ".github" / "workflows" / name).read_text())
    assert isinstance(data, dict)
    return data


def _triggers(workflow: dict[Any, Any]) -> Any:
    return workflow["on"] if "on" in workflow else workflow[True]  # YAML 1.1 reads `on` as true


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def _actionlint() -> Path:
    try:
        return ci_tools.actionlint()
    except ChainUnavailableError as err:
        if support.REQUIRE_TOOLCHAINS:
            pytest.fail(f"{err} (LAMBDA_SCAFFOLD_REQUIRE_TOOLCHAINS=1 forbids skipping)")
        pytest.skip(str(err))


@pytest.mark.slow
@pytest.mark.toolchain
@pytest.mark.parametrize(("framework", "arch", "auth", "stream"), MATRIX, ids=IDS)
def test_workflows_pass_actionlint_and_shellcheck(
    render_project: Render, framework: str, arch: str, auth: str, stream: bool
) -> None:
    support.require("shellcheck", "go")
    project = _render(render_project, framework, arch, auth, stream)
    files = [str(project / ".github" / "workflows" / name) for name in WORKFLOWS]
    shellcheck = shutil.which("shellcheck")
    assert shellcheck is not None  # support.require checked it
    result = subprocess.run(
        [str(_actionlint()), "-shellcheck", shellcheck, *files],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("framework", "arch", "auth", "stream"), MATRIX, ids=IDS)
def test_every_action_is_pinned_to_a_commit_with_its_version(
    render_project: Render, framework: str, arch: str, auth: str, stream: bool
) -> None:
    project = _render(render_project, framework, arch, auth, stream)
    for name in WORKFLOWS:
        text = (project / ".github" / "workflows" / name).read_text()
        uses = [step["uses"] for step in _steps(_workflow(project, name)) if "uses" in step]
        assert uses, name
        for action in uses:
            assert PINNED.match(action), f"{name}: {action} is not pinned to a commit"
        commented = [m.group(1) for line in text.splitlines() if (m := USES_LINE.match(line))]
        assert commented == uses, f"{name}: every uses: line names its version in a comment"


@pytest.mark.parametrize(("framework", "arch", "auth", "stream"), MATRIX, ids=IDS)
def test_workflows_are_least_privilege_bounded_and_serialised(
    render_project: Render, framework: str, arch: str, auth: str, stream: bool
) -> None:
    project = _render(render_project, framework, arch, auth, stream)
    ci, deploy = _workflow(project, "ci.yml"), _workflow(project, "deploy.yml")
    update = _workflow(project, "update-check.yml")
    assert ci["permissions"] == {"contents": "read"}
    assert deploy["permissions"] == {"id-token": "write", "contents": "read"}
    assert update["permissions"] == {"issues": "write", "contents": "read"}
    for workflow in (ci, deploy, update):
        for job in workflow["jobs"].values():
            assert 0 < job["timeout-minutes"] <= 60
            assert "permissions" not in job  # the workflow's, no more
    assert "pull_request" in _triggers(ci)
    assert "cancel-in-progress" in ci["concurrency"]
    assert "pull_request" in ci["concurrency"]["cancel-in-progress"]
    assert deploy["concurrency"]["cancel-in-progress"] is False
    assert deploy["jobs"]["deploy"]["environment"] == "production"
    assert set(_triggers(deploy)) == {"push", "workflow_dispatch"}
    assert set(_triggers(update)) == {"schedule", "workflow_dispatch"}


@pytest.mark.parametrize(("framework", "arch", "auth", "stream"), MATRIX, ids=IDS)
def test_ci_runs_the_project_targets_for_the_function_architecture(
    render_project: Render, framework: str, arch: str, auth: str, stream: bool
) -> None:
    project = _render(render_project, framework, arch, auth, stream)
    steps = _steps(_workflow(project, "ci.yml"))
    runs = "\n".join(step.get("run", "") for step in steps)
    for target in ("lint", "test", "build", "build-lambda", "smoke"):
        assert re.search(rf"^make {target}$", runs, re.MULTILINE), target
    actions = [step["uses"].split("@")[0] for step in steps if "uses" in step]
    assert ("docker/setup-qemu-action" in actions) == (arch == "arm64")
    assert "docker/setup-buildx-action" in actions
    setup = {
        "Go": "actions/setup-go",
        "Python": "actions/setup-python",
        "Node.js": "actions/setup-node",
    }
    language = support.LANGUAGE[framework]
    step = next(s for s in steps if s.get("uses", "").startswith(setup[language] + "@"))
    lock = {"Go": "go.sum", "Python": "requirements.txt", "Node.js": "package-lock.json"}[language]
    assert lock in step["with"]["cache-dependency-path"]
    assert (project / lock).is_file()


@pytest.mark.parametrize(("framework", "arch", "auth", "stream"), MATRIX, ids=IDS)
def test_deploy_assumes_the_role_and_checks_the_url(
    render_project: Render, framework: str, arch: str, auth: str, stream: bool
) -> None:
    project = _render(render_project, framework, arch, auth, stream)
    steps = _steps(_workflow(project, "deploy.yml"))
    configure = next(s for s in steps if "configure-aws-credentials@" in s.get("uses", ""))
    assert configure["with"] == {
        "role-to-assume": "${{ vars.AWS_DEPLOY_ROLE_ARN }}",
        "aws-region": "${{ vars.AWS_REGION }}",
    }
    sam = next(s for s in steps if "setup-sam@" in s.get("uses", ""))
    assert re.fullmatch(r"\d+\.\d+\.\d+", sam["with"]["version"])
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "sam build" in runs
    assert "--no-confirm-changeset --no-fail-on-empty-changeset" in runs
    assert ("--aws-sigv4" in runs) == (auth == "AWS_IAM")
    assert "FunctionUrl" in runs and 'test "$status" = 200' in runs
    text = (project / ".github" / "workflows" / "deploy.yml").read_text()
    assert "aws-access-key-id" not in text and "secrets." not in text


def _bootstrap(project: Path) -> dict[str, Any]:
    data = yaml.load((project / "ci" / "bootstrap.yaml").read_text(), Loader=CfnLoader)
    assert isinstance(data, dict)
    return data


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.toolchain
@pytest.mark.parametrize("framework", support.FRAMEWORKS)
def test_bootstrap_template_passes_cfn_lint(render_project: Render, framework: str) -> None:
    cfn_lint = str(BIN / "cfn-lint")
    support.require(cfn_lint)
    project = render_project(framework, name="orders")
    support.run([cfn_lint, "ci/bootstrap.yaml"], cwd=project, timeout=300)


def test_the_deploy_role_is_scoped_and_trusts_one_branch_of_one_repo(
    render_project: Render,
) -> None:
    template = _bootstrap(render_project("echo", name="orders"))
    resources = template["Resources"]
    assert resources["GitHubOidcProvider"]["Condition"] == "CreateOidcProvider"
    assert resources["GitHubOidcProvider"]["Properties"]["ClientIdList"] == ["sts.amazonaws.com"]
    role = resources["DeployRole"]["Properties"]
    (trust,) = _statements(role["AssumeRolePolicyDocument"])
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    equals = trust["Condition"]["StringEquals"]
    assert equals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    assert equals["token.actions.githubusercontent.com:sub"] == {
        "Sub": "repo:${GitHubOrg}/${GitHubRepo}:ref:refs/heads/${Branch}"
    }
    assert "StringLike" not in trust["Condition"]
    actions_seen: set[str] = set()
    for policy in role["Policies"]:
        for statement in _statements(policy["PolicyDocument"]):
            assert statement["Effect"] == "Allow"
            actions = _as_list(statement["Action"])
            actions_seen.update(actions)
            for action in actions:
                assert action != "*" and not action.endswith(":*"), action
            resources_ = [
                r if isinstance(r, str) else r["Sub"] for r in _as_list(statement["Resource"])
            ]
            if "*" in resources_:  # only actions that take no resource
                assert set(actions) <= {
                    "ecr:GetAuthorizationToken",
                    "cloudformation:ValidateTemplate",
                    "cloudformation:ListStacks",
                }, statement
            else:
                assert all(
                    "${StackName}" in r
                    or "aws-sam-cli-managed-default" in r
                    or "transform/Serverless" in r
                    for r in resources_
                ), statement
    for needed in (
        "cloudformation:CreateChangeSet",
        "cloudformation:ExecuteChangeSet",
        "ecr:PutImage",
        "lambda:CreateFunctionUrlConfig",
        "iam:PassRole",
        "iam:CreateRole",
        "s3:PutObject",
    ):
        assert needed in actions_seen, needed
    assert template["Outputs"]["DeployRoleArn"]["Value"] == {"GetAtt": "DeployRole.Arn"}


def _git(project: Path, *args: str) -> None:
    support.require("git")
    support.run(["git", *args], cwd=project, timeout=60)


@pytest.mark.toolchain
@pytest.mark.parametrize(
    "remote",
    ["git@github.com:acme/orders-api.git", "https://github.com/acme/orders-api"],
)
def test_make_bootstrap_deploys_the_role_and_prints_its_arn(
    render_project: Render, tmp_path: Path, remote: str
) -> None:
    support.require("make", "awk", "sed")
    project = render_project("flask", name="orders")
    _git(project, "init", "-q")
    _git(project, "remote", "add", "origin", remote)
    shims = Shims(tmp_path)
    base = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MAKELEVEL"}}
    result = subprocess.run(
        ["make", "--no-print-directory", "bootstrap"],
        cwd=project,
        env={**base, "AWS_REGION": "eu-west-1", **shims.env(region="eu-west-1")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    calls = shims.calls()
    deploy = next(
        c for c in calls if c.tool == "aws" and c.args[:2] == ["cloudformation", "deploy"]
    )
    args = deploy.args
    assert args[args.index("--template-file") + 1] == "ci/bootstrap.yaml"
    assert args[args.index("--capabilities") + 1] == "CAPABILITY_NAMED_IAM"
    assert args[args.index("--region") + 1] == "eu-west-1"
    overrides = args[args.index("--parameter-overrides") + 1 :]
    assert overrides == [
        "GitHubOrg=acme",
        "GitHubRepo=orders-api",
        "Branch=main",
        "StackName=orders",
    ]
    role = "arn:aws:iam::123456789012:role/orders-github-deploy-role"
    assert f"Deploy role: {role}" in result.stdout
    assert f"gh variable set AWS_DEPLOY_ROLE_ARN --body {role}" in result.stdout


@pytest.mark.toolchain
def test_make_bootstrap_without_a_repository_says_what_to_pass(
    render_project: Render, tmp_path: Path
) -> None:
    support.require("make", "awk", "sed")
    project = render_project("echo", name="orders")
    shims = Shims(tmp_path)
    result = subprocess.run(
        ["make", "--no-print-directory", "bootstrap"],
        cwd=project,
        env={
            **os.environ,
            "AWS_REGION": "eu-west-1",
            "GIT_CEILING_DIRECTORIES": str(project.parent),
            **shims.env(),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode != 0
    assert "GITHUB_ORG=... GITHUB_REPO=..." in result.stderr
    assert not [c for c in shims.calls() if c.tool == "aws"]


@pytest.mark.parametrize("framework", support.FRAMEWORKS)
def test_ci_none_renders_no_ci_files(
    cli: Callable[..., Any], tmp_path: Path, framework: str
) -> None:
    destination = tmp_path / "plain"
    result = cli("new", str(destination), "--no-input", "-f", framework, "--ci", "none")
    assert result.exit_code == 0, result.output
    assert not (destination / ".github").exists()
    assert not (destination / "ci").exists()
    assert (destination / "Makefile").is_file()
    assert "bootstrap" not in (destination / "Makefile").read_text()
    answers = yaml.safe_load((destination / ".copier-answers.yml").read_text())
    assert answers["ci"] == "none"
