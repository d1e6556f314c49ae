"""Pairs of items, as the finder's stages pass them on, and which pairs a bucket makes.

A level's pairs (i, j), i < j, travel as a k x 2 int64 array, sorted and distinct; as codes
`i * n + j` (n items) they are one sortable number each, so unions and differences are sorts.

A bucket (items sharing an LSH band, or a title key) is paired all-pairs up to `MAX_ALL_PAIRS`
members, and as a star (each to the bucket's first item) plus a chain (each to the next) above:
400 copies of one footer stay 800 pairs, not 80,000, and their connected component is still all
of them. The corpus-wide finder and the incremental check pair buckets with these same rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import numpy as np

from cleaner.dedup.arrays import sorted_distinct

MAX_ALL_PAIRS = 40


def pairs_of(members: list[int]) -> list[tuple[int, int]]:
    """The pairs a bucket makes of its members (ascending)."""
    if len(members) <= MAX_ALL_PAIRS:
        return [(a, b) for k, a in enumerate(members) for b in members[k + 1 :]]
    first = members[0]
    return [(first, b) for b in members[1:]] + list(zip(members[1:], members[2:], strict=False))


@lru_cache(maxsize=256)
def pair_places(size: int) -> tuple[np.ndarray, np.ndarray]:
    """The places in a bucket of `size` members that `pairs_of` pairs, as two arrays."""
    if size <= MAX_ALL_PAIRS:
        return np.triu_indices(size, 1)
    rest = np.arange(1, size)
    return np.concatenate([np.zeros(size - 1, dtype=np.int64), rest[:-1]]), np.concatenate([rest, rest[1:]])


def no_pairs() -> np.ndarray:
    return np.zeros((0, 2), dtype=np.int64)


def no_codes() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


def codes_of(pairs: np.ndarray, n: int) -> np.ndarray:
    return pairs[:, 0] * n + pairs[:, 1]


def decode_pairs(codes: np.ndarray, n: int) -> np.ndarray:
    """Pairs from their codes (sorted codes give sorted pairs)."""
    return np.stack([codes // n, codes % n], axis=1) if len(codes) else no_pairs()


def merge_codes(parts: list[np.ndarray]) -> np.ndarray:
    """Pair codes from several parts, sorted and distinct."""
    return sorted_distinct(np.concatenate(parts)) if parts else no_codes()


def pair_array(pairs: Iterable[tuple[int, int]]) -> np.ndarray:
    """Pairs (i < j, any order, repeats allowed) as a sorted, distinct array."""
    return np.array(sorted(set(pairs)), dtype=np.int64).reshape(-1, 2)


def union_pairs(n: int, *parts: np.ndarray) -> np.ndarray:
    """The sorted, distinct pairs of all the parts (pairs of items 0 .. n - 1, i < j)."""
    codes = [codes_of(p, n) for p in parts if len(p)]
    return decode_pairs(sorted_distinct(np.concatenate(codes)), n) if codes else no_pairs()


def pairs_without(n: int, pairs: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """The pairs (sorted, distinct) that are not among `removed` (sorted, distinct)."""
    if not len(pairs) or not len(removed):
        return pairs
    codes, gone = codes_of(pairs, n), codes_of(removed, n)
    at = np.minimum(np.searchsorted(gone, codes), len(gone) - 1)
    return pairs[gone[at] != codes]


def pair_list(pairs: np.ndarray) -> list[tuple[int, int]]:
    return list(zip(pairs[:, 0].tolist(), pairs[:, 1].tolist(), strict=False))


class PairValues:
    """A value for each of many pairs (a level's verified similarities), looked up by pair: as
    sorted codes and a value array, some 16 bytes a pair where a dict of tuples takes about 250
    (the Ray driver holds every edge of a level at once)."""

    def __init__(self, pairs: np.ndarray, values: np.ndarray, n: int) -> None:
        codes = codes_of(pairs, n)
        order = np.argsort(codes, kind="stable")
        self.codes, self.values, self.n = codes[order], values[order], n

    def __len__(self) -> int:
        return len(self.codes)

    def get(self, a: int, b: int) -> float | None:
        code = min(a, b) * self.n + max(a, b)
        at = int(np.searchsorted(self.codes, code))
        return float(self.values[at]) if at < len(self.codes) and self.codes[at] == code else None
