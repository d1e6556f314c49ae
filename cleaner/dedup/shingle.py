"""Shingles: the word n-grams (or, `--noisy`, character 5-grams) of the match form, hashed.

Shingles are token n-grams hashed to 32 bits with a stable hash (independent of PYTHONHASHSEED).
Each word gets a 64-bit hash of its UTF-8 bytes (`word_hash`), and an n-gram's hash is a
polynomial over its words' hashes. The words of a batch of texts are found and hashed with numpy
straight from the folded bytes (`_hash_words`): a word of under 16 bytes (nearly all) is two
64-bit loads and its length, mixed by integer arithmetic that numpy does for all words at once and
`word_hash` does for one; a longer word gets a BLAKE2b hash, one Python object each.
The n-grams of a whole batch are hashed at once with numpy (`shingle_batch`, `shingle_runs`);
`reference.shingle_hash` is the same function for one shingle, so datasketch's
`MinHash(hashfunc=shingle_hash)` gives the same signatures (tested).

The noise-robust form (`noisy`, for OCR'd or badly scraped copies) uses character 5-grams of the
match form with spaces removed: a confused letter (`rn`/`m`, `e`/`c`) or words run together
change a few character grams but every word 5-gram they touch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from cleaner.dedup.arrays import ranges, sorted_distinct
from cleaner.dedup.matchform import UTF8, folded

MULT = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant (golden ratio): the polynomial base
MASK = 0xFFFFFFFFFFFFFFFF

_WORD_HASHES: dict[str, int] = {}
_BYTES_HASHES: dict[bytes, int] = {}
_MAX_CACHED = 4_000_000
_LONG_WORD = 16  # bytes: a shorter word is told apart by two 64-bit loads (with its length)
# What the stored band keys of an index depend on: 1 was BLAKE2b of every word.
WORD_HASH_VERSION = 2
_SALT = 0x2545F4914F6CDD1D  # so that the empty word (all loads zero) does not hash to zero


def _blake(word: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(word, digest_size=8).digest(), "little")


def _fmix_int(x: int) -> int:
    """`fmix64` of one Python integer."""
    x ^= x >> 33
    x = (x * 0xFF51AFD7ED558CCD) & MASK
    x ^= x >> 33
    x = (x * 0xC4CEB9FE1A85EC53) & MASK
    return x ^ (x >> 33)


def bytes_hash(word: bytes) -> int:
    """The 64-bit hash of a word's bytes: `_mix` of its loads for a short word (what
    `_hash_words` computes for many at once), BLAKE2b for a long one."""
    if len(word) >= _LONG_WORD:
        return _blake(word)
    lo = int.from_bytes(word[:8], "little")
    hi = int.from_bytes(word[8:], "little") | len(word) << 56
    return _fmix_int(lo ^ _fmix_int(hi ^ _SALT))


def word_hash(word: str) -> int:
    h = _WORD_HASHES.get(word)
    if h is None:
        h = bytes_hash(word.encode(*UTF8))
        if len(_WORD_HASHES) < _MAX_CACHED:
            _WORD_HASHES[word] = h
    return h


def fmix64(x: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer (in place): a bijection of 64-bit keys that spreads
    every input bit over the output."""
    x ^= x >> np.uint64(33)
    x *= np.uint64(0xFF51AFD7ED558CCD)
    x ^= x >> np.uint64(33)
    x *= np.uint64(0xC4CEB9FE1A85EC53)
    x ^= x >> np.uint64(33)
    return x


