"""`sam build` (the pinned SAM CLI) in every generated project, against the private engine.

SAM builds image functions with the classic builder through docker-py, from the template's
``Metadata`` (``DockerBuildTarget: app``). The image it tags must be the deployable one: the
adapter in /opt/extensions, the app's CMD, the function's architecture, and no RIE.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import lambda_binaries as binaries
from tests import support
from tests.containers import images
from tests.containers.conftest import unavailable
from tests.containers.engine import Engine

FRAMEWORKS = support.FRAMEWORKS


@pytest.fixture(scope="module")
def sam() -> Path:
    try:
        return binaries.sam_cli()
    except (binaries.ChainUnavailableError, AssertionError) as err:
        unavailable(f"the SAM CLI {binaries.SAM_CLI_VERSION} could not be installed: {err}")
        raise


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_sam_build_builds_the_deployable_image(
    framework: str, sam: Path, engine: Engine, tool_env: dict[str, str], tmp_path: Path
) -> None:
    project = images.render(tmp_path, framework, port=8123)
    env = {
        **tool_env,
        "DOCKER_HOST": engine.host,
        "SAM_CLI_TELEMETRY": "0",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    support.run([str(sam), "build"], cwd=project, env=env, timeout=1200)
    built = (project / ".aws-sam" / "build" / "template.yaml").read_text()
    match = re.search(r"^\s*ImageUri:\s*(\S+)\s*$", built, re.MULTILINE)
    assert match, built
    image = match.group(1)
    files = images.image_files(engine, image)
    assert images.ADAPTER_PATH in files
    assert images.RIE_PATH not in files
    assert not any("aws-lambda-rie" in path for path in files)
    config = images.image_config(engine, image)
    assert (config["Os"], config["Architecture"]) == ("linux", "amd64")
    assert config["Entrypoint"] is None
    assert config["Cmd"] and "PORT=8123" in config["Env"]
