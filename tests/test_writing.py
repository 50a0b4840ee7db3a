"""Writing DEST: whole or not at all, never through links, one run at a time, under signals."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest
from click.testing import Result

from tests import support
from tests.gitrepo import running, slow_git, stop_slow_git, template_repo
from tests.writing import (
    SIGNALS,
    can_mount,
    child_env,
    cli_argv,
    finish,
    in_mount_namespace,
    kill_group,
    leftovers,
    silent_server,
    snapshot,
    start,
    wait_for,
)

Cli = Callable[..., Result]
needs_mounts = pytest.mark.skipif(not can_mount(), reason="needs root and unshare for mounts")


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str | bytes]:
    """A complete `new proj -f echo -y`, as a snapshot to compare DEST with."""
    root = tmp_path_factory.mktemp("reference")
    support.run(cli_argv("new", "proj", "-f", "echo", "-y"), cwd=root, timeout=120)
    return snapshot(root / "proj")


@pytest.fixture
def tmpdir_env(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A private TMPDIR for a CLI child, and the child's environment."""
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    return tmpdir, child_env(tmpdir)


# --- 1. --force never writes through a link ---------------------------------------------------
def test_force_never_writes_through_a_file_link(cli: Cli, tmp_path: Path) -> None:
    outside = tmp_path / "outside-Makefile"
    outside.write_text("mine\n")
    dest = Path("proj")
    dest.mkdir()
    (dest / "Makefile").symlink_to(outside)
    before = snapshot(dest)
    result = cli("new", "proj", "-f", "echo", "-y", "--force")
    assert result.exit_code == 1, result.output
    assert f"{dest.absolute() / 'Makefile'} is a symbolic link" in support.said(result)
    assert "hint: remove or rename" in support.said(result)
    assert outside.read_text() == "mine\n"
    assert snapshot(dest) == before
    assert leftovers(Path.cwd()) == []


def test_force_never_writes_into_a_linked_folder(cli: Cli, tmp_path: Path) -> None:
    outside = tmp_path / "outside-events"
    outside.mkdir()
    dest = Path("proj")
    dest.mkdir()
    (dest / "events").symlink_to(outside, target_is_directory=True)
    before = snapshot(dest)
    result = cli("new", "proj", "-f", "echo", "-y", "--force")
    assert result.exit_code == 1, result.output
    assert "events is a symbolic link" in support.said(result)
    assert list(outside.iterdir()) == []
    assert snapshot(dest) == before


def test_force_replaces_files_and_keeps_the_others(
    cli: Cli, reference: dict[str, str | bytes]
) -> None:
    dest = Path("proj")
    (dest / "events").mkdir(parents=True)
    (dest / "Makefile").write_text("old\n")
    (dest / "notes.txt").write_text("keep\n")
    (dest / "events" / "mine.json").write_text("{}\n")
    result = cli("new", "proj", "-f", "echo", "-y", "--force")
    assert result.exit_code == 0, result.output
    after = snapshot(dest)
    assert after.pop("notes.txt") == b"keep\n"
    assert after.pop("events/mine.json") == b"{}\n"
    assert after == reference
    assert leftovers(Path.cwd()) == []


# --- 3. file-type conflicts, full disks, read-only parents, long names ------------------------
@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda d: (d / "events").write_text("x\n"), "events is a file, but the project has a"),
        (lambda d: (d / "Makefile").mkdir(), "Makefile is a folder, but the project has a file"),
        (lambda d: os.mkfifo(d / "go.mod"), "go.mod is neither a file nor a folder"),
    ],
    ids=["file-where-folder", "folder-where-file", "fifo"],
)  # fmt: skip
def test_force_refuses_to_swap_files_and_folders(
    cli: Cli, make: Callable[[Path], object], words: str
) -> None:
    dest = Path("proj")
    dest.mkdir()
    (dest / "keep.txt").write_text("keep\n")
    make(dest)
    before = snapshot(dest)
    result = cli("new", "proj", "-f", "echo", "-y", "--force")
    assert result.exit_code == 1, result.output
    assert words in support.said(result)
    assert "hint: move" in support.said(result)
    assert "Traceback" not in result.output
    assert snapshot(dest) == before
    assert leftovers(Path.cwd()) == []


