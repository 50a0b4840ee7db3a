"""Print start-up and render timings: CLI start (--help, --version, list) and render per framework.

Usage: python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scaffold import Framework, ProjectRequest, generate


def _median_ms(argv: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _imports_copier(args: list[str]) -> bool:
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['lambda-scaffold', *{args!r}]\n"
        "try:\n    runpy.run_module('scaffold', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('copier' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout.strip().endswith("True")


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    cli = [sys.executable, "-m", "scaffold"]
    print(f"CLI start, median of {runs} runs")
    for args in (["--version"], ["--help"], ["list", "--json"]):
        copier = "imports copier" if _imports_copier(args) else "no copier import"
        print(
            f"  lambda-scaffold {' '.join(args):<12} {_median_ms(cli + args, runs):7.1f} ms  "
            f"({copier})"
        )
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


if __name__ == "__main__":
    main()
