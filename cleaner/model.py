"""The small typed records that flow through the pipeline.

Everything here is a frozen dataclass: readers produce `Document` (or `Rejected` for a record that
could not be read), the normalizer produces `Edit`s and a `CleanResult`, writers consume documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class Origin:
    """Where a record came from: the file, the 1-based record number and, where the format has
    lines, the 1-based line the record starts on (used in `path:line:` messages)."""

    path: str
    record: int
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line if self.line is not None else self.record}"


@dataclass(frozen=True)
class Document:
    """One article.

    `text` holds the body with paragraphs separated by blank lines, whatever separator the input
    used (readers translate `--paragraph-sep` to blank lines and writers translate back). `record`
    is the original record exactly as read (all fields, including the text and title ones); writers
    copy it and replace only the title and text. `raw` is the record's original serialisation where
    the format has one, so that an untouched record is written back byte for byte.
    """

    id: str
    title: str | None
    text: str
    origin: Origin
    record: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    raw: str | bytes | None = field(default=None, repr=False, compare=False)
    language: str | None = None  # ISO 639-1, from a field, a setting or detection; None: undetermined
    # The site or publisher, from `--source-field` (a URL's host); None: not known. A site's
    # template lines recur through its own pages, so the boilerplate evidence counts them there too.
    source: str | None = None

    def paragraphs(self) -> list[str]:
        from cleaner.text import split_paragraphs

        return [p for _, _, p in split_paragraphs(self.text)]

    def with_content(self, title: str | None, text: str) -> Document:
        return replace(self, title=title, text=text)


@dataclass(frozen=True)
class Rejected:
    """A record (or a whole file) that could not be read, with the reason. With `--skip-invalid`
    these go to the rejects file; otherwise the first one stops the run with exit code 2."""

    origin: Origin
    reason: str
    raw: str | bytes | None = None  # the record as read; bytes where it is not valid UTF-8

    def message(self) -> str:
        return f"{self.origin}: {self.reason}"


Action = Literal["fixed", "removed", "flagged"]
Field = Literal["title", "text"]


@dataclass(frozen=True)
class Edit:
    """One change made by one rule.

    `start`/`end` index the field's text as it was just before this rule ran (its `step`), so
    replaying the edits step by step, in order, rebuilds the output exactly (`replay`). A
    `flagged` edit marks something suspicious that was left in place: `before == after`.
    """

    rule: str
    action: Action
    start: int
    end: int
    before: str
    after: str
    field: Field = "text"
    step: int = 0
    evidence: str | None = None  # why the rule was sure (or, for a flag, why it was not)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "action": self.action,
            "field": self.field,
            "step": self.step,
            "start": self.start,
            "end": self.end,
            "before": self.before,
            "after": self.after,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class CleanResult:
    """A document after normalization, the edits that produced it from the input."""

    original: Document
    document: Document
    edits: tuple[Edit, ...]

    @property
    def changed(self) -> bool:
        return self.document.text != self.original.text or self.document.title != self.original.title


Kind = Literal["title", "paragraph", "document"]


class StoredText(Protocol):
    def read(self) -> str: ...


@dataclass(frozen=True, slots=True)  # a million of them at a million articles
class Member:
    """One place in a duplicate cluster: a record, and for paragraph clusters which paragraph
    (0-based, among the record's non-empty blank-line-separated paragraphs), and its text.
    `stored` is the text, or where it was put aside until asked for (`dedup.texts.TextRef`: a
    report's texts grow with the corpus)."""

    doc: str
    path: str
    record: int
    line: int | None
    paragraph: int | None
    stored: str | StoredText
    index: int  # position of the record in the input, for ordering

    @property
    def text(self) -> str:
        s = self.stored
        return s if isinstance(s, str) else s.read()

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc": self.doc,
            "path": self.path,
            "record": self.record,
            "paragraph": self.paragraph,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class Cluster:
    """Places that repeat each other. `similarity` is the lowest verified similarity of a member
    to the representative (Jaccard of shingle sets; for documents the larger of Jaccard and
    containment)."""

    id: int
    kind: Kind
    members: tuple[Member, ...]
    representative: int  # index into members
    similarity: float

    @property
    def size(self) -> int:
        return len(self.members)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "size": self.size,
            "similarity": round(self.similarity, 4),
            "representative": self.representative,
            "members": [m.to_dict() for m in self.members],
        }


@dataclass(frozen=True)
class Finding:
    """One problem `cleaner check` found in one place: an artifact the normalizer would fix
    (`kind` is the rule), a duplicate (`duplicate-article`, `-title`, `-paragraph`, with where the
    earlier copy is), or an unreadable record. `line` is None where the format has no lines
    (Parquet): the record number is shown instead."""

    path: str
    line: int | None
    record: int
    kind: str
    message: str
    duplicate_of: str | None = None

    def __str__(self) -> str:
        where = str(Origin(self.path, self.record, self.line))
        tail = f" (duplicate of {self.duplicate_of})" if self.duplicate_of else ""
        return f"{where}: {self.kind}: {self.message}{tail}"

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "record": self.record,
            "kind": self.kind,
            "message": self.message,
            "duplicate_of": self.duplicate_of,
        }
