"""Every name the validator accepts renders a project that reads the name back, and builds."""

from __future__ import annotations

import json
import re
import sys
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scaffold import Framework, ProjectRequest, generate
from scaffold.errors import InvalidAnswerError
from scaffold.generator import naming, reserved_names
from tests import support
from tests.yaml_loaders import CfnLoader, Yaml11Loader

FRAMEWORKS = support.FRAMEWORKS
# Plain scalars that YAML 1.1 (PyYAML, Go's yaml.v2, older compose) or YAML 1.2 reads as a
# boolean or null, and that the name pattern allows.
YAML_WORDS = ["true", "false", "null", "yes", "no", "on", "off", "y", "n"]
Cli = Callable[..., Result]


def _accepted(name: str) -> bool:
    try:
        naming.validate_name(name)
    except InvalidAnswerError:
        return False
    return True


# Names built like the pattern (hyphen-joined runs), kept only when the validator accepts them,
# mixed with the YAML words and with names that sit next to a reserved one.
NAMES = st.one_of(
    st.sampled_from([*YAML_WORDS, "fmt-app", "go1", "nulls", "true-false", "e3", "x" * 40]),
    st.from_regex(r"[a-z][a-z0-9]{0,12}(-[a-z0-9]{1,8}){0,3}", fullmatch=True),
).filter(_accepted)


def _render(root: Path, framework: str, name: str) -> Path:
    destination = root / "project"
    generate(ProjectRequest(destination=destination, framework=Framework(framework), name=name))
    return destination


def _yaml(path: Path, loader: type[yaml.SafeLoader] = Yaml11Loader) -> dict[str, object]:
    data = yaml.load(path.read_text(), Loader=loader)
    assert isinstance(data, dict), path
    return data


def _json(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text())
    assert isinstance(data, dict), path
    return data


