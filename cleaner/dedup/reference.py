"""Reference definitions, for tests and benchmarks: the plain, slow form of what the finder
computes fast. Nothing in the finder calls these; the tests check the fast forms against them
(and, through them, against datasketch).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import numpy as np

from cleaner.dedup.matchform import SEPARATORS, char_tokens, tokens
from cleaner.dedup.shingle import MASK, MULT, shingle_batch, word_hash


def reference_tokens(text: str) -> list[str]:
    """The definition of the match form's words: what `matchform.tokens` computes faster."""
    return unicodedata.normalize("NFKC", text).casefold().translate(SEPARATORS).split()


def shingle_hash(shingle: Sequence[str]) -> int:
    """The 32-bit hash of one shingle (a sequence of tokens): the reference for `shingle_batch`
    and the `hashfunc` to give datasketch for identical signatures."""
    h = 0
    for w in shingle:
        h = (h * int(MULT) + word_hash(w)) & MASK
    return h >> 32


def shingles_for(text: str, n: int, noisy: bool = False) -> np.ndarray:
    """The distinct shingle hashes of one text: word n-grams, or character 5-grams when `noisy`."""
    toks = char_tokens(text) if noisy else tokens(text)
    return shingle_batch([toks], 5 if noisy else n).set(0)


def shingle_tokens(text: str, n: int, noisy: bool = False) -> list[tuple[str, ...]]:
    """The shingles themselves (to check against datasketch)."""
    toks = char_tokens(text) if noisy else tokens(text)
    k = min(5 if noisy else n, len(toks))
    if not toks:
        return []
    return [tuple(toks[i : i + k]) for i in range(len(toks) - k + 1)]
