"""Batched MinHash signatures, many documents at a time, bit-identical to datasketch's.

datasketch 2's default scheme (`affine32`) maps each 32-bit shingle hash through the MurmurHash3
finalizer and then through `num_perm` affine permutations `a*h + b mod 2^32`, keeping the
minimum per permutation. Doing that per document, as `MinHash.update_batch` does, spends most
of its time in Python and in small numpy calls; here the shingles of a whole batch of documents
go through one large uint32 multiply-add and a segmented minimum (`np.minimum.reduceat`). The
permutation parameters are taken from datasketch itself, so seeds mean the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash

SCHEME = "affine32"
EMPTY = np.uint32(0xFFFFFFFF)  # datasketch's initial value: the signature of an empty set
_ROWS_PER_CHUNK = 1 << 15  # shingles per multiply block: 32k x 128 x 4 B = 16 MB


@dataclass(frozen=True)
class Permutations:
    num_perm: int
    seed: int
    a: np.ndarray
    b: np.ndarray


@lru_cache(maxsize=8)
def permutations(num_perm: int = 128, seed: int = 1) -> Permutations:
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
    return Permutations(num_perm, seed, a.astype(np.uint32), b.astype(np.uint32))


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it before the permutations."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signatures(sets: Sequence[np.ndarray], perms: Permutations) -> np.ndarray:
    """One signature row (uint32[num_perm]) per shingle-hash set; an empty set gives the
    all-max signature, as an empty datasketch MinHash does."""
    out = np.full((len(sets), perms.num_perm), EMPTY, dtype=np.uint32)
    a, b = perms.a[None, :], perms.b[None, :]
    batch: list[int] = []
    size = 0

    def flush() -> None:
        nonlocal batch, size
        if not batch:
            return
        hv = fmix32(np.concatenate([sets[i] for i in batch]).astype(np.uint32))
        starts = np.cumsum([0] + [len(sets[i]) for i in batch[:-1]])
        with np.errstate(over="ignore"):
            phv = hv[:, None] * a + b
        out[batch] = np.minimum.reduceat(phv, starts, axis=0)
        batch, size = [], 0

    for i, s in enumerate(sets):
        if len(s) == 0:
            continue
        if len(s) > _ROWS_PER_CHUNK:  # one huge document: reduce it in blocks
            flush()
            for start in range(0, len(s), _ROWS_PER_CHUNK):
                hv = fmix32(s[start : start + _ROWS_PER_CHUNK].astype(np.uint32))
                with np.errstate(over="ignore"):
                    out[i] = np.minimum(out[i], (hv[:, None] * a + b).min(axis=0))
            continue
        if size + len(s) > _ROWS_PER_CHUNK:
            flush()
        batch.append(i)
        size += len(s)
    flush()
    return out


def to_lean(signature: np.ndarray, seed: int) -> LeanMinHash:
    """A datasketch `LeanMinHash` holding the same values, for use with datasketch's own tools."""
    return LeanMinHash(seed=seed, hashvalues=signature.astype(np.uint32), scheme=SCHEME)


def estimate_jaccard(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.count_nonzero(x == y)) / len(x)
