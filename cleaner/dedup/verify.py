"""When two candidates really are duplicates: the pair tests shared by the corpus-wide finder and
the incremental check, so both give the same answer for the same two texts.

Each test takes the sorted, distinct shingle hashes of the two texts (see `ShingleBatch.set`).
"""

from __future__ import annotations

import numpy as np

from cleaner.dedup.index import jaccard, overlap

ORDINALS = frozenset(["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "last", "final", "next"])
# A copy must be this long (in shingles, about as many words) for containment to count: shorter
# texts (a footer, a one-line body) are contained in too much to say they were copied.
MIN_CONTAINED_SHINGLES = 50


def titles_differ_in_number(words_a: set[str], words_b: set[str]) -> bool:
    """`5 takeaways` is not `7 takeaways`, nor the `first` hearing the `second`: headlines that
    differ in a number are different stories, however alike the rest."""
    return any(w.isdigit() or w in ORDINALS for w in words_a ^ words_b)


def same_title(key_a: str, key_b: str, x: np.ndarray, y: np.ndarray, threshold: float) -> bool:
    """Title keys are match forms without a site suffix; x and y their word-shingle sets."""
    if key_a == key_b:
        return True
    if titles_differ_in_number(set(key_a.split(" ")), set(key_b.split(" "))):
        return False
    return jaccard(x, y) >= threshold


def same_paragraph(x: np.ndarray, y: np.ndarray, threshold: float) -> bool:
    return jaccard(x, y) >= threshold


def document_similarity(x: np.ndarray, y: np.ndarray) -> float:
    """Jaccard, or containment where the shorter text is long enough for it to mean a copy."""
    inter, small = overlap(x, y), min(len(x), len(y))
    j = inter / (len(x) + len(y) - inter) if len(x) or len(y) else 1.0
    return j if small < MIN_CONTAINED_SHINGLES else max(j, inter / small)


def same_document(x: np.ndarray, y: np.ndarray, threshold: float, min_containment: float) -> bool:
    """Near-identical (Jaccard at the threshold) or one mostly contained in the other (a copy cut
    after some paragraphs, or under a new headline, dateline or footer)."""
    small, large = sorted((len(x), len(y)))
    if not large:
        return True  # two empty texts: Jaccard 1
    # Sizes first: two sets this different in size can only pass by containment.
    if small / large < threshold and small < MIN_CONTAINED_SHINGLES:
        return False
    inter = overlap(x, y)
    if inter / (small + large - inter) >= threshold:
        return True
    return small >= MIN_CONTAINED_SHINGLES and inter / small >= min_containment
