"""Candidate pairs by locality-sensitive hashing over MinHash signatures.

The banding is datasketch's `MinHashLSH`: the (bands, rows) its `_optimal_param` chooses for a
threshold and number of permutations (`bands_rows`), and two items are candidates exactly when
some band of their signatures is identical (`candidate_pairs`; a test checks it against
`MinHashLSH.query`), or, from 64-bit keys of the bands alone, when some band key is (`key_pairs`:
the same pairs but for key collisions, which verification rejects). It is done with numpy over
all the items at once instead of one Python insert per item, which is what makes a corpus of
tens of thousands of articles take seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import numpy as np

from cleaner.dedup.shingle import sorted_distinct

# A bucket holding more items than this is paired as a star (each to the bucket's first item)
# plus a chain (each to the next), not all-pairs: 400 copies of one footer stay 800 pairs, not
# 80,000, and their connected component is still all of them.
MAX_ALL_PAIRS = 40


_BANDS: dict[tuple[float, int], tuple[int, int]] = {}


def bands_rows(threshold: float, num_perm: int) -> tuple[int, int]:
    """datasketch `MinHashLSH`'s (bands, rows) for a threshold (its `_optimal_param` with equal
    weights): the pair minimizing the chance of a false positive below the threshold plus a
    false negative above it. datasketch integrates with scipy's `quad`, and importing scipy
    costs a third of a second; the integrands are polynomials of degree at most `num_perm`, so
    Gauss-Legendre quadrature with num_perm / 2 + 1 nodes is exact (tested to choose as
    datasketch does)."""
    found = _BANDS.get((threshold, num_perm))
    if found is None:
        x, w = np.polynomial.legendre.leggauss(num_perm // 2 + 1)
        below, w_below = (x + 1) * threshold / 2, w * threshold / 2
        above, w_above = threshold + (x + 1) * (1 - threshold) / 2, w * (1 - threshold) / 2
        least = float("inf")
        found = (0, 0)
        for b in range(1, num_perm + 1):
            for r in range(1, num_perm // b + 1):
                false_positive = float(np.dot(w_below, 1 - (1 - below**r) ** b))
                false_negative = float(np.dot(w_above, (1 - above**r) ** b))
                error = 0.5 * false_positive + 0.5 * false_negative
                if error < least:
                    least, found = error, (b, r)
        _BANDS[(threshold, num_perm)] = found
    return found


def remember_bands_rows(threshold: float, num_perm: int, bands: int, rows: int) -> None:
    """Tell `bands_rows` what datasketch answered before (the index stores it)."""
    _BANDS[(threshold, num_perm)] = (bands, rows)


def candidate_pairs(signatures: np.ndarray, threshold: float) -> set[tuple[int, int]]:
    """Pairs (i, j), i < j, of rows that share at least one LSH band."""
    n, num_perm = signatures.shape
    if n < 2:
        return set()
    bands, rows = bands_rows(threshold, num_perm)
    # A band's rows folded into one uint64 key sort fast; a group of equal keys is then checked
    # row by row, so a 64-bit collision can never make a candidate that MinHashLSH would not
    # (`key_pairs`, from band keys alone, can: the verification rejects it).
    pairs: set[tuple[int, int]] = set()
    for band in range(bands):
        block = signatures[:, band * rows : (band + 1) * rows]
        keys = _fold(block)
        # Not a stable sort (5x slower): the order within a run of equal keys does not matter,
        # `_exact_groups` sorts each run's members.
        order = np.argsort(keys)
        sorted_keys = keys[order]
        same = sorted_keys[1:] == sorted_keys[:-1]
        if not same.any():
            continue
        # Runs of equal keys: where a run starts and how long it is; only runs of 2+ matter.
        starts = np.flatnonzero(np.concatenate([[True], ~same]))
        sizes = np.diff(np.concatenate([starts, [n]]))
        for start, size in zip(starts[sizes > 1], sizes[sizes > 1]):
            group = order[start : start + size]
            for members in _exact_groups(block, group):
                pairs.update(pairs_of(members))
    return pairs


def key_pairs(keys: np.ndarray) -> set[tuple[int, int]]:
    """`candidate_pairs` from band keys (`band_keys`, transposed: one row per band): items
    sharing a band share its key. Two items that share a key without sharing the band (a 64-bit
    accident, about n^2 / 2^65 a band) are a candidate the verification rejects."""
    return set(map(tuple, decode_pairs(key_pair_codes(keys), keys.shape[1]).tolist()))


# Pairs of items (i, j), i < j, travel between the stages as a k x 2 int64 array, sorted and
# distinct; as codes `i * n + j` (n items) they are one sortable number each.


def no_pairs() -> np.ndarray:
    return np.zeros((0, 2), dtype=np.int64)


def _codes(pairs: np.ndarray, n: int) -> np.ndarray:
    return pairs[:, 0] * n + pairs[:, 1]


def decode_pairs(codes: np.ndarray, n: int) -> np.ndarray:
    """Pairs from their codes (sorted codes give sorted pairs)."""
    return np.stack([codes // n, codes % n], axis=1) if len(codes) else no_pairs()


def pair_array(pairs: Iterable[tuple[int, int]]) -> np.ndarray:
    """Pairs (i < j, any order, repeats allowed) as a sorted, distinct array."""
    return np.array(sorted(set(pairs)), dtype=np.int64).reshape(-1, 2)


def union_pairs(n: int, *parts: np.ndarray) -> np.ndarray:
    """The sorted, distinct pairs of all the parts (pairs of items 0 .. n - 1, i < j)."""
    codes = [_codes(p, n) for p in parts if len(p)]
    return decode_pairs(sorted_distinct(np.concatenate(codes)), n) if codes else no_pairs()


def pairs_without(n: int, pairs: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """The pairs (sorted, distinct) that are not among `removed` (sorted, distinct)."""
    if not len(pairs) or not len(removed):
        return pairs
    codes, gone = _codes(pairs, n), _codes(removed, n)
    at = np.minimum(np.searchsorted(gone, codes), len(gone) - 1)
    return pairs[gone[at] != codes]


def pair_list(pairs: np.ndarray) -> list[tuple[int, int]]:
    return list(zip(pairs[:, 0].tolist(), pairs[:, 1].tolist()))


def key_pair_codes(keys: np.ndarray) -> np.ndarray:
    """`key_pairs` as sorted distinct codes `a * n + b` (n items): bands can be paired apart, in
    any number of processes, and the codes merged with `merge_codes`.

    Each band is one plain sort of its keys with the item number packed into the low bits (about
    3x faster than an argsort); equal keys are then told apart by the full key, so the packing
    loses nothing."""
    bands, n = keys.shape
    if n < 2:
        return np.zeros(0, dtype=np.int64)
    bits = np.uint64(max(1, (n - 1).bit_length()))
    low = (np.uint64(1) << bits) - np.uint64(1)
    index = np.arange(n, dtype=np.uint64)
    codes: list[np.ndarray] = []
    for band in range(bands):
        packed = keys[band] >> bits
        packed <<= bits
        packed |= index
        packed.sort()
        high = packed >> bits
        same = high[1:] == high[:-1]
        if not same.any():
            continue
        # Only the places in runs of equal packed keys matter (a few percent of the items).
        in_run = np.zeros(n, dtype=bool)
        in_run[1:] = same
        in_run[:-1] |= same
        places = np.flatnonzero(in_run)
        high = high[places]
        items = (packed[places] & low).astype(np.int64)
        starts = np.flatnonzero(np.concatenate([[True], high[1:] != high[:-1]]))
        sizes = np.diff(np.concatenate([starts, [len(places)]]))
        # A run's items are in item order (the low bits sorted them). Runs whose full keys are
        # all equal (all but accidents) are paired at once, those of one size together; a run
        # whose full keys differ is regrouped by full key.
        full = keys[band][items]
        changes = np.cumsum(np.concatenate([[0], full[1:] != full[:-1]]))
        uniform = changes[starts + sizes - 1] == changes[starts]
        for size in sorted(set(sizes[uniform & (sizes > 1)].tolist())):
            first, second = _pair_places(size)
            runs = starts[uniform & (sizes == size)][:, None]
            codes.append((items[runs + first] * n + items[runs + second]).ravel())
        for start, size in zip(starts[~uniform].tolist(), sizes[~uniform].tolist()):
            groups: dict[int, list[int]] = {}
            for item, key in zip(items[start : start + size].tolist(), full[start : start + size].tolist()):
                groups.setdefault(key, []).append(item)
            codes += [np.array([a * n + b for a, b in pairs_of(g)], dtype=np.int64) for g in groups.values() if len(g) > 1]
    return merge_codes(codes)


def merge_codes(parts: list[np.ndarray]) -> np.ndarray:
    """Pair codes from several parts, sorted and distinct."""
    return sorted_distinct(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


@lru_cache(maxsize=256)
def _pair_places(size: int) -> tuple[np.ndarray, np.ndarray]:
    """The places in a bucket of `size` items that `pairs_of` pairs: all pairs, or a star and a
    chain for a big bucket."""
    if size <= MAX_ALL_PAIRS:
        return np.triu_indices(size, 1)
    rest = np.arange(1, size)
    return np.concatenate([np.zeros(size - 1, dtype=np.int64), rest[:-1]]), np.concatenate([rest, rest[1:]])


def _fold(block: np.ndarray) -> np.ndarray:
    """One uint64 key per row of a band (a random linear combination of its values)."""
    with np.errstate(over="ignore"):
        return (block.astype(np.uint64) * _mix(block.shape[1])).sum(axis=1, dtype=np.uint64)


@lru_cache(maxsize=32)
def _mix(rows: int) -> np.ndarray:
    return np.random.RandomState(12345).randint(1, 2**62, size=rows, dtype=np.uint64) | np.uint64(1)


def band_keys(signatures: np.ndarray, threshold: float) -> np.ndarray:
    """Every band of every signature as one uint64 key: (items x bands). Band b's key is salted
    with b, so one column of keys can hold all bands (the persistent index stores them so).
    Two items share a band only if they share its key; sharing a key without the band is a 64-bit
    accident, which the verification that follows rules out."""
    n, num_perm = signatures.shape
    bands, rows = bands_rows(threshold, num_perm)
    out = np.empty((n, bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for band in range(bands):
            out[:, band] = (_fold(signatures[:, band * rows : (band + 1) * rows]) + np.uint64(band + 1)) * _SALT
    return out


_SALT = np.uint64(0x9E3779B97F4A7C15)


def _exact_groups(block: np.ndarray, group: np.ndarray) -> list[list[int]]:
    rows = {}
    for i in sorted(group.tolist()):
        rows.setdefault(block[i].tobytes(), []).append(i)
    return [m for m in rows.values() if len(m) > 1]


def pairs_of(members: list[int]) -> list[tuple[int, int]]:
    if len(members) <= MAX_ALL_PAIRS:
        return [(a, b) for k, a in enumerate(members) for b in members[k + 1 :]]
    first = members[0]
    return [(first, b) for b in members[1:]] + list(zip(members[1:], members[2:]))


def overlap(x: np.ndarray, y: np.ndarray) -> int:
    """How many values two sorted, distinct hash arrays share."""
    return len(np.intersect1d(x, y, assume_unique=True))


def jaccard(x: np.ndarray, y: np.ndarray) -> float:
    """True Jaccard of two sorted, distinct hash arrays."""
    if len(x) == 0 and len(y) == 0:
        return 1.0
    inter = overlap(x, y)
    return inter / (len(x) + len(y) - inter)


def containment(x: np.ndarray, y: np.ndarray) -> float:
    """How much of the smaller set lies in the larger: a cut copy is contained in its original."""
    small = min(len(x), len(y))
    if small == 0:
        return 0.0
    return overlap(x, y) / small
