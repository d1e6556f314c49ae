"""A byte of each MinHash value, kept after the signatures are gone, so that verification can
pass over candidate pairs that cannot be at the threshold without reading their shingles.

The candidates of LSH at `lsh_threshold` are mostly pairs far below the verification threshold
(two paragraphs that share a sentence, two headlines that share a phrase): at 1M articles, 11M
candidates for 500k pairs that verify, and reading and counting a pair's shingles costs 15 us.
Two sets of Jaccard J have equal minima at each permutation with chance J, and equal minima
have equal low bytes (b-bit minwise hashing, Li and König 2010: unequal minima may share a byte
by chance too, which only makes a pair look closer). So the number of positions where two
sketches agree is at least a Binomial(num_perm, J) draw, and a pair agreeing at fewer than
`agreement_floor` positions is below the threshold except with chance `MISS_CHANCE`; only the
rest are verified, exactly as before. (The positions are drawn from one family of affine
permutations, so they are independent only nearly: the chance is set far below what would be
seen in a corpus of a billion true pairs.)

Only levels decided by Jaccard alone have a sketch: titles (equal match keys have equal word
sets, so equal sketches) and paragraphs. Articles may also match by containment, which a
sketch of the whole set does not bound.
"""

from __future__ import annotations

import functools
from math import comb
from typing import Protocol

import numpy as np

MISS_CHANCE = 1e-12
SKETCHED = ("title", "paragraph")
PAIRS_AT_ONCE = 1 << 16  # 2 x 64k pairs x 128 bytes in memory at a time


class Rows(Protocol):
    """The sketches of items `idx` (k x num_perm uint8): an array, or one read from disk."""

    def __getitem__(self, idx: np.ndarray) -> np.ndarray: ...


def sketch_of(sigs: np.ndarray) -> np.ndarray:
    """Signatures (items x num_perm) -> their low bytes."""
    return (sigs & np.uint32(0xFF)).astype(np.uint8)


@functools.cache
def agreement_floor(num_perm: int, threshold: float) -> int:
    """The fewest agreeing positions of a pair at Jaccard `threshold` or above, but for a chance
    of `MISS_CHANCE`: the lower tail of Binomial(num_perm, threshold). 51 of 128 at 0.7."""
    tail = 0.0
    for m in range(num_perm + 1):
        tail += comb(num_perm, m) * threshold**m * (1 - threshold) ** (num_perm - m)
        if tail > MISS_CHANCE:
            return m
    return num_perm


def plausible(rows: Rows, pairs: np.ndarray, threshold: float) -> np.ndarray:
    """For each pair (k x 2 items), whether its sketches agree at `agreement_floor` positions."""
    out = np.ones(len(pairs), dtype=bool)
    for lo in range(0, len(pairs), PAIRS_AT_ONCE):
        part = pairs[lo : lo + PAIRS_AT_ONCE]
        items, where = np.unique(part, return_inverse=True)
        got = rows[items]
        where = where.reshape(-1, 2)
        floor = agreement_floor(got.shape[1], threshold) if got.ndim == 2 else 0
        if floor:
            agree = np.count_nonzero(got[where[:, 0]] == got[where[:, 1]], axis=1)
            out[lo : lo + len(part)] = agree >= floor
    return out
