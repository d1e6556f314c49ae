"""The persistent index's LSH buckets as one sorted array file beside it: every (band key, item)
row in 4.5 to 5 bytes (where SQLite took 17.6), read through a memory map so that a check
touches only the pages its keys fall on, and searched for all of a check's keys at once.

The file keeps `KEY_BITS` of each 48-bit band key. Fewer bits only make a chance match more
likely, and every candidate is verified: at 36 bits, an index of 19M rows (37k articles) answers
a key with a row of another key once in 3,600 lookups, about one extra indexed record to read
again per seven checked articles (at 40 bits, one per hundred, for 0.5 byte more a row). A fixed
width, whatever the rows, keeps a compaction's merge of a file's rows with new ones lossless.

Rows are sorted by key and item. A key's top bits are a directory of where each of their values
starts (about one entry per 8 rows); the rest of the key and the item, packed into one integer
(`low << item_bits | item`) of exactly as many bits as they need (at most 57), follow in order,
so that the rows of a key are found by a binary search within its directory range, on the
packed integers themselves.

The file is written once and never changed: the index's updates go to SQLite (`bands_new`), and
a compaction writes a whole new file. Layout: `MAGIC`; the row count (uint64), the directory's
bits and the item bits (uint32 each); the directory (2**bits + 1 entries, uint32, or uint64
from 2**32 rows); the rows, `width` bits each, row k from bit k * width on, and 8 bytes of zeros
(so that a row is read as the 8 bytes from its first); all little-endian.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from cleaner.errors import ConfigError

MAGIC = b"cleaner-bands-3\n"
_HEADER = len(MAGIC) + 16
_U32, _U64 = np.dtype("<u4"), np.dtype("<u8")
KEY_BITS = 36
_DROPPED = 48 - KEY_BITS  # low bits of a 48-bit key the file does not keep
ROWS_PER_ENTRY = 8  # rows per directory entry: half a byte a row, the bisection 3 steps


class BandFileError(ValueError):
    """The file is missing, truncated or not a band file."""


def kept(keys: np.ndarray) -> np.ndarray:
    """48-bit keys as the file keeps them (the dropped bits zero): rows that become equal so are one."""
    return (np.asarray(keys, dtype=np.int64) >> _DROPPED) << _DROPPED


_MAX_WIDTH = 57  # a row read as 8 bytes from the byte it starts in, shifted by up to 7 bits


def _shape(rows: int, item_bits: int) -> tuple[int, int, int]:
    """The directory's bits, the bits of a key below them, and a row's bits (at most
    `_MAX_WIDTH`: a few rows of large item numbers take a larger directory)."""
    top = max(0, (rows // ROWS_PER_ENTRY).bit_length() - 1, KEY_BITS + item_bits - _MAX_WIDTH)
    top = min(KEY_BITS, top)
    low = KEY_BITS - top
    return top, low, low + item_bits


def _entry(rows: int) -> np.dtype:
    return _U32 if rows < 1 << 32 else _U64


def _size(rows: int, top: int, width: int) -> int:
    return _HEADER + ((1 << top) + 1) * _entry(rows).itemsize + _row_bytes(rows, width)


def _row_bytes(rows: int, width: int) -> int:
    return -(-rows * width // 8) + 8


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
        top = int.from_bytes(head[len(MAGIC) + 8 : len(MAGIC) + 12], "little")
        self.item_bits = int.from_bytes(head[len(MAGIC) + 12 :], "little")
        expected_top, self.low_bits, self.width = _shape(n, self.item_bits)
        if top != expected_top or self.item_bits > 48:
            raise BandFileError(f"{path}: not a band file")
        if size != _size(n, top, self.width):
            raise BandFileError(f"{path}: truncated band file")
        self.rows, self.bytes, self.top_bits = n, size, top
        self.directory = np.memmap(path, _entry(n), "r", _HEADER, ((1 << top) + 1,))
        at = _HEADER + ((1 << top) + 1) * _entry(n).itemsize
        self.packed = np.memmap(path, np.uint8, "r", at, (_row_bytes(n, self.width),))

    def __len__(self) -> int:
        return self.rows

    def _values(self, positions: np.ndarray) -> np.ndarray:
        """The packed rows at `positions`, as integers."""
        bit = positions.astype(np.int64) * self.width
        data = self.packed[(bit >> 3)[:, None] + np.arange(8)].astype(np.uint64)
        word = (data << (np.arange(8, dtype=np.uint64) * np.uint64(8))).sum(axis=1, dtype=np.uint64)
        return ((word >> (bit & 7).astype(np.uint64)) & np.uint64((1 << self.width) - 1)).astype(np.int64)

    def chunks(self, size: int = 1 << 18) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """All rows in order, `size` at a time, as (48-bit keys as kept, items). Each row read takes
        some 200 bytes of temporaries: reading 37k articles' 19M rows, 2**18 at a time peaks at
        172 MB RSS (the mapped file included) in 2.9 s, 2**20 at a time at 327 MB in 3.3 s."""
        for a in range(0, self.rows, size):
            positions = np.arange(a, min(a + size, self.rows))
            top = np.searchsorted(self.directory, positions, "right") - 1
            values = self._values(positions)
            keys = (top.astype(np.int64) << self.low_bits) | (values >> self.item_bits)
            yield keys << _DROPPED, values & ((1 << self.item_bits) - 1)

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows whose kept key is that of one of `keys` (48-bit, int64): those keys and the
        rows' items, grouped by key in the order of `keys` sorted, items ascending within a key."""
        q = np.unique(np.asarray(keys, dtype=np.int64))
        if not self.rows or not len(q):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        k = q >> _DROPPED
        top = k >> self.low_bits
        start, end = self.directory[top].astype(np.int64), self.directory[top + 1].astype(np.int64)
        low = k & ((1 << self.low_bits) - 1)
        left = self._first(start, end, low << self.item_bits)
        right = self._first(left, end, (low + 1) << self.item_bits)
        runs = right - left
        which = np.repeat(np.arange(len(q)), runs)
        pos = left[which] + (np.arange(len(which)) - (np.cumsum(runs) - runs)[which])
        return q[which], self._values(pos) & ((1 << self.item_bits) - 1)

    def _first(self, lo: np.ndarray, hi: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Per query, the first position in [lo, hi) whose row is at least its target (rows
        ascending within each range): all the binary searches at once."""
        lo, hi = lo.copy(), hi.copy()
        while (active := lo < hi).any():
            mid = (lo + hi) // 2
            value = self._values(np.minimum(mid, self.rows - 1))
            right = active & (value < target)
            lo = np.where(right, mid + 1, lo)
            hi = np.where(active & ~right, mid, hi)
        return lo


def write_band_file(path: Path, count: int, items_bound: int, chunks: Iterable[tuple[np.ndarray, np.ndarray]]) -> None:
    """Write `count` rows, given in chunks of (48-bit keys, items below `items_bound`), sorted
    by kept key (`kept`) and item with no two the same, and flush them to disk (the index that
    names the file is committed after)."""
    item_bits = max(1, int(items_bound - 1).bit_length())
    top_bits, low_bits, width = _shape(count, item_bits)
    with open(path, "wb") as fh:
        fh.write(MAGIC + count.to_bytes(8, "little") + top_bits.to_bytes(4, "little") + item_bits.to_bytes(4, "little"))
        fh.truncate(_size(count, top_bits, width))
    written, last_key, last_item = 0, -1, -1
    tops = np.zeros(1 << top_bits, dtype=np.int64)
    at = _HEADER + ((1 << top_bits) + 1) * _entry(count).itemsize
    if count:
        packed = np.memmap(path, np.uint8, "r+", at, (_row_bytes(count, width),))
        carry = np.zeros(0, dtype=np.int64)  # rows short of a multiple of 8, whose bits end mid-byte
        for keys, items in chunks:
            end = written + len(keys)
            if end > count:
                raise ValueError("more band rows than announced")
            k = np.asarray(keys, dtype=np.int64) >> _DROPPED
            items = np.asarray(items, dtype=np.int64)
            if len(items) and (items.min() < 0 or items.max() >= items_bound):
                raise ValueError(f"an item outside 0 .. {items_bound - 1}")
            step_key = np.diff(k, prepend=last_key)
            if ((step_key < 0) | ((step_key == 0) & (np.diff(items, prepend=last_item) <= 0))).any():
                raise ValueError("band rows not sorted by kept key and item, or repeated")
            if len(k):
                last_key, last_item = int(k[-1]), int(items[-1])
            values = np.concatenate([carry, ((k & ((1 << low_bits) - 1)) << item_bits) | items])
            whole = len(values) - len(values) % 8 if end < count else len(values)
            start = (written - len(carry)) * width // 8
            data = _packed(values[:whole], width)
            packed[start : start + len(data)] = data
            carry = values[whole:]
            tops += np.bincount(k >> low_bits, minlength=1 << top_bits)
            written = end
        packed.flush()
        del packed
    if written != count:
        raise ValueError(f"{count} band rows announced, {written} written")
    directory = np.memmap(path, _entry(count), "r+", _HEADER, ((1 << top_bits) + 1,))
    directory[:] = np.concatenate([[0], np.cumsum(tops)])
    directory.flush()
    del directory
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _packed(values: np.ndarray, width: int) -> np.ndarray:
    """`values` of `width` bits each, as consecutive bits (the lowest first), in bytes."""
    bits = (values[:, None].astype(np.uint64) >> np.arange(width, dtype=np.uint64)) & np.uint64(1)
    return np.packbits(bits.astype(np.uint8).ravel(), bitorder="little")


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


_PART_BITS = 8  # the spill's ranges of keys: 256, each read and sorted alone
_IN_PART = KEY_BITS - _PART_BITS  # a kept key's bits below its range, beside a 32-bit item in 63 bits
assert _IN_PART + 32 <= 63


class SortedSpill:
    """Band rows on their way to a new band file, sorted on disk, so that neither a build nor a
    compaction holds all of an index's rows in memory. Each batch added goes to one temporary
    file beside the index, sorted and cut into 256 ranges of the keys' top bits, a row as one
    integer (the key's bits below its range, then the item); writing reads one range of every
    batch at a time, sorts it and drops repeated rows. (Sorting in SQLite took half of a build.)"""

    def __init__(self, index: Path) -> None:
        self.index = index
        self.path = index.with_name(f".{index.name}.cleaner-{os.getpid()}.spill.tmp")
        self.path.unlink(missing_ok=True)
        self._fh = open(self.path, "w+b")  # noqa: SIM115 (closed by `close`, on every way out)
        self._runs: list[np.ndarray] = []  # per batch: where each range starts in the file, and its end
        self._largest = -1

    def add(self, keys: np.ndarray, items: np.ndarray) -> None:
        """Rows (48-bit keys, items); a row already there (or the same once kept) is kept once."""
        items = np.asarray(items, dtype=np.int64)
        if not len(items):
            return
        if int(items.max()) >= 1 << 32:
            raise ConfigError(
                "the index would number more than 2**32 items (titles, paragraphs, articles), beyond what"
                " its band file is tested with; split the corpus over several indexes (--index PATH)"
            )
        k = np.asarray(keys, dtype=np.int64) >> _DROPPED
        if k.min() < 0 or k.max() >= 1 << KEY_BITS:
            raise ValueError("a band key outside 0 .. 2**48 - 1")  # it would fall in no range, unseen
        part, rows = k >> _IN_PART, ((k & ((1 << _IN_PART) - 1)) << 32) | items
        order = np.lexsort((rows, part))
        part, rows = part[order], rows[order]
        start = self._fh.seek(0, os.SEEK_END)
        self._fh.write(rows.astype("<i8").tobytes())
        self._runs.append(start + 8 * np.searchsorted(part, np.arange((1 << _PART_BITS) + 1)))
        self._largest = max(self._largest, int(items.max()))

    def _range(self, p: int) -> np.ndarray:
        """The rows of key range `p`, sorted, each once."""
        pieces = []
        for run in self._runs:
            a, b = int(run[p]), int(run[p + 1])
            if b > a:
                self._fh.seek(a)
                pieces.append(np.frombuffer(self._fh.read(b - a), dtype="<i8"))
        return np.unique(np.concatenate(pieces)) if pieces else np.zeros(0, dtype=np.int64)

    def write(self, target: Path) -> None:
        """All rows, sorted, as the band file `target` (written aside, renamed into place)."""
        self._fh.flush()
        parts = range(1 << _PART_BITS)
        count = sum(len(self._range(p)) for p in parts)  # rows repeated once kept are dropped: count first

        def chunks() -> Iterator[tuple[np.ndarray, np.ndarray]]:
            for p in parts:
                rows = self._range(p)
                yield ((p << _IN_PART) | (rows >> 32)) << _DROPPED, rows & 0xFFFFFFFF

        tmp = self.index.with_name(f".{self.index.name}.cleaner-{os.getpid()}.bands.tmp")
        try:
            write_band_file(tmp, count, max(self._largest, 0) + 1, chunks())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def close(self) -> None:
        self._fh.close()
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
