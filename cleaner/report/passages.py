"""Which parts of two texts are the same passage: word runs both hold in the same order, found by
difflib on case-folded words. A review page highlights them and leaves the rest (a dateline, a
footer, a changed word) plain, so what differs is what stands out."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

WORD = re.compile(r"\S+")
MIN_WORDS = 3  # shorter runs are chance ("of the"), not a copied passage
MAX_WORDS = 20_000  # longer texts are compared on their start only: a page must build in seconds


@dataclass(frozen=True)
class Words:
    text: str
    spans: tuple[tuple[int, int], ...]  # character span of each word
    keys: tuple[str, ...]  # each word as compared: case-folded, outer punctuation off


def words(text: str) -> Words:
    spans = tuple(m.span() for m in WORD.finditer(text))[:MAX_WORDS]
    keys = tuple(text[a:b].casefold().strip(".,;:!?\"'“”‘’()[]") or text[a:b] for a, b in spans)
    return Words(text, spans, keys)


def shared_spans(a: Words, b: Words, min_words: int = MIN_WORDS) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The passages `a` and `b` share, as character spans in each (sorted, not overlapping)."""
    matcher = difflib.SequenceMatcher(None, a.keys, b.keys, autojunk=False)
    in_a: list[tuple[int, int]] = []
    in_b: list[tuple[int, int]] = []
    for i, j, n in matcher.get_matching_blocks():
        if n >= min_words or (n and n == len(a.keys) == len(b.keys)):
            in_a.append((a.spans[i][0], a.spans[i + n - 1][1]))
            in_b.append((b.spans[j][0], b.spans[j + n - 1][1]))
    return in_a, in_b


def union(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans joined where they overlap or touch."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def pieces(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The text cut at the spans: (piece, shared) in order, joining back to `text`."""
    out: list[tuple[str, bool]] = []
    at = 0
    for start, end in union(spans):
        if start > at:
            out.append((text[at:start], False))
        out.append((text[start:end], True))
        at = end
    if at < len(text):
        out.append((text[at:], False))
    return out
