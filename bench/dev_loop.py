"""Print save-to-new-answer latency per framework: `lambda-scaffold dev` and `make dev`.

For each framework: render a project, start the loop and wait until it answers, then N times:
rewrite the greeting in the app's source (a new word each time), and poll ``GET /`` every 10 ms
until the answer carries the new word. The figure is the time from the end of the write to that
answer: the watcher noticing, the rebuild or restart, the readiness check, and for ``dev`` the
request through the local Function URL, RIE and the adapter. Goals: Python and Node.js
<= 1 s, Go <= 3 s (median).

Usage: python bench/dev_loop.py [--frameworks flask,echo] [--edits 10] [--loops dev,make-dev]
       [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from scaffold import Framework, ProjectRequest, generate  # noqa: E402
from scaffold.generator.frameworks import BLUEPRINTS  # noqa: E402
from tests.lambda_binaries import CACHE_DIR, lwa_binary, rie_binary  # noqa: E402

SOURCE = {"Go": "main.go", "Python": "app.py", "Node.js": "app.js"}
GOAL_SECONDS = {"Go": 3.0, "Python": 1.0, "Node.js": 1.0}
START_TIMEOUT = 900.0
ANSWER_TIMEOUT = 60.0
POLL = 0.01


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _message(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return str(json.loads(response.read())["message"])
    except (OSError, ValueError, KeyError):
        return None


@contextlib.contextmanager
def _loop(kind: str, project: Path, log: Path) -> Iterator[str]:
    """Start `dev` or `make dev` in project; yield the URL of GET /; stop the group after."""
    port = _free_port()
    if kind == "dev":
        argv = [sys.executable, "-m", "scaffold", "dev", "--port", str(port)]
        env = {**os.environ, "LAMBDA_SCAFFOLD_CACHE": str(CACHE_DIR)}
    else:
        argv = ["make", "dev"]
        env = {**os.environ, "PORT": str(port)}
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv,
            cwd=project,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            url = f"http://127.0.0.1:{port}/"
            deadline = time.monotonic() + START_TIMEOUT
            while _message(url) is None:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"{kind} did not answer in {project}:\n{log.read_text()}")
                time.sleep(0.1)
            yield url
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT if kind == "dev" else signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _latencies(url: str, source: Path, edits: int) -> list[float]:
    figures: list[float] = []
    text = source.read_text()
    current = "Hello"
    for edit in range(edits):
        word = f"Edit{edit}"
        text = text.replace(f"{current}, ", f"{word}, ", 1)
        source.write_text(text)
        written = time.perf_counter()
        expected = f"{word}, world!"
        while _message(url) != expected:
            if time.perf_counter() - written > ANSWER_TIMEOUT:
                raise SystemExit(f"no {expected!r} from {url} within {ANSWER_TIMEOUT} s")
            time.sleep(POLL)
        figures.append(time.perf_counter() - written)
        current = word
        time.sleep(0.3)  # let the previous generation stop before the next save
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frameworks", default=",".join(bp.framework.value for bp in BLUEPRINTS))
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--loops", default="dev,make-dev")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    # Started in the background (nohup, `&`), this process may inherit an ignored SIGINT, and
    # its children with it: watchfiles then waits 5 s for Flask to stop. A terminal's user has
    # the default: give the loops that.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    rie_binary()
    lwa_binary()
    languages = {bp.framework.value: bp.language for bp in BLUEPRINTS}
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-dev-") as scratch:
        for name in args.frameworks.split(","):
            for kind in args.loops.split(","):
                project = Path(scratch) / f"{name}-{kind}"
                generate(
                    ProjectRequest(destination=project, framework=Framework(name), name="bench")
                )
                source = project / SOURCE[languages[name]]
                with _loop(kind, project, Path(scratch) / f"{name}-{kind}.log") as url:
                    figures = _latencies(url, source, args.edits)
                goal = GOAL_SECONDS[languages[name]]
                median = statistics.median(figures)
                rows.append(
                    {
                        "framework": name,
                        "loop": "lambda-scaffold dev" if kind == "dev" else "make dev",
                        "median_ms": round(median * 1000, 1),
                        "min_ms": round(min(figures) * 1000, 1),
                        "max_ms": round(max(figures) * 1000, 1),
                        "goal_ms": goal * 1000,
                        "met": median <= goal,
                    }
                )
                if not args.json:
                    row = rows[-1]
                    print(
                        f"{name:8} {row['loop']:20} median {row['median_ms']:7.0f} ms  "
                        f"min {row['min_ms']:6.0f}  max {row['max_ms']:6.0f}  "
                        f"goal <= {goal * 1000:.0f} ms {'met' if row['met'] else 'MISSED'}",
                        flush=True,
                    )
    if args.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
