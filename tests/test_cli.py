from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

import scaffold
from scaffold.generator.questions import QUESTIONS

Cli = Callable[..., Result]


def test_version(cli: Cli) -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"lambda-scaffold {scaffold.__version__}"


def test_help_lists_commands(cli: Cli) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("new", "list"):
        assert command in result.stdout


def test_new_help_names_every_flag(cli: Cli) -> None:
    result = cli("new", "--help")
    assert result.exit_code == 0
    for flag in (
        "--framework",
        "-f",
        "--name",
        "--port",
        "--async-init",
        "--no-async-init",
        "--no-input",
        "--yes",
        "-y",
        "--force",
        "--dry-run",
        "--arch",
        "--auth",
        "--stream",
        "--memory",
        "--timeout",
    ):
        assert flag in result.stdout, flag


def test_every_question_of_the_table_is_a_flag_and_a_summary_row(cli: Cli) -> None:
    help_text = cli("new", "--help").stdout
    result = cli("new", "demo", "-f", "fastapi", "--dry-run", "-y")
    assert result.exit_code == 0, result.output
    for question in QUESTIONS:
        assert question.flag in help_text, question.name
        assert question.help.split(" (")[0] in " ".join(help_text.split()), question.name
        assert question.label in result.stderr, question.label
    assert "Python FastAPI" in result.stderr
    assert "--no-stream" in help_text and "--no-async-init" in help_text


def test_list_json(cli: Cli) -> None:
    result = cli("list", "--json")
    assert result.exit_code == 0
    items = json.loads(result.stdout)
    assert [item["name"] for item in items] == ["echo", "gin", "flask", "express", "fastapi"]
    assert all({"name", "language", "title"} <= item.keys() for item in items)


def test_list_table(cli: Cli) -> None:
    result = cli("list")
    assert result.exit_code == 0
    assert "Go Echo" in result.stderr
    assert result.stdout == ""


def test_new_no_input_renders(cli: Cli) -> None:
    result = cli("new", "demo", "-f", "echo", "--no-input")
    assert result.exit_code == 0, result.output
    project = Path("demo")
    assert (project / "main.go").is_file()
    answers = (project / ".copier-answers.yml").read_text()
    assert "name: demo" in answers
    assert "port: 8000" in answers
    assert "make run" in result.stderr
    assert "anyone on the internet" in result.stderr


def test_new_defaults_framework_with_yes(cli: Cli) -> None:
    result = cli("new", "svc", "-y")
    assert result.exit_code == 0, result.output
    assert "framework: echo" in (Path("svc") / ".copier-answers.yml").read_text()


def test_new_name_defaults_to_folder_slug(cli: Cli) -> None:
    result = cli("new", "Orders_API", "-f", "echo", "-y")
    assert result.exit_code == 0, result.output
    assert "module orders-api" in (Path("Orders_API") / "go.mod").read_text()


def test_new_without_dest_uses_name(cli: Cli) -> None:
    result = cli("new", "-f", "echo", "--name", "billing", "-y")
    assert result.exit_code == 0, result.output
    assert (Path("billing") / "go.mod").is_file()


def test_dry_run_writes_nothing(cli: Cli) -> None:
    result = cli("new", "demo", "-f", "echo", "-y", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dockerfile" in result.stderr
    assert "main.go" in result.stderr
    assert not Path("demo").exists()


def test_options_reach_the_files(cli: Cli) -> None:
    result = cli("new", "demo", "-f", "echo", "-y", "--port", "8123", "--async-init")
    assert result.exit_code == 0, result.output
    dockerfile = (Path("demo") / "Dockerfile").read_text()
    assert "PORT=8123" in dockerfile
    assert "AWS_LWA_ASYNC_INIT=true" in dockerfile
    assert "EXPOSE 8123" in dockerfile


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--name", "Bad_Name"], "not valid"),
        (["--name", "x" * 41], "over 40"),
        (["--name", "../escape"], "not valid"),
        (["--port", "80"], "1024-65535"),
        (["--port", "3000"], "Lambda Insights"),
        (["--port", "8080"], "Runtime Interface Emulator"),
        (["--port", "9001"], "Runtime API"),
        (["-f", "flsk"], "did you mean --framework flask"),
        (["-f", "rails"], "unknown framework"),
        (["--arch", "sparc"], "unknown architecture"),
        (["--auth", "cognito"], "unknown auth type"),
        (["--memory", "64"], "128-10240"),
        (["--timeout", "901"], "1-900"),
    ],
)
def test_invalid_input_exits_2_and_writes_nothing(cli: Cli, args: list[str], words: str) -> None:
    base = ["new", "out", "-y"]
    if "-f" not in args:
        base += ["-f", "echo"]
    result = cli(*base, *args)
    assert result.exit_code == 2, result.output
    assert words in result.stderr
    assert "hint:" in result.stderr
    assert list(Path.cwd().iterdir()) == []


def test_usage_error_exits_2(cli: Cli) -> None:
    result = cli("new", "out", "--port", "http")
    assert result.exit_code == 2
    assert not Path("out").exists()


def test_non_empty_destination_is_refused(cli: Cli) -> None:
    dest = Path("taken")
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    result = cli("new", "taken", "-f", "echo", "-y")
    assert result.exit_code == 1
    assert "not empty" in result.stderr
    assert "--force" in result.stderr
    assert sorted(p.name for p in dest.iterdir()) == ["keep.txt"]


def test_force_renders_into_non_empty_destination(cli: Cli) -> None:
    dest = Path("taken")
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    result = cli("new", "taken", "-f", "echo", "-y", "--force")
    assert result.exit_code == 0, result.output
    assert (dest / "keep.txt").read_text() == "mine"
    assert (dest / "main.go").is_file()


def test_destination_that_is_a_file(cli: Cli) -> None:
    Path("file").write_text("x")
    result = cli("new", "file", "-f", "echo", "-y")
    assert result.exit_code == 1
    assert "not a folder" in result.stderr


def test_no_terminal_never_prompts(tmp_path: Path) -> None:
    """Without a TTY and without --framework, the CLI fails fast with exit 2 and no prompt."""
    result = subprocess.run(
        [sys.executable, "-m", "scaffold", "new", str(tmp_path / "p")],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 2, result.stderr
    assert "--framework" in result.stderr
    assert "?" not in result.stdout
    assert not (tmp_path / "p").exists()


def test_no_terminal_with_flags_renders(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scaffold", "new", str(tmp_path / "p"), "-f", "echo"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "p" / "main.go").is_file()


def test_help_does_not_import_copier() -> None:
    code = (
        "import sys, runpy; sys.argv=['lambda-scaffold','--help'];\n"
        "try:\n  runpy.run_module('scaffold', run_name='__main__')\n"
        "except SystemExit: pass\n"
        "print('COPIER' if 'copier' in sys.modules else 'CLEAN')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout.strip().endswith("CLEAN"), result.stdout + result.stderr


def test_library_api_validates_the_request(tmp_path: Path) -> None:
    request = scaffold.ProjectRequest(
        destination=tmp_path / "x", framework=scaffold.Framework.ECHO, name="Bad Name"
    )
    with pytest.raises(scaffold.ScaffoldError, match="not valid"):
        scaffold.generate(request)
    assert not (tmp_path / "x").exists()
