"""`lambda-scaffold update`: copier's 3-way merge from a tagged template repository."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest
from click.testing import Result

import scaffold
from scaffold import Framework, ProjectRequest, generate
from scaffold.errors import InvalidAnswerError
from scaffold.generator.template_source import TEMPLATE_REPO_ENV, release_tag
from scaffold.generator.update.run import normalize_version
from tests import support
from tests.gitrepo import (
    NEW_FILE,
    NEW_LWA,
    OLD_LWA,
    commit_all,
    git,
    init_and_commit,
    snapshot,
    template_repo,
)

Cli = Callable[..., Result]
ROUTE_COMMENT = "\t// orders: GET /orders lists the open orders\n"


def _adapter_tags(project: Path) -> list[str]:
    return re.findall(r"aws-lambda-adapter:([\w.]+)-", (project / "Dockerfile").read_text())


def _add_route_comment(project: Path) -> None:
    main = project / "main.go"
    text = main.read_text()
    assert '\te.GET("/", greet)\n' in text
    main.write_text(text.replace('\te.GET("/", greet)\n', ROUTE_COMMENT + '\te.GET("/", greet)\n'))
    commit_all(project, "feat: document the orders route")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The template at v1.0.0 and v1.1.0 (new adapter pin, new CONTRIBUTING.md)."""
    return template_repo(tmp_path / "template")


@pytest.fixture
def project(repo: Path, tmp_path: Path) -> Path:
    """A project generated at v1.0.0 and committed."""
    destination = tmp_path / "projects" / "demo"
    generate(
        ProjectRequest(destination=destination, framework=Framework.ECHO, name="demo"),
        template=str(repo),
        vcs_ref="v1.0.0",
    )
    init_and_commit(destination)
    return destination


def test_update_keeps_edits_and_brings_the_new_version(cli: Cli, project: Path) -> None:
    assert support.answers_of(project)["_commit"] == "v1.0.0"
    assert _adapter_tags(project) == [OLD_LWA]
    _add_route_comment(project)
    result = cli("update", str(project))
    assert result.exit_code == 0, result.output
    assert ROUTE_COMMENT in (project / "main.go").read_text()
    assert _adapter_tags(project) == [NEW_LWA]
    assert (project / NEW_FILE).is_file()
    assert support.answers_of(project)["_commit"] == "v1.1.0"
    said = support.said(result)
    assert "from v1.0.0 to v1.1.0" in said
    assert "Dockerfile" in said
    assert NEW_FILE in said
    assert "conflict" not in said


@pytest.mark.parametrize("version", ["1.1.0", "v1.1.0"])
def test_update_to_a_chosen_version(cli: Cli, repo: Path, project: Path, version: str) -> None:
    (repo / "blueprints" / "echo" / "template" / "LATER.md").write_text("later\n")
    commit_all(repo, "feat: a later release")
    git("tag", "v2.0.0", cwd=repo)
    result = cli("update", str(project), "--to", version, "--no-input")
    assert result.exit_code == 0, result.output
    assert support.answers_of(project)["_commit"] == "v1.1.0"
    assert (project / NEW_FILE).is_file()
    assert not (project / "LATER.md").exists()


def test_conflicting_edit_is_reported_by_file(cli: Cli, project: Path) -> None:
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace(f":{OLD_LWA}-", ":1.0.0-mine-"))
    commit_all(project, "chore: pin my own adapter")
    _add_route_comment(project)
    result = cli("update", str(project))
    assert result.exit_code == 1, result.output
    said = support.said(result)
    assert "1 file(s) have conflicts: Dockerfile" in said
    assert "hint:" in said
    text = dockerfile.read_text()
    assert "<<<<<<< before updating" in text
    assert ">>>>>>> after updating" in text
    assert git("diff", "--name-only", "--diff-filter=U", cwd=project).split() == ["Dockerfile"]
    assert ROUTE_COMMENT in (project / "main.go").read_text()


def test_project_in_a_subfolder_of_a_repository(cli: Cli, repo: Path, tmp_path: Path) -> None:
    mono = tmp_path / "mono"
    destination = mono / "services" / "demo"
    generate(
        ProjectRequest(destination=destination, framework=Framework.ECHO, name="demo"),
        template=str(repo),
        vcs_ref="v1.0.0",
    )
    (mono / "README.md").write_text("the monorepo\n")
    init_and_commit(mono)
    (mono / "scratch.txt").write_text("outside the project: not its business\n")
    result = cli("update", str(destination))
    assert result.exit_code == 0, result.output
    assert (destination / NEW_FILE).is_file()
    assert support.answers_of(destination)["_commit"] == "v1.1.0"
    assert "services/demo/Dockerfile" not in support.said(result)
    assert "Dockerfile" in support.said(result)


