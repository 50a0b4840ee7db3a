"""Every framework's image, built with both builders and run as Lambda and compose run it.

Per framework, one project is rendered and its ``app`` and ``lambda`` stages are built with the
classic builder (what ``sam build`` uses) and with BuildKit (``docker build``, compose). The
tests then check that both builders made the same images, run the ``app`` image as Lambda runs
it, and send the project's own Function URL events through RIE and the adapter inside the
``lambda`` image: directly, with ``lambda-scaffold invoke`` and ``serve``, and with ``make invoke``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import support
from tests.containers import images
from tests.containers.engine import Engine

FRAMEWORKS = support.FRAMEWORKS
# Lambda runs the image as a user of its own, never the image's USER.
LAMBDA_LIKE = ("--read-only", "--tmpfs", "/tmp", "--user", "4242:4242")
STOP_WITHIN = 10.0


@dataclass(frozen=True)
class Built:
    """A rendered project and its images, one per builder and target."""

    framework: str
    project: Path
    port: int
    seconds: dict[str, float]

    def tag(self, builder: str, target: str) -> str:
        """The tag of one build."""
        return f"lsc-{self.framework}:{builder}-{target}"


@pytest.fixture(scope="module", params=FRAMEWORKS)
def built(
    request: pytest.FixtureRequest, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Built:
    framework = str(request.param)
    project = images.render(tmp_path_factory.mktemp(framework), framework, port=8123)
    result = Built(framework, project, 8123, {})
    for builder in images.BUILDERS:
        for target in images.TARGETS:
            tag = result.tag(builder, target)
            result.seconds[tag] = images.build(
                engine, project, target=target, builder=builder, tag=tag
            )
    return result


@dataclass(frozen=True)
class RunningLambda:
    """The `lambda` image running as the compose service runs it."""

    built: Built
    cid: str
    port: int


@pytest.fixture(scope="module")
def running_lambda(built: Built, engine: Engine) -> Iterator[RunningLambda]:
    env = ["-e", "AWS_LAMBDA_FUNCTION_NAME=demo", "-e", "AWS_LAMBDA_FUNCTION_TIMEOUT=30"]
    image = built.tag("buildkit", "lambda")
    with images.container(
        engine, image, "--read-only", "--tmpfs", "/tmp", *env, port=images.RIE_PORT
    ) as (cid, port):
        event = (built.project / "events" / "get.json").read_bytes()
        images.wait_rie(port, event, timeout=90, engine=engine, cid=cid)
        yield RunningLambda(built, cid, port)


def test_both_builders_build_both_stages_alike(built: Built, engine: Engine) -> None:
    for target in images.TARGETS:
        classic, buildkit = (built.tag(b, target) for b in images.BUILDERS)
        assert images.image_config(engine, classic) == images.image_config(engine, buildkit)
        differ = _differences(
            images.image_files(engine, classic), images.image_files(engine, buildkit)
        )
        assert not differ, f"{target}: the builders disagree on {differ[:20]}"


def _differences(
    left: dict[str, images.FileEntry], right: dict[str, images.FileEntry]
) -> list[str]:
    """The paths whose kind, mode, size or content differ, or that only one image has."""
    differ = []
    for path in sorted(left.keys() | right.keys()):
        one: object = left.get(path)
        other: object = right.get(path)
        if path.endswith(".pyc") and path in left and path in right:
            # Bytecode embeds its source file's mtime, the moment pip unpacked it.
            one, other = left[path].mode, right[path].mode
        if one != other:
            differ.append(path)
    return differ


def test_the_app_image_has_the_adapter_and_never_rie(built: Built, engine: Engine) -> None:
    for builder in images.BUILDERS:
        app = images.image_files(engine, built.tag(builder, "app"))
        assert images.ADAPTER_PATH in app
        assert (
            app[images.ADAPTER_PATH].mode.startswith("f")
            and int(app[images.ADAPTER_PATH].mode[-3:], 8) & 0o111
        )
        assert images.RIE_PATH not in app
        assert not any("aws-lambda-rie" in path for path in app)
        lam = images.image_files(engine, built.tag(builder, "lambda"))
        assert images.RIE_PATH in lam
        # the lambda stage is the app image plus RIE, nothing else
        assert lam.keys() - app.keys() <= {images.RIE_PATH, "/usr/local/bin", "/usr/local", "/usr"}
        config = images.image_config(engine, built.tag(builder, "app"))
        assert config["Architecture"] == "amd64"
        assert config["Entrypoint"] is None
        assert config["User"] == "10001:10001"
        lambda_config = images.image_config(engine, built.tag(builder, "lambda"))
        assert lambda_config["Entrypoint"] == [images.RIE_PATH]
        assert lambda_config["Cmd"] == config["Cmd"]


def test_the_app_image_runs_as_lambda_runs_it(built: Built, engine: Engine) -> None:
    """Read-only root, a tmpfs /tmp, a uid that is not the image's, PORT from the image."""
    image = built.tag("buildkit", "app")
    with images.container(engine, image, *LAMBDA_LIKE, port=built.port) as (cid, port):
        base = f"http://127.0.0.1:{port}"
        images.wait_http(f"{base}/healthz", timeout=60, engine=engine, cid=cid)
        home = support.http("GET", f"{base}/?name=Container")
        assert home.status == 200
        assert json.loads(home.body) == {"message": "Hello, Container!"}
        assert support.http("GET", f"{base}/no-such-route").status == 404
        started = time.monotonic()
        engine.docker("stop", "--time", str(int(STOP_WITHIN)), cid)
        elapsed = time.monotonic() - started
        exit_code = engine.docker("inspect", "-f", "{{.State.ExitCode}}", cid).stdout.strip()
        output = images.logs(engine, cid)
    assert elapsed < STOP_WITHIN, f"SIGTERM took {elapsed:.1f} s:\n{output}"
    assert exit_code == "0", f"exit {exit_code} after SIGTERM:\n{output}"