def _shape(value: object) -> object:
    """The value with every scalar replaced by its type: what a loader made of each field."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return type(value).__name__


_SHAPED = {"docker-compose.yml": Yaml11Loader, "template.yaml": CfnLoader}
_REFERENCE: dict[str, dict[str, object]] = {}


def _same_shape_as_demo(project: Path, framework: str, file: str, data: dict[str, object]) -> None:
    """Each field of file has the type it has in the project named `demo`: no coercion."""
    if framework not in _REFERENCE:
        with tempfile.TemporaryDirectory() as root:
            demo = _render(Path(root), framework, "demo")
            _REFERENCE[framework] = {
                shaped: _shape(_yaml(demo / shaped, loader)) for shaped, loader in _SHAPED.items()
            }
    assert _shape(data) == _REFERENCE[framework][file], f"{project.name}/{file}"


def check_name_reads_back(project: Path, framework: str, name: str) -> None:
    """Every YAML, TOML and JSON file of project parses, and gives name back where it holds it."""
    compose = _yaml(project / "docker-compose.yml")
    _same_shape_as_demo(project, framework, "docker-compose.yml", compose)
    assert compose["name"] == name
    services = compose["services"]
    assert isinstance(services, dict)
    assert services["lambda"]["environment"]["AWS_LAMBDA_FUNCTION_NAME"] == name

    template = _yaml(project / "template.yaml", CfnLoader)
    _same_shape_as_demo(project, framework, "template.yaml", template)
    description = template["Description"]
    assert isinstance(description, str)
    assert description.startswith(f"{name} - ")

    # copier writes its answers file with PyYAML (to_nice_yaml), which quotes every YAML 1.1
    # boolean but `y`/`n`, and reads it back with PyYAML: the round trip is what counts.
    assert _yaml(project / ".copier-answers.yml", yaml.SafeLoader)["name"] == name

    samconfig = tomllib.loads((project / "samconfig.toml").read_text())
    assert samconfig["default"]["global"]["parameters"]["stack_name"] == name

    for event in ("get", "post"):
        assert _json(project / "events" / f"{event}.json")["version"] == "2.0"

    makefile = (project / "Makefile").read_text()
    assert re.search(rf"^IMAGE \?= {re.escape(name)}:latest$", makefile, re.M)
    if support.LANGUAGE[framework] == "Go":
        module = (project / "go.mod").read_text().splitlines()[0]
        assert module == f"module {name}"
    if framework == "express":
        assert _json(project / "package.json")["name"] == name
        lock = _json(project / "package-lock.json")
        assert lock["name"] == name
        packages = lock["packages"]
        assert isinstance(packages, dict)
        assert packages[""]["name"] == name
    if support.LANGUAGE[framework] == "Python":
        tomllib.loads((project / "pyproject.toml").read_text())


@pytest.mark.slow
@settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=NAMES, framework=st.sampled_from(FRAMEWORKS))
@example(name="true", framework="express")
@example(name="null", framework="gin")
@example(name="on", framework="flask")
@example(name="y", framework="echo")
def test_every_accepted_name_reads_back_from_every_file(name: str, framework: str) -> None:
    with tempfile.TemporaryDirectory() as root:
        project = _render(Path(root), framework, name)
        check_name_reads_back(project, framework, name)


# --- refused names: exit 2 with a hint, nothing written -------------------------------------

REFUSED = [
    ("go", "the go command"),
    ("std", "the go command"),
    ("cmd", "the go command"),
    ("main", "the go command"),
    ("fmt", "Go's standard library"),
    ("net", "Go's standard library"),
    ("type", "Go as a keyword"),
    ("func", "Go as a keyword"),
    ("con", "Windows as a device name"),
    ("lpt1", "Windows as a device name"),
    ("http", "Node.js as a core module"),
    ("fs", "Node.js as a core module"),
    ("node_modules", "lowercase letters, digits and single hyphens"),
    ("favicon.ico", "lowercase letters, digits and single hyphens"),
]


@pytest.mark.parametrize(("name", "words"), REFUSED)
def test_cli_refuses_reserved_names_with_a_hint(cli: Cli, name: str, words: str) -> None:
    result = cli("new", "out", "-f", "echo", "-y", "--name", name)
    assert result.exit_code == 2, result.output
    text = support.said(result)
    assert words in text
    assert "hint:" in text
    assert "--name" in text
    assert list(Path.cwd().iterdir()) == []


def test_cli_refuses_a_reserved_name_taken_from_the_folder(cli: Cli) -> None:
    result = cli("new", "fmt", "-f", "gin", "-y")
    assert result.exit_code == 2, result.output
    text = support.said(result)
    assert "Go's standard library" in text
    assert "--name fmt-app" in text
    assert not Path("fmt").exists()


# --- the reserved lists cover the toolchains on this machine ------------------------------


@pytest.mark.toolchain
def test_go_std_list_covers_the_installed_go() -> None:
    support.require("go")
    packages = support.run(["go", "list", "std", "cmd"], cwd=Path.cwd()).stdout.split()
    first = {package.split("/")[0] for package in packages}
    assert first - reserved_names.RESERVED == set()


@pytest.mark.toolchain
def test_node_core_list_covers_the_installed_node() -> None:
    support.require("node")
    script = "console.log(JSON.stringify(require('module').builtinModules))"
    modules = json.loads(support.run(["node", "-e", script], cwd=Path.cwd()).stdout)
    fitting = {module for module in modules if naming.NAME_PATTERN.match(module)}
    assert fitting - reserved_names.NODE_CORE == set()


# --- the special names that stay accepted build for real ----------------------------------

BUILT_NAMES = ["true", "null", "off", "y"]


def _tool(name: str) -> str:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else name


def _compiles(project: Path, framework: str) -> None:
    if support.LANGUAGE[framework] == "Go":
        support.require("go")
        support.run(["go", "build", "-o", str(project / "bin" / "app"), "."], cwd=project)
        support.run(["go", "vet", "./..."], cwd=project)
    elif framework == "express":
        support.require("node")
        for source in ("app.js", "index.js", "app.test.js", "eslint.config.js"):
            support.run(["node", "--check", source], cwd=project)
    else:
        sources = sorted(str(p.relative_to(project)) for p in project.glob("*.py"))
        assert "app.py" in sources and "test_app.py" in sources
        support.run([sys.executable, "-m", "py_compile", *sources], cwd=project)


@pytest.mark.slow
@pytest.mark.toolchain
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_special_names_compile_and_pass_the_compose_check(
    render_project: Callable[..., Path], framework: str
) -> None:
    # `docker compose config` is not on this machine: the compose file is read with a YAML 1.1
    # loader (compose-go reads yes/no/on/off as booleans in such places) and checked against the
    # compose specification's schema, as the project's lint test does.
    support.require(_tool("check-jsonschema"))
    for name in BUILT_NAMES:
        project = render_project(framework, name=name)
        check_name_reads_back(project, framework, name)
        support.run(
            [
                _tool("check-jsonschema"),
                "--builtin-schema",
                "vendor.compose-spec",
                "docker-compose.yml",
            ],
            cwd=project,
        )
        _compiles(project, framework)
