"""The persistent index's LSH buckets as one sorted array file beside it: every (band key, item)
row, 10 bytes (the 48-bit key as a 32-bit high part and a 16-bit low part, the item as 32 bits)
where SQLite took 17.6, read through a memory map so a check touches only the pages its keys
fall on, and searched for all of a check's keys at once (`np.searchsorted`).

The file is written once and never changed: the index's updates go to SQLite (`bands_new`), and
a compaction writes a whole new file. Layout: `MAGIC`, the row count (uint64), then the three
arrays one after the other, little-endian.
"""

from __future__ import annotations

import glob
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

MAGIC = b"cleaner-bands-1\n"
_HEADER = len(MAGIC) + 8
_HI, _LO, _ID = np.dtype("<u4"), np.dtype("<u2"), np.dtype("<u4")
_LOW_BITS = 16


class BandFileError(ValueError):
    """The file is missing, truncated or not a band file."""


class BandFile:
    """An open band file: `lookup` answers which rows hold given keys."""

    def __init__(self, path: Path) -> None:
        try:
            with open(path, "rb") as fh:
                head = fh.read(_HEADER)
            size = path.stat().st_size
        except OSError as e:
            raise BandFileError(f"{path}: cannot read the band file ({e.strerror})") from None
        if len(head) < _HEADER or head[: len(MAGIC)] != MAGIC:
            raise BandFileError(f"{path}: not a band file")
        n = int.from_bytes(head[len(MAGIC) :], "little")
        if size != _HEADER + n * (_HI.itemsize + _LO.itemsize + _ID.itemsize):
            raise BandFileError(f"{path}: truncated band file")
        self.rows = n
        if n == 0:
            self.hi, self.lo, self.ids = np.zeros(0, _HI), np.zeros(0, _LO), np.zeros(0, _ID)
            return
        self.hi = np.memmap(path, _HI, "r", _HEADER, (n,))
        self.lo = np.memmap(path, _LO, "r", _HEADER + n * _HI.itemsize, (n,))
        self.ids = np.memmap(path, _ID, "r", _HEADER + n * (_HI.itemsize + _LO.itemsize), (n,))

    def __len__(self) -> int:
        return self.rows

    def chunks(self, size: int = 1 << 20) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """All rows in order, `size` at a time, as (48-bit keys, items)."""
        for a in range(0, self.rows, size):
            hi = np.asarray(self.hi[a : a + size], dtype=np.int64)
            lo = np.asarray(self.lo[a : a + size], dtype=np.int64)
            yield (hi << _LOW_BITS) | lo, np.asarray(self.ids[a : a + size], dtype=np.int64)

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows whose key is one of `keys` (48-bit, int64): their keys and items, grouped by
        key in the order of `keys` sorted, items ascending within a key."""
        q = np.unique(np.asarray(keys, dtype=np.int64))
        if not self.rows or not len(q):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        q_hi = (q >> _LOW_BITS).astype(_HI)
        q_lo = (q & ((1 << _LOW_BITS) - 1)).astype(_LO)
        left = np.searchsorted(self.hi, q_hi, "left")
        right = np.searchsorted(self.hi, q_hi, "right")
        runs = right - left
        which = np.repeat(np.arange(len(q)), runs)
        # Positions of every row whose high part matches: each run's start plus its offsets.
        starts = np.cumsum(runs) - runs
        pos = left[which] + (np.arange(len(which)) - starts[which])
        same = self.lo[pos] == q_lo[which]
        return q[which[same]], np.asarray(self.ids[pos[same]], dtype=np.int64)


def write_band_file(path: Path, count: int, chunks: Iterable[tuple[np.ndarray, np.ndarray]]) -> None:
    """Write `count` rows, given in chunks of (keys, items) already sorted by (key, item), and
    flush them to disk (the index that names the file is committed after)."""
    sizes = (_HI.itemsize, _LO.itemsize, _ID.itemsize)
    with open(path, "wb") as fh:
        fh.write(MAGIC + count.to_bytes(8, "little"))
        fh.truncate(_HEADER + count * sum(sizes))
    written = 0
    if count:
        hi = np.memmap(path, _HI, "r+", _HEADER, (count,))
        lo = np.memmap(path, _LO, "r+", _HEADER + count * sizes[0], (count,))
        ids = np.memmap(path, _ID, "r+", _HEADER + count * (sizes[0] + sizes[1]), (count,))
        for keys, items in chunks:
            end = written + len(keys)
            if end > count:
                raise ValueError("more band rows than announced")
            hi[written:end] = keys >> _LOW_BITS
            lo[written:end] = keys & ((1 << _LOW_BITS) - 1)
            ids[written:end] = items
            written = end
        for array in (hi, lo, ids):
            array.flush()
        del hi, lo, ids
    if written != count:
        raise ValueError(f"{count} band rows announced, {written} written")
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def band_file_path(index: Path, generation: int) -> Path:
    """The band file of generation `generation` of the index at `index` (beside it). Each build
    and compaction writes the next generation and leaves the current one alone until the index
    naming the new one is committed, so an interrupted one leaves the index as it was."""
    return index.with_name(f"{index.name}.bands{generation}")


def band_files(index: Path) -> list[Path]:
    """Every band file beside the index, of any generation."""
    try:
        return sorted(
            p for p in index.parent.glob(f"{glob.escape(index.name)}.bands*") if p.name[len(index.name) + 6 :].isdigit()
        )
    except OSError:
        return []


class SortedSpill:
    """Band rows on their way to a new band file, sorted on disk by SQLite (a B-tree in a
    temporary file beside the index), so that neither a build nor a compaction holds all of
    an index's rows in memory."""

    def __init__(self, index: Path) -> None:
        self.index = index
        self.path = index.with_name(f".{index.name}.cleaner-{os.getpid()}.spill.tmp")
        self.path.unlink(missing_ok=True)
        self.conn = sqlite3.connect(self.path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=OFF")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute(
            "CREATE TABLE rows(key INTEGER NOT NULL, iid INTEGER NOT NULL, PRIMARY KEY(key, iid)) WITHOUT ROWID"
        )
        self.conn.execute("BEGIN")

    def add(self, keys: np.ndarray, items: np.ndarray) -> None:
        """Rows (48-bit keys, items); a row already there is kept once."""
        if len(items) and int(items.max()) >= 1 << 32:
            raise ValueError("more than 2**32 items: the band file holds item numbers in 32 bits")
        order = np.lexsort((items, keys))  # B-tree inserts in key order touch each page once
        rows = zip(keys[order].tolist(), items[order].tolist(), strict=True)
        self.conn.executemany("INSERT OR IGNORE INTO rows VALUES (?, ?)", rows)

    def write(self, target: Path) -> None:
        """All rows, sorted, as the band file `target` (written aside, renamed into place)."""
        count = self.conn.execute("SELECT count(*) FROM rows").fetchone()[0]
        cursor = self.conn.execute("SELECT key, iid FROM rows ORDER BY key, iid")

        def chunks() -> Iterator[tuple[np.ndarray, np.ndarray]]:
            while block := cursor.fetchmany(1 << 18):
                rows = np.array(block, dtype=np.int64)
                yield rows[:, 0], rows[:, 1]

        tmp = self.index.with_name(f".{self.index.name}.cleaner-{os.getpid()}.bands.tmp")
        try:
            write_band_file(tmp, count, chunks())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def close(self) -> None:
        self.conn.close()
        self.path.unlink(missing_ok=True)


def compacted(
    current: BandFile, new_keys: np.ndarray, new_items: np.ndarray, live: np.ndarray, index: Path, target: Path
) -> None:
    """Write `target`: the rows of `current` and the new rows whose item is in `live` (sorted)."""
    spill = SortedSpill(index)
    try:
        for keys, items in current.chunks():
            keep = np.isin(items, live)
            spill.add(keys[keep], items[keep])
        keep = np.isin(new_items, live)
        spill.add(new_keys[keep], new_items[keep])
        spill.write(target)
    finally:
        spill.close()
