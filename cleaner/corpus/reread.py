"""Indexed records read again from the corpus's files, for the index's texts it does not keep
(`dedup/schema.py`, schema 5): a line of plain JSONL, read from where the index saw it start,
or a .txt file.

A record counts as found only when its title and text have the digest the index holds: a file
edited since it was indexed (a file git has in flux keeps its committed records in the index)
may hold other text on that line. Such a file is then read whole, and its records matched by
digest, so that a record that only moved (a line added above it) is still found; what is
found nowhere is left out of the comparison and listed in `missing`, for the check to say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

from cleaner.corpus.digests import record_digest
from cleaner.corpus.scope import read_corpus_file
from cleaner.dedup.schema import RecordRow
from cleaner.errors import InputError
from cleaner.io.readers import InputFile, ReadOptions, detect_format
from cleaner.io.relocate import line_bounds
from cleaner.io.shards import read_line, seekable
from cleaner.model import Document, Rejected


def line_starts(path: Path) -> list[int] | None:
    """Where each line of the file starts, if a record of it can be read alone from there (plain
    JSONL; a .txt file, one record: no lines), so the index need not keep its text; else None."""
    fmt = detect_format(path)
    if fmt == "txt":
        return []
    if fmt is None or not seekable(InputFile(path, path, fmt)):
        return None
    return [start for start, _ in line_bounds(path)]


@dataclass
class CorpusTexts:
    """`dedup.schema.Reread` over the files under `root`, read as the index read them."""

    root: Path
    read_options: ReadOptions
    missing: list[RecordRow] = field(default_factory=list)
    # A file read whole, by digest: each check asks per level, and reads it once.
    _held: dict[str, dict[bytes, Document]] = field(default_factory=dict, repr=False)

    def __call__(self, rows: Sequence[RecordRow]) -> dict[int, Document]:
        out: dict[int, Document] = {}
        for path, group in groupby(sorted(rows, key=lambda r: (r.path, r.record)), key=lambda r: r.path):
            wanted = list(group)
            found = self._in_place(path, wanted)
            rest = [r for r in wanted if r.rid not in found]
            if rest:
                found.update(self._by_digest(path, rest))
            out.update(found)
            self.missing += [r for r in wanted if r.rid not in found]
        return out

    def _in_place(self, path: str, rows: list[RecordRow]) -> dict[int, Document]:
        """The rows found at their own lines (plain JSONL) or as their file's one record."""
        full = self.root / path
        fmt = detect_format(full)
        if fmt is None or not full.is_file():
            return {}
        f = InputFile(full, full, fmt)
        docs: list[Document | Rejected | None] = []
        try:
            if seekable(f):
                with open(full, "rb") as fh:
                    for r in rows:
                        if r.start is None or r.line is None:
                            return {}
                        fh.seek(r.start)
                        end = r.start + len(fh.readline())
                        docs.append(read_line(f, self.read_options, r.start, end, r.record, r.line))
            elif fmt == "txt" and len(rows) == 1:
                docs += read_corpus_file(self.root, path, self.read_options)[0]
        except (InputError, OSError):
            return {}  # unreadable now: looked for by digest
        return {r.rid: d for r, d in zip(rows, docs, strict=False) if isinstance(d, Document) and _same(r, d)}

    def _by_digest(self, path: str, rows: list[RecordRow]) -> dict[int, Document]:
        if path not in self._held:
            self._held[path] = {}
            try:
                docs, _ = read_corpus_file(self.root, path, self.read_options)
            except (InputError, OSError):
                docs = []
            for d in docs:
                self._held[path].setdefault(record_digest(d), d)
        held = self._held[path]
        return {r.rid: d for r in rows if (d := held.get(r.digest)) is not None}


def _same(row: RecordRow, doc: Document) -> bool:
    return record_digest(doc) == row.digest
