"""`update` loses no file: ignored files in the way, signals, bad answers, silent servers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from scaffold import Framework, ProjectRequest, generate
from tests import support
from tests.gitrepo import (
    NEW_FILE,
    commit_all,
    git,
    init_and_commit,
    running,
    slow_git,
    snapshot,
    stop_slow_git,
    template_repo,
)

Cli = Callable[..., Result]
ANSWERS = ".copier-answers.yml"
SECRET = "AWS_SECRET_ACCESS_KEY=mine-and-nowhere-else\n"
ECHO = Path("blueprints") / "echo" / "template"
SCRATCH = "lambda-scaffold-update-"
MANY = 1500  # files a release adds, so that putting them in place takes a while


def _release(repo: Path, tag: str, files: dict[str, str]) -> None:
    for name, text in files.items():
        target = repo / ECHO / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git("add", "-f", "--", *(str(ECHO / name) for name in files), cwd=repo)  # .env is ignored
    commit_all(repo, f"feat: release {tag}")
    git("tag", tag, cwd=repo)


def _project(repo: Path, destination: Path) -> Path:
    generate(
        ProjectRequest(destination=destination, framework=Framework.ECHO, name="demo"),
        template=str(repo),
        vcs_ref="v1.0.0",
    )
    init_and_commit(destination)
    return destination


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The template at v1.0.0 and v1.1.0 (new adapter pin, new CONTRIBUTING.md)."""
    return template_repo(tmp_path / "template")


@pytest.fixture
def project(repo: Path, tmp_path: Path) -> Path:
    """A project generated at v1.0.0 and committed."""
    return _project(repo, tmp_path / "projects" / "demo")


def _hidden_flags(project: Path) -> list[str]:
    """Index entries flagged --assume-unchanged (a lowercase tag in `git ls-files -v`)."""
    return [line for line in git("ls-files", "-v", cwd=project).splitlines() if line[0].islower()]


def _assert_untouched(project: Path, before: dict[str, bytes]) -> None:
    assert snapshot(project) == before
    assert git("status", "--porcelain", "--untracked-files=all", cwd=project) == ""
    assert _hidden_flags(project) == []


# --- files git does not track ------------------------------------------------------------------


def test_an_ignored_env_file_the_template_adds_is_a_conflict(cli: Cli, tmp_path: Path) -> None:
    repo = template_repo(tmp_path / "template", second=None)
    _release(repo, "v1.1.0", {".env": "PORT=8000\n"})
    project = _project(repo, tmp_path / "demo")
    (project / ".env").write_text(SECRET)  # ignored by the project's .gitignore
    before = snapshot(project)
    result = cli("update", str(project), "--no-input")
    assert result.exit_code == 1, result.output
    said = support.said(result)
    assert "files git does not track: .env (ignored)" in said
    assert "nothing was changed" in said
    assert "mv .env" in said
    assert (project / ".env").read_text() == SECRET
    _assert_untouched(project, before)


def test_an_ignored_symlink_on_the_way_is_never_followed(cli: Cli, tmp_path: Path) -> None:
    """A release adds docs/guide.md; the user's ignored `docs` links to a folder outside."""
    repo = template_repo(tmp_path / "template", second=None)
    _release(repo, "v1.1.0", {"docs/guide.md": "# Guide\n"})
    project = _project(repo, tmp_path / "demo")
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / ".gitignore").write_text((project / ".gitignore").read_text() + "docs\n")
    commit_all(project, "chore: my docs live elsewhere")
    (project / "docs").symlink_to(outside)
    before = snapshot(project)
    result = cli("update", str(project), "--no-input")
    assert result.exit_code == 1, result.output
    assert "docs (ignored)" in support.said(result)
    assert list(outside.iterdir()) == []
    _assert_untouched(project, before)


def test_ignored_files_out_of_the_way_are_kept(cli: Cli, project: Path) -> None:
    (project / ".env").write_text(SECRET)
    result = cli("update", str(project), "--no-input")
    assert result.exit_code == 0, result.output
    assert (project / NEW_FILE).is_file()
    assert (project / ".env").read_text() == SECRET


# --- signals -----------------------------------------------------------------------------------


