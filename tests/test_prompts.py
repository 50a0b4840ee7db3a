"""The prompts, driven through prompt_toolkit pipe input and, end to end, on a real PTY."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.input.base import PipeInput
from prompt_toolkit.output import DummyOutput

from scaffold import prompts
from scaffold.generator.models import RequestDraft

pytestmark = pytest.mark.timeout(60)
DOWN = "\x1b[B"
ENTER = "\r"
CLEAR = "\x15"  # Ctrl-U: drop the default before typing


@pytest.fixture
def pipe() -> Iterator[PipeInput]:
    with create_pipe_input() as pipe_input:
        yield pipe_input


def _complete(pipe: PipeInput, keys: str, draft: RequestDraft) -> RequestDraft:
    pipe.send_text(keys)
    return prompts.complete(draft, input=pipe, output=DummyOutput())


def test_every_answer_is_asked(pipe: PipeInput) -> None:
    keys = "".join(
        [
            DOWN + ENTER,  # framework: gin
            CLEAR + "orders-api" + ENTER,  # name
            CLEAR + "8123" + ENTER,  # port
            DOWN + ENTER,  # arch: arm64
            DOWN + ENTER,  # auth: AWS_IAM
            "y",  # stream
            CLEAR + "1024" + ENTER,  # memory
            ENTER,  # timeout: default for streaming
            "n",  # async init
            DOWN + ENTER,  # ci: none
        ]
    )
    answers = _complete(pipe, keys, RequestDraft(destination=Path("x")))
    assert answers.given["framework"] == "gin"
    assert answers.given["name"] == "orders-api"
    assert answers.given["port"] == 8123
    assert answers.given["arch"] == "arm64"
    assert answers.given["auth"] == "AWS_IAM"
    assert answers.given["stream"] is True
    assert answers.given["memory"] == 1024
    assert answers.given["timeout"] == 300
    assert answers.given["async_init"] is False
    assert answers.given["ci"] == "none"


def test_defaults_come_from_the_destination(pipe: PipeInput) -> None:
    keys = ENTER * 6 + ENTER + ENTER + ENTER + ENTER  # select/text take defaults; confirms Enter
    answers = _complete(pipe, keys, RequestDraft(destination=Path("Billing Service")))
    assert answers.given["framework"] == "echo"
    assert answers.given["name"] == "billing-service"
    assert answers.given["port"] == 8000
    assert (answers.given["arch"], answers.given["auth"], answers.given["stream"]) == (
        "x86_64",
        "NONE",
        False,
    )
    assert (answers.given["memory"], answers.given["timeout"], answers.given["async_init"]) == (
        512,
        30,
        False,
    )
    assert answers.given["ci"] == "github"


def test_invalid_answers_keep_the_prompt_open(pipe: PipeInput) -> None:
    keys = "".join(
        [
            CLEAR + "Bad_Name" + ENTER,  # refused
            CLEAR + "good-name" + ENTER,
            CLEAR + "3000" + ENTER,  # refused: Lambda Insights
            CLEAR + "80" + ENTER,  # refused: below 1024
            CLEAR + "9000" + ENTER,
        ]
    )
    draft = RequestDraft(
        destination=Path("x"),
        given={
            "framework": "flask",
            "arch": "x86_64",
            "auth": "NONE",
            "stream": False,
            "memory": 512,
            "timeout": 30,
            "async_init": True,
            "ci": "github",
        },
    )
    answers = _complete(pipe, keys, draft)
    assert answers.given["name"] == "good-name"
    assert answers.given["port"] == 9000
    assert answers.given["async_init"] is True


def test_flags_are_not_asked_again(pipe: PipeInput) -> None:
    draft = RequestDraft(
        destination=Path("x"),
        given={
            "framework": "express",
            "name": "n",
            "port": 8001,
            "arch": "arm64",
            "auth": "NONE",
            "stream": False,
            "memory": 256,
            "timeout": 10,
            "async_init": False,
            "ci": "none",
        },
    )
    assert _complete(pipe, "", draft) == draft


def _spawn(*args: str, cwd: Path) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        ["-m", "scaffold", *args],
        cwd=str(cwd),
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 120),
        env={"NO_COLOR": "1", "TERM": "xterm", "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )


def test_a_bad_flag_is_refused_before_any_question(tmp_path: Path) -> None:
    child = _spawn("new", "demo", "--port", "3000", cwd=tmp_path)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert "Lambda Insights" in (child.before or "")
    assert "Framework" not in (child.before or "")
    assert not (tmp_path / "demo").exists()


def test_ctrl_c_exits_130_and_writes_nothing(tmp_path: Path) -> None:
    child = _spawn("new", "demo", cwd=tmp_path)
    child.expect("Framework")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "Aborted" in (child.before or "")
    assert not (tmp_path / "demo").exists()


@pytest.mark.slow
def test_terminal_session_renders_a_project(tmp_path: Path) -> None:
    child = _spawn("new", "svc", "--port", "8124", "--no-stream", cwd=tmp_path)
    for question in (
        "Framework",
        "Project name",
        "Architecture",
        "Function URL auth",
        "Memory",
        "Timeout",
        "Async init",
        "CI/CD",
    ):
        child.expect(question)
        child.send(ENTER)
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "PORT=8124" in (tmp_path / "svc" / "Dockerfile").read_text()
