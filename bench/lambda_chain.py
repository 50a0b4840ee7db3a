"""Print Lambda-chain timings per framework: RIE + LWA + the generated app, natively (no Docker).

For each framework: render a project, build it once (``make run`` until /healthz answers), then
start RIE with the adapter several times and time the first invocation (RIE's lazy init: app
start, adapter registration and readiness check, then the request), and finally the median of
N warm invocations of ``GET /``. The app runs with its own start command (the last line of
``make -n run``: the built binary, ``node index.js``, gunicorn); the first invocation through
``make run`` itself is shown too (for Go it includes the ``go build`` up-to-date check). Times
are end to end from this process (a urllib POST to RIE, a new connection each time).

Usage: python bench/lambda_chain.py [--frameworks echo,gin] [--cold 5] [--warm 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from scaffold import Framework, ProjectRequest, generate  # noqa: E402
from scaffold.lambda_local.events import build_event  # noqa: E402
from scaffold.lambda_local.rie_client import invoke  # noqa: E402
from tests import lambda_binaries as binaries  # noqa: E402
from tests import lambda_chain as lc  # noqa: E402


def _timed_ms(endpoint: str, timeout: float) -> float:
    started = time.perf_counter()
    answer = invoke(build_event("GET", "/"), endpoint=endpoint, timeout=timeout)
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status != 200:
        raise SystemExit(f"GET / answered {answer.status}")
    return elapsed


def direct_command(project: Path) -> list[str]:
    """The app's own start command: the last line ``make -n run`` prints once all is built."""
    result = subprocess.run(
        ["make", "-n", "run"], cwd=project, capture_output=True, text=True, check=True, timeout=60
    )
    return ["sh", "-c", result.stdout.strip().splitlines()[-1]]


def _cold_starts(
    project: Path, app: list[str], workdir: Path, env: dict[str, str], runs: int
) -> tuple[list[float], str]:
    firsts: list[float] = []
    mode = ""
    for run in range(runs):
        with lc.start_chain(app, cwd=project, workdir=workdir / f"run-{run}", env=env) as chain:
            mode = chain.mode
            firsts.append(_timed_ms(chain.endpoint, lc.FIRST_INVOKE_TIMEOUT))
    return firsts, mode


def measure(framework: str, scratch: Path, *, cold: int, warm: int) -> dict[str, object]:
    """Render, warm up, then time cold and warm invocations for one framework."""
    root = scratch / framework
    project = root / "project"
    generate(ProjectRequest(destination=project, framework=Framework(framework), name="bench"))
    env = lc.stage_env(project / "Dockerfile")
    lc.warm_up(project, workdir=root / "warm", env=env)
    app = direct_command(project)
    via_make, _ = _cold_starts(project, ["make", "run"], root / "make", env, cold)
    firsts, mode = _cold_starts(project, app, root / "direct", env, cold)
    with lc.start_chain(app, cwd=project, workdir=root / "warm-run", env=env) as chain:
        _timed_ms(chain.endpoint, lc.FIRST_INVOKE_TIMEOUT)
        for _ in range(20):  # settle: connection pools, lazy imports, caches
            _timed_ms(chain.endpoint, 30)
        warms = sorted(_timed_ms(chain.endpoint, 30) for _ in range(warm))
    return {
        "framework": framework,
        "mode": mode,
        "app_command": app[-1],
        "first_invoke_ms": round(statistics.median(firsts), 1),
        "first_invoke_runs_ms": [round(sample, 1) for sample in firsts],
        "first_invoke_make_run_ms": round(statistics.median(via_make), 1),
        "warm_median_ms": round(statistics.median(warms), 2),
        "warm_p90_ms": round(warms[max(int(len(warms) * 0.9) - 1, 0)], 2),
        "warm_invokes": warm,
    }


def _table(rows: list[dict[str, object]], *, cold: int, warm: int, versions: str) -> None:
    mode = rows[0]["mode"] if rows else "-"
    print(f"{versions}, mode {mode}; GET / through RIE + LWA + the app")
    print(f"first invoke: median of {cold} chain starts; warm: median and p90 of {warm} invokes")
    print(
        f"{'framework':<10} {'first invoke':>13} {'via make run':>13} {'warm median':>12} "
        f"{'warm p90':>9}  app command"
    )
    for row in rows:
        print(
            f"{row['framework']!s:<10} {row['first_invoke_ms']!s:>10} ms "
            f"{row['first_invoke_make_run_ms']!s:>10} ms {row['warm_median_ms']!s:>9} ms "
            f"{row['warm_p90_ms']!s:>6} ms  {row['app_command']}"
        )


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frameworks", default=",".join(f.value for f in Framework))
    parser.add_argument("--cold", type=int, default=5, help="chain starts per framework")
    parser.add_argument("--warm", type=int, default=200, help="warm invocations")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    try:
        rie, lwa = binaries.rie_binary(), binaries.lwa_binary()
    except binaries.ChainUnavailableError as err:
        raise SystemExit(f"cannot run the chain here: {err}") from err
    if shutil.which("make") is None:
        raise SystemExit("needs make on PATH")
    rows = []
    with tempfile.TemporaryDirectory(prefix="lambda-chain-bench-") as scratch:
        for framework in args.frameworks.split(","):
            rows.append(measure(framework.strip(), Path(scratch), cold=args.cold, warm=args.warm))
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        versions = (
            f"RIE from aws-sam-cli {binaries.SAM_CLI_VERSION} ({rie.name}), lambda-adapter "
            f"{binaries.LWA_VERSION} ({lwa.parent.parent.name})"
        )
        _table(rows, cold=args.cold, warm=args.warm, versions=versions)


if __name__ == "__main__":
    main()
