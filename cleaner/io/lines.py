"""The file line where a part of a record starts, for `path:line:` messages: the record's own line
in JSONL and CSV, the exact line in a .txt article, none in Parquet (the record number stands in)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cleaner.io.readers import parse_txt
from cleaner.model import Document

if TYPE_CHECKING:
    from cleaner.dedup.items import LevelItems


class Lines:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.content = doc.raw if isinstance(doc.raw, str) and doc.origin.path.lower().endswith(".txt") else None
        self.layout = parse_txt(self.content) if self.content is not None else None

    def at(self, field: str, offset: int) -> int | None:
        """The line of `offset` in the record's `field` ("title" or "text")."""
        if self.content is None or self.layout is None:
            return self.doc.origin.line
        span = self.layout.title_span if field == "title" else self.layout.body_span
        base = span[0] if span else 0
        return self.content.count("\n", 0, base + offset) + 1


def item_line(lines: Sequence[Lines], level: str, items: LevelItems, k: int) -> int | None:
    """The line item k of a level starts on: its title's, its paragraph's, or its record's.
    `lines` are those of the documents the items' owners index."""
    own = lines[items.owners[k]]
    if level == "title":
        return own.at("title", 0)
    if level == "paragraph":
        return own.at("text", items.spans[k][0])
    return own.doc.origin.line