def _spawn(project: Path, *args: str, temp: Path, path: str | None = None) -> subprocess.Popen[str]:
    temp.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(temp)}
    if path is not None:
        env["PATH"] = path
    return subprocess.Popen(
        [sys.executable, "-m", "scaffold", "update", str(project), "--no-input", *args],
        cwd=project.parent,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _copier_at_work(project: Path, temp: Path) -> bool:
    """copier renders the old version into a temporary folder (in TMPDIR or our scratch)."""
    pattern = "copier._main.old_copy.*"
    return any(temp.glob(pattern)) or any((project / ".git").glob(f"{SCRATCH}*/tmp/{pattern}"))


def _scratch_made(project: Path, temp: Path) -> bool:
    return any((project / ".git").glob(f"{SCRATCH}*")) or _copier_at_work(project, temp)


def _applying(project: Path) -> bool:
    return any((project / ".git").glob(f"{SCRATCH}*/journal.json"))


POINTS = {"scratch": _scratch_made, "copier": _copier_at_work}


def _wait_for(child: subprocess.Popen[str], ready: Callable[[], bool], bound: float = 60.0) -> bool:
    """Poll until ready() or the child exits; fail after bound seconds."""
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if ready():
            return True
        if child.poll() is not None:
            return False
        time.sleep(0.001)
    child.kill()
    pytest.fail(f"no progress within {bound} s")


def _finish(child: subprocess.Popen[str]) -> tuple[int, str]:
    _, stderr = child.communicate(timeout=60)
    return child.returncode, " ".join(stderr.split())


@pytest.mark.slow
@pytest.mark.parametrize("point", sorted(POINTS))
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_while_copier_works_leaves_the_project_as_it_was(
    project: Path, tmp_path: Path, point: str, signum: signal.Signals
) -> None:
    before = snapshot(project)
    temp = tmp_path / "tmp"
    child = _spawn(project, temp=temp)
    assert _wait_for(child, lambda: POINTS[point](project, temp)), _finish(child)
    child.send_signal(signum)
    code, said = _finish(child)
    assert code == 128 + signum, said
    assert f"Aborted by {signum.name}" in said
    assert "the project is as it was" in said
    assert "Traceback" not in said
    _assert_untouched(project, before)
    assert not list((project / ".git").glob(f"{SCRATCH}*"))
    assert not list(temp.iterdir()), "temporary folders were left behind"


@pytest.mark.slow
def test_a_git_that_copier_started_is_stopped_before_the_scratch_is_removed(
    project: Path, tmp_path: Path
) -> None:
    """The signal reaches the CLI alone; the git it started must not outlive the run."""
    bin_dir, pid_file = slow_git(tmp_path / "git")
    before = snapshot(project)
    temp = tmp_path / "tmp"
    child = _spawn(project, temp=temp, path=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    try:
        assert _wait_for(child, pid_file.exists), _finish(child)
        time.sleep(0.3)  # the stand-in is writing inside the scratch folder
        child.send_signal(signal.SIGTERM)
        code, said = _finish(child)
    finally:
        stop_slow_git(pid_file)
    assert code == 143, said
    assert "the project is as it was" in said
    assert not running(int(pid_file.read_text()))
    _assert_untouched(project, before)
    assert not list((project / ".git").glob(f"{SCRATCH}*"))
    assert not list(temp.iterdir())


@pytest.mark.slow
@pytest.mark.parametrize("point", sorted(POINTS))
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL])
def test_update_from_another_source_killed_hides_nothing(
    repo: Path, project: Path, tmp_path: Path, point: str, signum: signal.Signals
) -> None:
    fork = tmp_path / "fork"
    git("clone", "-q", str(repo), str(fork), cwd=tmp_path)
    before = snapshot(project)
    temp = tmp_path / "tmp"
    child = _spawn(project, "--template", str(fork), temp=temp)
    assert _wait_for(child, lambda: POINTS[point](project, temp)), _finish(child)
    child.send_signal(signum)
    code, _ = _finish(child)
    assert code == (-signal.SIGKILL if signum == signal.SIGKILL else 128 + signum)
    _assert_untouched(project, before)
    assert support.answers_of(project)["_src_path"] == str(repo)
    again = _spawn(project, "--template", str(fork), temp=temp)
    code, said = _finish(again)
    assert code == 0, said
    assert support.answers_of(project)["_src_path"] == str(fork)
    assert not list((project / ".git").glob(f"{SCRATCH}*")), "a killed run's scratch was kept"


@pytest.fixture
def big_release(tmp_path: Path) -> Path:
    """A project at v1.0.0 of a template whose v1.1.0 adds MANY files and changes one."""
    repo = template_repo(tmp_path / "template", second=None)
    files = {f"assets/{i // 100}/file{i}.txt": f"{i}\n" for i in range(MANY)}
    files["README.md"] = "# replaced by the release\n"
    _release(repo, "v1.1.0", files)
    return _project(repo, tmp_path / "demo")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_while_files_are_put_in_place_rolls_back(
    big_release: Path, tmp_path: Path, signum: signal.Signals
) -> None:
    project = big_release
    before = snapshot(project)
    temp = tmp_path / "tmp"
    child = _spawn(project, temp=temp)
    assert _wait_for(child, lambda: _applying(project), bound=120), _finish(child)
    child.send_signal(signum)
    code, said = _finish(child)
    assert code == 128 + signum, said
    assert "the project is as it was" in said
    _assert_untouched(project, before)
    assert not (project / "assets").exists()