@needs_mounts
@pytest.mark.parametrize("where", ["new", "force"])
def test_a_full_disk_is_an_error_with_a_hint(
    tmp_path: Path, tmpdir_env: tuple[Path, dict[str, str]], where: str
) -> None:
    """DEST on a 256 KiB tmpfs, TMPDIR on the big disk: the render does not fit."""
    disk = tmp_path / "disk"
    disk.mkdir()
    tmpdir, _ = tmpdir_env
    prepare = f"mkdir {disk}/proj && echo mine > {disk}/proj/keep.txt" if where == "force" else ":"
    argv = shlex.join(cli_argv("new", f"{disk}/proj", "-f", "express", "-y", "--force"))
    script = (
        f"mount -t tmpfs -o size=256k tmpfs {disk} && {prepare} && "
        f"NO_COLOR=1 COLUMNS=200 TMPDIR={tmpdir} {argv}; echo rc=$?; "
        f"find {disk} -mindepth 1 | sort; echo end"
    )
    result = in_mount_namespace(script, timeout=120)
    said = " ".join(result.stderr.split())
    assert "rc=1" in result.stdout, result.stdout + result.stderr
    assert "error: cannot" in said and "No space left on device" in said, said
    assert "hint: free some disk space" in said
    assert "Traceback" not in said
    listed = result.stdout.split("rc=1", 1)[1].split()
    expected = [f"{disk}/proj", f"{disk}/proj/keep.txt"] if where == "force" else []
    assert listed == [*expected, "end"]
    assert list(tmpdir.iterdir()) == []


@needs_mounts
@pytest.mark.parametrize("where", ["new", "force"])
def test_a_read_only_parent_is_an_error_with_a_hint(
    tmp_path: Path, tmpdir_env: tuple[Path, dict[str, str]], where: str
) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    (disk / "proj").mkdir()
    (disk / "proj" / "keep.txt").write_text("mine\n")
    tmpdir, _ = tmpdir_env
    dest = f"{disk}/proj" if where == "force" else f"{disk}/sub/proj"
    argv = shlex.join(cli_argv("new", dest, "-f", "echo", "-y", "--force"))
    script = (
        f"mount --bind -o ro {disk} {disk} && mount -o remount,bind,ro {disk} && "
        f"NO_COLOR=1 COLUMNS=200 TMPDIR={tmpdir} {argv}; echo rc=$?"
    )
    result = in_mount_namespace(script, timeout=120)
    said = " ".join(result.stderr.split())
    assert "rc=1" in result.stdout, result.stdout + result.stderr
    assert "Read-only file system" in said, said
    assert "hint: that file system is read-only" in said
    assert "Traceback" not in said
    assert snapshot(disk) == {"proj": "dir", "proj/keep.txt": b"mine\n"}
    assert list(tmpdir.iterdir()) == []


def test_an_over_long_name_is_an_error_with_a_hint(cli: Cli) -> None:
    result = cli("new", "x" * 300, "--name", "demo", "-f", "echo", "-y")
    assert result.exit_code == 1, result.output
    assert "File name too long" in support.said(result)
    assert "hint: choose a shorter destination path" in support.said(result)
    assert list(Path.cwd().iterdir()) == []


# --- 4. two runs into one DEST ------------------------------------------------------------------
@pytest.mark.slow
def test_two_runs_into_one_dest_never_merge(
    tmp_path: Path, tmpdir_env: tuple[Path, dict[str, str]]
) -> None:
    _, env = tmpdir_env
    for round_ in range(3):
        parent = tmp_path / f"round{round_}"
        parent.mkdir()
        runs = [
            start(["new", "proj", "-f", framework, "-y"], cwd=parent, env=env)
            for framework in ("echo", "flask")
        ]
        outcomes = [finish(run, timeout=120) for run in runs]
        codes = sorted(code for code, _ in outcomes)
        assert codes == [0, 1], outcomes
        loser = next(said for code, said in outcomes if code == 1)
        assert "another lambda-scaffold run is writing" in loser or "is not empty" in loser
        files = {p.name for p in (parent / "proj").iterdir()}
        assert ("main.go" in files) != ("app.py" in files), files
        assert leftovers(parent) == []


