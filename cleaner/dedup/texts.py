"""The clusters' member texts, put aside on disk until a report asks for them.

A report shows every member's text, and the members grow with the corpus: at a million articles
their texts are over a gigabyte, which the finder's working directory keeps out of memory
everywhere else. So `members.fill_members` keeps texts in memory up to a budget (a share of
`--memory`: a small run makes no file at all), as UTF-8 in one buffer (as Python strings a
million texts took twice their size: a curly quote makes a string two bytes a character, and each
string has a header), and writes the rest, each once, to an anonymous temporary file
(`tempfile.TemporaryFile`: on POSIX it has no name from the start, so nothing is left behind
however the process ends, SIGKILL included) under `--work-dir`, and each member keeps only where
its text is (`TextRef`), read with `pread` when asked: the pages stay in the page cache, not in
the process (a memory map would count them against it).

A full disk there is an `OutputError`: one line, exit 2.
"""

from __future__ import annotations

import os
import tempfile
import threading
import weakref
from pathlib import Path
from typing import IO

from cleaner.dedup.workdir import disk_error
from cleaner.errors import OutputError

# One pread returns at most about 2 GiB on Linux (and fails past 2 GiB on macOS).
READ_CHUNK = 1 << 30


class TextSpill:
    """Texts put aside: the first `keep` bytes of them (UTF-8) in memory, in one buffer, and the
    rest appended to one temporary file; each read back by its place, an offset into the
    texts one after another (the memory's, then the file's)."""

    def __init__(self, parent: str | os.PathLike[str] | None = None, keep: int = 0) -> None:
        self.parent = Path(parent) if parent is not None else Path(tempfile.gettempdir())
        self.keep = keep
        self._memory = bytearray()
        self._fh: IO[bytes] | None = None
        self._size = 0  # bytes put so far, in memory and in the file
        self._dirty = False
        self._lock = threading.Lock()  # where there is no pread, a read is a seek and a read

    def put(self, text: str) -> TextRef:
        """Where `text` now is."""
        data = text.encode("utf-8", "surrogatepass")  # lone surrogates are read as they were
        at = self._size
        if self._fh is None and len(self._memory) + len(data) <= self.keep:
            self._memory += data
        else:
            try:
                if self._fh is None:
                    self._fh = tempfile.TemporaryFile(dir=self.parent)  # noqa: SIM115 (closed by close)
                    weakref.finalize(self, self._fh.close)  # when the last member that reads it goes
                self._fh.write(data)
            except OSError as e:
                raise self._error(e) from None
            self._dirty = True
        self._size += len(data)
        return TextRef(self, at, len(data))

    def finish(self) -> None:
        """Every text is put: written out now, so that a full disk stops the run before any
        output is written (not at the first read, in the middle of a report)."""
        if self._fh is not None and self._dirty:
            try:
                self._fh.flush()
            except OSError as e:
                raise self._error(e) from None
        self._dirty = False

    def read(self, offset: int, length: int) -> str:
        kept = len(self._memory)
        if offset < kept:
            return self._memory[offset : offset + length].decode("utf-8", "surrogatepass")
        offset -= kept
        fh = self._fh
        if fh is None:
            raise RuntimeError("the member texts were closed")
        self.finish()
        if hasattr(os, "pread"):
            parts = []
            while length:
                part = os.pread(fh.fileno(), min(length, READ_CHUNK), offset)
                if not part:
                    raise RuntimeError("the member texts file is shorter than written")
                parts.append(part)
                offset, length = offset + len(part), length - len(part)
            data = b"".join(parts)
        else:  # Windows
            with self._lock:
                fh.seek(offset)
                data = fh.read(length)
                fh.seek(0, os.SEEK_END)
        return data.decode("utf-8", "surrogatepass")

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def _error(self, e: OSError) -> OutputError:
        return disk_error(self.parent, "cannot put the members' texts aside", e)


class TextRef:
    """Where one member's text is. Equal to (and hashed as) the text itself; pickled as it."""

    __slots__ = ("spill", "offset", "length")

    def __init__(self, spill: TextSpill, offset: int, length: int) -> None:
        self.spill, self.offset, self.length = spill, offset, length

    def read(self) -> str:
        return self.spill.read(self.offset, self.length)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TextRef):
            return other.read() == self.read()
        return isinstance(other, str) and other == self.read()

    def __hash__(self) -> int:
        return hash(self.read())

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return (str, (self.read(),))

    def __repr__(self) -> str:
        return f"TextRef({self.offset}, {self.length})"
