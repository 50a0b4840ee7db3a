"""The wheel carries the template: an installed lambda-scaffold renders without the checkout."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests import support

REPO = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.slow]


def test_wheel_renders_from_a_fresh_venv(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    support.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO)],
        cwd=tmp_path,
        timeout=300,
    )
    wheels = list(dist.glob("lambda_scaffold-*.whl"))
    assert len(wheels) == 1
    listing = subprocess.run(
        [sys.executable, "-m", "zipfile", "-l", str(wheels[0])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "scaffold/_template/copier.yml" in listing
    assert "scaffold/_template/blueprints/echo/template/main.go.jinja" in listing

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    support.run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheels[0])], cwd=tmp_path, timeout=600
    )
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    result = support.run(
        [str(env_dir / "bin" / "lambda-scaffold"), "new", "demo", "-f", "echo", "--no-input"],
        cwd=outside,
        env={"NO_COLOR": "1"},
    )
    assert "wrote" in result.stderr
    project = outside / "demo"
    assert (project / "main.go").is_file()
    # Conditional folder names ({% if ci == 'github' %}.github{% endif %}) survive the wheel.
    assert (project / ".github" / "workflows" / "ci.yml").is_file()
    assert (project / "ci" / "bootstrap.yaml").is_file()
    assert "module demo" in (project / "go.mod").read_text()
    module = support.run(
        [
            str(python),
            "-c",
            "import scaffold.generator.template_source as b; print(b.template_root())",
        ],
        cwd=outside,
    ).stdout.strip()
    assert "site-packages" in module
