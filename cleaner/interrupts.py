"""SIGTERM and SIGHUP handled as Ctrl-C is: an exception, so that every `finally` runs (temporary
files removed, workers stopped) and the run ends with one line and exit 128 + the signal.

`timeout`, systemd, Kubernetes and CI cancellation send SIGTERM; a closed terminal sends SIGHUP.
SIGKILL cannot be caught: what it leaves is described in `cleaner.io.writers` (temporary files a
later run removes) and `cleaner.dedup.store` (SQLite's journal, rolled back on the next open).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Terminated(KeyboardInterrupt):
    """The run was asked to stop by a signal. A `KeyboardInterrupt`, so that code that cleans up
    after Ctrl-C (pools, Ray) does the same here."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


_received: list[int] = []


def _stop(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)
    # A second signal must not interrupt the clean-up the first one started.
    for s in SIGNALS:
        signal.signal(s, signal.SIG_IGN)
    raise Terminated(signum)


def received() -> Terminated | None:
    """The stop request, if a signal came: whatever error it surfaced as (a worker gone, a
    broken pipe), the run ends as stopped by it."""
    return Terminated(_received[0]) if _received else None


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise `Terminated` (in the main thread); before and
    after it, they do what they did."""
    try:
        previous = {s: signal.signal(s, _stop) for s in SIGNALS}
    except ValueError:  # not the main thread: signals are the main thread's to handle
        yield
        return
    _received.clear()
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