def _mix(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The hash of short words from their loads (`hi` holding the length in its top byte): the
    finalizer of the low load xored with the finalizer of the high one. Each finalizer is a
    bijection, so two words collide only by chance (1 in 2^64), never by a pattern of bytes."""
    with np.errstate(over="ignore"):
        hi = fmix64(hi ^ np.uint64(_SALT))
        hi ^= lo
        return fmix64(hi)


def _cached_hashes(words: list[bytes]) -> list[int]:
    cache = _BYTES_HASHES
    if len(cache) > _MAX_CACHED:
        cache.clear()
    out = []
    for w in words:
        h = cache.get(w)
        if h is None:
            h = cache[w] = _blake(w)
        out.append(h)
    return out


def _words(a: np.ndarray, *separators: int) -> tuple[np.ndarray, np.ndarray]:
    """Where the words of a byte array start and how long they are: runs of bytes other than the
    separators."""
    inside = a != separators[0]
    for sep in separators[1:]:
        inside &= a != sep
    # A word starts where `inside` rises and ends where it falls.
    starts = np.flatnonzero(inside[1:] > inside[:-1]) + 1
    ends = np.flatnonzero(inside[:-1] > inside[1:]) + 1
    if len(a) and inside[0]:
        starts = np.concatenate([[0], starts])
    if len(a) and inside[-1]:
        ends = np.concatenate([ends, [len(a)]])
    return starts, ends - starts


# A load's bytes past a word's end cleared: the mask of its first k bytes, k = 0 .. 8.
_FIRST_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [MASK], dtype=np.uint64)


def _loads(buf: bytes, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each word's bytes 0-7 and 8-15 as little-endian 64-bit integers, zero past its end: two
    unaligned loads from a stride-1 view of the zero-padded buffer (element k is the 8 bytes from
    offset k), masked by table. Most words are under 9 bytes, so only the longer load a second."""
    u64 = np.ndarray(shape=(len(buf) + 9,), dtype="<u8", buffer=buf + bytes(16), offset=0, strides=(1,))
    lo = u64[starts]
    lo &= _FIRST_BYTES[np.minimum(lengths, 8)]
    hi = np.zeros(len(starts), dtype=np.uint64)
    longer = np.flatnonzero(lengths > 8)
    hi[longer] = u64[starts[longer] + 8] & _FIRST_BYTES[np.minimum(lengths[longer] - 8, 8)]
    return lo, hi


def _hash_words(buf: bytes, marker: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """`bytes_hash` of every word of `buf` (words are runs of bytes other than b' ', and other
    than b'\\0' when `marker`) and where each word starts. numpy finds the words and reads a word
    of under 16 bytes as two 64-bit loads with its length in the top byte, which identify it
    exactly, and mixes them (`_mix`); only a longer word becomes a Python object."""
    starts, lengths = _words(np.frombuffer(buf, dtype=np.uint8), *((32, 0) if marker else (32,)))
    h = np.empty(len(starts), dtype=np.uint64)
    short = lengths < _LONG_WORD
    if short.all():
        lo, hi = _loads(buf, starts, lengths)
        hi |= lengths.astype(np.uint64) << np.uint64(56)
        h[:] = _mix(lo, hi)
        return h, starts
    s_lengths = lengths[short]
    lo, hi = _loads(buf, starts[short], s_lengths)
    hi |= s_lengths.astype(np.uint64) << np.uint64(56)
    h[short] = _mix(lo, hi)
    long = ~short
    spans = zip(starts[long].tolist(), lengths[long].tolist(), strict=True)
    h[long] = _cached_hashes([buf[b : b + k] for b, k in spans])
    return h, starts


def word_hashes_of(buf: bytes) -> np.ndarray:
    """The hashes of the words of folded text `buf`, in order."""
    return _hash_words(buf)[0]


def _word_hashes(all_tokens: list[str]) -> np.ndarray:
    buf = " ".join(all_tokens).encode(*UTF8)
    h, _ = _hash_words(buf)
    if len(h) == len(all_tokens):
        return h
    # An empty token (or one with a space, from a caller's own tokens): one at a time.
    return np.fromiter(map(word_hash, all_tokens), dtype=np.uint64, count=len(all_tokens))


_IDENTICAL_CHUNK = 1 << 22


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

    def identical(self, pairs: Sequence[tuple[int, int]]) -> np.ndarray:
        """For each pair (i, j), whether texts i and j have the same non-empty shingle hashes in
        the same order (the same words: a repeated paragraph, a copied title), found for all
        pairs at once instead of a shingle set each."""
        if not pairs:
            return np.zeros(0, dtype=bool)
        ij = np.array(pairs, dtype=np.int64)
        starts, sizes = self.offsets[ij], self.offsets[ij + 1] - self.offsets[ij]
        same = (sizes[:, 0] == sizes[:, 1]) & (sizes[:, 0] > 0)
        both = np.flatnonzero(same)
        # A few million shingles at a time: copies of long articles make long pairs.
        ends = np.cumsum(sizes[both, 0])
        cuts = np.searchsorted(ends, np.arange(_IDENTICAL_CHUNK, int(ends[-1]) if len(ends) else 0, _IDENTICAL_CHUNK))
        for part in np.split(both, cuts):
            if len(part):
                n = sizes[part, 0]
                differ = self.hashes[ranges(starts[part, 0], n)] != self.hashes[ranges(starts[part, 1], n)]
                same[part] = np.add.reduceat(differ, np.concatenate([[0], np.cumsum(n)[:-1]])) == 0
        return same

    def gather(self, items: np.ndarray) -> np.ndarray:
        """The shingle hashes of texts `items`, one after another (repeats kept)."""
        starts = self.offsets[items]
        return self.hashes[ranges(starts, self.offsets[items + 1] - starts)]

    def set(self, i: int) -> np.ndarray:
        """Text i's distinct shingle hashes, sorted (cached: verification asks repeatedly)."""
        s = self._sets.get(i)
        if s is None:
            s = sorted_distinct(self.hashes[self.offsets[i] : self.offsets[i + 1]])
            self._sets[i] = s
        return s


def shingle_batch(token_lists: Sequence[Sequence[str]], n: int) -> ShingleBatch:
    """Hash the n-grams of every token list. A list shorter than `n` is one shingle of all its
    tokens (so short titles and paragraphs still compare); an empty list has none."""
    lengths = np.fromiter((len(t) for t in token_lists), dtype=np.int64, count=len(token_lists))
    wh = _word_hashes([w for t in token_lists for w in t])
    return shingle_runs(wh, lengths, n)


def window_hashes(word_hashes: np.ndarray, n: int) -> np.ndarray:
    """The 64-bit polynomial hash of the n words from every position of `word_hashes` on (the
    shingle hash is its top 32 bits). The levels that take n-grams of the same words share it."""
    windows = len(word_hashes) - n + 1
    h = np.zeros(max(windows, 0), dtype=np.uint64)
    if windows > 0:
        with np.errstate(over="ignore"):
            for j in range(n):
                h *= MULT
                h += word_hashes[j : j + windows]
    return h


def shingle_runs(
    word_hashes: np.ndarray,
    lengths: np.ndarray,
    n: int,
    select: np.ndarray | None = None,
    windows: np.ndarray | None = None,
) -> ShingleBatch:
    """`shingle_batch` over words already hashed: text i is the next `lengths[i]` words of
    `word_hashes`; with `select` (a boolean per text) only the selected texts are in the batch,
    so a paragraph's and its article's shingles come from the same hashed words; `windows`, if
    given, is `window_hashes(word_hashes, n)`."""
    lengths = np.asarray(lengths, dtype=np.int64)
    starts = (
        np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64) if len(lengths) else np.zeros(0, dtype=np.int64)
    )
    if select is not None:
        starts, lengths = starts[select], lengths[select]
    wh = word_hashes
    counts = np.where(lengths >= n, lengths - n + 1, np.minimum(lengths, 1))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    out = np.empty(int(offsets[-1]), dtype=np.uint32)
    full = lengths >= n
    if len(wh) >= n and full.any():
        # Windows of n words at every position of the concatenation; keep those inside one text.
        h = window_hashes(wh, n) if windows is None else windows
        idx = ranges(starts[full], counts[full])
        out_idx = ranges(offsets[:-1][full], counts[full])
        out[out_idx] = (h[idx] >> np.uint64(32)).astype(np.uint32)
    for i in np.flatnonzero((lengths < n) & (lengths > 0)):
        h1 = 0
        for w in wh[starts[i] : starts[i] + lengths[i]].tolist():
            h1 = (h1 * int(MULT) + w) & MASK
        out[offsets[i]] = h1 >> 32
    return ShingleBatch(out, offsets)


def hash_chars(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The hash of every character of many texts, concatenated, and each text's length: the word
    hashes of texts whose words are their characters (`--noisy`), as `_word_hashes` gives them
    (a character's hash is its one-character word's), without a Python string per character."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype="<u4")
    if not len(codes):
        return np.zeros(0, dtype=np.uint64), lengths
    table = np.zeros(int(codes.max()) + 1, dtype=np.uint64)
    present = np.flatnonzero(np.bincount(codes))
    table[present] = [word_hash(chr(c)) for c in present.tolist()]
    return table[codes], lengths


def hash_texts(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The hashes of the match-form words of many texts, concatenated, and each text's number of
    words: `shingle_runs` makes shingles of them (of the texts, or of runs of consecutive texts,
    such as an article's paragraphs). One numpy pass over all the texts' folded bytes, which are
    joined by a b'\\0' marker to tell whose word is whose."""
    parts = [folded(t) for t in texts]
    hashes: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    i = 0
    while i < len(parts):
        if b"\0" in parts[i]:
            # A NUL is a word character of the match form, so this text cannot share a buffer.
            h, _ = _hash_words(parts[i])
            hashes.append(h)
            counts.append(np.array([len(h)], dtype=np.int64))
            i += 1
            continue
        j = i
        while j < len(parts) and b"\0" not in parts[j]:
            j += 1
        h, c = _hash_segments(parts[i:j])
        hashes.append(h)
        counts.append(c)
        i = j
    if not hashes:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    return np.concatenate(hashes), np.concatenate(counts)


def hash_paragraphs(paragraphs: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
    """`hash_articles` without the folded texts."""
    h, counts, _ = hash_articles(paragraphs)
    return h, counts


def hash_articles(paragraphs: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray, list[bytes]]:
    """`hash_texts` of every paragraph of many texts (`paragraphs[i]` are text i's), with the
    same result as `hash_texts` of the paragraphs one after another, and each text's folded form
    (`fold_articles`), from which `chargrams` takes its character shingles."""
    folded_texts, by_marker = fold_articles(paragraphs)
    if not by_marker:
        h, counts = hash_texts([p for ps in paragraphs for p in ps])
        return h, counts, folded_texts
    h, counts = _hash_segments([f for f, ps in zip(folded_texts, paragraphs, strict=True) if ps])
    return h, counts, folded_texts


def fold_articles(paragraphs: Sequence[Sequence[str]]) -> tuple[list[bytes], bool]:
    """Each text's folded form, its paragraphs joined by the b'\\0' marker (b'' for a text
    without paragraphs), and whether the markers are the only NULs in them. Each text is folded
    once, not paragraph by paragraph: folding has a cost per call (the set of its characters,
    NFKC), and an article has twenty-odd paragraphs. (The marker cannot join or split anything
    in the folding: NUL is a character of its own for NFKC and casefold.)"""
    joined = ["\0".join(ps) for ps in paragraphs if ps]
    if any(j.count("\0") != len(ps) - 1 for j, ps in zip(joined, (ps for ps in paragraphs if ps), strict=False)):
        # A NUL of the text itself would read as a marker: fold paragraph by paragraph.
        return [b"\0".join(folded(p) for p in ps) for ps in paragraphs], False
    found = iter([folded(j) for j in joined])
    return [next(found) if ps else b"" for ps in paragraphs], True


def _hash_segments(parts: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Word hashes of folded `parts` (holding no NUL but as a marker) and the number of words in
    each run between markers, the parts joined by one."""
    buf = b"\0".join(parts)
    if not parts:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    h, starts = _hash_words(buf, marker=True)
    markers = np.flatnonzero(np.frombuffer(buf, dtype=np.uint8) == 0)
    return h, np.diff(np.concatenate([[0], np.searchsorted(starts, markers), [len(starts)]]))


def segment_keys(word_hashes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """A 64-bit key per run of words (text i is the next `counts[i]` words), equal for runs of
    the same words in the same order: each word's hash mixed with its place in the run, summed
    (a running sum, so runs of no words cost nothing), mixed with the number of words."""
    counts = np.asarray(counts, dtype=np.int64)
    ends = np.cumsum(counts)
    starts = ends - counts
    with np.errstate(over="ignore"):
        place = np.arange(len(word_hashes), dtype=np.int64) - np.repeat(starts, counts)
        mixed = fmix64(word_hashes + place.astype(np.uint64) * np.uint64(0xD6E8FEB86659FD93))
        running = np.concatenate([np.zeros(1, dtype=np.uint64), np.cumsum(mixed, dtype=np.uint64)])
        return fmix64((running[ends] - running[starts]) ^ counts.astype(np.uint64))


def join_batches(parts: Sequence[ShingleBatch]) -> ShingleBatch:
    """One batch of the texts of several, in order (the blocks of a corpus, signed apart)."""
    hashes = np.concatenate([p.hashes for p in parts]) if parts else np.zeros(0, dtype=np.uint32)
    offsets = [np.zeros(1, dtype=np.int64)]
    total = 0
    for p in parts:
        offsets.append(p.offsets[1:] + total)
        total += len(p.hashes)
    return ShingleBatch(hashes, np.concatenate(offsets))
