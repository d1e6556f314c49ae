"""The normalizer's settings, and each document's language and source under them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import urlsplit

from cleaner.errors import ConfigError, InputError
from cleaner.io.readers import get_field
from cleaner.lang.detect import resolve_language
from cleaner.model import Document
from cleaner.normalize.registry import DEFAULT_MIN_CONFIDENCE

EvidenceMode = Literal["corpus", "shipped"]


@dataclass(frozen=True)
class NormalizeOptions:
    """`lang`: one language for every document (`auto` or None: the record's `lang_field` where it
    has one, else detected). `min_confidence`: below it a destructive edit is only flagged.
    `evidence`: `corpus` gathers statistics over the inputs first (a second read of each file);
    `shipped` uses only the statistics that come with the package. `source_field`: the record
    field that names each document's site or publisher (a URL there stands for its host), whose
    own pages the boilerplate evidence counts a line's recurrence in too."""

    lang: str | None = None
    lang_field: str | None = None
    source_field: str | None = None
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    evidence: EvidenceMode = "corpus"

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ConfigError(f"--min-confidence must be between 0 and 1, got {self.min_confidence}")
        if self.evidence not in ("corpus", "shipped"):
            raise ConfigError(f"--evidence must be 'corpus' or 'shipped', got {self.evidence!r}")


def with_language(doc: Document, options: NormalizeOptions) -> Document:
    """`doc` with its language resolved (field > setting > detection), and its source where the
    options name a field for it."""
    if options.source_field:
        doc = replace(doc, source=source_of(doc, options.source_field))
    value = get_field(doc.record, options.lang_field)[1] if options.lang_field else None
    if value is not None and not isinstance(value, str):
        raise InputError(str(doc.origin), f"language field '{options.lang_field}' is not a string: {value!r}")
    try:
        guess = resolve_language(value, options.lang, doc.text, doc.title)
    except ConfigError as e:
        if value is not None:
            raise InputError(str(doc.origin), str(e)) from None
        raise
    return replace(doc, language=guess.code)


def source_of(doc: Document, source_field: str) -> str | None:
    """The document's source from its record's `source_field`: the value as written, a URL's host
    (without `www.`: `https://www.bbc.co.uk/news/x` is `bbc.co.uk`), None where the record has
    no such field or it is empty."""
    value: Any = get_field(doc.record, source_field)[1]
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InputError(str(doc.origin), f"source field '{source_field}' is not a string: {value!r}")
    source = str(value).strip()
    if "://" in source:
        try:
            host = urlsplit(source).hostname or source
        except ValueError:  # `http://[bad`: not a URL after all, a name
            host = source
        source = host.removeprefix("www.")
    return source or None
