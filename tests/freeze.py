"""Lambda's freeze between invocations, emulated on the local chain (RIE, the adapter, the app).

Between two invocations Lambda freezes the execution environment: the app and the adapter stop,
time passes, and both resume together when the next event arrives. Timers that expired while
frozen fire at once on thaw, so an app whose keep-alive timeout is shorter than the adapter's
connection-pool idle timeout (4 s) closes a pooled connection just as the adapter sends the next
request on it: the caller gets an error (aws-lambda-web-adapter #415). Waiting between requests
without the freeze does not show it: the app closes the idle connection early and the adapter
sees that before it reuses the connection.

:func:`invoke_after_freeze` emulates the freeze: SIGSTOP to every process of the chain but RIE
(the adapter and the app's process group), a wait, the event posted to RIE, then SIGCONT, the
adapter first. It also tells whether the call reused a pooled connection to the app, from the
kernel's TCP table.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from scaffold.errors import ScaffoldError
from scaffold.lambda_local.response import HttpResponse
from scaffold.lambda_local.rie_client import invoke
from tests import lambda_chain as lc

# The adapter keeps idle connections to the app this long (pool_idle_timeout in its src/lib.rs).
ADAPTER_POOL_IDLE_TIMEOUT: Final = 4.0
_ESTABLISHED: Final = "01"
_DELIVERY_PAUSE: Final = 0.05  # lets RIE hand the event to the (stopped) adapter's socket
_CALL_TIMEOUT: Final = 40.0


@dataclass(frozen=True)
class FrozenCall:
    """One invocation made after a freeze of `gap` seconds."""

    gap: float
    answer: HttpResponse | None
    error: str | None
    reused: bool

    @property
    def ok(self) -> bool:
        """The function answered with a 200."""
        return self.answer is not None and self.answer.status == 200

    def describe(self) -> str:
        """One line for a failure message."""
        answer = self.answer
        outcome = f"error: {self.error}" if answer is None else f"status {answer.status}"
        connection = "reused the pooled connection" if self.reused else "new connection"
        return f"after {self.gap:.1f} s frozen: {outcome}, {connection}"


def _marker(pid: int) -> bytes:
    """The chain's marker variable, as RIE carries it in its environment."""
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    prefix = f"{lc.MARKER}=".encode()
    return next(item for item in environ if item.startswith(prefix))


def frozen_processes(chain: lc.Chain) -> tuple[list[int], list[int]]:
    """Return (adapter PIDs, app PIDs): every process of the chain except RIE itself."""
    marker = _marker(chain.process.pid)
    adapter: list[int] = []
    app: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == chain.process.pid:
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            name = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if marker in environ:
            (adapter if name == "lambda-adapter" else app).append(int(entry.name))
    if not adapter or not app:
        raise AssertionError(f"no adapter or app process to freeze\n{lc.tail(chain.log)}")
    return adapter, app


def connections_to(port: int) -> set[int]:
    """The client-side ports of the established TCP connections to 127.0.0.1:port."""
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local, remote, state = fields[1], fields[2], fields[3]
                if state == _ESTABLISHED and int(remote.rsplit(":", 1)[1], 16) == port:
                    ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


def _signal_all(pids: list[int], signum: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def invoke_after_freeze(chain: lc.Chain, event: dict[str, Any], gap: float) -> FrozenCall:
    """Freeze the adapter and the app for `gap` seconds, then thaw them with the next event."""
    adapter, app = frozen_processes(chain)
    before = connections_to(chain.app_port)
    outcome: dict[str, Any] = {}

    def call() -> None:
        try:
            outcome["answer"] = invoke(event, endpoint=chain.endpoint, timeout=_CALL_TIMEOUT)
        except ScaffoldError as err:
            outcome["error"] = str(err)

    _signal_all(adapter + app, signal.SIGSTOP)
    try:
        time.sleep(gap)
        caller = threading.Thread(target=call, daemon=True)
        caller.start()
        time.sleep(_DELIVERY_PAUSE)
    finally:
        _signal_all(adapter, signal.SIGCONT)
        _signal_all(app, signal.SIGCONT)
    caller.join(_CALL_TIMEOUT + 5)
    if caller.is_alive():
        raise AssertionError(f"no answer within {_CALL_TIMEOUT} s\n{lc.tail(chain.log)}")
    opened = connections_to(chain.app_port) - before
    answer = outcome.get("answer")
    return FrozenCall(gap, answer, outcome.get("error"), reused=answer is not None and not opened)
