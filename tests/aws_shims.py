"""Recording stand-ins for the ``sam``, ``aws``, ``curl`` and ``awscurl`` commands.

They replace AWS only, not the thing under test: the generated Makefile and README run for real
(GNU make, bash, awk), with these first on PATH. Each stand-in appends its arguments to a log.
``sam deploy --guided`` also saves its answers into samconfig.toml the way aws-sam-cli 1.170.0
does (``GuidedConfig.save_config``): the stack settings under ``[default.deploy.parameters]``,
the region there and under ``[default.global.parameters]`` too; a stack name equal to the global
one is left in the global section only. ``aws cloudformation describe-stacks`` answers with a
Function URL in the region it was asked for.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

TOOLS: Final = ("sam", "aws", "curl", "awscurl")
FUNCTION_ARN: Final = "arn:aws:lambda:{region}:123456789012:function:{stack}-AppFunction-a1b2c3"
FUNCTION_URL: Final = "https://abcdefghij0123456789klmnopqrstuv.lambda-url.{region}.on.aws/"

_SCRIPT: Final = """#!{python}
import json, os, sys
from pathlib import Path

tool = Path(sys.argv[0]).name
args = sys.argv[1:]
with open(os.environ["AWS_SHIM_LOG"], "a") as log:
    log.write(json.dumps({{"tool": tool, "args": args}}) + "\\n")


def option(name):
    return args[args.index(name) + 1] if name in args else ""


def insert(lines, section, entries):
    header = f"[{{section}}]"
    if header not in lines:
        lines += ["", header]
    at = lines.index(header) + 1
    lines[at:at] = [f"{{key}} = {{json.dumps(value)}}" for key, value in entries]


if tool == "sam" and args[:1] == ["deploy"] and "--guided" in args:
    config = Path("samconfig.toml")
    lines = config.read_text().splitlines()
    region = os.environ["AWS_SHIM_GUIDED_REGION"]
    stack = os.environ.get("AWS_SHIM_GUIDED_STACK", "")
    deploy = [("resolve_s3", True), ("s3_prefix", stack or "stack"), ("region", region)]
    if stack:
        deploy.insert(0, ("stack_name", stack))
    insert(lines, "default.deploy.parameters", deploy)
    insert(lines, "default.global.parameters", [("region", region)])
    config.write_text("\\n".join(lines) + "\\n")
elif tool == "aws" and "describe-stacks" in args:
    region, stack = option("--region"), option("--stack-name")
    url = {url!r}.format(region=region)
    arn = {arn!r}.format(region=region, stack=stack)
    query = option("--query")
    if "DeployRoleArn'" in query:
        print(f"arn:aws:iam::123456789012:role/{{stack}}-role")
        sys.exit(0)
    print(url if "FunctionUrl'" in query else f"FunctionArn\\t{{arn}}\\nFunctionUrl\\t{{url}}")
elif tool in ("curl", "awscurl"):
    print('{{"message":"Hello, Lambda!"}}')
"""


@dataclass(frozen=True)
class Call:
    """One recorded command."""

    tool: str
    args: list[str]


class Shims:
    """A folder of stand-ins and the log they write."""

    def __init__(self, root: Path) -> None:
        self.bin = root / "shim-bin"
        self.log = root / "shim-calls.jsonl"
        self.bin.mkdir(parents=True, exist_ok=True)
        script = _SCRIPT.format(python=sys.executable, url=FUNCTION_URL, arn=FUNCTION_ARN)
        for tool in TOOLS:
            path = self.bin / tool
            path.write_text(script)
            path.chmod(0o755)

    def env(self, *, region: str = "eu-west-1", stack: str = "") -> dict[str, str]:
        """The environment to run make with: the stand-ins first on PATH."""
        env = {
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "AWS_SHIM_LOG": str(self.log),
            "AWS_SHIM_GUIDED_REGION": region,
        }
        if stack:
            env["AWS_SHIM_GUIDED_STACK"] = stack
        return env

    def calls(self) -> list[Call]:
        """The commands run so far, in order; the log is emptied."""
        if not self.log.exists():
            return []
        lines = self.log.read_text().splitlines()
        self.log.unlink()
        return [Call(**json.loads(line)) for line in lines]
