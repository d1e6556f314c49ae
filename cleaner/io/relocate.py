"""Records read again where they were first read. The duplicate finder needs the texts of its
clusters' members after the first pass; in a plain JSONL file it finds their lines by one scan of
the file's bytes (no decoding, no JSON) and parses only those, as `read_file` reads them, so that
a corpus of a million articles is not parsed twice for its few thousand members.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from cleaner.errors import InputError
from cleaner.io.readers import InputFile, ReadOptions
from cleaner.io.shards import CHANGED, read_line
from cleaner.model import Document


def line_bounds(path: Path) -> Iterator[tuple[int, int]]:
    """Where each line of the file starts and ends, in bytes, in order."""
    pos = 0
    with open(path, "rb") as fh:
        for data in fh:
            yield pos, pos + len(data)
            pos += len(data)


def line_spans(f: InputFile, lines: Sequence[int]) -> list[tuple[int, int]]:
    """Where the 1-based `lines` (ascending) of the file start and end, in bytes."""
    out: list[tuple[int, int]] = []
    if not lines:
        return out
    wanted = iter(lines)
    line = next(wanted)
    for n, bounds in enumerate(line_bounds(f.path), 1):
        if n == line:
            out.append(bounds)
            following = next(wanted, None)
            if following is None:
                break
            line = following
    return out


def read_again(f: InputFile, options: ReadOptions, located: Sequence[tuple[int, int]]) -> Iterator[Document]:
    """The documents first read as (record, line) of a `seekable` file, in that order."""
    try:
        spans = line_spans(f, [line for _, line in located])
    except OSError as e:
        raise InputError(str(f.path), f"cannot read the file again ({e.strerror})") from None
    if len(spans) != len(located):
        raise InputError(str(f.path), CHANGED)
    for (record, line), (start, end) in zip(located, spans, strict=True):
        item = read_line(f, options, start, end, record, line)
        if not isinstance(item, Document) or (item.origin.record, item.origin.line) != (record, line):
            raise InputError(str(f.path), CHANGED)
        yield item
