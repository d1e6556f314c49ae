"""Candidate pairs by locality-sensitive hashing over MinHash signatures.

The banding is datasketch's `MinHashLSH`: the same (bands, rows) from its `_optimal_param` for a
threshold and number of permutations, and two items are candidates exactly when some band of
their signatures is identical (a test checks the candidates against `MinHashLSH.query`). It is
done here with numpy over the whole signature matrix instead of one Python insert per item,
which is what makes a corpus of tens of thousands of articles take seconds.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from datasketch.lsh import _optimal_param

# A bucket holding more items than this is paired as a star (each to the bucket's first item)
# plus a chain (each to the next), not all-pairs: 400 copies of one footer stay 800 pairs, not
# 80,000, and union-find still joins them.
MAX_ALL_PAIRS = 40


@lru_cache(maxsize=32)
def bands_rows(threshold: float, num_perm: int) -> tuple[int, int]:
    return _optimal_param(threshold, num_perm, 0.5, 0.5)


def candidate_pairs(signatures: np.ndarray, threshold: float) -> set[tuple[int, int]]:
    """Pairs (i, j), i < j, of rows that share at least one LSH band."""
    n, num_perm = signatures.shape
    if n < 2:
        return set()
    bands, rows = bands_rows(threshold, num_perm)
    pairs: set[tuple[int, int]] = set()
    for band in range(bands):
        block = np.ascontiguousarray(signatures[:, band * rows : (band + 1) * rows])
        keys = block.view(np.dtype((np.void, block.dtype.itemsize * rows))).ravel()
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        bounds = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
        for group in np.split(order, bounds):
            if len(group) < 2:
                continue
            members = sorted(group.tolist())
            pairs.update(_pairs(members))
    return pairs


def _pairs(members: list[int]) -> list[tuple[int, int]]:
    if len(members) <= MAX_ALL_PAIRS:
        return [(a, b) for k, a in enumerate(members) for b in members[k + 1 :]]
    first = members[0]
    return [(first, b) for b in members[1:]] + list(zip(members[1:], members[2:]))


def jaccard(x: np.ndarray, y: np.ndarray) -> float:
    """True Jaccard of two sorted, distinct hash arrays."""
    if len(x) == 0 and len(y) == 0:
        return 1.0
    inter = len(np.intersect1d(x, y, assume_unique=True))
    return inter / (len(x) + len(y) - inter)


def containment(x: np.ndarray, y: np.ndarray) -> float:
    """How much of the smaller set lies in the larger: a cut copy is contained in its original."""
    small = min(len(x), len(y))
    if small == 0:
        return 0.0
    return len(np.intersect1d(x, y, assume_unique=True)) / small
