"""Batched MinHash signatures, many texts at a time, bit-identical to datasketch's.

datasketch 2's default scheme (`affine32`) maps each 32-bit shingle hash through the MurmurHash3
finalizer and then through `num_perm` affine permutations `a*h + b mod 2^32`, keeping the minimum
per permutation. `MinHash.update_batch` does that one text at a time; here the shingles of a whole
batch go through one (num_perm x chunk) uint32 multiply-add and a segmented minimum
(`np.minimum.reduceat` along the chunk, which is the fast axis of that layout). The permutation
parameters are drawn as datasketch draws them, so seeds mean the same thing (tested).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from datasketch import LeanMinHash

from cleaner.dedup.shingle import ShingleBatch

SCHEME = "affine32"
EMPTY = np.uint32(0xFFFFFFFF)  # datasketch's initial value: the signature of an empty set
CHUNK = 1 << 14  # shingles per block: 128 x 16k x 4 B = 8 MB, cache-friendly


@dataclass(frozen=True)
class Permutations:
    num_perm: int
    seed: int
    a: np.ndarray
    b: np.ndarray


_PERMUTATIONS: dict[tuple[int, int], Permutations] = {}


def permutations(num_perm: int = 128, seed: int = 1) -> Permutations:
    """The affine permutations datasketch's `MinHash(num_perm, seed, scheme="affine32")` draws:
    odd `a` and any `b`, from numpy's `RandomState(seed)` in datasketch's order (tested equal to
    datasketch's own). Drawn here because importing datasketch imports scipy, which costs a
    third of a second of every command."""
    found = _PERMUTATIONS.get((num_perm, seed))
    if found is None:
        gen = np.random.RandomState(seed)
        a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
        found = _PERMUTATIONS[(num_perm, seed)] = Permutations(num_perm, seed, a, b)
    return found


def remember_permutations(perms: Permutations) -> None:
    """Tell `permutations` what datasketch gave before (the index stores it)."""
    _PERMUTATIONS[(perms.num_perm, perms.seed)] = perms


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it before the permutations."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signatures(batch: ShingleBatch, perms: Permutations) -> np.ndarray:
    """One signature row (uint32[num_perm]) per text of the batch; a text without shingles gets
    the all-max signature, as an empty datasketch MinHash has."""
    n_items = len(batch)
    out = np.full((n_items, perms.num_perm), EMPTY, dtype=np.uint32)
    starts, ends = batch.offsets[:-1], batch.offsets[1:]
    nonempty = np.flatnonzero(ends > starts)
    ne_starts, ne_ends = starts[nonempty], ends[nonempty]
    a, b = perms.a[:, None], perms.b[:, None]
    buf = np.empty((perms.num_perm, CHUNK), dtype=np.uint32)
    total = len(batch.hashes)
    for c0 in range(0, total, CHUNK):
        c1 = min(c0 + CHUNK, total)
        h = fmix32(batch.hashes[c0:c1])
        block = buf[:, : c1 - c0]
        np.multiply(a, h[None, :], out=block)
        np.add(block, b, out=block)
        # The non-empty texts that overlap [c0, c1) tile it, in order.
        first = np.searchsorted(ne_ends, c0, side="right")
        last = np.searchsorted(ne_starts, c1, side="left")
        if last <= first:
            continue
        local = np.maximum(ne_starts[first:last], c0) - c0
        mins = np.minimum.reduceat(block, local, axis=1).T
        rows = nonempty[first:last]
        out[rows] = np.minimum(out[rows], mins)
    return out


def to_lean(signature: np.ndarray, seed: int) -> LeanMinHash:
    """A datasketch `LeanMinHash` holding the same values, for use with datasketch's own tools."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=seed, hashvalues=signature.astype(np.uint32), scheme=SCHEME)


def estimate_jaccard(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.count_nonzero(x == y)) / len(x)
