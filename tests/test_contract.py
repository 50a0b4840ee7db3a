"""The CLI and copier.yml ask the same questions, with the same choices, defaults and rules."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from scaffold.errors import InvalidAnswerError
from scaffold.generator import naming, reserved_names
from scaffold.generator.frameworks import BLUEPRINTS, Framework
from scaffold.generator.models import (
    DEFAULT_MEMORY,
    DEFAULT_PORT,
    Architecture,
    AuthType,
    ProjectRequest,
    default_timeout,
)

REPO = Path(__file__).resolve().parent.parent
CONFIG: dict[str, Any] = yaml.safe_load((REPO / "copier.yml").read_text())
QUESTIONS = {
    key: value
    for key, value in CONFIG.items()
    if not key.startswith("_") and value.get("when") is not False
}
PINS = {
    key: value
    for key, value in CONFIG.items()
    if not key.startswith("_") and value.get("when") is False
}
BASE = {
    "framework": "echo",
    "name": "demo",
    "port": 8000,
    "arch": "x86_64",
    "auth": "NONE",
    "stream": False,
    "memory": 512,
    "timeout": 30,
    "async_init": False,
}


def test_questions_match_the_request() -> None:
    request = ProjectRequest(destination=Path("x"), framework=Framework.ECHO, name="demo")
    assert list(QUESTIONS) == [
        "framework",
        "name",
        "port",
        "arch",
        "auth",
        "stream",
        "memory",
        "timeout",
        "async_init",
    ]
    assert set(QUESTIONS) == set(request.answers())


def test_every_question_has_type_and_help() -> None:
    for key, question in QUESTIONS.items():
        assert question.get("type") in {"str", "int", "bool"}, key
        assert question.get("help"), key


def test_choices_match_the_enums() -> None:
    assert list(QUESTIONS["framework"]["choices"].values()) == [
        bp.framework.value for bp in BLUEPRINTS
    ]
    assert list(QUESTIONS["arch"]["choices"].values()) == [a.value for a in Architecture]
    assert list(QUESTIONS["auth"]["choices"].values()) == [a.value for a in AuthType]


def test_defaults_match() -> None:
    assert QUESTIONS["framework"]["default"] == "echo"
    assert QUESTIONS["port"]["default"] == DEFAULT_PORT
    assert QUESTIONS["memory"]["default"] == DEFAULT_MEMORY
    assert QUESTIONS["arch"]["default"] == Architecture.X86_64.value
    assert QUESTIONS["auth"]["default"] == AuthType.NONE.value
    assert QUESTIONS["stream"]["default"] is False
    assert QUESTIONS["async_init"]["default"] is False
    assert QUESTIONS["timeout"]["default"] == "{{ 300 if stream else 30 }}"
    assert default_timeout(stream=True) == 300
    assert default_timeout(stream=False) == 30


def test_template_is_safe_and_pinned() -> None:
    for key in ("_tasks", "_migrations", "_jinja_extensions", "_external_data"):
        assert key not in CONFIG
    assert CONFIG["_subdirectory"] == "blueprints/{{ framework }}/template"
    for key, pin in PINS.items():
        assert pin["default"] and "latest" not in str(pin["default"]), key


def test_registry_matches_the_folders() -> None:
    folders = {
        p.name for p in (REPO / "blueprints").iterdir() if p.is_dir() and not p.name.startswith("_")
    }
    assert folders == {bp.framework.value for bp in BLUEPRINTS}
    for bp in BLUEPRINTS:
        assert (REPO / bp.subdirectory).is_dir()


def _copier_accepts(template: Path, tmp_path: Path, **answers: Any) -> bool:
    try:
        copier.run_copy(
            str(template),
            tmp_path / "out",
            data={**BASE, **answers},
            defaults=True,
            overwrite=True,
            quiet=True,
            pretend=True,
            settings=copier.Settings(),
        )
    except ValueError:
        return False
    return True


def _we_accept(key: str, value: Any) -> bool:
    check = {
        "name": naming.validate_name,
        "port": naming.validate_port,
        "memory": naming.validate_memory,
        "timeout": naming.validate_timeout,
    }[key]
    try:
        check(value)
    except InvalidAnswerError:
        return False
    return True


CASES: list[tuple[str, Any]] = [
    ("name", v)
    for v in [
        "demo",
        "orders-api",
        "a",
        "x" * 40,
        "x" * 41,
        "Demo",
        "1app",
        "app-",
        "my--app",
        "my_app",
        "-app",
        "true",
        "no",
        "y",
        "fmt-app",
        "go",
        "std",
        "main",
        "fmt",
        "type",
        "con",
        "http",
    ]
]
CASES += [("port", v) for v in [1024, 8000, 65535, 1023, 65536, 3000, 8080, 9001, 80]]
CASES += [("memory", v) for v in [128, 512, 10240, 127, 10241]]
CASES += [("timeout", v) for v in [1, 30, 900, 0, 901]]


@pytest.mark.parametrize(("key", "value"), CASES)
def test_copier_and_cli_validators_agree(
    template_copy: Path, tmp_path: Path, key: str, value: Any
) -> None:
    assert _copier_accepts(template_copy, tmp_path, **{key: value}) == _we_accept(key, value)


def test_copier_reserves_the_same_names() -> None:
    """The lists in copier.yml's name validator are scaffold/reserved_names.py's, class by class."""
    validator = QUESTIONS["name"]["validator"]
    lists = [
        frozenset(ast.literal_eval(found))
        for found in re.findall(r"name in (\[[^\]]*\])", validator)
    ]
    assert lists == [
        reserved_names.GO_COMMAND,
        reserved_names.GO_STD,
        reserved_names.GO_KEYWORDS,
        reserved_names.WINDOWS_DEVICES,
        reserved_names.NODE_CORE,
    ]


@pytest.mark.parametrize(
    ("framework", "module", "pin"),
    [
        ("echo", "github.com/labstack/echo/v4", "echo_version"),
        ("gin", "github.com/gin-gonic/gin", "gin_version"),
    ],
)
def test_go_lock_files_match_the_pins(
    template_copy: Path, framework: str, module: str, pin: str
) -> None:
    version = PINS[pin]["default"]
    go_sum = (template_copy / "blueprints" / framework / "template" / "go.sum").read_text()
    assert f"{module} {version} h1:" in go_sum, (
        f"go.sum has no {module} {version}: after changing {pin} in copier.yml, regenerate "
        "go.mod and go.sum (see RELEASING.md, 'Changing a pinned version')"
    )


def test_node_and_python_locks_use_the_pins(template_copy: Path) -> None:
    express = template_copy / "blueprints" / "express" / "template"
    assert '"express": "{{ express_version }}"' in (express / "package.json.jinja").read_text()
    lock = (express / "package-lock.json.jinja").read_text()
    assert "express-{{ express_version }}.tgz" in lock
    package = (express / "package.json.jinja").read_text()
    for module, pin, tarball in [
        ("eslint", "eslint_version", "eslint/-/eslint"),
        ("@eslint/js", "eslint_js_version", "@eslint/js/-/js"),
        ("globals", "globals_version", "globals/-/globals"),
    ]:
        assert f'"{module}": "{{{{ {pin} }}}}"' in package, module
        assert f'"{module}": "{{{{ {pin} }}}}"' in lock, (
            module
        )  # the root package's devDependencies
        assert f"/{tarball}-{{{{ {pin} }}}}.tgz" in lock, module
        assert f'"version": "{{{{ {pin} }}}}"' in lock, module
    flask = (template_copy / "blueprints/flask/template/requirements.txt.jinja").read_text()
    assert "flask=={{ flask_version }}" in flask
    assert "gunicorn=={{ gunicorn_version }}" in flask
