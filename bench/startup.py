"""Print how fast the CLI starts and renders, as ratios to reference commands run beside it.

Each pair is timed in one run on this machine, interleaved (a, b, a, b, ...) so drift hits both;
the figure is the median wall time of whole processes. The goals (issue text in BENCHMARKS.md):

- ``lambda-scaffold --version`` and ``invoke``'s start <= 5x ``python -c pass``
- ``lambda-scaffold --help`` <= 0.25x ``copier --version``
- ``lambda-scaffold new DEST -y`` <= 1.0x ``copier copy --defaults`` of the same template

``invoke`` is timed end to end against a stand-in Runtime API on 127.0.0.1 that answers at once,
so the figure is the command's own start, event build, request and printing. Also printed:
whether each command imported copier, rich or questionary, and the in-process render time per
framework.

Usage: python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from scaffold import Framework, ProjectRequest, generate
from scaffold.generator.template_source import template_root

BIN = Path(sys.executable).parent
HEAVY = ("copier", "rich", "questionary", "pydantic", "typer")


def _cli() -> list[str]:
    script = BIN / "lambda-scaffold"
    return [str(script)] if script.exists() else [sys.executable, "-m", "scaffold"]


def _time(argv: list[str], prepare: Callable[[int], list[str]] | None, run: int) -> float:
    args = argv + (prepare(run) if prepare else [])
    started = time.perf_counter()
    subprocess.run(args, capture_output=True, check=True, stdin=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def _pair(
    ours: list[str],
    theirs: list[str],
    runs: int,
    *,
    ours_extra: Callable[[int], list[str]] | None = None,
    theirs_extra: Callable[[int], list[str]] | None = None,
) -> tuple[float, float]:
    a: list[float] = []
    b: list[float] = []
    _time(ours, ours_extra, -1)  # warm the file cache for both
    _time(theirs, theirs_extra, -1)
    for run in range(runs):
        a.append(_time(ours, ours_extra, run))
        b.append(_time(theirs, theirs_extra, run))
    return statistics.median(a), statistics.median(b)


def _imports(args: list[str]) -> list[str]:
    """Run the CLI in a child and name the heavy libraries it imported."""
    code = (
        "import sys\n"
        f"sys.argv = ['lambda-scaffold', *{args!r}]\n"
        "from scaffold.cli import app\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.__stderr__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    last = done.stderr.strip().splitlines()
    return [name for name in (last[-1] if last else "").split(",") if name]


class _RuntimeAPI(BaseHTTPRequestHandler):
    """Answers every invocation at once with a small Function URL response."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        body = json.dumps({"statusCode": 200, "headers": {"content-type": "text/plain"}}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet."""


@contextmanager
def _runtime_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RuntimeAPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _row(label: str, ours: float, theirs: float, versus: str, goal: float | None) -> None:
    ratio = ours / theirs
    if goal is None:
        verdict = "(for information: no goal)"
    else:
        verdict = f"(goal <= {goal:g}x) {'ok' if ratio <= goal else 'OVER'}"
    print(f"  {label:<28} {ours:7.1f} ms   {versus:<30} {theirs:7.1f} ms   {ratio:5.2f}x {verdict}")


def _start_figures(runs: int) -> None:
    cli = _cli()
    python_pass = [sys.executable, "-c", "pass"]
    copier = [str(BIN / "copier") if (BIN / "copier").exists() else "copier"]
    print(f"CLI start, median of {runs} interleaved runs ({' '.join(cli)})")
    ours, base = _pair([*cli, "--version"], python_pass, runs)
    _row("--version", ours, base, "python -c pass", 5)
    ours, base = _pair([*cli, "invoke", "--help"], python_pass, runs)
    _row("invoke --help (start)", ours, base, "python -c pass", 5)
    with _runtime_api() as endpoint:
        ours, base = _pair([*cli, "invoke", "/", "--endpoint", endpoint], python_pass, runs)
    _row("invoke / (whole, instant RIE)", ours, base, "python -c pass", None)
    ours, base = _pair([*cli, "--help"], [*copier, "--version"], runs)
    _row("--help", ours, base, "copier --version", 0.25)
    with tempfile.TemporaryDirectory() as scratch:
        plain = Path(scratch) / "template"  # the bundled template as a plain folder, no git
        root = template_root()
        plain.mkdir()
        shutil.copy2(root / "copier.yml", plain / "copier.yml")
        shutil.copytree(root / "blueprints", plain / "blueprints")
        ours, base = _pair(
            [*cli, "new", "-y"],
            [*copier, "copy", "--defaults", "--quiet", str(plain)],
            runs,
            ours_extra=lambda run: [f"{scratch}/ours-{run}"],
            theirs_extra=lambda run: [f"{scratch}/theirs-{run}"],
        )
    _row("new DEST -y", ours, base, "copier copy --defaults", 1.0)
    print("heavy libraries each command imports")
    for args in (["--version"], ["--help"], ["invoke", "--help"], ["serve", "--help"]):
        print(f"  {' '.join(args):<16} {', '.join(_imports(args)) or 'none'}")


def _render_figures(runs: int) -> None:
    print(f"render (in-process, median of {runs} runs; the first includes importing copier)")
    with tempfile.TemporaryDirectory() as scratch:
        for framework in Framework:
            samples = []
            for run in range(runs):
                started = time.perf_counter()
                generate(
                    ProjectRequest(
                        destination=Path(scratch) / f"{framework}-{run}",
                        framework=framework,
                        name="bench",
                    )
                )
                samples.append((time.perf_counter() - started) * 1000)
            files = sum(1 for p in (Path(scratch) / f"{framework}-0").rglob("*") if p.is_file())
            print(
                f"  {framework.value:<8} first {samples[0]:7.1f} ms  median "
                f"{statistics.median(samples):7.1f} ms  ({files} files)"
            )


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=11)
    runs = parser.parse_args().runs
    _start_figures(runs)
    _render_figures(max(3, runs // 3))


if __name__ == "__main__":
    main()