# --- 2 and 5. signals: DEST untouched or complete, nothing left in TMPDIR ----------------------
def _outcome(
    code: int, said: str, signum: int, dest: Path, reference: dict[str, str | bytes], *,
    existing: bool,
) -> str:  # fmt: skip
    """Check one interrupted run; return which outcome it had."""
    if code == 0:
        assert snapshot(dest) == reference
        return "finished"
    if code == -signum:  # the signal came after the run had finished and said everything
        assert "Next steps" in said and "make deploy" in said, said
        assert snapshot(dest) == reference
        return "finished"
    assert code == SIGNALS[signum], said
    name = signal.Signals(signum).name
    if "Nothing was written" in said:
        assert f"Aborted by {name}. Nothing was written." in said
        assert dest.is_dir() == existing
        assert snapshot(dest) == {}
        return "nothing"
    assert f"Aborted by {name} after the project was written" in said, said
    assert snapshot(dest) == reference
    return "complete"


def _filled(dest: Path) -> Callable[[], bool]:
    """True once DEST holds an entry."""
    return lambda: dest.is_dir() and any(dest.iterdir())


def _started(parent: Path, tmpdir: Path, dest: Path) -> Callable[[], bool]:
    """True once the run began writing: anything in TMPDIR, staging, or DEST with files."""

    def began() -> bool:
        if any(tmpdir.iterdir()) or leftovers(parent):
            return True
        return dest.is_dir() and any(dest.iterdir())

    return began


@pytest.mark.slow
@pytest.mark.parametrize("signum", list(SIGNALS), ids=lambda s: signal.Signals(s).name)
@pytest.mark.parametrize("existing", [False, True], ids=["new-dest", "empty-dest"])
def test_signals_leave_dest_untouched_or_complete(
    tmp_path: Path,
    tmpdir_env: tuple[Path, dict[str, str]],
    reference: dict[str, str | bytes],
    signum: int,
    existing: bool,
) -> None:
    tmpdir, env = tmpdir_env
    seen: set[str] = set()
    for point in (0.0, 0.05, 0.15, 0.3, "dest-filled"):
        parent = tmp_path / f"at-{point}"
        dest = parent / "proj"
        dest.mkdir(parents=True) if existing else parent.mkdir()
        run = start(["new", "proj", "-f", "echo", "-y"], cwd=parent, env=env)
        if point == "dest-filled":
            wait_for(_filled(dest), timeout=60, process=run)
        else:
            wait_for(_started(parent, tmpdir, dest), timeout=60, process=run)
            time.sleep(float(point))
        if run.poll() is None:
            os.killpg(run.pid, signum)
        code, said = finish(run, timeout=60)
        seen.add(_outcome(code, said, signum, dest, reference, existing=existing))
        assert "Traceback" not in said
        assert list(tmpdir.iterdir()) == [], f"left in TMPDIR at {point} (exit {code}): {said}"
        assert leftovers(parent) == [], f"staging left at {point} (exit {code}): {said}"
    assert "nothing" in seen, "no signal reached the run before it wrote DEST"


@pytest.mark.slow
def test_sigterm_during_a_git_template_render_leaves_no_temporary_files(
    tmp_path: Path, tmpdir_env: tuple[Path, dict[str, str]]
) -> None:
    """copier's own clones go to the staging folder too, which the signal handler removes."""
    tmpdir, env = tmpdir_env
    url = template_repo(tmp_path / "template").as_uri()
    for delay in (0.0, 0.1, 0.3):
        parent = tmp_path / f"at-{delay}"
        parent.mkdir()
        run = start(["new", "proj", "-f", "echo", "-y", "--template", url], cwd=parent, env=env)
        wait_for(_started(parent, tmpdir, parent / "proj"), timeout=60, process=run)
        time.sleep(delay)
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGTERM)
        code, said = finish(run, timeout=60)
        assert code in (0, 143, -signal.SIGTERM), said
        if code == -signal.SIGTERM:  # after the run had finished and said everything
            assert "Next steps" in said, said
        assert list(tmpdir.iterdir()) == []
        assert leftovers(parent) == []
        if code == 143 and "Nothing was written" in said:
            assert not (parent / "proj").exists()


