"""Two real releases of the tool: a project made by the first is updated by the second, offline.

Both wheels are built from tagged commits of a copy of this repository, so each carries the
template's release history up to its own version (scaffold/_template.bundle). The update runs in
a network namespace with no network at all (`unshare -rn`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests import support

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CANONICAL = "https://github.com/lambda-scaffold/lambda-scaffold.git"
NEW_LINE = "Release 90.1.0 of the template adds this line."


def _run(*argv: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(arg) for arg in argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{argv} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def _git(repo: Path, *args: str) -> str:
    return _run("git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args, cwd=repo)


def _release(repo: Path, version: str, out: Path) -> Path:
    """Set the version, commit, tag v<version> and build a wheel of it into out."""
    (repo / "scaffold" / "version.py").write_text(f'__version__ = "{version}"\n')
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", f"release {version}")
    _git(repo, "tag", "-a", f"v{version}", "-m", version)
    _run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", out, cwd=repo)
    (wheel,) = out.glob(f"lambda_scaffold-{version}-*.whl")
    return wheel


def _install(wheel: Path, target: Path) -> dict[str, str]:
    """Install wheel alone into target; return an environment whose `scaffold` is that one."""
    _run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", target, wheel,
         cwd=target.parent)  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDA_SCAFFOLD_TEMPLATE")}
    env["PYTHONPATH"] = str(target)
    return env


def test_an_upgraded_tool_updates_its_projects_with_no_network(tmp_path: Path) -> None:
    """Release 90.0.0 makes a project; release 90.1.0 updates it offline, keeping an edit."""
    support.require("git", "unshare")
    if subprocess.run(["unshare", "-rn", "true"], check=False).returncode != 0:
        if support.REQUIRE_TOOLCHAINS:
            pytest.fail("`unshare -rn` cannot make a network namespace here")
        pytest.skip("`unshare -rn` cannot make a network namespace here")
    repo, dist = tmp_path / "repo", tmp_path / "dist"
    repo.mkdir()
    dist.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(repo)], input=archive, check=True)
    _git(repo, "init", "-q", "-b", "main")
    first = _release(repo, "90.0.0", dist)
    readme = repo / "blueprints" / "echo" / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + f"\n{NEW_LINE}\n")
    second = _release(repo, "90.1.0", dist)
    with zipfile.ZipFile(second) as wheel:
        assert "scaffold/_template.bundle" in wheel.namelist()

    old = _install(first, tmp_path / "site-90.0.0")
    project = tmp_path / "orders-api"
    _run(
        sys.executable, "-m", "scaffold", "new", project, "-f", "echo", "-y", cwd=tmp_path, env=old
    )
    answers = project / ".copier-answers.yml"
    assert "_commit: v90.0.0" in answers.read_text()
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "generated")
    main_go = project / "main.go"
    main_go.write_text(main_go.read_text() + "\n// kept across updates\n")
    _git(project, "commit", "-q", "-am", "an edit")

    new = _install(second, tmp_path / "site-90.1.0")
    check = subprocess.run(
        ["unshare", "-rn", sys.executable, "-m", "scaffold", "update", "--check", "--json"],
        cwd=project, env=new, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert check.returncode == 1, check.stderr
    report = json.loads(check.stdout)
    assert "90.0.0" in report["current"], report
    assert "90.1.0" in report["newest"], report
    assert report["update_available"] is True, report
    _run("unshare", "-rn", sys.executable, "-m", "scaffold", "update", "-y", cwd=project, env=new)

    assert NEW_LINE in (project / "README.md").read_text()
    assert "// kept across updates" in main_go.read_text()
    recorded = answers.read_text()
    assert "_commit: v90.1.0" in recorded
    assert re.search(rf"^_src_path: {re.escape(CANONICAL)}$", recorded, re.M), recorded
    done = subprocess.run(
        ["unshare", "-rn", sys.executable, "-m", "scaffold", "update", "--check"],
        cwd=project, env=new, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
