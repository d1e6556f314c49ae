"""How every local pool's worker processes start (the finder's and the normalizer's)."""

from __future__ import annotations

import signal


def worker_init() -> None:
    # Ctrl-C is the parent's to handle (one line, exit 130); workers stop when the pool shuts.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # If the parent is killed outright (SIGKILL), workers must not linger: on Linux, ask the
    # kernel to end this worker when its parent dies.
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
