"""Big results from forked workers to the main process through memory, not a pipe (Linux).

Each worker appends its results' numpy arrays to an anonymous memory file of its own
(`memfd_create`), sent once to the main process (its descriptor, over a Unix socket); the rest of
a result is pickled as usual, small. Once the workers are done, the main process maps each file
and the arrays become views of the mapping. Nothing is copied on the way, and no worker sits
waiting, result in hand, for a busy main process to read it through the pool's pipe (measured:
that cost ~10% of a worker's time). The kernel frees the memory once no process holds the file:
a run that is interrupted, or killed, leaves nothing behind (a file in /dev/shm would stay until
the machine restarts). One file, and so one descriptor, per worker however many results.
"""

from __future__ import annotations

import mmap
import os
import pickle
import socket
from dataclasses import dataclass
from typing import Any

_HEADER = 64  # the file's key, then padding: the arrays start aligned


@dataclass(frozen=True)
class Parked:
    """A result whose arrays wait in a worker's memory file: the file's key, the rest of the
    result pickled, and where each array lies in the file."""

    key: int
    head: bytes
    spans: tuple[tuple[int, int], ...]


@dataclass
class _File:
    fd: int
    key: int
    end: int


_FILE: _File | None = None  # this worker's memory file, made at its first result


def park(result: Any, sender: socket.socket) -> Any:
    """`result` as a `Parked`, its arrays in this worker's memory file (sent to the main process
    through `sender` when made); or `result` itself where no memory file can be made or filled
    (it then goes through the pipe). Raises once the main process is gone, which stops the
    worker."""
    global _FILE
    buffers: list[pickle.PickleBuffer] = []
    head = pickle.dumps(result, protocol=5, buffer_callback=buffers.append)
    if _FILE is None or _FILE.key != os.getpid():  # (a fork of a process that parked: a file of its own)
        try:
            fd = os.memfd_create("cleaner-parked", os.MFD_CLOEXEC)
        except (AttributeError, OSError):
            return result
        key = os.getpid()
        try:
            _write_all(fd, key.to_bytes(8, "little").ljust(_HEADER, b"\0"), 0)
        except OSError:
            os.close(fd)
            return result
        socket.send_fds(sender, [b"p"], [fd])
        _FILE = _File(fd, key, _HEADER)
    spans = []
    at = _FILE.end
    try:
        for b in buffers:
            data = b.raw()
            at += -at % 64  # each array aligned, as numpy prefers
            _write_all(_FILE.fd, data, at)
            spans.append((at, at + data.nbytes))
            at += data.nbytes
    except OSError:
        return result  # no memory to spare: through the pipe, and the next result tries again
    _FILE.end = at
    return Parked(_FILE.key, head, tuple(spans))


def _write_all(fd: int, data: memoryview | bytes, at: int) -> None:
    view = memoryview(data).cast("B")
    while view:
        written = os.pwrite(fd, view, at)
        view, at = view[written:], at + written


class Mailbox:
    """The main process's end: `sender` is for the workers (forked after this is made). Once they
    are done, `unpark` turns each worker's `Parked` back into its result."""

    def __init__(self) -> None:
        self._receiver, self.sender = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._receiver.setblocking(False)
        self._mapped: dict[int, memoryview] = {}

    def __enter__(self) -> Mailbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self._receiver.close()
        self.sender.close()
        self._mapped.clear()  # the results' arrays keep what they need of the mappings

    def _collect(self) -> None:
        """Map every file received so far (a few: one per worker)."""
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(self._receiver, 64, 64)
            except BlockingIOError:
                return
            if not data:
                return
            for fd in fds:
                try:
                    key = int.from_bytes(os.pread(fd, 8, 0), "little")
                    self._mapped[key] = memoryview(mmap.mmap(fd, 0, access=mmap.ACCESS_COPY))
                finally:
                    os.close(fd)

    def unpark(self, result: Any) -> Any:
        """The worker's result, its arrays views of the mapped file (copy-on-write: this
        process's to change, like any array). Only once the worker is done with its file: the
        mapping is as long as the file was then."""
        if not isinstance(result, Parked):
            return result
        if result.key not in self._mapped:
            self._collect()
        mapped = self._mapped.get(result.key)
        if mapped is None:
            raise RuntimeError(f"the memory file of worker {result.key} never arrived")
        return pickle.loads(result.head, buffers=[mapped[a:b] for a, b in result.spans])