@pytest.mark.slow
@pytest.mark.parametrize("via_link", [False, True], ids=["plain-path", "through-a-link"])
def test_a_git_that_copier_started_is_stopped_before_its_folder_is_removed(
    tmp_path: Path, tmpdir_env: tuple[Path, dict[str, str]], via_link: bool
) -> None:
    """The signal reaches the CLI alone; the git it started must not outlive the run.

    Through a link, DEST's path is not the one /proc shows for the git working inside it.
    """
    tmpdir, env = tmpdir_env
    url = template_repo(tmp_path / "template").as_uri()
    bin_dir, pid_file = slow_git(tmp_path / "git")
    env = {**env, "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}"}
    parent = tmp_path / "run"
    parent.mkdir()
    dest = "proj"
    if via_link:
        (tmp_path / "link").symlink_to(parent, target_is_directory=True)
        dest = str(tmp_path / "link" / "proj")
    run = start(["new", dest, "-f", "echo", "-y", "--template", url], cwd=parent, env=env)
    try:
        assert wait_for(pid_file.exists, timeout=60, process=run), finish(run, timeout=60)
        time.sleep(0.3)  # the stand-in is writing inside the staging folder
        run.send_signal(signal.SIGTERM)
        code, said = finish(run, timeout=60)
    finally:
        stop_slow_git(pid_file)
    assert code == 143, said
    assert "Aborted by SIGTERM. Nothing was written." in said
    assert not running(int(pid_file.read_text()))
    assert leftovers(parent) == []
    assert list(tmpdir.iterdir()) == []
    assert not (parent / "proj").exists()


@pytest.mark.slow
def test_sigkill_leaves_nothing_in_tmpdir_and_the_next_run_cleans_up(
    tmp_path: Path, tmpdir_env: tuple[Path, dict[str, str]], reference: dict[str, str | bytes]
) -> None:
    tmpdir, env = tmpdir_env
    run = start(["new", "proj", "-f", "echo", "-y"], cwd=tmp_path, env=env)
    assert wait_for(lambda: bool(leftovers(tmp_path)) or any(tmpdir.iterdir()), timeout=60,
                    process=run)  # fmt: skip
    time.sleep(0.1)
    kill_group(run)
    assert list(tmpdir.iterdir()) == []
    again = start(["new", "proj", "-f", "echo", "-y"], cwd=tmp_path, env=env)
    code, said = finish(again, timeout=120)
    assert code == 0, said
    assert snapshot(tmp_path / "proj") == reference
    assert leftovers(tmp_path) == []


# --- 6. a peer that accepts and never answers ---------------------------------------------------
@pytest.mark.parametrize("scheme", ["http", "git"])
def test_a_silent_template_server_times_out_with_a_hint(
    tmp_path: Path, tmpdir_env: tuple[Path, dict[str, str]], scheme: str
) -> None:
    tmpdir, env = tmpdir_env
    env["LAMBDA_SCAFFOLD_FETCH_TIMEOUT"] = "1.5"
    box = tmp_path / "box"
    box.mkdir()
    with silent_server() as port:
        url = f"{scheme}://127.0.0.1:{port}/x.git"
        started = time.monotonic()
        run = start(["new", "proj", "-f", "echo", "-y", "--template", url], cwd=box, env=env)
        code, said = finish(run, timeout=30)
    assert time.monotonic() - started < 20
    assert code == 1, said
    assert f"error: fetching the template {url} took longer than 1.5 s" in said
    assert "hint: check the URL and your network" in said
    assert "LAMBDA_SCAFFOLD_FETCH_TIMEOUT" in said
    assert list(box.iterdir()) == []
    assert list(tmpdir.iterdir()) == []


