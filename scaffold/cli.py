"""The only typer user: commands, flags and the one error funnel."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from scaffold.errors import EXIT_INTERRUPTED, MissingAnswerError, ScaffoldError
from scaffold.models import RequestDraft

app = typer.Typer(
    name="lambda-scaffold",
    help="Scaffold web apps for AWS Lambda: Lambda Web Adapter, SAM, Function URL, compose.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@contextmanager
def _funnel() -> Iterator[None]:
    """Turn every ScaffoldError and interrupt into a message, a hint and an exit code."""
    from scaffold import console

    try:
        yield
    except ScaffoldError as err:
        console.error(err)
        raise typer.Exit(err.exit_code) from err
    except (KeyboardInterrupt, EOFError) as err:
        console.aborted()
        raise typer.Exit(EXIT_INTERRUPTED) from err


def _version(value: bool) -> None:
    if value:
        from scaffold import __version__

        typer.echo(f"lambda-scaffold {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Scaffold web apps for AWS Lambda: Lambda Web Adapter, SAM, Function URL, compose."""


@app.command()
def new(  # noqa: PLR0913 - one parameter per flag is the CLI's contract
    destination: Annotated[
        Path | None,
        typer.Argument(help="Folder to create (default: ./NAME).", show_default=False),
    ] = None,
    framework: Annotated[
        str | None, typer.Option("--framework", "-f", help="echo, gin, flask or express.")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Project name (default: DEST's folder name).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="App port (default 8000).")] = None,
    arch: Annotated[str | None, typer.Option(help="x86_64 (default) or arm64.")] = None,
    auth: Annotated[
        str | None, typer.Option(help="Function URL auth: NONE (default, public) or AWS_IAM.")
    ] = None,
    stream: Annotated[
        bool | None,
        typer.Option("--stream/--no-stream", help="Response streaming (default off)."),
    ] = None,
    memory: Annotated[int | None, typer.Option(help="Memory in MB, 128-10240 (default 512).")] = None,
    timeout: Annotated[
        int | None, typer.Option(help="Timeout in s, 1-900 (default 30; 300 when streaming).")
    ] = None,
    async_init: Annotated[
        bool | None,
        typer.Option("--async-init/--no-async-init", help="Set AWS_LWA_ASYNC_INIT (default off)."),
    ] = None,
    no_input: Annotated[
        bool, typer.Option("--no-input", "--yes", "-y", help="Never prompt; defaults for the rest.")
    ] = False,
    force: Annotated[bool, typer.Option(help="Render into a non-empty DEST.")] = False,
    dry_run: Annotated[
        bool, typer.Option(help="Show the files that would be written; write nothing.")
    ] = False,
) -> None:
    """Create a new project: app, Dockerfile with the adapter, SAM template, compose, README."""
    from scaffold import console, plan, render

    draft = RequestDraft(destination=destination, framework=framework, name=name, port=port,
                         arch=arch, auth=auth, stream=stream, memory=memory, timeout=timeout,
                         async_init=async_init)
    with _funnel():
        if destination is not None:
            render.check_destination(destination, overwrite=force)
        if not no_input and sys.stdin.isatty():
            from scaffold import prompts

            draft = prompts.complete(draft)
        elif draft.framework is None:
            if not no_input:
                raise MissingAnswerError(
                    "no framework was given and there is no terminal to ask on",
                    hint="pass --framework echo|gin|flask|express, or --no-input for defaults",
                )
            draft = RequestDraft(**{**draft.__dict__, "framework": "echo"})
        request = plan.build_request(draft)
        result = render.render(request, dry_run=dry_run, overwrite=force)
        console.render_summary(result)


@app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")] = False,
) -> None:
    """List the frameworks a project can be created for."""
    from scaffold import console
    from scaffold.blueprints import BLUEPRINTS

    if as_json:
        console.emit_json([
            {"name": bp.framework.value, "language": bp.language, "title": bp.title,
             "description": bp.description}
            for bp in BLUEPRINTS
        ])
    else:
        console.blueprint_table(BLUEPRINTS)


def main() -> None:
    """Entry point of the ``lambda-scaffold`` script."""
    app()
