"""Isolation for every test, and fixtures for the two public seams: the CLI and the render API."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from scaffold import Framework, ProjectRequest, generate
from scaffold.cli import app
from tests import support

REPO = Path(__file__).resolve().parent.parent
REAL_HOME = Path.home()
# Toolchain caches stay in the real home while HOME moves into tmp_path: no re-downloads.
TOOL_CACHES = {
    "GOPATH": REAL_HOME / "go",
    "GOMODCACHE": REAL_HOME / "go" / "pkg" / "mod",
    "GOCACHE": REAL_HOME / ".cache" / "go-build",
    "CARGO_HOME": REAL_HOME / ".cargo",
    "RUSTUP_HOME": REAL_HOME / ".rustup",
    "npm_config_cache": REAL_HOME / ".npm",
    "PIP_CACHE_DIR": REAL_HOME / ".cache" / "pip",
}


@pytest.fixture(autouse=True)
def _isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable, default in TOOL_CACHES.items():
        monkeypatch.setenv(variable, os.environ.get(variable, str(default)))
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("COPIER_SETTINGS_PATH", str(home / "copier-settings.yml"))
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run the CLI in-process: cli("new", "demo", "--no-input")."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input)

    return invoke


@pytest.fixture
def render_project(tmp_path: Path) -> Callable[..., Path]:
    """Render through the library API: render_project("gin", port=9000) -> project folder."""

    def render(framework: str, name: str = "demo", **answers: Any) -> Path:
        destination = tmp_path / "projects" / f"{framework}-{name}-{len(answers)}"
        suffix = 0
        while destination.exists():
            suffix += 1
            destination = destination.with_name(f"{destination.name}-{suffix}")
        generate(
            ProjectRequest(
                destination=destination, framework=Framework(framework), name=name, **answers
            )
        )
        return destination

    return render


@pytest.fixture(scope="session")
def template_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plain-folder copy of the template (the checkout is a git repo with tags)."""
    root = tmp_path_factory.mktemp("template")
    shutil.copy2(REPO / "copier.yml", root / "copier.yml")
    shutil.copytree(REPO / "blueprints", root / "blueprints")
    return root


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Where toolchains are required (CI), a skipped test fails the run."""
    if not support.REQUIRE_TOOLCHAINS or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = reporter.stats.get("skipped", [])
    if skipped:
        reporter.write_line(
            f"{len(skipped)} test(s) skipped, but "
            "LAMBDA_SCAFFOLD_REQUIRE_TOOLCHAINS=1 forbids skipping",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def work_dir() -> Iterator[Path]:
    """The test's working directory (cwd)."""
    yield Path.cwd()
