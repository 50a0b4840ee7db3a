"""The only click user: commands, flags and the one error funnel.

`new`'s answer flags are derived from the question table (:mod:`scaffold.generator.questions`).
Each command imports what it needs when it runs, so `--version`, `invoke` and `serve` start
without copier, questionary or rich.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from scaffold.errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    MissingAnswerError,
    ScaffoldError,
)
from scaffold.interrupts import Interrupted, unwrap

if TYPE_CHECKING:
    from scaffold.generator.questions import Question

_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
_ENDPOINT_HELP = "RIE's address (the project's `lambda` service publishes :9000)."
_ENDPOINT = "http://127.0.0.1:9000"


@contextmanager
def _funnel() -> Iterator[None]:
    """Turn every ScaffoldError and interrupt into a message, a hint and an exit code."""
    try:
        yield
    except ScaffoldError as err:
        from scaffold import console

        console.error(err)
        raise click.exceptions.Exit(err.exit_code) from err
    except Interrupted as err:
        from scaffold import console

        console.interrupted(err)
        raise click.exceptions.Exit(err.exit_code) from err
    except (KeyboardInterrupt, EOFError) as err:
        from scaffold import console

        console.aborted()
        raise click.exceptions.Exit(EXIT_INTERRUPTED) from err
    except Exception as err:  # code that wraps what it catches, e.g. an import cut short
        stopped = unwrap(err)
        if stopped is None:
            raise
        from scaffold import console

        console.interrupted(stopped)
        raise click.exceptions.Exit(stopped.exit_code) from err


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from scaffold import terminal
    from scaffold.version import __version__

    try:
        terminal.emit_line(f"lambda-scaffold {__version__}")
    except ScaffoldError as err:
        sys.stderr.write(f"error: {err.message}\n")
        ctx.exit(EXIT_FAILURE)
    ctx.exit(0)


class _Commands(click.Group):
    """A group that builds `new` (its flags come from the question table) only when it is needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:  # noqa: ARG002
        """Name the commands in the order they are documented."""
        return ["new", *(name for name in self.commands if name != "new")]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Return a command, building `new` on first use."""
        if cmd_name == "new" and "new" not in self.commands:
            self.add_command(_new_command())
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=_Commands,
    name="lambda-scaffold",
    context_settings=_CONTEXT,
    no_args_is_help=True,
    help="Scaffold web apps for AWS Lambda: Lambda Web Adapter, SAM, Function URL, compose.",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_version,
    help="Show the version.",
)
def app() -> None:
    """Scaffold web apps for AWS Lambda: Lambda Web Adapter, SAM, Function URL, compose."""


def _on_terminal() -> bool:
    """Tell whether stdin is a terminal to ask on (it may also be closed)."""
    return sys.stdin is not None and sys.stdin.isatty()


def _answer_option(question: Question) -> click.Option:
    """The flag of one question: ``--x/--no-x`` for yes-or-no, ``--x VALUE`` otherwise."""
    from scaffold.generator.questions import Kind

    names = [question.flag] if question.short is None else [question.flag, question.short]
    if question.kind is Kind.CONFIRM:
        return click.Option(
            [f"{question.flag}/--no-{question.flag[2:]}", question.name],
            default=None,
            help=question.help,
        )
    return click.Option(
        [*names, question.name],
        default=None,
        metavar=question.answer_type.__name__.upper().replace("STR", "TEXT"),
        help=question.help,
    )


def _new(
    destination: Path | None,
    no_input: bool,
    force: bool,
    dry_run: bool,
    template: str | None,
    **given: Any,
) -> None:
    """Create a new project: app, Dockerfile with the adapter, SAM template, compose, README."""
    from scaffold import console, interrupts
    from scaffold.generator import plan, render
    from scaffold.generator.frameworks import framework_flag_hint
    from scaffold.generator.models import RequestDraft
    from scaffold.generator.questions import question

    with _funnel(), interrupts.handled():
        answers = {name: value for name, value in given.items() if value is not None}
        for name, value in answers.items():  # a bad flag is refused before any question
            question(name).parse(value)
        draft = RequestDraft(destination=destination, given=answers)
        if destination is not None:
            render.check_destination(destination, overwrite=force)
        if template is not None:
            template = render.check_template(template)
        if not no_input and _on_terminal():
            from scaffold import prompts

            draft = prompts.complete(draft)
        elif "framework" not in answers and not no_input:
            raise MissingAnswerError(
                "no framework was given and there is no terminal to ask on",
                hint=f"pass {framework_flag_hint()}, or --no-input for defaults",
            )
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


def _new_command() -> click.Command:
    """Build `new`: DEST, one flag per question of the table, and the run's own flags."""
    from scaffold.generator.questions import QUESTIONS

    return click.Command(
        "new",
        callback=_new,
        context_settings=_CONTEXT,
        help=_new.__doc__,
        params=[
            click.Argument(
                ["destination"],
                required=False,
                type=click.Path(path_type=Path),
                metavar="[DEST]",
            ),
            *(_answer_option(q) for q in QUESTIONS),
            click.Option(
                ["--no-input", "--yes", "-y", "no_input"],
                is_flag=True,
                help="Never prompt; defaults for the rest.",
            ),
            click.Option(["--force"], is_flag=True, help="Render into a non-empty DEST."),
            click.Option(
                ["--dry-run"],
                is_flag=True,
                help="Show the files that would be written; write nothing.",
            ),
            click.Option(
                ["--template"],
                metavar="SRC",
                help="Another copier template (folder or git URL) that asks the same "
                "questions, e.g. a fork of this one.",
            ),
        ],
    )


