"""The default mode's second document index, for OCR-noisy documents (`noise`): every document's
sampled character 5-grams (`chargrams`) signed and banded on their own, and a pair from it kept
only where one of the two documents is noisy, so clean documents are paired and judged as before.

A kept pair is a duplicate when its word shingles say so, or else when its character samples do
(`verify.RobustSets`).
"""

from __future__ import annotations

import numpy as np

from cleaner.dedup.lsh import Buckets, band_keys, buckets
from cleaner.dedup.pairs import decode_pairs, merge_codes, no_pairs

# The character index's signatures: a quarter of the word levels' permutations (its pairs are
# few, all verified, and come from buckets with a noisy member only), banded low (10 bands of
# 3 rows: half the words of an OCR'd copy noised leave it 0.6-0.7 Jaccard with its original).
NUM_PERM = 32
LSH_THRESHOLD = 0.45


def noisy_codes(row: np.ndarray, noisy: np.ndarray) -> np.ndarray:
    """The pairs (as codes `a * n + b`) of the items sharing a band key in `row` of which one is
    noisy. Only the buckets with a noisy member are paired: a corpus's clean near-copies, which
    share character bands too, make no pairs here."""
    n = len(row)
    found = buckets(row)
    members = np.concatenate([[0], np.cumsum(noisy[found.members], dtype=np.int64)])
    some = members[found.starts + found.sizes] > members[found.starts]
    codes = Buckets(found.members, found.starts[some], found.sizes[some]).pair_codes(n)
    return codes[noisy[codes // n] | noisy[codes % n]] if len(codes) else codes


def robust_pairs(keys: np.ndarray | None, sigs: np.ndarray | None, noisy: np.ndarray) -> np.ndarray:
    """The character index's candidate pairs (k x 2, sorted) with a noisy member, from its band
    keys (bands x documents) or, where an engine kept them, its signatures."""
    if keys is None:
        if sigs is None or not len(sigs):
            return no_pairs()
        keys = np.ascontiguousarray(band_keys(sigs, LSH_THRESHOLD).T)
    n = keys.shape[1]
    if n < 2 or not noisy.any():
        return no_pairs()
    return decode_pairs(merge_codes([noisy_codes(row, noisy) for row in keys]), n)