def test_events_through_rie_answer_as_the_app_does(
    running_lambda: RunningLambda, engine: Engine
) -> None:
    built = running_lambda.built
    with images.container(engine, built.tag("buildkit", "app"), port=built.port) as (cid, port):
        images.wait_http(f"http://127.0.0.1:{port}/healthz", timeout=60, engine=engine, cid=cid)
        events = sorted((built.project / "events").glob("*.json"))
        assert len(events) >= 2
        for path in events:
            event = json.loads(path.read_text())
            answer = images.post_event(running_lambda.port, path.read_bytes())
            direct = images.request_of(event)
            plain = support.http(
                direct.method,
                f"http://127.0.0.1:{port}{direct.target}",
                body=direct.body,
                headers=direct.headers,
            )
            assert answer["statusCode"] == plain.status, path.name
            assert images.answer_body(answer) == plain.body, path.name
            assert images.header(answer["headers"], "content-type") == images.header(
                plain.headers, "content-type"
            ), path.name


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scaffold", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_lambda_scaffold_invoke_and_serve_reach_the_container(
    running_lambda: RunningLambda, tmp_path: Path
) -> None:
    endpoint = f"http://127.0.0.1:{running_lambda.port}"
    result = _cli(
        "invoke", "GET", "/?name=Invoke", "-H", "Cookie: theme=dark", "--endpoint", endpoint
    )
    assert result.returncode == 0, result.stderr
    assert "200" in result.stdout.splitlines()[0]
    assert json.loads(result.stdout.split("\n\n", 1)[1]) == {"message": "Hello, Invoke!"}
    posted = _cli("invoke", "POST", "/echo?x=1", "-d", '{"order": 42}', "--endpoint", endpoint)
    assert posted.returncode == 0, posted.stderr
    echoed = json.loads(posted.stdout.split("\n\n", 1)[1])
    assert (echoed["method"], echoed["path"], echoed["body"]) == ("POST", "/echo", '{"order": 42}')

    port = support.free_port()
    argv = [sys.executable, "-m", "scaffold", "serve", "--port", str(port), "--endpoint", endpoint]
    with support.running(argv, cwd=tmp_path, log=tmp_path / "serve.log") as process:
        support.wait_http(f"http://127.0.0.1:{port}/healthz", timeout=30, process=process)
        answer = support.http("GET", f"http://127.0.0.1:{port}/?name=Serve")
        assert answer.status == 200
        assert json.loads(answer.body) == {"message": "Hello, Serve!"}
        echo = support.http("PUT", f"http://127.0.0.1:{port}/echo", body=b"data")
        assert json.loads(echo.body)["method"] == "PUT"


def test_make_invoke_sends_the_projects_events(
    running_lambda: RunningLambda, tool_env: dict[str, str]
) -> None:
    project = running_lambda.built.project
    for event, expected in (("events/get.json", "Hello, Lambda!"), ("events/post.json", "POST")):
        result = support.run(
            ["make", "invoke", f"LAMBDA_PORT={running_lambda.port}", f"EVENT={event}"],
            cwd=project,
            env=tool_env,
            timeout=120,
        )
        answer = json.loads(result.stdout.strip().splitlines()[-1])
        assert answer["statusCode"] == 200, result.stdout
        assert expected in str(answer["body"]), result.stdout


@pytest.mark.parametrize("with_buildx", [False, True], ids=["docker-build", "buildx"])
def test_make_build_makes_an_image_lambda_accepts(
    built: Built,
    engine: Engine,
    tool_env: dict[str, str],
    docker_configs: dict[bool, Path],
    tmp_path: Path,
    with_buildx: bool,
) -> None:
    """`make build` with and without buildx: one single-platform image, no attestation index."""
    tag = f"lsc-make-{built.framework}:{'buildx' if with_buildx else 'plain'}"
    env = {
        **tool_env,
        "DOCKER_HOST": engine.host,
        "DOCKER_CONFIG": str(docker_configs[with_buildx]),
    }
    result = support.run(
        ["make", "build", f"IMAGE={tag}"], cwd=built.project, env=env, timeout=1200
    )
    command = next(line for line in result.stdout.splitlines() if "--target app" in line)
    assert command.startswith("docker buildx build" if with_buildx else "docker build")
    assert ("--provenance=false" in command) is with_buildx
    config = images.image_config(engine, tag)
    assert (config["Os"], config["Architecture"]) == ("linux", "amd64")
    assert images.RIE_PATH not in images.image_files(engine, tag)
    archive = tmp_path / "image.tar"
    engine.docker("save", "-o", str(archive), tag)
    with tarfile.open(archive) as tar:
        handle = tar.extractfile("manifest.json")
        assert handle is not None
        manifest = json.loads(handle.read())
    # one image with one config: what Lambda takes (an image index would hold several)
    assert len(manifest) == 1 and manifest[0]["RepoTags"] == [tag]
