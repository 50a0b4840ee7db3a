"""The CLI and copier.yml ask the same questions, with the same choices, defaults and rules."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path
from typing import Any

import copier
import jinja2
import pytest
import yaml

from scaffold.errors import InvalidAnswerError
from scaffold.generator import naming, reserved_names
from scaffold.generator.frameworks import BLUEPRINTS, DEFAULT_FRAMEWORK, Framework
from scaffold.generator.models import (
    DEFAULT_MEMORY,
    DEFAULT_PORT,
    Architecture,
    AuthType,
    ProjectRequest,
    default_timeout,
)
from scaffold.generator.questions import QUESTIONS as TABLE
from scaffold.generator.questions import Kind, Question

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
    "ci": "github",
}


def test_copier_asks_the_table_questions_in_order() -> None:
    assert list(QUESTIONS) == [q.name for q in TABLE]


def test_the_library_request_defaults_like_the_cli() -> None:
    streamed = ProjectRequest(Path("x"), Framework.ECHO, "d", stream=True)
    plain = ProjectRequest(Path("x"), Framework.ECHO, "d")
    chosen = ProjectRequest(Path("x"), Framework.ECHO, "d", stream=True, timeout=45)
    assert (streamed.timeout, plain.timeout, chosen.timeout) == (300, 30, 45)


def test_the_request_has_a_field_per_question() -> None:
    request = ProjectRequest(destination=Path("x"), framework=Framework.ECHO, name="demo")
    fields = [f.name for f in dataclasses.fields(ProjectRequest) if f.name != "destination"]
    assert fields == [q.name for q in TABLE]
    assert list(request.answers()) == [q.name for q in TABLE]


@pytest.mark.parametrize("entry", TABLE, ids=lambda q: q.name)
def test_copier_types_and_help_match_the_table(entry: Question) -> None:
    question = QUESTIONS[entry.name]
    assert question["type"] == entry.answer_type.__name__
    assert question.get("help"), entry.name
    assert entry.help and entry.prompt and entry.label


@pytest.mark.parametrize("entry", [q for q in TABLE if q.kind is Kind.SELECT], ids=lambda q: q.name)
def test_copier_choices_are_the_table_choices(entry: Question) -> None:
    assert list(QUESTIONS[entry.name]["choices"].values()) == [c.value for c in entry.choices()]


def test_framework_choices_are_the_registry() -> None:
    assert QUESTIONS["framework"]["choices"] == {bp.title: bp.framework.value for bp in BLUEPRINTS}
    assert list(QUESTIONS["arch"]["choices"].values()) == [a.value for a in Architecture]
    assert list(QUESTIONS["auth"]["choices"].values()) == [a.value for a in AuthType]


@pytest.mark.parametrize("stream", [False, True])
def test_copier_defaults_are_the_table_defaults(stream: bool) -> None:
    """Every default copier renders (a plain value or a Jinja expression) is the table's."""
    environment = jinja2.Environment(autoescape=False)
    answers: dict[str, Any] = {"stream": stream}
    for entry in TABLE:
        if entry.name == "name":  # derived from the destination: checked by the name tests
            continue
        raw = QUESTIONS[entry.name]["default"]
        if isinstance(raw, str) and "{{" in raw:
            rendered: Any = environment.from_string(raw).render(**answers)
            copier_default = entry.parse(rendered)
        else:
            copier_default = raw
        assert copier_default == entry.default(answers, None), entry.name
    assert default_timeout(stream=True) == 300
    assert default_timeout(stream=False) == 30
    assert QUESTIONS["framework"]["default"] == DEFAULT_FRAMEWORK == BLUEPRINTS[0].framework
    assert QUESTIONS["port"]["default"] == DEFAULT_PORT
    assert QUESTIONS["memory"]["default"] == DEFAULT_MEMORY


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
