"""The generated docker-compose.yml under real Compose v2, and `make up` as the README says.

Compose reads every option mix's file (``docker compose config``). Then, per framework, ``make
up`` runs in the foreground as a user runs it: both services build (through buildx bake, the
default of current Compose) and start; the `web` service answers HTTP and ``make invoke``
answers through the `lambda` service; Ctrl-C (SIGINT) stops both; nothing is left running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import support
from tests.containers import images
from tests.containers.engine import Engine

FRAMEWORKS = support.FRAMEWORKS
MIXES: list[dict[str, Any]] = [
    {},
    {"arch": "arm64", "auth": "AWS_IAM", "stream": True, "timeout": 300, "async_init": True},
    {"port": 9000, "memory": 2048, "timeout": 60},
]


def _compose_env(
    engine: Engine, config: Path, tool_env: dict[str, str], **extra: str
) -> dict[str, str]:
    env = {**tool_env, "DOCKER_HOST": engine.host, "DOCKER_CONFIG": str(config), **extra}
    env.pop("COMPOSE_PROJECT_NAME", None)
    return env


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_compose_accepts_every_option_mix(
    framework: str,
    engine: Engine,
    docker_configs: dict[bool, Path],
    tool_env: dict[str, str],
    tmp_path: Path,
) -> None:
    for index, answers in enumerate(MIXES):
        project = images.render(tmp_path / str(index), framework, name=f"mix-{index}", **answers)
        env = _compose_env(engine, docker_configs[True], tool_env)
        result = support.run(
            ["docker", "compose", "config", "--format", "json"], cwd=project, env=env, timeout=60
        )
        config = json.loads(result.stdout)
        port = int(answers.get("port", 8000))
        lambda_port = 9002 if port == 9000 else 9000
        assert config["name"] == f"mix-{index}"
        web, lam = config["services"]["web"], config["services"]["lambda"]
        assert web["build"]["target"] == "app" and lam["build"]["target"] == "lambda"
        platform = "linux/arm64" if answers.get("arch") == "arm64" else "linux/amd64"
        assert web["platform"] == lam["platform"] == platform
        assert web["read_only"] and lam["read_only"] and "/tmp" in lam["tmpfs"]
        assert web["ports"][0]["published"] == str(port) and web["ports"][0]["target"] == port
        assert (
            lam["ports"][0]["published"] == str(lambda_port) and lam["ports"][0]["target"] == 8080
        )
        assert web["ports"][0]["host_ip"] == lam["ports"][0]["host_ip"] == "127.0.0.1"
        assert lam["environment"]["AWS_LAMBDA_FUNCTION_TIMEOUT"] == str(
            answers.get("timeout", 300 if answers.get("stream") else 30)
        )
        # the file is plain YAML that other tools read too
        assert (
            yaml.safe_load((project / "docker-compose.yml").read_text())["name"] == f"mix-{index}"
        )


def _stop(process: subprocess.Popen[bytes], *, grace: float) -> float:
    """Ctrl-C as a terminal sends it (SIGINT to the process group); return the seconds taken."""
    started = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        support.stop_group(process, grace=5)
        raise AssertionError(f"`make up` did not stop within {grace} s of Ctrl-C") from None
    return time.monotonic() - started


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_make_up_serves_web_and_lambda_until_ctrl_c(
    framework: str,
    engine: Engine,
    docker_configs: dict[bool, Path],
    tool_env: dict[str, str],
    tmp_path: Path,
) -> None:
    project = images.render(tmp_path, framework, name=f"up-{framework}", port=8123)
    web_port, lambda_port = support.free_port(), support.free_port()
    env = _compose_env(
        engine,
        docker_configs[True],
        tool_env,
        WEB_PORT=str(web_port),
        LAMBDA_PORT=str(lambda_port),
    )
    log = tmp_path / "up.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["make", "up"],
            cwd=project,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        support.wait_http(f"http://127.0.0.1:{web_port}/healthz", timeout=600, process=process)
        home = support.http("GET", f"http://127.0.0.1:{web_port}/?name=Compose")
        assert json.loads(home.body) == {"message": "Hello, Compose!"}
        answer = _make_invoke(project, env, process, log)
        assert answer["statusCode"] == 200 and "Hello, Lambda!" in answer["body"]
        elapsed = _stop(process, grace=30)
    finally:
        if process.poll() is None:
            support.stop_group(process, grace=5)
    left = engine.docker(
        "ps", "-q", "--filter", f"label=com.docker.compose.project=up-{framework}"
    ).stdout.split()
    assert not left, f"containers left running: {left}\n{log.read_text()[-3000:]}"
    assert elapsed < 30
    subprocess.run(
        ["docker", "compose", "down"],
        cwd=project,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )


def _make_invoke(
    project: Path, env: dict[str, str], process: subprocess.Popen[bytes], log: Path
) -> dict[str, Any]:
    """`make invoke` once the lambda service accepts connections (bounded)."""
    deadline = time.monotonic() + 120
    while True:
        result = subprocess.run(
            ["make", "invoke"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode == 0:
            answer = json.loads(result.stdout.strip().splitlines()[-1])
            assert isinstance(answer, dict)
            return answer
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(
                f"make invoke: {result.stdout}{result.stderr}\n{log.read_text()[-3000:]}"
            )
        time.sleep(0.5)
