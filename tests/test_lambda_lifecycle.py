"""What shows only on Lambda, through the real RIE and adapter: freezes, request ids, warnings.

Every framework's project (rendered with ``--auth AWS_IAM``) runs natively behind the Runtime
Interface Emulator with the Lambda Web Adapter, configured by its Dockerfile ENV. Between
invocations the chain is frozen as Lambda freezes an execution environment (see
:mod:`tests.freeze`); the app's access-log lines must carry the Lambda request id; the adapter
must not warn on every request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scaffold import Framework, ProjectRequest, generate
from scaffold.generator.models import AuthType
from scaffold.lambda_local.events import build_event
from tests import access_log, freeze, support
from tests import lambda_binaries as binaries
from tests import lambda_chain as lc

pytestmark = [pytest.mark.lambda_chain, pytest.mark.slow]
FRAMEWORKS = support.FRAMEWORKS
LANGUAGE_TOOLS = support.TOOLS
# Spaced 2.5-4.5 s apart: below the adapter's 4 s pool idle timeout it reuses the connection.
GAPS = (2.5, 3.0, 3.5, 4.0, 4.5) * 2
REUSE_BELOW = freeze.ADAPTER_POOL_IDLE_TIMEOUT - 0.3
AUTHORIZATION_WARNING = "header not found in request headers"


def _need_binaries() -> None:
    try:
        binaries.rie_binary()
        binaries.lwa_binary()
    except binaries.ChainUnavailableError as err:
        if support.REQUIRE_TOOLCHAINS:
            pytest.fail(f"{err} (LAMBDA_SCAFFOLD_REQUIRE_TOOLCHAINS=1 forbids skipping)")
        pytest.skip(str(err))


@dataclass
class Running:
    """A rendered AWS_IAM project behind RIE and the adapter."""

    framework: str
    chain: lc.Chain


@pytest.fixture(scope="module", params=FRAMEWORKS)
def running(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Running]:
    _need_binaries()
    framework: str = request.param
    support.require("make", *LANGUAGE_TOOLS[framework])
    root = tmp_path_factory.mktemp(f"lifecycle-{framework}")
    project = root / "demo"
    generate(
        ProjectRequest(
            destination=project, framework=Framework(framework), name="demo", auth=AuthType.AWS_IAM
        )
    )
    with lc.project_chain(project, workdir=root / "run") as chain:
        yield Running(framework, chain)


def test_keep_alive_outlasts_the_frozen_gaps(running: Running) -> None:
    chain = running.chain
    assert chain.invoke(build_event("GET", "/?name=warm")).status == 200  # a pooled connection
    calls = [
        freeze.invoke_after_freeze(chain, build_event("GET", f"/?name=call{i}"), gap)
        for i, gap in enumerate(GAPS)
    ]
    failed = [call for call in calls if not call.ok]
    dropped = [call for call in calls if call.ok and call.gap < REUSE_BELOW and not call.reused]
    summary = "\n".join(call.describe() for call in calls)
    assert not failed, (
        f"{len(failed)} of {len(calls)} calls failed after a freeze: the app closed a connection "
        f"the adapter still pooled\n{summary}\n{lc.tail(chain.log)}"
    )
    assert not dropped, (
        f"{len(dropped)} calls within the adapter's pool idle timeout found their connection "
        f"closed by the app\n{summary}"
    )
    for i, call in enumerate(calls):
        assert call.answer is not None
        assert json.loads(call.answer.body) == {"message": f"Hello, call{i}!"}


def test_access_log_lines_carry_the_lambda_request_id(running: Running) -> None:
    chain = running.chain
    offset = chain.log.stat().st_size
    requests = [("GET", "/?name=log"), ("POST", "/echo"), ("GET", "/healthz"), ("GET", "/nope")]
    statuses = [chain.invoke(build_event(method, target)).status for method, target in requests]
    assert statuses == [200, 200, 200, 404]
    text = access_log.wait_for(
        chain.log, lambda text: len(access_log.entries(text)) >= 3, offset=offset
    )
    ids = access_log.rie_request_ids(text)
    assert len(ids) == len(requests), text
    lines = access_log.entries(text)
    for entry in lines:
        access_log.check(entry)
    logged = {e["request_id"]: (e["method"], e["path"], e["status"]) for e in lines}
    expected = {
        request_id: (method, target.partition("?")[0], status)
        for request_id, (method, target), status in zip(ids, requests, statuses, strict=True)
        if target != "/healthz"
    }
    assert logged == expected, text
    assert len(lines) == len(expected), "one line per request, none for /healthz"


def test_iam_project_logs_no_adapter_warning_per_request(running: Running) -> None:
    chain = running.chain
    offset = chain.log.stat().st_size
    for _ in range(3):
        assert chain.invoke(build_event("GET", "/")).status == 200
    text = chain.log.read_bytes()[offset:].decode(errors="replace")
    assert AUTHORIZATION_WARNING not in text, text


def test_adapter_passes_the_lambda_context_header(tmp_path: Path) -> None:
    """The header the apps read the request id from, as the real adapter sends it."""
    _need_binaries()
    with lc.start_chain(lc.tiny_app_command(), cwd=tmp_path, workdir=tmp_path / "run") as chain:
        offset = chain.log.stat().st_size
        answer = chain.invoke(build_event("GET", "/headers"))
        headers = json.loads(answer.body)
        text = chain.log.read_bytes()[offset:].decode(errors="replace")
    context = json.loads(headers["x-amzn-lambda-context"])
    assert [context["request_id"]] == access_log.rie_request_ids(text)
    assert context["env_config"]["function_name"] == "lambda-scaffold-test"
