"""Print each framework's `app` image size and its cold, warm and one-edit build times.

Starts a private Docker engine (needs root, dockerd and the container suite's tools; see
tests/containers), builds the x86_64 stand-in base images there, then per framework renders a
project and builds its `app` stage:

- cold: ``--no-cache`` (every step runs; the base images are local, so no pull is timed);
- warm: the same build again (every step cached);
- edit: after one line of the app's main source changed (what a developer waits for).

Sizes are uncompressed, as ``docker images`` shows them. *Added* is what the Dockerfile puts on
top of its base image (the adapter, the app, its dependencies), measured. The stand-in bases
are not the real ones, so *total* counts each base at its published size (``PUBLISHED_BASES``,
with its source); Go images are FROM scratch, so they have no base at all.

Usage: python bench/images.py [--builder buildkit|classic]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Final

from scaffold import Framework, ProjectRequest, generate
from scaffold.generator.frameworks import BLUEPRINTS
from tests.containers import engine as engines
from tests.containers import images, standins

MB: Final = 1_000_000
# Uncompressed sizes of the real bases as `docker images` lists them, where known:
# node:22-slim 220 MB (labs.iximiuz.com, "How to choose a Node.js container image");
# python:3.13-slim 178 MB in a containerd image store listing that shows node:22-alpine at
# 232 MB against its classic-store 155 MB, so about 178 x 155 / 232 = 119 MB.
PUBLISHED_BASES: Final = {"Go": 0.0, "Python": 119.0, "Node.js": 220.0}
MAIN_SOURCE: Final = {"Go": "main.go", "Python": "app.py", "Node.js": "app.js"}
COMMENT: Final = {"Go": "// edited\n", "Python": "# edited\n", "Node.js": "// edited\n"}
LANGUAGE: Final = {bp.framework.value: bp.language for bp in BLUEPRINTS}


def _size(engine: engines.Engine, image: str) -> float:
    data = json.loads(engine.docker("image", "inspect", image).stdout)[0]
    return float(data["Size"]) / MB


def _base_size(engine: engines.Engine, project: Path) -> float:
    """The stand-in base of the app stage (0 for FROM scratch)."""
    lines = (project / "Dockerfile").read_text().splitlines()
    start = next(line for line in lines if line.startswith("FROM") and line.endswith(" AS app"))
    base = start.split()[-3]
    return 0.0 if base == "scratch" else _size(engine, base)


def _measure(engine: engines.Engine, root: Path, framework: str, builder: str) -> dict[str, float]:
    project = root / framework
    generate(ProjectRequest(destination=project, framework=Framework(framework), name="bench"))
    tag = f"bench-{framework}:app"
    build = images.build
    kind: images.Builder = "buildkit" if builder == "buildkit" else "classic"
    cold = build(engine, project, target="app", builder=kind, tag=tag, extra=["--no-cache"])
    warm = build(engine, project, target="app", builder=kind, tag=tag)
    language = LANGUAGE[framework]
    source = project / MAIN_SOURCE[language]
    source.write_text(source.read_text() + COMMENT[language])
    edit = build(engine, project, target="app", builder=kind, tag=tag)
    total, base = _size(engine, tag), _base_size(engine, project)
    added = total - base
    return {
        "cold_s": cold,
        "warm_s": warm,
        "edit_s": edit,
        "added_mb": added,
        "total_mb": added + PUBLISHED_BASES[language],
    }


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--builder", choices=["buildkit", "classic"], default="buildkit")
    builder = parser.parse_args().builder
    with tempfile.TemporaryDirectory(prefix="bench-images-") as scratch:
        root = Path(scratch)
        started = time.monotonic()
        with engines.running(root / "engine") as engine:
            standins.build_all(engine)
            setup = time.monotonic() - started
            print(f"private engine ({engine.driver}) and stand-ins: {setup:.0f} s")
            print(f"builder: {builder}; sizes uncompressed; total = added + published base size")
            print(f"{'framework':<14}{'cold':>8}{'warm':>8}{'edit':>8}{'added':>10}{'total':>10}")
            for blueprint in BLUEPRINTS:
                name = blueprint.framework.value
                row = _measure(engine, root / "projects", name, builder)
                print(
                    f"{blueprint.title:<14}{row['cold_s']:>7.1f}s{row['warm_s']:>7.1f}s"
                    f"{row['edit_s']:>7.1f}s{row['added_mb']:>8.1f}MB{row['total_mb']:>8.1f}MB"
                )


if __name__ == "__main__":
    main()
