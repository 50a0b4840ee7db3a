"""A reusable copier template: plain copier, recorded sources, custom templates."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

import scaffold
from scaffold.generator.template_source import (
    TEMPLATE_REPO,
    TEMPLATE_REPO_ENV,
    normalize_source,
    release_tag,
)
from tests import support
from tests.gitrepo import REPO, copy_template, git, init_and_commit, snapshot, template_repo

Cli = Callable[..., Result]
FRAMEWORKS = support.FRAMEWORKS
COPIER = Path(sys.executable).with_name("copier")
RECORDED = ("_src_path:", "_commit:")


def _without_source(files: dict[str, bytes]) -> dict[str, bytes]:
    """The rendered files, with the answers file's _src_path and _commit lines left out."""
    answers = files[".copier-answers.yml"].decode().splitlines(keepends=True)
    kept = "".join(line for line in answers if not line.startswith(RECORDED))
    return {**files, ".copier-answers.yml": kept.encode()}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_plain_copier_renders_what_new_renders(cli: Cli, tmp_path: Path, framework: str) -> None:
    repo = template_repo(tmp_path / "template", second=None)
    plain = tmp_path / "plain"
    result = subprocess.run(
        [str(COPIER), "copy", "--defaults", "--data", f"framework={framework}",
         "--data", "name=demo", str(repo), str(plain)],
        capture_output=True, text=True, timeout=300, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "trust" not in result.stderr.lower()
    ours = Path("ours")
    made = cli("new", str(ours), "-f", framework, "--name", "demo", "-y")
    assert made.exit_code == 0, made.output
    assert _without_source(snapshot(plain)) == _without_source(snapshot(ours))
    assert (plain / ".github" / "workflows" / "ci.yml").is_file()  # conditional folder names
    assert (plain / "ci" / "bootstrap.yaml").is_file()
    assert support.answers_of(plain)["_src_path"] == str(repo)
    assert support.answers_of(plain)["_commit"] == "v1.0.0"


def test_bundled_projects_name_the_release(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TEMPLATE_REPO_ENV, raising=False)
    result = cli("new", "demo", "-f", "echo", "-y")
    assert result.exit_code == 0, result.output
    answers = support.answers_of(Path("demo"))
    assert answers["_src_path"] == TEMPLATE_REPO
    assert answers.get("_commit") == release_tag(scaffold.__version__)
    assert "lambda-scaffold-" not in (Path("demo") / ".copier-answers.yml").read_text()


def test_the_environment_names_a_fork(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fork = tmp_path / "fork"
    fork.mkdir()
    monkeypatch.setenv(TEMPLATE_REPO_ENV, "../fork")  # relative to the cwd, tmp_path/work
    result = cli("new", "demo", "-f", "echo", "-y")
    assert result.exit_code == 0, result.output
    assert support.answers_of(Path("demo"))["_src_path"] == str(fork)


@pytest.mark.parametrize(
    ("version", "tag"),
    [("1.2.0", "v1.2.0"), ("0.1.0", "v0.1.0"), ("2.0.0rc1", "v2.0.0rc1"),
     ("1.2.0.post1", "v1.2.0.post1"), ("1.2.0.dev3", None), ("1.2.0+g1a2b3c", None),
     ("0.0.0", None)],
)  # fmt: skip
def test_release_tags(version: str, tag: str | None) -> None:
    assert release_tag(version) == tag


@pytest.mark.parametrize(
    "source",
    ["https://github.com/org/repo.git", "gh:org/repo", "git@github.com:org/repo.git",
     "ssh://git@host/org/repo.git", "file:///srv/repo.git"],
)  # fmt: skip
def test_urls_are_recorded_as_given(source: str) -> None:
    assert normalize_source(source) == source


def test_the_installed_version_is_the_package_version() -> None:
    """Release tags are v<version>, and bundled projects record v<scaffold.__version__>."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == "scaffold/version.py"
    assert importlib.metadata.version("lambda-scaffold") == scaffold.__version__


def test_new_from_a_custom_template_records_it(cli: Cli, tmp_path: Path) -> None:
    template_repo(tmp_path / "template")
    result = cli("new", "demo", "-f", "echo", "-y", "--template", "../template")
    assert result.exit_code == 0, result.output
    answers = support.answers_of(Path("demo"))
    assert answers["_src_path"] == str(tmp_path / "template")
    assert answers["_commit"] == "v1.1.0"
    assert (Path("demo") / "CONTRIBUTING.md").is_file()


def test_a_plain_folder_template_renders_but_warns(cli: Cli, tmp_path: Path) -> None:
    template = copy_template(tmp_path / "template")
    result = cli("new", "demo", "-f", "echo", "-y", "--template", str(template))
    assert result.exit_code == 0, result.output
    assert "cannot update this project" in support.said(result)


def test_copier_warnings_are_shown(cli: Cli, tmp_path: Path) -> None:
    """A dirty, untagged local template: copier renders HEAD plus the changes, and warns."""
    template = copy_template(tmp_path / "template")
    init_and_commit(template)
    (template / "blueprints" / "echo" / "template" / "EXTRA.md").write_text("draft\n")
    result = cli("new", "demo", "-f", "echo", "-y", "--template", str(template))
    assert result.exit_code == 0, result.output
    assert "Dirty template changes included automatically" in support.said(result)
    assert (Path("demo") / "EXTRA.md").is_file()


def _unfit(root: Path, kind: str) -> str:
    """A template that does not fit lambda-scaffold, and the words its error must hold."""
    root.mkdir()
    if kind == "no-config":
        (root / "README.md").write_text("not a template\n")
        return "has no copier.yml"
    if kind == "missing":
        return "is not a folder"
    answers = "{{ _copier_conf.answers_file }}.jinja"
    if kind == "other-questions":
        (root / "copier.yml").write_text("project_slug:\n  type: str\n  default: x\n")
        (root / answers).write_text("{{ _copier_answers|to_nice_yaml -}}\n")
        return "does not ask framework, name, port"
    if kind == "no-answers-file":
        (root / "copier.yml").write_text("name:\n  type: str\n")
        (root / "hello.txt").write_text("hi\n")
        return "does not write .copier-answers.yml"
    if kind == "required-question":
        (root / "copier.yml").write_text("owner:\n  type: str\n")
        return "could not be rendered"
    if kind == "broken-jinja":
        copy_template(root / "t")
        (root / "t" / "blueprints" / "echo" / "template" / "main.go.jinja").write_text("{{ oops(\n")
        return "could not be rendered"
    assert kind == "unsafe"
    (root / "copier.yml").write_text("_tasks:\n  - echo hi\nname:\n  type: str\n")
    return "tasks"


@pytest.mark.parametrize(
    "kind",
    ["no-config", "missing", "other-questions", "no-answers-file", "required-question",
     "broken-jinja", "unsafe"],
)  # fmt: skip
def test_unfit_template_is_refused_and_nothing_written(cli: Cli, tmp_path: Path, kind: str) -> None:
    root = tmp_path / "unfit"
    words = _unfit(root, kind)
    template = root / "t" if kind == "broken-jinja" else root
    if kind == "missing":
        template = tmp_path / "nowhere"
    result = cli("new", "demo", "-f", "echo", "-y", "--template", str(template))
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert words in support.said(result)
    assert "hint:" in support.said(result)
    assert "Traceback" not in result.output
    assert list(Path.cwd().iterdir()) == []


def test_template_git_url_that_fails(cli: Cli, tmp_path: Path) -> None:
    url = (tmp_path / "nothing.git").as_uri()
    result = cli("new", "demo", "-f", "echo", "-y", "--template", url)
    assert result.exit_code == 1, result.output
    assert "git could not fetch the template" in support.said(result)
    assert "git ls-remote" in support.said(result)
    assert not Path("demo").exists()


def test_git_template_keeps_its_own_history(tmp_path: Path) -> None:
    """The template repository built for these tests is what copier sees: two tagged releases."""
    repo = template_repo(tmp_path / "template")
    assert git("tag", cwd=repo).split() == ["v1.0.0", "v1.1.0"]
