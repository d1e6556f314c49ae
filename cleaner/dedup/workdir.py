"""The duplicate finder's working directory: what grows with the corpus, as flat arrays on disk.

A run gets a private directory (`mkdtemp` under `--work-dir`, default the system temp dir),
removed however the run ends: success, error, Ctrl-C, SIGTERM or SIGHUP (`cleaner.interrupts`
turns those into exceptions, so the `finally` runs). Only SIGKILL leaves one behind, named
`cleaner-dups-*`. Arrays are appended a block at a time (`append`) and read back whole
(`read`) or a range at a time (`read_range`, with `pread`: the pages go to the page cache, not
into this process, so they do not count against its memory as a memory map's would).

A full disk (or any other failure to write there) is an `OutputError`: one line, exit 2.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import numpy as np

from cleaner.errors import OutputError, os_reason

PREFIX = "cleaner-dups-"


class WorkDir:
    """A private directory of named arrays (file name = array name)."""

    def __init__(self, parent: str | os.PathLike[str] | None = None) -> None:
        self.parent = Path(parent) if parent is not None else Path(tempfile.gettempdir())
        self.path: Path | None = None
        self._writers: dict[str, object] = {}
        self._readers: dict[str, int] = {}
        self._owner = os.getpid()  # a forked worker inherits this object, not the directory

    def __enter__(self) -> WorkDir:
        try:
            self.path = Path(tempfile.mkdtemp(prefix=PREFIX, dir=self.parent))
        except OSError as e:
            raise OutputError(f"--work-dir {self.parent}: cannot make a working directory: {os_reason(e)}") from None
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        for fh in self._writers.values():
            with contextlib.suppress(OSError):  # a full disk again: the directory goes anyway
                fh.close()  # type: ignore[attr-defined]
        for fd in self._readers.values():
            os.close(fd)
        self._writers.clear()
        self._readers.clear()
        if self.path is not None and os.getpid() == self._owner:
            shutil.rmtree(self.path, ignore_errors=True)
            self.path = None

    def _file(self, name: str) -> Path:
        if self.path is None:
            raise RuntimeError("the working directory is not open")
        return self.path / name

    def append(self, name: str, values: np.ndarray) -> None:
        """Add `values` (flattened, as they are in memory) to the end of array `name`."""
        try:
            fh = self._writers.get(name)
            if fh is None:
                fh = self._writers[name] = open(self._file(name), "ab")  # noqa: SIM115 (kept open)
            fh.write(np.ascontiguousarray(values).data)  # type: ignore[attr-defined]
        except OSError as e:
            raise self._error(e) from None

    def finish(self) -> None:
        """Every array written so far is complete: flush and close the writers."""
        try:
            for fh in self._writers.values():
                fh.close()  # type: ignore[attr-defined]
        except OSError as e:
            raise self._error(e) from None
        finally:
            self._writers.clear()

    def exists(self, name: str) -> bool:
        return self._file(name).exists()

    def read(self, name: str, dtype: type | np.dtype) -> np.ndarray:  # type: ignore[type-arg]
        """All of array `name` (empty if nothing was appended)."""
        path = self._file(name)
        return np.fromfile(path, dtype=dtype) if path.exists() else np.zeros(0, dtype=dtype)

    def read_range(self, name: str, dtype: type | np.dtype, start: int, count: int) -> np.ndarray:  # type: ignore[type-arg]
        """Elements start .. start + count - 1 of array `name`."""
        fd, size = self._reader(name), np.dtype(dtype).itemsize
        data = os.pread(fd, count * size, start * size)
        return np.frombuffer(data, dtype=dtype)

    def _reader(self, name: str) -> int:
        fd = self._readers.get(name)
        if fd is None:
            fd = self._readers[name] = os.open(self._file(name), os.O_RDONLY)
        return fd

    def read_ranges(self, name: str, dtype: type | np.dtype, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
        """The ranges (start, count) of array `name`, one after another: a `pread` each, which
        costs about a microsecond. (A memory map gathered them no faster, and the kernel maps
        the cached pages around each one it touches into the process: 1.5 GB of PSS for 45,000
        ranges of a 2 GB file.)"""
        fd, size = self._reader(name), np.dtype(dtype).itemsize
        data = b"".join(
            os.pread(fd, n * size, s * size) for s, n in zip(starts.tolist(), counts.tolist(), strict=True) if n
        )
        return np.frombuffer(data, dtype=dtype)

    def _error(self, e: OSError) -> OutputError:
        return disk_error(self.parent, "cannot write the finder's arrays", e)


def disk_error(parent: Path, what: str, e: OSError) -> OutputError:
    """A failure to write under `--work-dir` as one line, with a hint where the disk is full."""
    full = e.errno in (errno.ENOSPC, errno.EDQUOT)
    hint = "; free space there or name another place with --work-dir" if full else ""
    return OutputError(f"--work-dir {parent}: {what}: {os_reason(e)}{hint}")
