"""How every local pool's worker processes start (the finder's and the normalizer's), and the
one read-only object a pool can share with its workers (the normalizer's corpus evidence), sent
once per worker instead of once per chunk."""

from __future__ import annotations

import signal
from typing import Any

_SHARED: dict[str, Any] = {}


def worker_init(shared: Any = None) -> None:
    # Ctrl-C is the parent's to handle (one line, exit 130); workers stop when the pool shuts.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # SIGTERM and SIGHUP stop a worker at once (the parent's handler, inherited by a fork, would
    # have it raise inside its task instead): the parent handles them for the run.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    # If the parent is killed outright (SIGKILL), workers must not linger: on Linux, ask the
    # kernel to end this worker when its parent dies.
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    _SHARED["local"] = shared


def shared(handle: Any) -> Any:
    """The pool's shared object, in a worker: installed by `worker_init` in a local worker
    (`handle` None), fetched once per Ray worker process from the object store (`handle` a
    one-element list holding its reference, so that Ray does not resolve it for every task)."""
    if handle is None:
        return _SHARED.get("local")
    key = f"ray:{handle[0].hex()}"
    if key not in _SHARED:
        import ray

        _SHARED[key] = ray.get(handle[0])
    return _SHARED[key]
