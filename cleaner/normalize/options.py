"""The normalizer's settings, and each document's language under them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

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
    `shipped` uses only the statistics that come with the package."""

    lang: str | None = None
    lang_field: str | None = None
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    evidence: EvidenceMode = "corpus"

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ConfigError(f"--min-confidence must be between 0 and 1, got {self.min_confidence}")
        if self.evidence not in ("corpus", "shipped"):
            raise ConfigError(f"--evidence must be 'corpus' or 'shipped', got {self.evidence!r}")


def with_language(doc: Document, options: NormalizeOptions) -> Document:
    """`doc` with its language resolved: field > setting > detection."""
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
