"""The only typer user: commands, flags and the one error funnel."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from scaffold.errors import EXIT_FAILURE, EXIT_INTERRUPTED, MissingAnswerError, ScaffoldError
from scaffold.interrupts import Interrupted, unwrap
from scaffold.models import Framework, RequestDraft

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
    except Interrupted as err:
        console.interrupted(err)
        raise typer.Exit(err.exit_code) from err
    except (KeyboardInterrupt, EOFError) as err:
        console.aborted()
        raise typer.Exit(EXIT_INTERRUPTED) from err
    except Exception as err:  # code that wraps what it catches, e.g. an import cut short
        stopped = unwrap(err)
        if stopped is None:
            raise
        console.interrupted(stopped)
        raise typer.Exit(stopped.exit_code) from err


def _version(value: bool) -> None:
    if value:
        from scaffold import __version__

        try:
            sys.stdout.write(f"lambda-scaffold {__version__}\n")
            sys.stdout.flush()
        except (OSError, AttributeError) as err:  # stdout full, a broken pipe, or closed
            _stdout_failed(err)
            raise typer.Exit(EXIT_FAILURE) from err
        raise typer.Exit()


def _stdout_failed(err: Exception) -> None:
    """Say on stderr that stdout failed; point stdout at /dev/null so the exit flush succeeds."""
    import os

    reason = getattr(err, "strerror", None) or "it is closed"
    sys.stderr.write(f"error: cannot write to stdout: {reason}\n")
    if sys.stdout is not None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _on_terminal() -> bool:
    """Tell whether stdin is a terminal to ask on (it may also be closed)."""
    return sys.stdin is not None and sys.stdin.isatty()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Scaffold web apps for AWS Lambda: Lambda Web Adapter, SAM, Function URL, compose."""


@app.command()
def new(
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
    memory: Annotated[
        int | None, typer.Option(help="Memory in MB, 128-10240 (default 512).")
    ] = None,
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
    template: Annotated[
        str | None,
        typer.Option(
            help="Another copier template (folder or git URL) that asks the same "
            "questions, e.g. a fork of this one.",
            metavar="SRC",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Create a new project: app, Dockerfile with the adapter, SAM template, compose, README."""
    from scaffold import console, interrupts, plan, render

    draft = RequestDraft(
        destination=destination,
        framework=framework,
        name=name,
        port=port,
        arch=arch,
        auth=auth,
        stream=stream,
        memory=memory,
        timeout=timeout,
        async_init=async_init,
    )
    with _funnel(), interrupts.handled():
        if destination is not None:
            render.check_destination(destination, overwrite=force)
        if template is not None:
            template = render.check_template(template)
        if not no_input and _on_terminal():
            from scaffold import prompts

            draft = prompts.complete(draft)
        elif draft.framework is None:
            if not no_input:
                raise MissingAnswerError(
                    "no framework was given and there is no terminal to ask on",
                    hint="pass --framework echo|gin|flask|express, or --no-input for defaults",
                )
            draft = replace(draft, framework=Framework.ECHO.value)
        request = plan.build_request(draft)
        result = None
        try:
            result = render.render(request, dry_run=dry_run, overwrite=force, template=template)
            console.render_summary(result)
            for message in result.warnings:
                console.warn(message)
        except BaseException as err:
            stopped = unwrap(err)
            if stopped is not None and result is not None and not dry_run:
                stopped.written = request.destination  # the signal came after the last rename
            raise


@app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")] = False,
) -> None:
    """List the frameworks a project can be created for."""
    from scaffold import console
    from scaffold.blueprints import BLUEPRINTS

    with _funnel():
        if not as_json:
            console.blueprint_table(BLUEPRINTS)
            return
        console.emit_json(
            [
                {
                    "name": bp.framework.value,
                    "language": bp.language,
                    "title": bp.title,
                    "description": bp.description,
                }
                for bp in BLUEPRINTS
            ]
        )


@app.command()
def update(
    path: Annotated[
        Path,
        typer.Argument(
            help="The generated project (default: the current folder).",
            metavar="PATH",
            show_default=False,
        ),
    ] = Path(),
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Template version to update to, e.g. 1.2.0 (default: newest).",
            metavar="VERSION",
            show_default=False,
        ),
    ] = None,
    no_input: Annotated[
        bool,
        typer.Option(
            "--no-input",
            "--yes",
            "-y",
            help="Never prompt; new questions of the newer template get defaults.",
        ),
    ] = False,
    template: Annotated[
        str | None,
        typer.Option(
            help="Update from this template (folder or git URL) instead of the one "
            "recorded in .copier-answers.yml.",
            metavar="SRC",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Update a generated project to a newer template version, keeping your edits."""
    from scaffold import console
    from scaffold import update as updating

    with _funnel():
        interactive = not no_input and _on_terminal()
        result = updating.update_project(path, to=to, interactive=interactive, template=template)
        console.update_summary(result)
        if result.conflicts:
            raise updating.conflicts_error(result)


# --- the Lambda path locally: invoke and serve, both through RIE ------------------------------
_ENDPOINT_HELP = "RIE's address (the project's `lambda` service publishes :9000)."


@app.command()
def invoke(
    target: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[METHOD] PATH",
            show_default=False,
            help="Method (GET, or POST with -d) and path with query: `invoke PUT /echo?x=1`.",
        ),
    ] = None,
    endpoint: Annotated[str, typer.Option(help=_ENDPOINT_HELP)] = "http://127.0.0.1:9000",
    header: Annotated[
        list[str] | None, typer.Option("--header", "-H", help="'Name: value'; repeatable.")
    ] = None,
    data: Annotated[
        str | None, typer.Option("--data", "-d", help="Body text, @FILE or @- (stdin).")
    ] = None,
    event: Annotated[
        Path | None, typer.Option("--event", help="Send this Function URL event file as it is.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the function's JSON answer instead of HTTP.")
    ] = False,
    timeout: Annotated[
        float, typer.Option(help="Seconds the whole answer may take (above 0, at most a day).")
    ] = 60.0,
) -> None:
    """Send one Function URL event to the function behind RIE and print the app's answer."""
    import time

    from scaffold import console, invocation, rie_client

    with _funnel():
        rie_client.check_timeout(timeout)
        rie_client.invocation_url(endpoint)
        request = invocation.event_from_args(
            target or (), headers=header or (), data=data, event_file=event
        )
        started = time.monotonic()
        answer = rie_client.invoke(request, endpoint=endpoint, timeout=timeout)
        console.invoked(endpoint, (time.monotonic() - started) * 1000, streamed=answer.streamed)
        if as_json:
            console.emit_json(answer.raw)
        else:
            console.http_response(answer.status, answer.headers, answer.cookies, answer.body)


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 9080,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    endpoint: Annotated[str, typer.Option(help=_ENDPOINT_HELP)] = "http://127.0.0.1:9000",
    timeout: Annotated[
        float, typer.Option(help="Seconds each whole answer may take (above 0, at most a day).")
    ] = 60.0,
) -> None:
    """Serve a local Function URL: each HTTP request becomes an event for RIE, and back."""
    from scaffold import console
    from scaffold import serve as server

    with _funnel():
        httpd = server.make_server(
            host=host, port=port, endpoint=endpoint, timeout=timeout, log=console.request_log
        )
        bound_host, bound_port = httpd.server_address[:2]
        console.serving(f"http://{bound_host!s}:{bound_port}", endpoint)
        server.serve_until_stopped(httpd)
        console.stopped()


def main() -> None:
    """Entry point of the ``lambda-scaffold`` script."""
    app()
