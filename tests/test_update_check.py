"""`lambda-scaffold update --check`: is a newer template release out, and which pins change."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from scaffold import Framework, ProjectRequest, generate
from scaffold.generator.template_source import TEMPLATE_REPO, TEMPLATE_REPO_ENV, installed_bundle
from tests import support
from tests.gitrepo import (
    NEW_LWA,
    OLD_LWA,
    commit_all,
    git,
    init_and_commit,
    snapshot,
    template_repo,
)

Cli = Callable[..., Result]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The template at v1.0.0 and v1.1.0 (adapter pin OLD_LWA -> NEW_LWA)."""
    return template_repo(tmp_path / "template")


def _project(repo: Path, folder: Path, version: str) -> Path:
    generate(ProjectRequest(destination=folder, framework=Framework.ECHO, name="demo"),
             template=str(repo), vcs_ref=version)  # fmt: skip
    init_and_commit(folder)
    return folder


@pytest.fixture
def project(repo: Path, tmp_path: Path) -> Path:
    """A project generated at v1.0.0 and committed."""
    return _project(repo, tmp_path / "projects" / "demo", "v1.0.0")


def _state(project: Path) -> tuple[dict[str, bytes], dict[str, int], str]:
    """Every file's content and mtime, and git's status: what --check must leave alone."""
    times = {
        path.relative_to(project).as_posix(): path.stat().st_mtime_ns
        for path in project.rglob("*")
        if ".git" not in path.relative_to(project).parts
    }
    return snapshot(project), times, git("status", "--porcelain", "--ignored", cwd=project)


def test_newer_release_exits_1_with_the_pin_changes(cli: Cli, project: Path) -> None:
    before = _state(project)
    result = cli("update", "--check", str(project))
    assert result.exit_code == 1, result.output
    said = support.said(result)
    assert "v1.0.0" in said
    assert "v1.1.0 is out" in said
    assert f"lwa_version {OLD_LWA} -> {NEW_LWA}" in said
    assert "go_version" not in said  # unchanged pins are not listed
    assert _state(project) == before
    assert git("status", "--porcelain", cwd=project) == ""


def test_up_to_date_project_exits_0(cli: Cli, repo: Path, tmp_path: Path) -> None:
    project = _project(repo, tmp_path / "fresh", "v1.1.0")
    before = _state(project)
    result = cli("update", "--check", str(project))
    assert result.exit_code == 0, result.output
    assert "up to date" in support.said(result)
    assert "v1.1.0" in support.said(result)
    assert _state(project) == before


def test_json_has_one_object_with_every_field(cli: Cli, repo: Path, project: Path) -> None:
    result = cli("update", "--check", "--json", str(project))
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data == {
        "project": str(project.resolve()),
        "current": "v1.0.0",
        "newest": "v1.1.0",
        "update_available": True,
        "pins": {"lwa_version": {"from": OLD_LWA, "to": NEW_LWA}},
        "source": str(repo),
    }


def test_prereleases_are_skipped_unless_the_project_is_on_one(
    cli: Cli, repo: Path, tmp_path: Path
) -> None:
    (repo / "blueprints" / "echo" / "template" / "NEXT.md").write_text("next\n")
    commit_all(repo, "feat: the next release, in testing")
    git("tag", "v1.2.0rc1", cwd=repo)
    stable = _project(repo, tmp_path / "stable", "v1.1.0")
    result = cli("update", "--check", "--json", str(stable))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["newest"] == "v1.1.0"
    release_candidate = _project(repo, tmp_path / "rc", "v1.2.0rc1")
    git("tag", "v1.2.0rc2", cwd=repo)
    result = cli("update", "--check", "--json", str(release_candidate))
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert (data["current"], data["newest"], data["pins"]) == ("v1.2.0rc1", "v1.2.0rc2", {})


def test_releases_are_ordered_by_pep_440(cli: Cli, repo: Path, project: Path) -> None:
    _release(repo, "v1.10.0")  # after v1.9.0 in PEP 440, before it as text
    git("tag", "v1.9.0", "v1.1.0", cwd=repo)
    result = cli("update", "--check", "--json", str(project))
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["newest"] == "v1.10.0"