def test_a_bad_fetch_timeout_is_a_usage_error(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_SCAFFOLD_FETCH_TIMEOUT", "soon")
    result = cli("new", "proj", "-f", "echo", "-y", "--template", "https://example.com/t.git")
    assert result.exit_code == 2, result.output
    assert "LAMBDA_SCAFFOLD_FETCH_TIMEOUT=soon is not a number of seconds" in support.said(result)
    assert list(Path.cwd().iterdir()) == []


def test_a_git_template_records_its_url(cli: Cli, tmp_path: Path) -> None:
    url = template_repo(tmp_path / "template").as_uri()
    result = cli("new", "proj", "-f", "echo", "-y", "--template", url)
    assert result.exit_code == 0, result.output
    answers = support.answers_of(Path("proj"))
    assert answers["_src_path"] == url
    assert answers["_commit"] == "v1.1.0"


# --- minor: odd destinations, closed or full streams, empty choices, quoting -------------------
def test_a_dangling_link_as_dest_is_refused(cli: Cli) -> None:
    Path("proj").symlink_to("nowhere")
    result = cli("new", "proj", "-f", "echo", "-y")
    assert result.exit_code == 1, result.output
    assert "proj is a symbolic link (to nowhere)" in support.said(result)
    assert "hint:" in support.said(result)
    assert sorted(p.name for p in Path.cwd().iterdir()) == ["proj"]
    assert not Path("nowhere").exists()


def _run(
    argv: list[str], cwd: Path, *, stdout: IO[str] | int = subprocess.PIPE
) -> subprocess.CompletedProcess[str]:
    """Run argv to its end with stderr captured, TMPDIR in cwd."""
    return subprocess.run(
        argv,
        cwd=cwd,
        text=True,
        timeout=120,
        check=False,
        env=child_env(cwd),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["list", "--json"], "cannot write to stdout: No space left on device"),
        (["--version"], "cannot write to stdout: No space left on device"),
    ],
)
def test_a_full_stdout_is_an_error(tmp_path: Path, args: list[str], words: str) -> None:
    with Path("/dev/full").open("w") as full:
        result = _run(cli_argv(*args), tmp_path, stdout=full)
    assert result.returncode == 1, result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert "Exception ignored" not in result.stderr


def test_closed_streams(tmp_path: Path) -> None:
    """stdin or stdout closed (`<&-`, `>&-`): a clear error, never a traceback."""
    closed_out = _run(["sh", "-c", f"{shlex.join(cli_argv('list', '--json'))} >&-"], tmp_path)
    assert closed_out.returncode == 1, closed_out.stderr
    assert "cannot write to stdout" in closed_out.stderr
    assert "Traceback" not in closed_out.stderr
    closed_in = _run(["sh", "-c", f"{shlex.join(cli_argv('new', 'proj'))} <&-"], tmp_path)
    assert closed_in.returncode == 2, closed_in.stderr
    assert "there is no terminal to ask on" in closed_in.stderr
    assert "Traceback" not in closed_in.stderr
    new = _run(["sh", "-c", f"{shlex.join(cli_argv('new', 'proj', '-y'))} >&- <&-"], tmp_path)
    assert new.returncode == 0, new.stderr
    assert (tmp_path / "proj" / "main.go").is_file()


@pytest.mark.parametrize("args", [["proj"], ["--name", "proj"]], ids=["dest", "name"])
def test_a_deleted_working_folder_is_an_error(tmp_path: Path, args: list[str]) -> None:
    box = tmp_path / "box"
    gone = box / "gone"
    gone.mkdir(parents=True)
    script = f"cd {gone} && rmdir {gone} && {shlex.join(cli_argv('new', *args, '-y'))}"
    result = _run(["sh", "-c", script], box)
    assert result.returncode == 1, result.stderr
    assert "error: the current folder no longer exists" in result.stderr
    assert "hint: cd into an existing folder" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(box.iterdir()) == []


@pytest.mark.parametrize("flag", ["--arch", "--auth"])
def test_an_empty_choice_is_a_usage_error(cli: Cli, flag: str) -> None:
    result = cli("new", "proj", "-f", "echo", "-y", flag, "")
    assert result.exit_code == 2, result.output
    assert "hint: choose one of" in support.said(result)
    assert not Path("proj").exists()


def test_next_steps_quote_the_destination(cli: Cli) -> None:
    result = cli("new", "my proj; rm -rf x", "--name", "demo", "-f", "echo", "-y")
    assert result.exit_code == 0, result.output
    assert "cd 'my proj; rm -rf x'" in result.stderr


def test_dry_run_writes_nothing_anywhere(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    result = cli("new", "proj", "-f", "echo", "-y", "--dry-run")
    assert result.exit_code == 0, result.output
    assert list(Path.cwd().iterdir()) == []
    assert list(tmpdir.iterdir()) == []
