"""Shards: the input cut into parts that workers read on their own (the Ray engine's `dups`).

The plan is made from metadata only (sizes, Parquet footers, and a few bytes at each cut of a
JSONL file to find where its next line starts): one shard per file, but a plain JSONL file
larger than the target cut into byte ranges at line starts, and a Parquet file into runs of row
groups. gzip, CSV and .txt files are read whole (a gzip stream cannot be entered in the middle;
a CSV record may span lines). Each shard is read with the readers of `cleaner.io.readers`, so
records, errors and ids are theirs; a shard of a file continues that file's numbering
(`Span.record`, `Span.line`), which for a JSONL range is known once the ranges before it are
counted (`scan_lines`). A shard also holds what its file was when planned: a file changed since
is an error, as it is for the local engine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from cleaner.errors import InputError
from cleaner.io.readers import InputFile, ReadOptions, Span, read_file
from cleaner.model import Document, Rejected

# Where reading stops looking for the next line start after a cut: a record longer than this
# is left whole in the range before.
_LINE_SEARCH = 1 << 20


@dataclass(frozen=True)
class Shard:
    file: InputFile
    span: Span
    stamp: tuple[int, int] | None  # the file's size and mtime when planned (None: unreadable)
    splits: bool = False  # a byte range whose numbering comes from the ranges before it

    @property
    def path(self) -> str:
        return str(self.file.path)


def _stamp(path: os.PathLike[str]) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


def plan_shards(files: Sequence[InputFile], target: int) -> list[Shard]:
    """The shards of `files`, in input order, each about `target` bytes or one whole file."""
    shards: list[Shard] = []
    for f in files:
        stamp = _stamp(f.path)
        size = stamp[0] if stamp else 0
        if stamp and size > target and f.format == "jsonl" and not f.gzipped and os.path.isfile(f.path):
            cuts = _line_cuts(f, size, target)
            shards += [Shard(f, Span(a, b), stamp, True) for a, b in zip(cuts, cuts[1:], strict=False)]
        elif stamp and size > target and f.format == "parquet":
            shards += [Shard(f, span, stamp) for span in _row_group_spans(f, target)]
        else:
            shards.append(Shard(f, Span(), stamp))
    return shards


def _line_cuts(f: InputFile, size: int, target: int) -> list[int]:
    """0, the line starts at or after each multiple of `target`, and the size."""
    cuts = [0]
    with open(f.path, "rb") as fh:
        for at in range(target, size, target):
            if at <= cuts[-1]:
                continue
            fh.seek(at - 1)
            rest = fh.read(_LINE_SEARCH)
            newline = rest.find(b"\n")
            if newline < 0:
                continue
            start = at + newline  # the byte after the newline (rest begins at at - 1)
            if cuts[-1] < start < size:
                cuts.append(start)
    return [*cuts, size]


def _row_group_spans(f: InputFile, target: int) -> list[Span]:
    """Runs of row groups of about `target` compressed bytes, numbered from the footer."""
    try:
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(f.path).metadata
    except Exception:  # not readable as Parquet: the reader says why, reading it whole
        return [Span()]
    spans: list[Span] = []
    first, rows, size, before = 0, 0, 0, 0
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        rows, size = rows + group.num_rows, size + group.total_byte_size
        if size >= target or g == meta.num_row_groups - 1:
            spans.append(Span(first, g + 1, before))
            first, before, rows, size = g + 1, before + rows, 0, 0
    return spans or [Span()]


def seekable(f: InputFile) -> bool:
    """Whether a record of the file can be read alone from where its line starts: plain (not
    gzipped) JSONL."""
    return f.format == "jsonl" and not f.gzipped


def scan_lines(shard: Shard) -> tuple[int, np.ndarray]:
    """A plain JSONL shard's records, as `_read_jsonl` counts them (the lines that are not
    blank), and where each of its lines starts in the file, and last where the shard ends."""
    records, starts = 0, [shard.span.start]
    with open(shard.file.path, "rb") as fh:
        fh.seek(shard.span.start)
        left = -1 if shard.span.end is None else shard.span.end - shard.span.start
        for data in fh:
            records += bool(data.rstrip(b"\r\n").strip())
            starts.append(starts[-1] + len(data))
            left = max(0, left - len(data)) if left > 0 else left
            if not left:
                break
    return records, np.array(starts, dtype=np.int64)


def read_line(
    f: InputFile, options: ReadOptions, start: int, end: int, record: int, line: int
) -> Document | Rejected | None:
    """The record whose line is bytes `start` .. `end` of a `seekable` file, numbered as the
    `record`-th record on line `line` (1-based) of the file (None: a blank line there)."""
    items = read_file(f, options, span=Span(start, end, record - 1, line - 1))
    return next(iter(items), None)


def numbered(shard: Shard, record: int, line: int) -> Shard:
    """The shard continuing a file's numbering after `record` records and `line` lines."""
    return replace(shard, span=replace(shard.span, record=record, line=line))


CHANGED = "the file changed while its duplicates were found; run again once it is complete"


def unchanged(shard: Shard) -> None:
    """An `InputError` where the shard's file's size or time is not what the plan saw: its
    ranges and numbers may no longer be the same."""
    if _stamp(shard.file.path) != shard.stamp:
        raise InputError(shard.path, CHANGED)


def read_shard(shard: Shard, options: ReadOptions) -> Iterator[Document | Rejected]:
    """The records of one shard, as `read_file` reads them (after `unchanged`)."""
    unchanged(shard)
    return read_file(shard.file, options, span=shard.span)
