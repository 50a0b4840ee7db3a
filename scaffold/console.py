"""The only rich user: the human-readable summaries, warnings and errors, on stderr."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Sequence
from functools import cache
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.tree import Tree

from scaffold.errors import ScaffoldError
from scaffold.generator.frameworks import Blueprint
from scaffold.generator.models import AuthType, RenderResult
from scaffold.generator.questions import QUESTIONS
from scaffold.interrupts import Interrupted

if TYPE_CHECKING:
    from scaffold.generator.update.check import CheckResult
    from scaffold.generator.update.run import UpdateResult


@cache
def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def warn(message: str) -> None:
    """Print a warning that stands out."""
    _stderr().print(f"[bold yellow]warning:[/] {escape(message)}")


def error(err: ScaffoldError) -> None:
    """Print an error with its hint on the next line."""
    _stderr().print(f"[bold red]error:[/] {escape(err.message)}")
    if err.hint:
        _stderr().print(f"[bold]hint:[/] {escape(err.hint)}")


def aborted() -> None:
    """Say that the user interrupted the run."""
    _stderr().print("[bold red]Aborted.[/] Nothing was written.")


def interrupted(err: Interrupted) -> None:
    """Say which signal stopped the run, and exactly what it left written."""
    out = _stderr()
    if err.written is not None:
        out.print(
            f"[bold red]Aborted[/] by {err.name} after the project was written: "
            f"{escape(str(err.written))} is complete."
        )
    elif err.left:
        left = ", ".join(escape(str(path)) for path in err.left)
        out.print(f"[bold red]Aborted[/] by {err.name}. Left behind, remove by hand: {left}")
    else:
        out.print(f"[bold red]Aborted[/] by {err.name}. Nothing was written.")


def blueprint_table(blueprints: Iterable[Blueprint]) -> None:
    """Show the frameworks that `new --framework` accepts."""
    table = Table(title="Frameworks", title_justify="left")
    for column in ("name", "language", "title", "description"):
        table.add_column(column)
    for bp in blueprints:
        table.add_row(bp.framework.value, bp.language, bp.title, bp.description)
    _stderr().print(table)


def file_tree(root_label: str, files: Sequence[str]) -> Tree:
    """Build a rich tree of relative POSIX paths."""
    tree = Tree(f"[bold]{escape(root_label)}[/]")
    nodes: dict[str, Tree] = {}
    for path in files:
        parent = tree
        parts = path.split("/")
        for depth, part in enumerate(parts):
            key = "/".join(parts[: depth + 1])
            if key not in nodes:
                label = escape(part) + ("/" if depth < len(parts) - 1 else "")
                nodes[key] = parent.add(label)
            parent = nodes[key]
    return tree


def render_summary(result: RenderResult) -> None:
    """Show the choices, the file tree and, after a real render, the next steps."""
    request = result.request
    out = _stderr()
    choices = Table.grid(padding=(0, 2))
    choices.add_column(style="bold")
    choices.add_column()
    answers = request.answers()
    for question in QUESTIONS:
        choices.add_row(question.label, escape(question.show(answers[question.name])))
    out.print(Panel(choices, title="lambda-scaffold", title_align="left", expand=False))
    verb = "would write" if result.dry_run else "wrote"
    out.print(f"{verb} {len(result.files)} files:")
    out.print(file_tree(str(request.destination), result.files))
    if request.auth is AuthType.NONE:
        warn(
            "the Function URL uses AuthType NONE: anyone on the internet who knows the URL "
            "can call it. Use --auth AWS_IAM to require signed requests."
        )
    if result.dry_run:
        out.print("Dry run: nothing was written.")
        return
    steps = "\n".join(
        (
            f"cd {escape(shlex.quote(str(request.destination)))}",
            "make run      # the app natively on its port",
            "make up       # the container with docker compose",
            "make deploy   # sam build && sam deploy (asks the first time)",
        )
    )
    out.print(Panel(steps, title="Next steps", title_align="left", expand=False))


def update_summary(result: UpdateResult) -> None:
    """Show the versions, the changed files (conflicts marked) and what to do next."""
    out = _stderr()
    old = result.old_version or "an unrecorded version"
    new = result.new_version or "an unrecorded version"
    if old == new:
        out.print(f"Template version {escape(new)} kept for {escape(str(result.project))}")
    else:
        out.print(f"Updated {escape(str(result.project))} from {escape(old)} to {escape(new)}")
    for message in result.warnings:
        warn(message)
    if not result.changed:
        out.print("Nothing changed: the project is up to date.")
        return
    conflicts = set(result.conflicts)
    labels = [f"{name}  <- conflict" if name in conflicts else name for name in result.changed]
    out.print(f"{len(result.changed)} files changed:")
    out.print(file_tree(str(result.project), labels))
    if not conflicts:
        out.print(
            f"Review with `git diff`, then commit, e.g. `git add -A && git commit -m "
            f'"chore: update the template to {escape(new)}"`.'
        )


def check_summary(result: CheckResult, *, template: str | None = None) -> None:
    """Show the project's template release, the newest one, and the pins an update changes."""
    out = _stderr()
    project = escape(str(result.project))
    if not result.update_available:
        out.print(
            f"{project} is up to date: template {escape(result.current)} is the newest release "
            f"of {escape(result.source)}."
        )
        return
    out.print(
        f"{project} is on template {escape(result.current)}; "
        f"[bold]{escape(result.newest)}[/] is out ({escape(result.source)})."
    )
    if result.pins:
        out.print("Pins that change:")
        for name, (old, new) in result.pins.items():
            out.print(f"  {escape(name)}  {escape(old or '(none)')} -> {escape(new or '(none)')}")
    else:
        out.print("No version pin changes.")
    command = ["lambda-scaffold", "update", str(result.project)]
    command += ["--template", template] if template is not None else []
    out.print(f"Update with `{escape(shlex.join(command))}`.")