@app.command("list", context_settings=_CONTEXT)
@click.option("--json", "as_json", is_flag=True, help="Print JSON to stdout.")
def list_command(as_json: bool) -> None:
    """List the frameworks a project can be created for."""
    from scaffold.generator.frameworks import BLUEPRINTS

    with _funnel():
        if not as_json:
            from scaffold import console

            console.blueprint_table(BLUEPRINTS)
            return
        from scaffold import terminal

        terminal.emit_json(
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


@app.command(context_settings=_CONTEXT)
@click.argument("path", type=click.Path(path_type=Path), default=Path(), metavar="[PATH]")
@click.option(
    "--to", metavar="VERSION", help="Template version to update to, e.g. 1.2.0 (default: newest)."
)
@click.option(
    "--no-input",
    "--yes",
    "-y",
    "no_input",
    is_flag=True,
    help="Never prompt; new questions of the newer template get defaults.",
)
@click.option(
    "--template",
    metavar="SRC",
    help="Update from this template (folder, git URL or bundle) instead of the one recorded in "
    ".copier-answers.yml.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Only tell whether a newer template release exists (exit 0: up to date, 1: newer, "
    "2: error) and which pins it changes; writes nothing.",
)
@click.option("--json", "as_json", is_flag=True, help="With --check: print one JSON object.")
def update(
    path: Path, to: str | None, no_input: bool, template: str | None, check: bool, as_json: bool
) -> None:
    """Update a generated project (PATH, default: here) to a newer template, keeping your edits."""
    if as_json and not check:
        raise click.UsageError("--json goes with --check")
    if check and to is not None:
        raise click.UsageError("--check tells about the newest release; it takes no --to")
    if check:
        _check_update(path, template, as_json=as_json)
        return
    from scaffold import console
    from scaffold.generator.update import run as updating

    with _funnel():
        interactive = not no_input and _on_terminal()
        result = updating.update_project(path, to=to, interactive=interactive, template=template)
        console.update_summary(result)
        if result.conflicts:
            raise updating.conflicts_error(result)


def _check_update(path: Path, template: str | None, *, as_json: bool) -> None:
    """`update --check`: exit 0 when up to date, 1 when a newer release exists, 2 on any error."""
    from scaffold.generator.update import check as checking

    with _funnel():
        try:
            result = checking.check_project(path, template=template)
            if as_json:
                from scaffold import terminal

                terminal.emit_json(result.as_json())
            else:
                from scaffold import console

                console.check_summary(result, template=template)
        except ScaffoldError as err:
            err.exit_code = EXIT_USAGE
            raise
    if result.update_available:
        raise click.exceptions.Exit(EXIT_FAILURE)


# --- the Lambda path locally: invoke and serve, both through RIE ------------------------------
@app.command(context_settings=_CONTEXT)
@click.argument("target", nargs=-1, metavar="[METHOD] PATH")
@click.option("--endpoint", default=_ENDPOINT, show_default=True, help=_ENDPOINT_HELP)
@click.option("--header", "-H", multiple=True, help="'Name: value'; repeatable.")
@click.option("--data", "-d", help="Body text, @FILE or @- (stdin).")
@click.option(
    "--event",
    type=click.Path(path_type=Path),
    help="Send this Function URL event file as it is.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the function's JSON answer instead of HTTP."
)
@click.option(
    "--timeout",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds the whole answer may take (above 0, at most a day).",
)
def invoke(
    target: tuple[str, ...],
    endpoint: str,
    header: tuple[str, ...],
    data: str | None,
    event: Path | None,
    as_json: bool,
    timeout: float,
) -> None:
    """Send one Function URL event to the function behind RIE and print the app's answer.

    METHOD is GET, or POST with -d; PATH may hold a query: `invoke PUT /echo?x=1`.
    """
    import time

    from scaffold import terminal
    from scaffold.lambda_local import invocation, rie_client

    with _funnel():
        rie_client.check_timeout(timeout)
        rie_client.invocation_url(endpoint)
        request = invocation.event_from_args(target, headers=header, data=data, event_file=event)
        started = time.monotonic()
        answer = rie_client.invoke(request, endpoint=endpoint, timeout=timeout)
        terminal.invoked(endpoint, (time.monotonic() - started) * 1000, streamed=answer.streamed)
        if as_json:
            terminal.emit_json(answer.raw)
        else:
            terminal.http_response(answer.status, answer.headers, answer.cookies, answer.body)


@app.command(context_settings=_CONTEXT)
@click.option(
    "--port", type=int, default=9080, show_default=True, help="Port to listen on (0: any free)."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--endpoint", default=_ENDPOINT, show_default=True, help=_ENDPOINT_HELP)
@click.option(
    "--timeout",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds each whole answer may take (above 0, at most a day).",
)
def serve(port: int, host: str, endpoint: str, timeout: float) -> None:
    """Serve a local Function URL: each HTTP request becomes an event for RIE, and back."""
    from scaffold import terminal
    from scaffold.lambda_local import serve as server

    with _funnel():
        httpd = server.make_server(
            host=host, port=port, endpoint=endpoint, timeout=timeout, log=terminal.status
        )
        bound_host, bound_port = httpd.server_address[:2]
        gc.freeze()  # what start-up made lives on; collect only what serving makes
        gc.enable()
        terminal.serving(f"http://{bound_host!s}:{bound_port}", endpoint)
        server.serve_until_stopped(httpd)
        terminal.stopped()


@app.command(context_settings=_CONTEXT)
@click.argument(
    "path", required=False, default=".", type=click.Path(path_type=Path, file_okay=False)
)
@click.option(
    "--port",
    type=int,
    default=None,
    help="Port of the local Function URL.  [default: 9080; 9081 if the app uses 9080]",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--wait",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds a request waits for the app to be ready (above 0).",
)
@click.option(
    "--verbose", "-v", is_flag=True, help="Also print the app's access log and RIE's lines."
)
def dev(path: Path, port: int | None, host: str, wait: float, verbose: bool) -> None:
    """Run PATH's app natively behind the real RIE and Lambda Web Adapter, reloaded on save.

    A local Function URL on http://127.0.0.1:9080 sends each request as a Function URL event
    through RIE and the adapter to the app. Linux only; elsewhere use `make watch`.
    """
    from scaffold import dev as launch
    from scaffold import terminal

    with _funnel():
        plan = launch.prepare(path, host=host, port=port, wait=wait, notify=terminal.status)
        for note in plan.notes:
            terminal.status(note)
        gc.freeze()
        gc.enable()
        launch.run(plan, terminal.DevLog(verbose=verbose))
        terminal.stopped()


def main() -> None:
    """Entry point of the ``lambda-scaffold`` script.

    The cyclic garbage collector is off for the run: a command is short and makes few cycles,
    while collecting during the imports and copier's render costs about a tenth of the time of
    `new`. A long-running command (`serve`) turns it back on.
    """
    from scaffold import interrupts

    gc.disable()
    try:
        app()
    finally:
        interrupts.end_quietly()
