"""`dev`: the local Function URL -> RIE -> adapter -> relay -> the app, reloaded on every save.

The main thread watches the sources and starts a new app generation on each change; the front
door serves in a thread. A request that arrives while no app is ready waits for one (bounded);
while a new generation starts, the previous one keeps answering, and when the new one fails
(a compile or syntax error) it goes on answering. Ctrl-C, SIGTERM or SIGHUP stop everything:
the app generations, RIE and the adapter, by PID, and then whatever still carries the marker.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from types import FrameType
from typing import Any, Final, Protocol

from scaffold.lambda_local import serve
from scaffold.lambda_local.dev import build_errors, processes
from scaffold.lambda_local.dev.binaries import Binaries
from scaffold.lambda_local.dev.emulator import Emulator
from scaffold.lambda_local.dev.generations import Generation, Outcome
from scaffold.lambda_local.dev.project import DevProject
from scaffold.lambda_local.dev.relay import Relay
from scaffold.lambda_local.dev.watcher import POLL, Watcher
from scaffold.lambda_local.request_body import BadRequestError

FIRST_START_TIMEOUT: Final = 900.0  # the first `make run` may install dependencies and build
RELOAD_TIMEOUT: Final = 120.0
_SHOWN_CHANGES: Final = 3


@dataclass(frozen=True)
class DevOptions:
    """How `dev` listens and how long requests wait."""

    host: str = serve.DEFAULT_HOST
    port: int = serve.DEFAULT_PORT
    wait: float = 60.0  # seconds a request waits for a ready app
    invoke_timeout: float | None = None  # default: the function's timeout plus 5 s


@dataclass(frozen=True)
class RequestLine:
    """One request through the chain."""

    method: str
    target: str
    status: int
    elapsed_ms: float
    cold: bool
    outcome: str


class DevEvents(Protocol):
    """Where `dev` reports what happens (the CLI prints it)."""

    def status(self, text: str) -> None:
        """A line about the loop: started, reloading, ready, failed, stopped."""

    def app_line(self, generation: int, text: str) -> None:
        """A line the app (or its build) wrote."""

    def emulator_line(self, text: str) -> None:
        """A line RIE or the adapter wrote."""

    def request(self, line: RequestLine) -> None:
        """One request answered."""


@dataclass(frozen=True)
class _Ticket:
    inits: int
    first_for_code: bool


class _DevServer(serve.FunctionUrlServer):
    """The front door: waits for a ready app before each invoke and logs cold or warm."""

    def __init__(self, *args: Any, session: Session, **kwargs: Any) -> None:
        self.session = session
        super().__init__(*args, **kwargs)

    def before_invoke(self) -> object:
        return self.session.admit()

    def answered(self, answer: serve.Answered) -> None:
        ticket = answer.ticket
        cold = isinstance(ticket, _Ticket) and (
            ticket.first_for_code or self.session.inits() > ticket.inits
        )
        line = RequestLine(
            answer.method, answer.target, answer.status, answer.elapsed_ms, cold, answer.outcome
        )
        self.session.events.request(line)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    raise KeyboardInterrupt


@contextlib.contextmanager
def _stop_signals() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP end the loop and stop the children (main thread only).

    SIGINT too, even where it was inherited ignored (a shell's background job): the children
    must be stopped whichever way `dev` is told to end.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stops = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, _interrupt) for sig in stops}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class Session:
    """One `dev` run over a project."""

    def __init__(
        self,
        project: DevProject,
        binaries: Binaries,
        events: DevEvents,
        options: DevOptions | None = None,
    ) -> None:
        self.project = project
        self.binaries = binaries
        self.events = events
        self.options = options or DevOptions()
        self.marker = processes.new_marker()
        self._cond = threading.Condition()
        self._current: Generation | None = None
        self._starting = False
        self._failure: str | None = None
        self._retiring: list[Generation] = []
        self._next: Generation | None = None  # the generation being started
        self._number = 0
        self._emulator: Emulator | None = None
        self.url = ""

    # --- the front door's side -----------------------------------------------------------
    def inits(self) -> int:
        """How many cold starts RIE has made so far."""
        return self._emulator.inits if self._emulator is not None else 0

    def admit(self) -> _Ticket:
        """Wait (bounded) for a ready app; refuse with 503 when none comes."""
        deadline = time.monotonic() + self.options.wait
        with self._cond:
            while self._current is None or not self._current.alive():
                left = deadline - time.monotonic()
                if (not self._starting and self._failure is not None) or left <= 0:
                    reason = self._failure or f"no app was ready within {self.options.wait:.0f} s"
                    raise BadRequestError(
                        HTTPStatus.SERVICE_UNAVAILABLE,
                        f"the app is not running: {reason}; fix the code and save",
                    )
                self._cond.wait(min(left, 0.5))
            generation = self._current
            first = generation.requests == 0
            generation.requests += 1
        return _Ticket(self.inits(), first)

    # --- the loop ------------------------------------------------------------------------
    def run(self) -> None:
        """Serve and reload until Ctrl-C, SIGTERM or SIGHUP; then stop every process."""
        relay: Relay | None = None
        server: serve.FunctionUrlServer | None = None
        thread: threading.Thread | None = None
        with _stop_signals():
            try:
                left = processes.orphans()
                if left:
                    processes.stop_pids(left)
                    self.events.status(
                        f"stopped {len(left)} process(es) left by an earlier `dev` that was killed"
                    )
                watcher = Watcher(self.project.root)
                relay = Relay()
                timeout = self.options.invoke_timeout or float(self.project.timeout + 5)
                server = serve.make_server(
                    host=self.options.host,
                    port=self.options.port,
                    endpoint="http://127.0.0.1:9",  # replaced once RIE listens
                    timeout=timeout,
                    log=self.events.status,
                    factory=functools.partial(_DevServer, session=self),
                )
                self._emulator = self._new_emulator(relay)
                server.endpoint = self._emulator.endpoint
                host, port = server.server_address[:2]
                self.url = f"http://{host!s}:{port}"
                thread = threading.Thread(
                    target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
                )
                thread.start()
                self.events.status(
                    f"Function URL {self.url} -> RIE -> Lambda Web Adapter -> the app "
                    "(Ctrl-C stops)"
                )
                self._reload(relay, [], FIRST_START_TIMEOUT)
                while True:
                    changes = watcher.poll()
                    if changes:
                        self._reload(relay, changes, RELOAD_TIMEOUT)
                    else:
                        self._check_current()
                        self._check_emulator(server, relay)
                        time.sleep(POLL)
            except KeyboardInterrupt:
                pass
            finally:
                self._shut_down(server, thread, relay)

    def _reload(self, relay: Relay, changes: list[str], timeout: float) -> None:
        """Start the next generation; promote it when ready, else keep the current one."""
        self._number += 1
        if changes:
            shown = ", ".join(changes[:_SHOWN_CHANGES])
            more = len(changes) - _SHOWN_CHANGES
            self.events.status(f"{shown}{f' and {more} more' if more > 0 else ''} changed")
        with self._cond:
            self._starting = True
        # The first start may install dependencies: its lines show as they come. A reload's
        # start-up lines are held back, and shown only if it fails (the error, once).
        live = threading.Event()
        held: list[str] = []
        if self._number == 1:
            live.set()

        def on_line(generation: int, line: str) -> None:
            if live.is_set():
                self.events.app_line(generation, line)
            else:
                held.append(line)

        started = time.monotonic()
        generation = Generation(
            self._number, root=self.project.root, marker=self.marker, on_line=on_line
        )
        self._next = generation
        outcome = generation.wait_ready(self.project.readiness_path, timeout=timeout)
        self._next = None
        elapsed = (time.monotonic() - started) * 1000
        if outcome is Outcome.READY:
            live.set()
            self._promote(relay, generation, elapsed)
            return
        generation.stop()
        if self._number != 1:
            for line in held:
                self.events.app_line(generation.number, line)
        self._reject(generation, outcome, timeout)

    def _promote(self, relay: Relay, generation: Generation, elapsed: float) -> None:
        relay.point_at(generation.port)
        with self._cond:
            previous, self._current = self._current, generation
            self._starting, self._failure = False, None
            self._cond.notify_all()
        self.events.status(
            f"ready in {elapsed:.0f} ms (app {generation.number} on 127.0.0.1:{generation.port})"
        )
        if previous is not None:
            self._retire(previous)

    def _reject(self, generation: Generation, outcome: Outcome, timeout: float) -> None:
        if outcome is Outcome.EXITED:
            status = generation.exit_code
            where = build_errors.locate(list(generation.child.tail), self.project.root)
            reason = f"`make run` exited with status {status}"
            if where is not None:
                reason = f"{where} ({reason})"
        else:
            reason = f"the app did not answer {self.project.readiness_path} within {timeout:.0f} s"
        with self._cond:
            current = self._current if self._current and self._current.alive() else None
            self._starting = False
            self._failure = None if current else reason
            self._cond.notify_all()
        keeps = (
            f"app {current.number} keeps serving"
            if current
            else "nothing is serving until the next save"
        )
        self.events.status(f"the new code did not start: {reason}; {keeps}")

    def _retire(self, generation: Generation) -> None:
        """Stop a replaced generation in the background: its in-flight requests finish first."""
        self._retiring.append(generation)
        threading.Thread(target=generation.stop, name="dev-retire", daemon=True).start()

    def _check_current(self) -> None:
        with self._cond:
            current = self._current
            if current is None or current.alive():
                return
            self._current = None
            self._failure = f"the app exited with status {current.exit_code}"
            self._cond.notify_all()
        self.events.status(f"{self._failure}; requests get 503 until the next save")

    def _new_emulator(self, relay: Relay) -> Emulator:
        return Emulator(
            self.binaries,
            settings=self.project.rie_settings(),
            app_port=relay.port,
            marker=self.marker,
            on_line=self.events.emulator_line,
        )

    def _check_emulator(self, server: serve.FunctionUrlServer, relay: Relay) -> None:
        """Start RIE again if it died (it is never expected to): the next request is cold."""
        emulator = self._emulator
        if emulator is None or emulator.child.alive():
            return
        status = emulator.child.process.poll()
        emulator.stop()
        self._emulator = self._new_emulator(relay)
        server.endpoint = self._emulator.endpoint
        self.events.status(f"RIE exited with status {status}; started it again")

    def _shut_down(
        self,
        server: serve.FunctionUrlServer | None,
        thread: threading.Thread | None,
        relay: Relay | None,
    ) -> None:
        held = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        ignored = {sig: signal.getsignal(sig) for sig in held}
        if threading.current_thread() is threading.main_thread():
            for sig in held:  # one signal stops; more cannot cut the stopping short
                signal.signal(sig, signal.SIG_IGN)
        try:
            if server is not None:
                if thread is not None:
                    server.shutdown()
                with contextlib.suppress(OSError):
                    server.server_close()
            if relay is not None:
                relay.close()
            generations = [*self._retiring, self._current, self._next]
            children = [g.child for g in generations if g is not None]
            if self._emulator is not None:
                children.append(self._emulator.child)
            processes.stop_all(children)
            if self._emulator is not None:
                self._emulator.stop()
            processes.sweep(self.marker)
        finally:
            if threading.current_thread() is threading.main_thread():
                for sig, handler in ignored.items():
                    signal.signal(sig, handler)