@pytest.mark.slow
def test_a_kill_while_files_are_put_in_place_is_named_by_the_next_run(
    cli: Cli, big_release: Path, tmp_path: Path
) -> None:
    project = big_release
    temp = tmp_path / "tmp"
    child = _spawn(project, temp=temp)
    assert _wait_for(child, lambda: _applying(project), bound=120), _finish(child)
    child.kill()
    child.communicate(timeout=60)
    assert _hidden_flags(project) == []
    result = cli("update", str(project), "--no-input")
    assert result.exit_code == 1, result.output
    said = support.said(result)
    assert "an earlier update was killed while it changed the project" in said
    assert "git checkout HEAD --" in said
    git("checkout", "HEAD", "--", ".", cwd=project)
    git("clean", "-fdq", cwd=project)
    result = cli("update", str(project), "--no-input")
    assert result.exit_code == 0, result.output
    assert len(list((project / "assets").rglob("*.txt"))) == MANY


def test_a_flag_left_by_an_older_release_is_cleared_and_named(cli: Cli, project: Path) -> None:
    """Older releases hid the edited answers file with --assume-unchanged during an update."""
    answers = project / ANSWERS
    answers.write_text(answers.read_text().replace("_src_path:", "_src_path: /elsewhere #"))
    git("update-index", "--assume-unchanged", "--", ANSWERS, cwd=project)
    assert git("status", "--porcelain", cwd=project) == ""
    result = cli("update", str(project), "--no-input")
    assert result.exit_code == 1, result.output
    said = support.said(result)
    assert "hidden from `git status` (--assume-unchanged)" in said
    assert f"git checkout -- {ANSWERS}" in said
    assert _hidden_flags(project) == []
    assert ANSWERS in git("status", "--porcelain", cwd=project)


# --- answers files that cannot be updated from -------------------------------------------------


def _edit_answers(project: Path, old: str, new: str) -> None:
    answers = project / ANSWERS
    text = answers.read_text()
    assert old in text
    answers.write_text(text.replace(old, new))
    commit_all(project, "chore: edit the answers")


def test_answers_without_a_source(cli: Cli, project: Path, repo: Path) -> None:
    _edit_answers(project, f"_src_path: {repo}\n", "")
    before = snapshot(project)
    result = cli("update", str(project), "--no-input")
    assert result.exit_code == 1, result.output
    said = support.said(result)
    assert "Traceback" not in result.output
    assert "does not name the template it was made from (_src_path)" in said
    assert "--template SRC" in said
    _assert_untouched(project, before)


def test_a_local_source_that_is_gone(cli: Cli, project: Path, repo: Path, tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    _edit_answers(project, f"_src_path: {repo}\n", f"_src_path: {gone}\n")
    result = cli("update", str(project), "--no-input")
    assert result.exit_code == 1, result.output
    said = support.said(result)
    assert f"the template {gone} named in {ANSWERS} does not exist" in said
    assert "terminal" not in said
    assert "--template SRC" in said


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("port: 8000", "port: 80", "`port` recorded in .copier-answers.yml is not valid"),
        ("framework: echo", "framework: django", "`framework` recorded in .copier-answers.yml"),
    ],
)
def test_an_invalid_recorded_answer(
    cli: Cli, project: Path, old: str, new: str, words: str
) -> None:
    _edit_answers(project, old, new)
    before = snapshot(project)
    result = cli("update", str(project), "--no-input")
    assert result.exit_code == 2, result.output
    said = support.said(result)
    assert words in said
    assert "terminal" not in said
    assert f"correct `{new.split(':')[0]}:` in {ANSWERS}" in said
    _assert_untouched(project, before)


# --- a template server that never answers ------------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP server on 127.0.0.1 that accepts connections and never sends a byte."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/lambda-scaffold.git"
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    listener.close()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("scheme", ["http", "git"])
def test_a_template_server_that_never_answers_times_out(
    cli: Cli, project: Path, silent_server: str, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    """Every transport gives up: git's HTTP stall limit alone would not cover git://."""
    monkeypatch.setenv("LAMBDA_SCAFFOLD_GIT_TIMEOUT", "2")
    silent_server = silent_server.replace("http://", f"{scheme}://", 1)
    before = snapshot(project)
    started = time.monotonic()
    result = cli("update", str(project), "--template", silent_server, "--no-input")
    assert time.monotonic() - started < 30
    assert result.exit_code == 1, result.output
    said = support.said(result)
    assert f"the template {silent_server} did not answer within 2 s" in said
    assert "LAMBDA_SCAFFOLD_GIT_TIMEOUT" in said
    _assert_untouched(project, before)
