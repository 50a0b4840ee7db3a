"""Build a generated project's images with either builder, run them, and talk to them."""

from __future__ import annotations

import base64
import contextlib
import json
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from tests import support
from tests.containers.engine import Engine

Builder = Literal["classic", "buildkit"]
BUILDERS: Final[tuple[Builder, ...]] = ("classic", "buildkit")
TARGETS: Final = ("app", "lambda")
RIE_PORT: Final = 8080
INVOKE_PATH: Final = "/2015-03-31/functions/function/invocations"
RIE_PATH: Final = "/usr/local/bin/aws-lambda-rie"
ADAPTER_PATH: Final = "/opt/extensions/lambda-adapter"
# Files docker itself puts into every container's file system (mount points, markers).
DOCKER_OWN: Final = frozenset(
    {"/.dockerenv", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/dev", "/proc", "/sys"}
)


def build(
    engine: Engine,
    project: Path,
    *,
    target: str,
    builder: Builder,
    tag: str,
    arch: str = "x86_64",
    extra: Sequence[str] = (),
) -> float:
    """Build one stage of the project's Dockerfile; return the seconds it took.

    ``--platform`` is passed as `make build`, `sam build` and compose pass it: without it both
    builders label an image FROM scratch with the build machine's architecture.
    """
    started = time.monotonic()
    platform = "linux/arm64" if arch == "arm64" else "linux/amd64"
    args = ["build", "--platform", platform, "--target", target, "-t", tag, *extra]
    if builder == "buildkit":
        args.append("--progress=plain")
    engine.docker(*args, ".", cwd=project, buildkit=builder == "buildkit", timeout=1200)
    return time.monotonic() - started


@dataclass(frozen=True)
class FileEntry:
    """One path of an image's file system: its kind and mode, size, and content digest."""

    mode: str
    size: int
    digest: str


def image_files(engine: Engine, image: str) -> dict[str, FileEntry]:
    """Return every path of an image's file system (docker create + export), but docker's own."""
    import hashlib

    # the command is never run; it only lets an image without CMD be created
    container = engine.docker("create", image, "never-run").stdout.strip()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            archive = Path(scratch) / "fs.tar"
            engine.docker("export", "-o", str(archive), container)
            files: dict[str, FileEntry] = {}
            with tarfile.open(archive) as tar:
                for member in tar:
                    path = "/" + member.name.removeprefix("./").rstrip("/")
                    if path == "/" or any(
                        path == p or path.startswith(p + "/") for p in DOCKER_OWN
                    ):
                        continue
                    digest = ""
                    if member.isfile():
                        handle = tar.extractfile(member)
                        digest = hashlib.sha256(handle.read() if handle else b"").hexdigest()
                    elif member.issym():
                        digest = member.linkname
                    kind = "d" if member.isdir() else "l" if member.issym() else "f"
                    files[path] = FileEntry(f"{kind}{member.mode:o}", member.size, digest)
            return files
    finally:
        engine.docker("rm", "-f", container, check=False)


def image_config(engine: Engine, image: str) -> dict[str, Any]:
    """Return what `docker run` takes from the image: its config, architecture and OS."""
    data = json.loads(engine.docker("image", "inspect", image).stdout)[0]
    config = data["Config"]
    return {
        "Architecture": data["Architecture"],
        "Os": data["Os"],
        "Env": sorted(config.get("Env") or []),
        "Entrypoint": config.get("Entrypoint"),
        "Cmd": config.get("Cmd"),
        "User": config.get("User"),
        "WorkingDir": config.get("WorkingDir") or "/",  # the classic builder leaves "" for /
        "ExposedPorts": sorted(config.get("ExposedPorts") or {}),
    }


@contextlib.contextmanager
def container(engine: Engine, image: str, *args: str, port: int) -> Iterator[tuple[str, int]]:
    """Run image detached with port published on a free 127.0.0.1 port; remove it afterwards."""
    cid = engine.docker("run", "-d", "-p", f"127.0.0.1::{port}", *args, image).stdout.strip()
    try:
        out = engine.docker("port", cid, f"{port}/tcp").stdout.split()
        yield cid, int(out[0].rsplit(":", 1)[1])
    finally:
        engine.docker("rm", "-f", cid, check=False)


def logs(engine: Engine, cid: str) -> str:
    """The container's output so far (stdout and stderr)."""
    result = engine.docker("logs", cid, check=False)
    return result.stdout + result.stderr


def wait_http(url: str, *, timeout: float, engine: Engine, cid: str) -> None:
    """Poll url until it answers 200, failing early with the logs if the container stopped."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        state = engine.docker("inspect", "-f", "{{.State.Running}}", cid, check=False)
        if state.stdout.strip() == "false":
            raise AssertionError(
                f"the container stopped before {url} answered:\n{logs(engine, cid)}"
            )
        try:
            if support.http("GET", url, timeout=2).status == 200:
                return
        except OSError as err:
            last = str(err)
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer 200 in {timeout} s ({last}):\n{logs(engine, cid)}")


def post_event(port: int, event: bytes, *, timeout: float = 90.0) -> dict[str, Any]:
    """POST a Function URL event to RIE on 127.0.0.1:port; return the function's JSON answer."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{INVOKE_PATH}", data=event, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        status, body = response.status, response.read()
    assert status == 200, f"RIE answered {status}: {body[:500]!r}"
    answer = json.loads(body)
    assert isinstance(answer, dict) and "statusCode" in answer, f"not a response: {body[:500]!r}"
    return answer


def wait_rie(
    port: int, event: bytes, *, timeout: float, engine: Engine, cid: str
) -> dict[str, Any]:
    """Wait until RIE answers HTTP (the container needs a moment), then invoke once.

    The wait asks a path RIE does not serve (a quick 404, no invocation): a retried invoke could
    reach RIE while the first is still in flight, and RIE panics on a second concurrent invoke.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            support.http("GET", f"http://127.0.0.1:{port}/", timeout=5)
            break
        except OSError as err:
            if time.monotonic() > deadline:
                raise AssertionError(f"RIE did not answer: {err}\n{logs(engine, cid)}") from err
            time.sleep(0.3)
    try:
        return post_event(port, event, timeout=max(timeout, 90.0))
    except OSError as err:
        raise AssertionError(f"RIE did not answer: {err}\n{logs(engine, cid)}") from err


@dataclass(frozen=True)
class DirectRequest:
    """The HTTP request a Function URL event stands for."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes | None


def request_of(event: dict[str, Any]) -> DirectRequest:
    """Turn a payload 2.0 event back into the HTTP request the adapter sends to the app."""
    query = event.get("rawQueryString") or ""
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "host"}
    if event.get("cookies"):
        headers["cookie"] = "; ".join(event["cookies"])
    body: bytes | None = None
    if event.get("body") is not None:
        raw = str(event["body"])
        body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode()
    method = event["requestContext"]["http"]["method"]
    return DirectRequest(method, event["rawPath"] + (f"?{query}" if query else ""), headers, body)