@pytest.mark.parametrize("change", ["untracked", "modified", "staged"])
def test_dirty_work_tree_is_refused(cli: Cli, project: Path, change: str) -> None:
    if change == "untracked":
        (project / "notes.txt").write_text("mine\n")
    else:
        (project / "main.go").write_text((project / "main.go").read_text() + "// wip\n")
        if change == "staged":
            git("add", "main.go", cwd=project)
    before = snapshot(project)
    result = cli("update", str(project))
    assert result.exit_code == 1, result.output
    said = support.said(result)
    assert "uncommitted changes" in said
    assert "untracked files count" in said
    assert snapshot(project) == before


def test_a_folder_without_answers_is_not_a_project(cli: Cli) -> None:
    Path("plain").mkdir()
    result = cli("update", "plain")
    assert result.exit_code == 2, result.output
    assert "is not a generated project: it has no .copier-answers.yml" in support.said(result)
    assert "hint:" in support.said(result)


def test_a_missing_folder_is_refused(cli: Cli) -> None:
    result = cli("update", "nowhere")
    assert result.exit_code == 2, result.output
    assert "is not a folder" in support.said(result)


def test_a_project_outside_git_is_refused(cli: Cli, repo: Path, tmp_path: Path) -> None:
    destination = tmp_path / "loose"
    generate(ProjectRequest(destination=destination, framework=Framework.ECHO, name="loose"),
             template=str(repo), vcs_ref="v1.0.0")  # fmt: skip
    before = snapshot(destination)
    result = cli("update", str(destination))
    assert result.exit_code == 1, result.output
    assert "is not in a git repository" in support.said(result)
    assert "git init" in support.said(result)
    assert snapshot(destination) == before


@pytest.mark.slow
def test_downgrade_is_refused(cli: Cli, project: Path) -> None:
    assert cli("update", str(project), "-y").exit_code == 0
    commit_all(project, "chore: update the template")
    result = cli("update", str(project), "--to", "1.0.0")
    assert result.exit_code == 1, result.output
    assert "downgrading" in support.said(result)
    assert "--to" in support.said(result)


def test_unknown_version_is_a_clear_error(cli: Cli, project: Path) -> None:
    result = cli("update", str(project), "--to", "9.9.9")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "has no such version" in support.said(result)
    assert "git ls-remote --tags" in support.said(result)


def test_answers_without_a_version(cli: Cli, project: Path) -> None:
    """What a development build records: the repository, but no release to merge from."""
    answers = project / ".copier-answers.yml"
    answers.write_text("".join(line for line in answers.read_text().splitlines(keepends=True)
                               if not line.startswith("_commit:")))  # fmt: skip
    commit_all(project, "chore: answers of a dev build")
    result = cli("update", str(project))
    assert result.exit_code == 1, result.output
    said = support.said(result)
    assert "cannot obtain old template references" in said
    assert "_commit: vX.Y.Z" in said


