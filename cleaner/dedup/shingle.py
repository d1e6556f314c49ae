"""The match form and shingles: what the duplicate finder compares. Used for matching only,
never written out.

Match form: NFKC, casefold, every punctuation, symbol and separator character (quotes, dashes,
`%`, `$`) folded to a space, whitespace collapsed, digits kept (`rose 3%` is not `rose 5%`).

Shingles are token n-grams hashed to 32 bits with a stable hash (independent of PYTHONHASHSEED):
each distinct word gets a 64-bit BLAKE2b hash once (cached: a corpus has few distinct words), and
an n-gram's hash is a polynomial over its words' hashes. The n-grams of a whole batch of texts are
hashed at once with numpy (`shingle_batch`); `shingle_hash` is the same function for one shingle,
so datasketch's `MinHash(hashfunc=shingle_hash)` gives the same signatures (tested).

The noise-robust form (`noisy`, for OCR'd or badly scraped copies) uses character 5-grams of the
match form with spaces removed: a confused letter (`rn`/`m`, `e`/`c`) or words run together
change a few character grams but every word 5-gram they touch.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

MATCH_FORM_VERSION = 2

_MULT = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant (golden ratio): the polynomial base
_MASK = 0xFFFFFFFFFFFFFFFF


class _Separators(dict):  # type: ignore[type-arg]
    """A `str.translate` table, filled lazily: punctuation, symbols, separators and whitespace map
    to a space, everything else to itself. (Measured 1.5x faster than a regex substitution.)"""

    def __missing__(self, cp: int) -> int:
        ch = chr(cp)
        value = 32 if unicodedata.category(ch)[0] in "PSZ" or ch.isspace() else cp
        self[cp] = value
        return value


_SEPARATORS = _Separators()


def tokens(text: str) -> list[str]:
    """The match form's words: `“Trump’s  Plan” — Rose 3%` -> [trump, s, plan, rose, 3]."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_SEPARATORS).split()


def match_form(text: str) -> str:
    return " ".join(tokens(text))


def char_tokens(text: str) -> list[str]:
    """The characters of the match form without spaces: the noisy mode's tokens."""
    return list("".join(tokens(text)))


_WORD_HASHES: dict[str, int] = {}
_MAX_CACHED = 4_000_000


def _blake(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def word_hash(word: str) -> int:
    h = _WORD_HASHES.get(word)
    if h is None:
        h = _blake(word)
        if len(_WORD_HASHES) < _MAX_CACHED:
            _WORD_HASHES[word] = h
    return h


def shingle_hash(shingle: Sequence[str]) -> int:
    """The 32-bit hash of one shingle (a sequence of tokens): the reference for `shingle_batch`
    and the `hashfunc` to give datasketch for identical signatures."""
    h = 0
    for w in shingle:
        h = (h * int(_MULT) + word_hash(w)) & _MASK
    return h >> 32


def _word_hashes(all_tokens: list[str]) -> np.ndarray:
    if len(_WORD_HASHES) > _MAX_CACHED:
        _WORD_HASHES.clear()
    for w in set(all_tokens).difference(_WORD_HASHES):
        _WORD_HASHES[w] = _blake(w)
    # map() over a bound C method keeps the per-token cost at a dictionary lookup.
    return np.fromiter(map(_WORD_HASHES.__getitem__, all_tokens), dtype=np.uint64, count=len(all_tokens))


@dataclass
class ShingleBatch:
    """The shingle hashes of many texts in one array: text i owns `hashes[offsets[i]:offsets[i+1]]`
    (in text order, repeats kept: a minimum does not care, and sets are made only when needed)."""

    hashes: np.ndarray  # uint32
    offsets: np.ndarray  # int64, len = texts + 1
    _sets: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def size(self, i: int) -> int:
        return int(self.offsets[i + 1] - self.offsets[i])

    def set(self, i: int) -> np.ndarray:
        """Text i's distinct shingle hashes, sorted (cached: verification asks repeatedly)."""
        s = self._sets.get(i)
        if s is None:
            s = np.unique(self.hashes[self.offsets[i] : self.offsets[i + 1]])
            self._sets[i] = s
        return s


def shingle_batch(token_lists: Sequence[Sequence[str]], n: int) -> ShingleBatch:
    """Hash the n-grams of every token list. A list shorter than `n` is one shingle of all its
    tokens (so short titles and paragraphs still compare); an empty list has none."""
    lengths = np.fromiter((len(t) for t in token_lists), dtype=np.int64, count=len(token_lists))
    all_tokens = [w for t in token_lists for w in t]
    wh = _word_hashes(all_tokens)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(lengths) else np.zeros(0, dtype=np.int64)
    counts = np.where(lengths >= n, lengths - n + 1, np.minimum(lengths, 1))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    out = np.empty(int(offsets[-1]), dtype=np.uint32)
    total = len(wh)
    if total >= n:
        # Windows of n tokens at every position of the concatenation; keep those inside one text.
        windows = total - n + 1
        h = np.zeros(windows, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for j in range(n):
                h = h * _MULT + wh[j : j + windows]
        full = lengths >= n
        if full.any():
            idx = _ranges(starts[full], counts[full])
            out_idx = _ranges(offsets[:-1][full], counts[full])
            out[out_idx] = (h[idx] >> np.uint64(32)).astype(np.uint32)
    for i in np.flatnonzero((lengths < n) & (lengths > 0)):
        out[offsets[i]] = shingle_hash(token_lists[i])
    return ShingleBatch(out, offsets)


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated aranges [s, s + c) for each (s, c), vectorized."""
    counts = counts.astype(np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    base = np.repeat(starts.astype(np.int64) - (ends - counts), counts)
    return base + np.arange(total, dtype=np.int64)


def shingles_for(text: str, n: int, noisy: bool = False) -> np.ndarray:
    """The distinct shingle hashes of one text: word n-grams, or character 5-grams when `noisy`."""
    toks = char_tokens(text) if noisy else tokens(text)
    return shingle_batch([toks], 5 if noisy else n).set(0)


def shingle_tokens(text: str, n: int, noisy: bool = False) -> list[tuple[str, ...]]:
    """The shingles themselves (for tests and for checking against datasketch)."""
    toks = char_tokens(text) if noisy else tokens(text)
    k = min(5 if noisy else n, len(toks))
    if not toks:
        return []
    return [tuple(toks[i : i + k]) for i in range(len(toks) - k + 1)]


class ShingleBatchBuilder:
    """Builds one `ShingleBatch` from texts given a few thousand at a time, so their tokens (a
    Python string per word, ~20x the text in memory) never all exist at once."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._hashes: list[np.ndarray] = []
        self._offsets: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
        self._total = 0

    def add(self, token_lists: Sequence[Sequence[str]]) -> None:
        if token_lists:
            self.add_batch(shingle_batch(token_lists, self.n))

    def add_batch(self, part: ShingleBatch) -> None:
        self._hashes.append(part.hashes)
        self._offsets.append(part.offsets[1:] + self._total)
        self._total += len(part.hashes)

    def build(self) -> ShingleBatch:
        hashes = np.concatenate(self._hashes) if self._hashes else np.zeros(0, dtype=np.uint32)
        return ShingleBatch(hashes, np.concatenate(self._offsets))