def answer_body(answer: dict[str, Any]) -> bytes:
    """The body of a function's JSON answer, base64 decoded where the adapter encoded it."""
    body = str(answer.get("body") or "")
    return base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()


def header(headers: dict[str, str], name: str) -> str | None:
    """A header by name, whatever its case."""
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def tar_names(engine: Engine, image: str, paths: Sequence[str]) -> set[str]:
    """Which of these paths exist in the image."""
    files = image_files(engine, image)
    return {path for path in paths if path in files}


def render(root: Path, framework: str, name: str = "demo", **answers: Any) -> Path:
    """Render a project through the library API into root/<framework>-<name>."""
    from scaffold import Framework, ProjectRequest, generate

    destination = root / f"{framework}-{name}"
    generate(
        ProjectRequest(
            destination=destination, framework=Framework(framework), name=name, **answers
        )
    )
    return destination


def read_file(engine: Engine, image: str, path: str) -> bytes:
    """One regular file of an image (docker create + cp; the command is never run)."""
    container = engine.docker("create", image, "never-run").stdout.strip()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            target = Path(scratch) / "file"
            engine.docker("cp", f"{container}:{path}", str(target))
            return target.read_bytes()
    finally:
        engine.docker("rm", "-f", container, check=False)


ELF_MACHINES: Final = {0x3E: "x86_64", 0xB7: "arm64"}


def elf_arch(data: bytes) -> str:
    """The architecture an ELF executable is for (x86_64 or arm64)."""
    assert data[:4] == b"\x7fELF", "not an ELF executable"
    return ELF_MACHINES.get(int.from_bytes(data[18:20], "little"), "unknown")