@pytest.mark.slow
def test_bundled_project_updates_from_the_recorded_repository(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project made by the bundled template names the repository and v<version>."""
    tag = release_tag(scaffold.__version__)
    assert tag is not None, "the installed package has a development version"
    major = int(scaffold.__version__.split(".")[0])
    repo = template_repo(tmp_path / "template", first=tag, second=f"v{major + 1}.0.0")
    monkeypatch.setenv(TEMPLATE_REPO_ENV, str(repo))
    made = cli("new", "demo", "-f", "echo", "-y")
    assert made.exit_code == 0, made.output
    project = Path("demo")
    assert support.answers_of(project)["_src_path"] == str(repo)
    assert support.answers_of(project)["_commit"] == tag
    init_and_commit(project)
    _add_route_comment(project)
    result = cli("update", "demo")
    assert result.exit_code == 0, result.output
    assert "conflict" not in support.said(result)
    assert ROUTE_COMMENT in (project / "main.go").read_text()
    assert _adapter_tags(project) == [NEW_LWA]
    assert support.answers_of(project)["_commit"] == f"v{major + 1}.0.0"


def test_update_from_another_template_source(
    cli: Cli, repo: Path, project: Path, tmp_path: Path
) -> None:
    fork = tmp_path / "fork"
    git("clone", "-q", str(repo), str(fork), cwd=tmp_path)
    _add_route_comment(project)
    result = cli("update", str(project), "--template", str(fork))
    assert result.exit_code == 0, result.output
    assert support.answers_of(project)["_src_path"] == str(fork)
    assert support.answers_of(project)["_commit"] == "v1.1.0"
    assert ROUTE_COMMENT in (project / "main.go").read_text()
    flags = [line for line in git("ls-files", "-v", cwd=project).splitlines() if line[0] == "h"]
    assert flags == [], "the answers file is still --assume-unchanged"
    assert ".copier-answers.yml" in git("status", "--porcelain", cwd=project)


def test_failed_update_from_another_source_restores_the_answers(
    cli: Cli, project: Path, tmp_path: Path
) -> None:
    before = snapshot(project)
    result = cli("update", str(project), "--template", (tmp_path / "gone.git").as_uri())
    assert result.exit_code == 1, result.output
    assert "git could not fetch the template" in support.said(result)
    assert snapshot(project) == before
    assert git("status", "--porcelain", cwd=project) == ""


def _ask_for_a_licence(repo: Path) -> None:
    """Release v1.2.0, which asks a new question and renders LICENSE from its answer."""
    config = repo / "copier.yml"
    licence = "\nlicense:\n  type: str\n  help: Licence\n  default: MIT\n"
    config.write_text(config.read_text() + licence)
    notice = repo / "blueprints" / "echo" / "template" / "LICENSE.jinja"
    notice.write_text("{{ license }} licence\n")
    commit_all(repo, "feat: ask for a licence")
    git("tag", "v1.2.0", cwd=repo)


def _spawn_update(project: Path) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        ["-m", "scaffold", "update", str(project)],
        cwd=str(project.parent),
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 120),
        env={**os.environ, "NO_COLOR": "1", "TERM": "xterm"},
    )


def test_new_questions_get_their_defaults_without_a_terminal(
    cli: Cli, repo: Path, project: Path
) -> None:
    _ask_for_a_licence(repo)
    result = cli("update", str(project), "--no-input")
    assert result.exit_code == 0, result.output
    assert support.answers_of(project)["license"] == "MIT"
    assert (project / "LICENSE").read_text() == "MIT licence\n"


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_new_questions_are_asked_on_a_terminal(repo: Path, project: Path) -> None:
    _ask_for_a_licence(repo)
    child = _spawn_update(project)
    child.expect("Licence")
    child.sendcontrol("u")  # the prompt starts with the default filled in
    child.sendline("Apache-2.0")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert support.answers_of(project)["license"] == "Apache-2.0"
    assert (project / "LICENSE").read_text() == "Apache-2.0 licence\n"


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_ctrl_c_at_a_new_question_exits_130_and_changes_nothing(repo: Path, project: Path) -> None:
    _ask_for_a_licence(repo)
    before = snapshot(project)
    child = _spawn_update(project)
    child.expect("Licence")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130, child.before
    assert "Aborted" in (child.before or "")
    assert snapshot(project) == before
    assert git("status", "--porcelain", cwd=project) == ""


def test_up_to_date_project_changes_nothing(cli: Cli, repo: Path, tmp_path: Path) -> None:
    destination = tmp_path / "fresh"
    generate(ProjectRequest(destination=destination, framework=Framework.ECHO, name="fresh"),
             template=str(repo))  # fmt: skip
    init_and_commit(destination)
    result = cli("update", str(destination))
    assert result.exit_code == 0, result.output
    assert "Nothing changed" in support.said(result)
    assert git("status", "--porcelain", cwd=destination) == ""


@pytest.mark.parametrize(
    ("given", "tag"),
    [("1.2.3", "v1.2.3"), ("v1.2.3", "v1.2.3"), (" 2.0.0rc1 ", "v2.0.0rc1"), ("HEAD", "HEAD"),
     ("main", "main")],
)  # fmt: skip
def test_versions_become_tags(given: str, tag: str) -> None:
    assert normalize_version(given) == tag


def test_empty_version_is_refused() -> None:
    with pytest.raises(InvalidAnswerError):
        normalize_version(" ")


def test_update_help_names_every_flag(cli: Cli) -> None:
    result = cli("update", "--help")
    assert result.exit_code == 0
    for flag in ("--to", "--no-input", "--template", "PATH"):
        assert flag in result.stdout, flag
