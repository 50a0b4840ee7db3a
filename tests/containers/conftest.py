"""The container suite's engine and projects: one private dockerd and one set of stand-ins per run.

Every test here is marked ``container`` and ``slow``. Where the engine cannot run (no dockerd,
not root), the tests skip with the reason, or fail where toolchains are required (CI).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import lambda_binaries as binaries
from tests import support
from tests.containers import engine as engines
from tests.containers import plugins, standins


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this folder as a slow container test."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.container)
            item.add_marker(pytest.mark.slow)


def unavailable(reason: str) -> None:
    """Skip, or fail where toolchains are required."""
    if support.REQUIRE_TOOLCHAINS:
        pytest.fail(f"{reason} (LAMBDA_SCAFFOLD_REQUIRE_TOOLCHAINS=1 forbids skipping)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[engines.Engine]:
    """A private dockerd with the stand-in base images, for the whole run.

    SIGTERM and SIGHUP to the test run become KeyboardInterrupt for as long as the engine runs,
    so pytest's teardown still stops the daemon and removes its data.
    """
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    for sig in previous:
        signal.signal(sig, _interrupt)
    try:
        yield from _engine(tmp_path_factory)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[engines.Engine]:
    try:
        started = engines.start(tmp_path_factory.mktemp("engine"))
    except engines.EngineUnavailableError as err:
        unavailable(str(err))
        raise  # unreachable: unavailable() skips or fails
    try:
        standins.build_all(started)
    except (standins.StandinUnavailableError, binaries.ChainUnavailableError) as err:
        engines.stop(started)
        unavailable(str(err))
    except BaseException:
        engines.stop(started)
        raise
    try:
        yield started
    finally:
        engines.stop(started)


@pytest.fixture(scope="session")
def tool_env() -> dict[str, str]:
    """Toolchain caches of the real user, for `make` and the CLI run as subprocesses."""
    return {**os.environ, **binaries.toolchain_caches()}


@pytest.fixture(scope="session")
def docker_configs(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    """DOCKER_CONFIG folders: key False holds Compose only, True Compose and buildx."""
    try:
        return {
            with_buildx: plugins.docker_config(
                tmp_path_factory.mktemp("docker-config"), with_buildx=with_buildx
            )
            for with_buildx in (False, True)
        }
    except plugins.PluginUnavailableError as err:
        unavailable(str(err))
        raise
