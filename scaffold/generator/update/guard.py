"""Turn SIGINT, SIGTERM and SIGHUP into an exception while an update runs, so it can roll back.

Without this, SIGTERM and SIGHUP end the process at once and no ``finally`` block runs.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Final

SIGNALS: Final = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(BaseException):
    """Raised in the main thread when one of SIGNALS arrives.

    A BaseException, so that ``except Exception`` in copier or git helpers lets it through.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Guard:
    """Records the first signal; raises Interrupted unless inside :meth:`deferred`."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._deferring = 0

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        """The signal handler."""
        if self.received is None:
            self.received = signum
        if not self._deferring:
            raise Interrupted(signum)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Hold signals back (they are only recorded) for a step that must not be cut short."""
        self._deferring += 1
        try:
            yield
        finally:
            self._deferring -= 1

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Hold signals back for a short step, then raise Interrupted for one that came in it.

        For a step that creates something the caller must clean up: the signal then arrives
        where the caller's ``finally`` block can see what was made.
        """
        before = self.received
        with self.deferred():
            yield
        if before is None and self.received is not None and not self._deferring:
            raise Interrupted(self.received)


@contextmanager
def guarded() -> Iterator[Guard]:
    """Install the guard's handler for SIGNALS for the length of the block.

    Signal handlers belong to the main thread; elsewhere (a library caller's worker thread) the
    guard records nothing and the caller's own handling applies.
    """
    guard = Guard()
    if threading.current_thread() is not threading.main_thread():
        yield guard
        return
    previous = {signum: signal.signal(signum, guard.handle) for signum in SIGNALS}
    try:
        yield guard
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
