"""The match form and shingles: what the duplicate finder compares. Used for matching only,
never written out.

Match form: NFKC, casefold, quotes/dashes/punctuation folded away, whitespace collapsed, digits
kept (`rose 3%` is not `rose 5%`). Shingles are word n-grams of the match form, hashed to 32 bits
with a stable hash (independent of PYTHONHASHSEED): each word gets a 64-bit BLAKE2b hash (cached,
since a corpus has few distinct words), and an n-gram's hash is a polynomial over its words' hashes,
computed for a whole document at once with numpy. `shingle_hash` is the same function for one
shingle, so datasketch's `MinHash(hashfunc=shingle_hash)` gives the same signatures (tested).

The noise-robust form (`noisy=True`, for OCR'd or badly scraped copies) uses character 5-grams of
the match form with spaces removed: a confused letter (`rn`/`m`, `e`/`c`) or words run together
change a few character grams but every word 5-gram they touch.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence

import numpy as np
import regex

MATCH_FORM_VERSION = 1

_FOLD = regex.compile(r"[\p{P}\p{S}\p{Z}\s]+")
_MULT = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant (golden ratio): a good polynomial base


def match_form(text: str) -> str:
    """`“Trump’s  Plan” — Rose 3%` -> `trump s plan rose 3`."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _FOLD.sub(" ", text).strip()


def words(text: str) -> list[str]:
    form = match_form(text)
    return form.split(" ") if form else []


_WORD_HASHES: dict[str, int] = {}
_MAX_CACHED = 2_000_000


def word_hash(word: str) -> int:
    h = _WORD_HASHES.get(word)
    if h is None:
        h = int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")
        if len(_WORD_HASHES) < _MAX_CACHED:
            _WORD_HASHES[word] = h
    return h


def shingle_hash(shingle: Sequence[str]) -> int:
    """The 32-bit hash of one shingle (a sequence of tokens): the reference for `shingle_hashes`
    and the `hashfunc` to give datasketch for identical signatures."""
    h = 0
    for w in shingle:
        h = (h * int(_MULT) + word_hash(w)) & 0xFFFFFFFFFFFFFFFF
    return h >> 32


def shingle_hashes(tokens: Sequence[str], n: int) -> np.ndarray:
    """Distinct 32-bit hashes of the n-grams of `tokens` (sorted, uint32). A text shorter than `n`
    tokens is one shingle of all its tokens; an empty text has none."""
    if not tokens:
        return np.empty(0, dtype=np.uint32)
    wh = np.fromiter((word_hash(t) for t in tokens), dtype=np.uint64, count=len(tokens))
    k = min(n, len(tokens))
    count = len(tokens) - k + 1
    h = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(k):
            h = h * _MULT + wh[i : i + count]
    return np.unique((h >> np.uint64(32)).astype(np.uint32))


def char_tokens(text: str) -> list[str]:
    """The characters of the match form without spaces: their 5-token windows are the noisy
    mode's character 5-grams."""
    return list(match_form(text).replace(" ", ""))


def shingles_for(text: str, n: int, noisy: bool = False) -> np.ndarray:
    """The shingle-hash set of a text: word n-grams, or character 5-grams when `noisy`."""
    if noisy:
        return shingle_hashes(char_tokens(text), 5)
    return shingle_hashes(words(text), n)


def shingle_tokens(text: str, n: int, noisy: bool = False) -> list[tuple[str, ...]]:
    """The shingles themselves (for tests and for checking against datasketch)."""
    toks = char_tokens(text) if noisy else words(text)
    k = min(5 if noisy else n, len(toks))
    if not toks:
        return []
    return [tuple(toks[i : i + k]) for i in range(len(toks) - k + 1)]