def test_template_option_lists_another_source(
    cli: Cli, repo: Path, project: Path, tmp_path: Path
) -> None:
    fork = tmp_path / "fork"
    git("clone", "-q", str(repo), str(fork), cwd=tmp_path)
    _release(fork, "v2.0.0")
    before = _state(project)
    result = cli("update", "--check", "--json", "--template", str(fork), str(project))
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert (data["newest"], data["source"]) == ("v2.0.0", str(fork))
    assert _state(project) == before
    assert support.answers_of(project)["_src_path"] == str(repo)


def test_a_bundle_file_is_a_source(cli: Cli, repo: Path, project: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "releases.bundle"
    git("bundle", "create", str(bundle), "refs/tags/v1.0.0", "refs/tags/v1.1.0", cwd=repo)
    result = cli("update", "--check", "--json", "--template", str(bundle), str(project))
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["newest"] == "v1.1.0"
    assert data["pins"] == {"lwa_version": {"from": OLD_LWA, "to": NEW_LWA}}


def test_env_mirror_serves_projects_of_the_published_repository(
    cli: Cli, repo: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record_source(project, TEMPLATE_REPO)
    monkeypatch.setenv(TEMPLATE_REPO_ENV, str(repo))
    result = cli("update", "--check", "--json", str(project))
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["source"] == str(repo)


def test_not_a_project_exits_2(cli: Cli) -> None:
    Path("plain").mkdir()
    result = cli("update", "--check", "plain")
    assert result.exit_code == 2, result.output
    assert "has no .copier-answers.yml" in support.said(result)
    assert "hint:" in support.said(result)


def test_missing_source_exits_2(cli: Cli, project: Path, tmp_path: Path) -> None:
    _record_source(project, str(tmp_path / "gone"))
    result = cli("update", "--check", str(project))
    assert result.exit_code == 2, result.output
    said = support.said(result)
    assert "does not exist" in said
    assert "--template" in said


def test_unreachable_source_exits_2(cli: Cli, project: Path, tmp_path: Path) -> None:
    result = cli("update", "--check", "--template", (tmp_path / "gone.git").as_uri(), str(project))
    assert result.exit_code == 2, result.output
    assert "git could not fetch the template" in support.said(result)


def test_unreadable_answers_exit_2(cli: Cli, project: Path) -> None:
    (project / ".copier-answers.yml").write_text("[not, a, mapping\n")
    result = cli("update", "--check", str(project))
    assert result.exit_code == 2, result.output
    assert "cannot be read" in support.said(result)


def test_answers_without_a_release_exit_2(cli: Cli, project: Path) -> None:
    answers = project / ".copier-answers.yml"
    answers.write_text("".join(line for line in answers.read_text().splitlines(keepends=True)
                               if not line.startswith("_commit:")))  # fmt: skip
    result = cli("update", "--check", "--json", str(project))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "records no template release" in support.said(result)


@pytest.mark.skipif(installed_bundle() is not None, reason="this installation carries a bundle")
def test_published_repository_without_a_bundle_names_the_fix(
    cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TEMPLATE_REPO_ENV, raising=False)
    _record_source(project, TEMPLATE_REPO)
    result = cli("update", "--check", str(project))
    assert result.exit_code == 2, result.output
    assert "--template" in support.said(result)


@pytest.mark.parametrize(
    ("args", "words"),
    [(["--json"], "--json goes with --check"), (["--check", "--to", "1.1.0"], "takes no --to")],
)
def test_flags_that_do_not_go_together(
    cli: Cli, project: Path, args: list[str], words: str
) -> None:
    before = _state(project)
    result = cli("update", *args, str(project))
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert _state(project) == before


def test_help_names_the_check_flags(cli: Cli) -> None:
    result = cli("update", "--help")
    assert result.exit_code == 0
    for flag in ("--check", "--json"):
        assert flag in result.stdout, flag


def _record_source(project: Path, source: str) -> None:
    answers = project / ".copier-answers.yml"
    lines = answers.read_text().splitlines(keepends=True)
    answers.write_text("".join(
        f"_src_path: {source}{os.linesep}" if line.startswith("_src_path:") else line
        for line in lines
    ))  # fmt: skip
    commit_all(project, "chore: another template source")


def _release(repo: Path, tag: str) -> None:
    (repo / "blueprints" / "echo" / "template" / f"{tag}.md").write_text(f"{tag}\n")
    commit_all(repo, f"feat: {tag}")
    git("tag", tag, cwd=repo)
