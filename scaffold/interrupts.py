"""SIGINT, SIGTERM and SIGHUP as exceptions, and sections of work that no signal cuts in half."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, Final

HANDLED: Final = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """Raised when SIGINT, SIGTERM or SIGHUP stops a run; says what the run left behind.

    A KeyboardInterrupt, so that every library cleans up as it does on Ctrl-C.

    Args:
        signum: The signal that stopped the run.
        written: The destination, when the project had been written completely before the
            signal was acted on; None when nothing was written.
        left: Paths the run could not remove again.
    """

    def __init__(
        self, signum: int, *, written: Path | None = None, left: tuple[Path, ...] = ()
    ) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.written = written
        self.left = left

    @property
    def exit_code(self) -> int:
        """128 plus the signal number: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP."""
        return 128 + self.signum

    @property
    def name(self) -> str:
        """The signal's name, e.g. SIGTERM."""
        return signal.Signals(self.signum).name


_state: Final = {"depth": 0, "raised": 0}


def _raise(signum: int, _frame: FrameType | None) -> None:
    """Raise Interrupted for the first signal; later ones must not cut the cleanup it starts."""
    if _state["raised"]:
        return
    _state["raised"] = signum
    raise Interrupted(signum)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def handled() -> Iterator[None]:
    """Turn SIGINT, SIGTERM and SIGHUP into Interrupted while the body runs.

    Only the first signal raises: the cleanup that it starts runs to its end whatever follows
    (SIGKILL still stops the process).
    """
    if not _in_main_thread():
        yield
        return
    previous = _swap(dict.fromkeys(HANDLED, _raise))
    _state["depth"] += 1
    try:
        yield
    finally:
        _swap(previous)
        _state["depth"] -= 1
        if not _state["depth"]:
            _state["raised"] = 0


@contextmanager
def deferred() -> Iterator[list[int]]:
    """Hold SIGINT, SIGTERM and SIGHUP until the body has finished.

    Yields the list of the signals that arrived meanwhile; the caller decides what they mean
    once the work is complete or undone. Outside the main thread signals cannot be handled
    and the body runs as it is.
    """
    held: list[int] = []
    if not _in_main_thread():
        yield held
        return

    def hold(signum: int, _frame: FrameType | None) -> None:
        held.append(signum)

    previous = _swap(dict.fromkeys(HANDLED, hold))
    try:
        yield held
    finally:
        _swap(previous)


def _swap(handlers: dict[signal.Signals, Any]) -> dict[signal.Signals, Any]:
    """Install handlers with the signals blocked meanwhile: no signal finds them half-swapped."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED)
    try:
        return {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def unwrap(err: BaseException) -> Interrupted | None:
    """Find the Interrupted behind err: some code wraps what it catches (RuntimeError, ...)."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        if isinstance(current, Interrupted):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def after(held: list[int], *, written: Path | None) -> None:
    """Act on the first signal held by :func:`deferred`, now that its section is over."""
    if held and not _state["raised"]:
        if _state["depth"]:  # inside handled(): later signals must not cut the cleanup short
            _state["raised"] = held[0]
        raise Interrupted(held[0], written=written)


def raised() -> int | None:
    """The signal that has stopped the current :func:`handled` section, if one has.

    Some libraries turn an exception raised inside them into their own error: with this a
    caller still tells that the run was stopped by a signal.
    """
    return _state["raised"] or None


def end_quietly() -> None:
    """From now on SIGINT, SIGTERM and SIGHUP end the process at once, by the signal, silently.

    For the moment after a command has finished and said everything: a late signal must not
    turn a complete run into a traceback or an "Aborted!".
    """
    if _in_main_thread():
        _swap(dict.fromkeys(HANDLED, signal.SIG_DFL))
