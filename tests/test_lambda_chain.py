"""The Lambda path for real: Function URL events through RIE and LWA to each generated app.

Every framework's project runs natively (its own ``make run``) behind the real Runtime Interface
Emulator with the real Lambda Web Adapter, configured by the project's Dockerfile ENV. The same
requests then go through ``lambda-scaffold serve`` as plain HTTP. A tiny stdlib app of the suite
covers what the blueprints do not serve: binary bodies, several cookies, timeouts, crashes.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from scaffold import Framework, ProjectRequest, generate
from scaffold.errors import FunctionError, FunctionTimeoutError, RuntimeExitError
from scaffold.lambda_local.events import build_event, load_event
from scaffold.lambda_local.rie_answer import decode_answer
from scaffold.lambda_local.rie_client import invoke, post_event
from tests import lambda_binaries as binaries
from tests import lambda_chain as lc
from tests import support
from tests.apps import tiny_app

pytestmark = [pytest.mark.lambda_chain, pytest.mark.slow]
FRAMEWORKS = support.FRAMEWORKS
LANGUAGE_TOOLS = support.TOOLS
COOKIE_HEADER = ("Cookie", "theme=dark; session=abc123")
ORDER = {"order": 42, "items": ["coffee"]}
Cli = Callable[..., Result]


def _unavailable(reason: str) -> None:
    if support.REQUIRE_TOOLCHAINS:
        pytest.fail(f"{reason} (LAMBDA_SCAFFOLD_REQUIRE_TOOLCHAINS=1 forbids skipping)")
    pytest.skip(reason)


def _need_binaries() -> None:
    """RIE and LWA in the cache (fetched or built once), else skip (fail in CI)."""
    try:
        binaries.rie_binary()
        binaries.lwa_binary()
    except binaries.ChainUnavailableError as err:
        _unavailable(str(err))


def _render(root: Path, framework: str, **answers: Any) -> Path:
    destination = root / f"{framework}-demo"
    generate(
        ProjectRequest(
            destination=destination, framework=Framework(framework), name="demo", **answers
        )
    )
    return destination


@dataclass
class Deployed:
    """A rendered project running behind RIE and LWA."""

    framework: str
    project: Path
    chain: lc.Chain


@pytest.fixture(scope="module", params=FRAMEWORKS)
def deployed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployed]:
    _need_binaries()
    framework: str = request.param
    support.require("make", *LANGUAGE_TOOLS[framework])
    root = tmp_path_factory.mktemp(f"chain-{framework}")
    project = _render(root, framework)
    with lc.project_chain(project, workdir=root / "run") as chain:
        yield Deployed(framework, project, chain)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lc.Chain]:
    _need_binaries()
    root = tmp_path_factory.mktemp("chain-tiny")
    with lc.start_chain(lc.tiny_app_command(), cwd=root, workdir=root / "run") as chain:
        yield chain


@contextlib.contextmanager
def _serving(endpoint: str, log: Path) -> Iterator[str]:
    """Run `lambda-scaffold serve` as a subprocess in front of endpoint; yield its base URL."""
    port = support.free_port()
    argv = [sys.executable, "-m", "scaffold", "serve", "--port", str(port), "--endpoint", endpoint]
    with support.running(argv, cwd=Path.cwd(), log=log) as process:
        lc.wait_port(port, timeout=15, process=process, log=log)
        yield f"http://127.0.0.1:{port}"
        os.killpg(process.pid, signal.SIGTERM)  # a clean stop: exit 0 and a last line
        assert process.wait(timeout=10) == 0, lc.tail(log)
    assert "Stopped." in log.read_text()


def _json(body: bytes) -> Any:
    return json.loads(body)


# --- the generated apps through RIE + LWA ----------------------------------------------------


def test_projects_get_event_greets(deployed: Deployed) -> None:
    answer = deployed.chain.invoke(load_event(deployed.project / "events" / "get.json"))
    assert answer.status == 200
    assert (answer.header("content-type") or "").startswith("application/json")
    assert _json(answer.body) == {"message": "Hello, Lambda!"}


def test_get_with_query_and_cookies_reaches_the_app(deployed: Deployed) -> None:
    event = build_event(
        "GET", "/echo?name=Lambda&lang=en", [COOKIE_HEADER, ("Accept", "application/json")]
    )
    answer = deployed.chain.invoke(event)
    assert answer.status == 200
    seen = _json(answer.body)
    assert seen["method"] == "GET"
    assert seen["path"] == "/echo"
    assert seen["query"] == {"name": "Lambda", "lang": "en"}
    assert seen["cookies"] == {"theme": "dark", "session": "abc123"}


def test_post_with_a_base64_json_body(deployed: Deployed) -> None:
    text = json.dumps(ORDER)
    event = build_event(
        "POST", "/echo?source=test", [("Content-Type", "application/json")], text.encode()
    )
    event["body"] = base64.b64encode(text.encode()).decode()
    event["isBase64Encoded"] = True
    seen = _json(deployed.chain.invoke(event).body)
    assert (seen["method"], seen["body"], seen["query"]) == ("POST", text, {"source": "test"})
    shipped = deployed.chain.invoke(load_event(deployed.project / "events" / "post.json"))
    assert _json(_json(shipped.body)["body"]) == ORDER


def test_unknown_route_is_404_and_healthz_is_ok(deployed: Deployed) -> None:
    assert deployed.chain.invoke(build_event("GET", "/no/such/route")).status == 404
    health = deployed.chain.invoke(build_event("GET", "/healthz"))
    assert (health.status, health.body.strip()) == (200, b"ok")


def test_same_requests_through_serve(deployed: Deployed, tmp_path: Path) -> None:
    with _serving(deployed.chain.endpoint, tmp_path / "serve.log") as url:
        got = lc.fetch("GET", f"{url}/echo?name=Lambda", headers=dict([COOKIE_HEADER]))
        assert got.status == 200
        seen = _json(got.body)
        assert (seen["query"], seen["cookies"]) == (
            {"name": "Lambda"},
            {"theme": "dark", "session": "abc123"},
        )
        posted = lc.fetch(
            "POST",
            f"{url}/echo",
            body=json.dumps(ORDER).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert _json(_json(posted.body)["body"]) == ORDER
        assert lc.fetch("GET", f"{url}/nowhere").status == 404
        assert _json(lc.fetch("GET", f"{url}/?name=serve").body) == {"message": "Hello, serve!"}
    log = (tmp_path / "serve.log").read_text()
    assert '"GET /nowhere" 404' in log


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_async_init_project(framework: str, tmp_path: Path) -> None:
    _need_binaries()
    support.require("make", *LANGUAGE_TOOLS[framework])
    project = _render(tmp_path, framework, async_init=True)
    assert lc.stage_env(project / "Dockerfile").get("AWS_LWA_ASYNC_INIT") == "true"
    with lc.project_chain(project, workdir=tmp_path / "run") as chain:
        answer = chain.invoke(build_event("GET", "/?name=async"))
        assert _json(answer.body) == {"message": "Hello, async!"}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_stream_route_in_response_stream_mode(framework: str, tmp_path: Path) -> None:
    _need_binaries()
    support.require("make", *LANGUAGE_TOOLS[framework])
    project = _render(tmp_path, framework, stream=True)
    assert lc.stage_env(project / "Dockerfile").get("AWS_LWA_INVOKE_MODE") == "response_stream"
    with lc.project_chain(project, workdir=tmp_path / "run") as chain:
        answer = chain.invoke(build_event("GET", "/stream"))
        assert answer.streamed, "RIE should answer in the streaming (prelude + NUL) format"
        assert answer.status == 200
        assert len(answer.body.splitlines()) >= 2, answer.body
        # The other routes keep working in streaming mode.
        assert _json(chain.invoke(build_event("GET", "/")).body) == {"message": "Hello, world!"}
        with _serving(chain.endpoint, tmp_path / "serve.log") as url:
            served = lc.fetch("GET", f"{url}/stream")
        assert (served.status, served.body) == (200, answer.body)


# --- the suite's tiny app: what the blueprints do not serve ----------------------------------


def test_binary_body_arrives_exactly(tiny: lc.Chain) -> None:
    answer = tiny.invoke(build_event("GET", "/binary"))
    assert answer.raw["isBase64Encoded"] is True
    assert answer.header("content-type") == "application/octet-stream"
    assert answer.body == tiny_app.BINARY


def test_several_set_cookie_headers_arrive_as_cookies(tiny: lc.Chain) -> None:
    answer = tiny.invoke(build_event("GET", "/cookies"))
    assert answer.cookies == tiny_app.COOKIES
    assert answer.header("set-cookie") is None
    assert answer.raw["cookies"] == list(tiny_app.COOKIES)


def test_tiny_app_through_serve(tiny: lc.Chain, tmp_path: Path) -> None:
    with _serving(tiny.endpoint, tmp_path / "serve.log") as url:
        binary = lc.fetch("GET", f"{url}/binary")
        assert binary.body == tiny_app.BINARY
        assert binary.values("content-length") == [str(len(tiny_app.BINARY))]
        cookies = lc.fetch("GET", f"{url}/cookies")
        assert cookies.values("set-cookie") == list(tiny_app.COOKIES)
        assert lc.fetch("GET", f"{url}/missing").status == 404


def test_concurrent_requests_through_serve_take_turns(tiny: lc.Chain, tmp_path: Path) -> None:
    """RIE serves one sandbox and panics on a concurrent invoke: serve sends one at a time."""
    with _serving(tiny.endpoint, tmp_path / "serve.log") as url:
        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(lambda _: lc.fetch("GET", f"{url}/sleep?s=0.2"), range(6)))
        assert [answer.status for answer in answers] == [200] * 6, answers
        assert lc.fetch("GET", f"{url}/binary").body == tiny_app.BINARY  # RIE still runs
    assert "panic" not in tiny.log.read_text(errors="replace"), lc.tail(tiny.log)


def test_invoke_command_against_the_chain(tiny: lc.Chain, cli: Cli) -> None:
    result = cli("invoke", "/cookies", "--endpoint", tiny.endpoint)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "HTTP/1.1 200 OK"
    assert [line for line in lines if line.startswith("set-cookie: ")] == [
        f"set-cookie: {cookie}" for cookie in tiny_app.COOKIES
    ]
    assert lines[-1] == "three cookies"
    raw = cli("invoke", "/binary", "--json", "--endpoint", tiny.endpoint)
    assert base64.b64decode(json.loads(raw.stdout)["body"]) == tiny_app.BINARY


def test_timeout_and_crash_are_recognised(tmp_path: Path) -> None:
    _need_binaries()
    env = {"AWS_LAMBDA_FUNCTION_TIMEOUT": "2"}
    with lc.start_chain(
        lc.tiny_app_command(), cwd=tmp_path, workdir=tmp_path / "run", env=env
    ) as chain:
        assert chain.invoke(build_event("GET", "/healthz")).status == 200
        with pytest.raises(FunctionTimeoutError, match=r"2\.00 seconds"):
            invoke(build_event("GET", "/sleep?s=5"), endpoint=chain.endpoint, timeout=30)
        assert chain.invoke(build_event("GET", "/healthz")).status == 200  # re-initialised
        # The app dies mid-request: the adapter reports its failed request, or RIE the runtime's
        # exit, whichever comes first; RIE then starts everything again.
        with pytest.raises(FunctionError):
            invoke(build_event("GET", "/exit"), endpoint=chain.endpoint, timeout=30)
        assert _recovers(chain), lc.tail(chain.log)


def _recovers(chain: lc.Chain, attempts: int = 3) -> bool:
    for _ in range(attempts):
        with contextlib.suppress(RuntimeExitError):
            return invoke(build_event("GET", "/healthz"), endpoint=chain.endpoint).status == 200
    return False


def test_app_that_cannot_start_is_a_runtime_exit(tmp_path: Path) -> None:
    _need_binaries()
    app = ["sh", "-c", "echo 'cannot start' >&2; exit 3"]
    with lc.start_chain(app, cwd=tmp_path, workdir=tmp_path / "run") as chain:
        with pytest.raises(RuntimeExitError, match="before it answered"):
            invoke(build_event("GET", "/"), endpoint=chain.endpoint, timeout=30)
        assert "exit status 3" in chain.log.read_text()


def test_mode_b_runtime_script(tmp_path: Path) -> None:
    _need_binaries()
    with lc.start_chain(
        lc.tiny_app_command(), cwd=tmp_path, workdir=tmp_path / "run", mode="B"
    ) as chain:
        assert chain.invoke(build_event("GET", "/binary")).body == tiny_app.BINARY
        assert chain.invoke(build_event("GET", "/cookies")).cookies == tiny_app.COOKIES
        assert "Internal agent lambda-adapter" in chain.log.read_text()


def test_rie_buffers_a_response_stream(tmp_path: Path) -> None:
    """RIE collects the whole stream and answers once: prelude, 8 NUL bytes, body.

    If this starts failing because the first byte comes early, RIE streams now: update the
    README's "Streaming locally" section.
    """
    _need_binaries()
    env = {"AWS_LWA_INVOKE_MODE": "response_stream"}
    with lc.start_chain(
        lc.tiny_app_command(), cwd=tmp_path, workdir=tmp_path / "run", env=env
    ) as chain:
        chain.invoke(build_event("GET", "/healthz"))  # cold start out of the measurement
        started = time.monotonic()
        raw = post_event(build_event("GET", "/stream"), endpoint=chain.endpoint, timeout=30)
        total = time.monotonic() - started
        answer = decode_answer(raw.status, raw.body)
    assert answer.streamed
    assert answer.body == b"".join(tiny_app.CHUNKS)
    assert total >= len(tiny_app.CHUNKS) * tiny_app.CHUNK_PAUSE * 0.9
