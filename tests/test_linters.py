"""Each project's ``make lint`` runs a real linter: clean on the project, failing on a mistake."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import support

pytestmark = [pytest.mark.toolchain, pytest.mark.slow]
FRAMEWORKS = support.FRAMEWORKS
LANGUAGE_TOOLS = support.TOOLS
# A mistake that runs fine but that a linter reports: an unused variable, per language.
MISTAKES_BY_LANGUAGE = {
    "Go": ("main.go", "\nfunc unusedHelper() {\n\tleftover := 1\n}\n"),
    "Python": ("app.py", "\n\ndef unused_helper() -> None:\n    leftover = 1\n"),
    "Node.js": ("app.js", "\nfunction unusedHelper() {\n  const leftover = 1;\n}\n"),
}
MISTAKES = {name: MISTAKES_BY_LANGUAGE[language] for name, language in support.LANGUAGE.items()}
Render = Callable[..., Path]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_make_lint_reports_an_unused_variable(render_project: Render, framework: str) -> None:
    support.require("make", *LANGUAGE_TOOLS[framework])
    project = render_project(framework, name="lint-demo")
    support.run(["make", "lint"], cwd=project)
    source, mistake = MISTAKES[framework]
    with (project / source).open("a") as handle:
        handle.write(mistake)
    result = subprocess.run(
        ["make", "lint"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode != 0, f"make lint passed with an unused variable in {source}"
    assert "leftover" in result.stdout + result.stderr
