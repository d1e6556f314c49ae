"""The persistent index's LSH buckets as one sorted array file beside it: every (band key, item)
row in 8 bytes and a bit (where SQLite took 17.6), read through a memory map so that a check
touches only the pages its keys fall on, and searched for all of a check's keys at once.

A row is the 48-bit band key's low 32 bits and the item (32 bits); the key's top 16 bits are a
directory of where each of their 65,536 values starts (256 KiB, `BUCKETED_FROM` rows on), or,
in a smaller file, 2 bytes a row. Rows are sorted by key and item, so the rows of a key are
found by a binary search within its top bits' range.

The file is written once and never changed: the index's updates go to SQLite (`bands_new`), and
a compaction writes a whole new file. Layout: `MAGIC`, the row count and the layout (uint64
each: 1 with a directory), then the low parts, the items, and the directory or the top parts,
little-endian.
"""

from __future__ import annotations

import glob
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

MAGIC = b"cleaner-bands-1\n"
_HEADER = len(MAGIC) + 16
_U16, _U32 = np.dtype("<u2"), np.dtype("<u4")
_LOW_BITS = 32
_TOPS = 1 << (48 - _LOW_BITS)
BUCKETED_FROM = 1 << 19  # rows from which a directory of the top bits is smaller than 2 bytes a row


class BandFileError(ValueError):
    """The file is missing, truncated or not a band file."""


def _size(rows: int, bucketed: bool) -> int:
    return _HEADER + rows * 2 * _U32.itemsize + ((_TOPS + 1) * _U32.itemsize if bucketed else rows * _U16.itemsize)


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
        n = int.from_bytes(head[len(MAGIC) : len(MAGIC) + 8], "little")
        bucketed = head[len(MAGIC) + 8 :] != bytes(8)
        if size != _size(n, bucketed):
            raise BandFileError(f"{path}: truncated band file")
        self.rows, self.bytes = n, size
        self.low, self.ids = _arrays(path, n, _HEADER, _U32, _U32)
        at = _HEADER + n * 2 * _U32.itemsize
        self.directory = np.memmap(path, _U32, "r", at, (_TOPS + 1,)) if bucketed else None
        self.top = None if bucketed else _arrays(path, n, at, _U16)[0]

    def __len__(self) -> int:
        return self.rows

    def _ranges(self, top: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where the rows of each top part start and end."""
        if self.directory is not None:
            return self.directory[top].astype(np.int64), self.directory[top + 1].astype(np.int64)
        assert self.top is not None
        return np.searchsorted(self.top, top, "left"), np.searchsorted(self.top, top, "right")

    def chunks(self, size: int = 1 << 20) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """All rows in order, `size` at a time, as (48-bit keys, items)."""
        for a in range(0, self.rows, size):
            b = min(a + size, self.rows)
            if self.directory is not None:
                top = np.searchsorted(self.directory, np.arange(a, b), "right") - 1
            else:
                assert self.top is not None
                top = np.asarray(self.top[a:b], dtype=np.int64)
            low = np.asarray(self.low[a:b], dtype=np.int64)
            yield (top << _LOW_BITS) | low, np.asarray(self.ids[a:b], dtype=np.int64)

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows whose key is one of `keys` (48-bit, int64): their keys and items, grouped by
        key in the order of `keys` sorted, items ascending within a key."""
        q = np.unique(np.asarray(keys, dtype=np.int64))
        if not self.rows or not len(q):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        start, end = self._ranges(q >> _LOW_BITS)
        low = q & ((1 << _LOW_BITS) - 1)
        left = _first(self.low, start, end, low, after=False)
        right = _first(self.low, left, end, low, after=True)
        runs = right - left
        which = np.repeat(np.arange(len(q)), runs)
        pos = left[which] + (np.arange(len(which)) - (np.cumsum(runs) - runs)[which])
        return q[which], np.asarray(self.ids[pos], dtype=np.int64)


def _arrays(path: Path, n: int, at: int, *dtypes: np.dtype) -> list[np.ndarray]:
    out = []
    for dtype in dtypes:
        out.append(np.memmap(path, dtype, "r", at, (n,)) if n else np.zeros(0, dtype))
        at += n * dtype.itemsize
    return out


def _first(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, target: np.ndarray, after: bool) -> np.ndarray:
    """Per query, the first position in [lo, hi) whose value is at least (`after`: above) its
    target, for values ascending within each range: all the binary searches at once."""
    lo, hi = lo.astype(np.int64), hi.astype(np.int64)
    last = max(len(values) - 1, 0)
    while (active := lo < hi).any():
        mid = (lo + hi) // 2
        value = values[np.minimum(mid, last)].astype(np.int64)
        right = active & ((value <= target) if after else (value < target))
        lo = np.where(right, mid + 1, lo)
        hi = np.where(active & ~right, mid, hi)
    return lo


def write_band_file(path: Path, count: int, chunks: Iterable[tuple[np.ndarray, np.ndarray]]) -> None:
    """Write `count` rows, given in chunks of (keys, items) already sorted by (key, item), and
    flush them to disk (the index that names the file is committed after)."""
    bucketed = count >= BUCKETED_FROM
    with open(path, "wb") as fh:
        fh.write(MAGIC + count.to_bytes(8, "little") + int(bucketed).to_bytes(8, "little"))
        fh.truncate(_size(count, bucketed))
    written = 0
    tops = np.zeros(_TOPS, dtype=np.int64)
    if count:
        at = _HEADER + count * 2 * _U32.itemsize
        low = np.memmap(path, _U32, "r+", _HEADER, (count,))
        ids = np.memmap(path, _U32, "r+", _HEADER + count * _U32.itemsize, (count,))
        top = np.memmap(path, _U32, "r+", at, (_TOPS + 1,)) if bucketed else np.memmap(path, _U16, "r+", at, (count,))
        for keys, items in chunks:
            end = written + len(keys)
            if end > count:
                raise ValueError("more band rows than announced")
            low[written:end] = keys & ((1 << _LOW_BITS) - 1)
            ids[written:end] = items
            if bucketed:
                tops += np.bincount(keys >> _LOW_BITS, minlength=_TOPS)
            else:
                top[written:end] = keys >> _LOW_BITS
            written = end
        if bucketed:
            top[:] = np.concatenate([[0], np.cumsum(tops)])
        for array in (low, ids, top):
            array.flush()
        del low, ids, top
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
