from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests import support
from tests.yaml_loaders import load_template

FRAMEWORKS = support.FRAMEWORKS
LANGUAGE = support.LANGUAGE
SKELETON = {
    "Dockerfile",
    "docker-compose.yml",
    "template.yaml",
    "samconfig.toml",
    "Makefile",
    "README.md",
    ".gitignore",
    ".dockerignore",
    ".gitattributes",
    ".copier-answers.yml",
    "events/get.json",
    "events/post.json",
    ".github/workflows/ci.yml",
    ".github/workflows/deploy.yml",
    ".github/workflows/update-check.yml",
    "ci/bootstrap.yaml",
}
Render = Callable[..., Path]


def files_of(project: Path) -> set[str]:
    return {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_skeleton_and_no_leftover_jinja(render_project: Render, framework: str) -> None:
    project = render_project(framework)
    files = files_of(project)
    assert files >= SKELETON
    for name in files:
        text = (project / name).read_text(encoding="utf-8")
        if name.startswith(".github/workflows/"):  # GitHub Actions expressions are meant
            text = re.sub(r"\$\{\{.*?\}\}", "", text)
        assert "{{" not in text or name.endswith((".go", ".js", ".py")), name
        assert "{%" not in text, name
        assert ".jinja" not in name


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_yaml_and_json_parse(render_project: Render, framework: str) -> None:
    project = render_project(framework)
    compose = yaml.safe_load((project / "docker-compose.yml").read_text())
    assert set(compose["services"]) == {"web", "lambda"}
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["framework"] == framework
    assert answers["name"] == "demo"
    template = load_template(project)
    assert "AppFunction" in template["Resources"]  # type: ignore[operator]
    for event in ("get", "post"):
        data = json.loads((project / "events" / f"{event}.json").read_text())
        assert data["version"] == "2.0"
        assert data["requestContext"]["http"]["method"] in {"GET", "POST"}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_edge_answers(render_project: Render, framework: str) -> None:
    name = "a" + "-b" * 19  # 39 characters
    project = render_project(framework, name=name, port=65535, memory=10240, timeout=900)
    dockerfile = (project / "Dockerfile").read_text()
    assert "PORT=65535" in dockerfile
    assert "EXPOSE 65535" in dockerfile
    assert f'stack_name = "{name}"' in (project / "samconfig.toml").read_text()
    compose = yaml.safe_load((project / "docker-compose.yml").read_text())
    assert compose["services"]["web"]["ports"] == ["127.0.0.1:${WEB_PORT:-65535}:65535"]


def test_no_version_is_hard_coded_in_blueprints(template_copy: Path) -> None:
    """Image tags come from the pins in copier.yml, never from literals in the blueprints."""
    literal = re.compile(r"(aws-lambda-adapter:\d|docker/library/[a-z]+:\d|releases/download/v\d)")
    for path in (template_copy / "blueprints").rglob("*"):
        if path.is_file():
            assert not literal.search(path.read_text(errors="ignore")), path


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_same_adapter_tag_everywhere(render_project: Render, framework: str) -> None:
    config = yaml.safe_load((Path(__file__).parent.parent / "copier.yml").read_text())
    version = config["lwa_version"]["default"]
    dockerfile = (render_project(framework) / "Dockerfile").read_text()
    tags = re.findall(r"aws-lambda-adapter:([\w.\-]+)", dockerfile)
    assert tags == [f"{version}-x86_64"]


def test_all_projects_share_the_skeleton(render_project: Render) -> None:
    shared = [
        "samconfig.toml",
        "events/get.json",
        "events/post.json",
        ".gitattributes",
    ]
    projects = [render_project(fw) for fw in FRAMEWORKS]
    for name in shared:
        texts = {(project / name).read_text() for project in projects}
        assert len(texts) == 1, name
    # docker-compose.yml: one file per language; across languages only the watch rules differ
    # (sync+restart, on a writable file system, for Python and Node; rebuild for Go)
    for language in set(LANGUAGE.values()):
        group = [p for fw, p in zip(FRAMEWORKS, projects, strict=True) if LANGUAGE[fw] == language]
        assert len({(p / "docker-compose.yml").read_text() for p in group}) == 1, language
    composes = [yaml.safe_load((p / "docker-compose.yml").read_text()) for p in projects]
    for compose in composes:
        for service in compose["services"].values():
            for key in ("develop", "read_only", "user"):
                service.pop(key, None)
    assert all(compose == composes[0] for compose in composes)
    resources = [load_template(project)["Resources"] for project in projects]
    assert all(found == resources[0] for found in resources)
    targets = [set(re.findall(r"^([a-z]+):", (p / "Makefile").read_text(), re.M)) for p in projects]
    for found in targets:
        assert found >= {
            "run",
            "test",
            "lint",
            "build",
            "up",
            "watch",
            "invoke",
            "deploy",
            "delete",
        }
    for a, b in itertools.pairwise(targets):
        assert a == b
