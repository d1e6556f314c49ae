"""When two candidates really are duplicates: the pair tests shared by the corpus-wide finder and
the incremental check, so both give the same answer for the same two texts, and `Level`, which
applies them to one level's candidate pairs in the finder.

Each test takes the sorted, distinct shingle hashes of the two texts (see `ShingleBatch.set`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from cleaner.dedup.arrays import ranges, sorted_distinct
from cleaner.dedup.minhash import estimate_jaccard
from cleaner.dedup.noise import NOISIER_BY
from cleaner.dedup.shingle import ShingleBatch
from cleaner.dedup.sketch import Rows, plausible

ORDINALS = frozenset(
    [
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "last",
        "final",
        "next",
    ]
)
# A copy must be this long (in shingles, about as many words) for containment to count: shorter
# texts (a footer, a one-line body) are contained in too much to say they were copied.
MIN_CONTAINED_SHINGLES = 50
# The same for sampled character grams (`chargrams`: about 110 words' worth: a small sample's
# share is a rough one).
MIN_CONTAINED_SAMPLES = 40
# The character test of a pair with a noisy document asks this much less containment than the
# word test: the noise removes grams too. With half the words of a copy OCR-noised, 0.74 or more
# of its sampled grams are in its original (80 AllSides copies, `bench_dups_quality.py`'s noise);
# of BASIL's same-event rewrites (Fox, NYT, HuffPost, none of them noisy) at most 0.64.
NOISY_CONTAINMENT_MARGIN = 0.1


def overlap(x: np.ndarray, y: np.ndarray) -> int:
    """How many values two sorted, distinct hash arrays share."""
    return len(np.intersect1d(x, y, assume_unique=True))


def jaccard(x: np.ndarray, y: np.ndarray) -> float:
    """True Jaccard of two sorted, distinct hash arrays."""
    if len(x) == 0 and len(y) == 0:
        return 1.0
    return counted_jaccard(overlap(x, y), len(x), len(y))


# Shingles gathered at once by `pair_overlaps` (both sides of its pairs, repeats kept).
OVERLAP_CHUNK = 1 << 21


def pair_overlaps(batch: ShingleBatch, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every pair (a, b): how many values `batch.set(a)` and `batch.set(b)` share, and the
    two sets' sizes, all at once: a chunk of pairs' shingles tagged with their text and made
    distinct in one sort, then tagged with their pair and sorted again, where a value met twice
    is in both sets. Asked one pair at a time, the numpy calls cost more than the work (20-50 us
    a candidate, and a million-article corpus has millions of candidates)."""
    inter = np.zeros(len(pairs), dtype=np.int64)
    sizes_a, sizes_b = np.zeros(len(pairs), dtype=np.int64), np.zeros(len(pairs), dtype=np.int64)
    raw = np.diff(batch.offsets)
    load = raw[pairs[:, 0]] + raw[pairs[:, 1]] if len(pairs) else np.zeros(0, np.int64)
    cuts = np.searchsorted(np.cumsum(load), np.arange(OVERLAP_CHUNK, int(load.sum()), OVERLAP_CHUNK))
    for part in np.split(np.arange(len(pairs)), cuts):
        if len(part):
            inter[part], sizes_a[part], sizes_b[part] = _chunk_overlaps(batch, pairs[part], raw)
    return inter, sizes_a, sizes_b


def _chunk_overlaps(batch: ShingleBatch, pairs: np.ndarray, raw: np.ndarray) -> tuple[np.ndarray, ...]:
    items, where = np.unique(pairs, return_inverse=True)
    where = where.reshape(-1, 2)
    owner = np.repeat(np.arange(len(items), dtype=np.uint64), raw[items])
    tagged = sorted_distinct((owner << np.uint64(32)) | batch.gather(items).astype(np.uint64))
    counts = np.bincount((tagged >> np.uint64(32)).astype(np.int64), minlength=len(items))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    values = tagged & np.uint64(0xFFFFFFFF)
    a, b = counts[where[:, 0]], counts[where[:, 1]]
    n = np.arange(len(pairs), dtype=np.uint64)
    pair = np.concatenate([np.repeat(n, a), np.repeat(n, b)])
    spans = np.concatenate([ranges(starts[where[:, 0]], a), ranges(starts[where[:, 1]], b)])
    both = np.sort((pair << np.uint64(32)) | values[spans])
    twice = both[1:][both[1:] == both[:-1]]
    return np.bincount((twice >> np.uint64(32)).astype(np.int64), minlength=len(pairs)), a, b


def counted_jaccard(inter: int, nx: int, ny: int) -> float:
    """Jaccard of two sets from their sizes and overlap (two empty sets: 1)."""
    return inter / (nx + ny - inter) if nx or ny else 1.0


def containment(x: np.ndarray, y: np.ndarray) -> float:
    """How much of the smaller set lies in the larger: a cut copy is contained in its original."""
    small = min(len(x), len(y))
    if small == 0:
        return 0.0
    return overlap(x, y) / small


def titles_differ_in_number(words_a: set[str], words_b: set[str]) -> bool:
    """`5 takeaways` is not `7 takeaways`, nor the `first` hearing the `second`: headlines that
    differ in a number are different stories, however alike the rest."""
    return any(w.isdigit() or w in ORDINALS for w in words_a ^ words_b)


def same_title(key_a: str, key_b: str, x: np.ndarray, y: np.ndarray, threshold: float) -> bool:
    """Title keys are match forms without a site suffix; x and y their word-shingle sets."""
    if key_a == key_b:
        return True
    if titles_differ_in_number(set(key_a.split(" ")), set(key_b.split(" "))):
        return False
    return jaccard(x, y) >= threshold


def same_paragraph(x: np.ndarray, y: np.ndarray, threshold: float) -> bool:
    return jaccard(x, y) >= threshold


def document_similarity(x: np.ndarray, y: np.ndarray) -> float:
    """Jaccard, or containment where the shorter text is long enough for it to mean a copy."""
    return counted_document_similarity(overlap(x, y), len(x), len(y))


def counted_document_similarity(inter: int, nx: int, ny: int) -> float:
    j, small = counted_jaccard(inter, nx, ny), min(nx, ny)
    return j if small < MIN_CONTAINED_SHINGLES else max(j, inter / small)


def same_document(x: np.ndarray, y: np.ndarray, threshold: float, min_containment: float) -> bool:
    """Near-identical (Jaccard at the threshold) or one mostly contained in the other (a copy cut
    after some paragraphs, or under a new headline, dateline or footer)."""
    small, large = sorted((len(x), len(y)))
    # Sizes first: two sets this different in size can only pass by containment.
    if large and small / large < threshold and small < MIN_CONTAINED_SHINGLES:
        return False
    return counted_same_document(overlap(x, y) if large else 0, len(x), len(y), threshold, min_containment)


def counted_same_document(inter: int, nx: int, ny: int, threshold: float, min_containment: float) -> bool:
    small, large = sorted((nx, ny))
    if not large:
        return True  # two empty texts: Jaccard 1
    if inter / (small + large - inter) >= threshold:
        return True
    return small >= MIN_CONTAINED_SHINGLES and inter / small >= min_containment


@dataclass
class RobustSets:
    """The default mode's character test of a pair with a noisy document (`robust`): Jaccard of
    their sampled character grams at the threshold, or the smaller sample mostly contained in
    the larger (`containment` less `NOISY_CONTAINMENT_MARGIN`): the word test's settings, on
    characters, where a confused letter costs five grams and not five words."""

    batch: ShingleBatch
    noisy: np.ndarray
    noise: np.ndarray  # every document's share of unknown words
    threshold: float
    containment: float

    def involves(self, a: int, b: int) -> bool:
        """Whether the pair is judged by characters: one document noisy, and noisier than the
        other by `noise.NOISIER_BY`."""
        x, y = float(self.noise[a]), float(self.noise[b])
        return bool(self.noisy[a] and x >= y + NOISIER_BY or self.noisy[b] and y >= x + NOISIER_BY)

    def similarity(self, a: int, b: int) -> float | None:
        """The pair's character similarity where it makes a duplicate, else None."""
        x, y = self.batch.set(a), self.batch.set(b)
        small, large = sorted((len(x), len(y)))
        if not small:
            return None
        inter = overlap(x, y)
        jaccard = inter / (small + large - inter)
        contained = inter / small if small >= MIN_CONTAINED_SAMPLES else 0.0
        best = max(jaccard, contained)
        return best if jaccard >= self.threshold or contained >= self.containment - NOISY_CONTAINMENT_MARGIN else None


@dataclass
class Level:
    """What verifying one level's pairs needs: its shingles, signatures and (titles) match keys.
    `known` holds the similarity of the pairs accepted so far (here, or by an engine's workers),
    so clustering need not make their shingle sets again."""

    kind: str
    batch: ShingleBatch
    sigs: np.ndarray | None  # needed only when not `verify`
    threshold: float
    containment: float
    verify: bool
    keys: Sequence[str] | None = None
    # Documents only, in the default mode: the character test of pairs with a noisy document.
    robust: RobustSets | None = None
    known: dict[tuple[int, int], float] = field(default_factory=dict, repr=False)
    # Titles and paragraphs: the items' signature bytes (`sketch`), read before their shingles.
    sketch: Rows | None = None

    def accept(self, a: int, b: int) -> bool:
        if (min(a, b), max(a, b)) in self.known:
            return True
        if self.kind == "title":
            return self._accept_title(a, b)
        if self.kind == "document":
            return self._accept_document(a, b)
        return self._near(a, b)

    def accepts(self, pairs: Sequence[tuple[int, int]]) -> list[bool]:
        return [s is not None for s in self.judge(pairs)]

    def judge(self, pairs: Sequence[tuple[int, int]]) -> list[float | None]:
        """Each pair's similarity where it is accepted, else None (and `known` learns it).
        Pairs whose sketches show them far below the threshold (`sketch.plausible`: most LSH
        candidates) are rejected unread. Pairs of texts with the same shingles (most of the
        rest: boilerplate, repeated paragraphs) are told apart at once: similarity 1, on every
        test. Titles and paragraphs are counted all at once (`pair_overlaps`), with the same
        figures (one at a time, a title pair cost 30-70 us: at a million articles, most of the
        verification stage).
        (Articles are not: their sets are a thousand hashes, which one sort per chunk makes
        slower than a pair at a time with each article's set kept for its next pairs: 30 s
        against 18 s of verification, 300,000 articles.)"""
        possible = self._possible(pairs)
        if self.kind in ("title", "paragraph") and self.verify and pairs:
            return self._judge_counted(pairs, possible)
        out: list[float | None] = [self.known.get((min(a, b), max(a, b))) for a, b in pairs]
        read = [pair for pair, maybe in zip(pairs, possible, strict=True) if maybe]
        found_read = iter(self.batch.identical(read).tolist())
        for k, ((a, b), maybe) in enumerate(zip(pairs, possible, strict=True)):
            if not maybe:
                continue
            same = next(found_read)
            found = 1.0 if same else self.similarity(a, b) if self.accept(a, b) else None
            if found is not None:
                self.known[(min(a, b), max(a, b))] = found
            out[k] = found
        return out

    def _possible(self, pairs: Sequence[tuple[int, int]]) -> list[bool]:
        if self.sketch is None or not self.verify or not pairs:
            return [True] * len(pairs)
        return plausible(self.sketch, np.array(pairs, dtype=np.int64).reshape(-1, 2), self.threshold).tolist()

    def _judge_counted(self, pairs: Sequence[tuple[int, int]], possible: list[bool]) -> list[float | None]:
        read = np.array(pairs, dtype=np.int64).reshape(-1, 2)[np.array(possible, dtype=bool)]
        counts = iter(zip(*(c.tolist() for c in pair_overlaps(self.batch, read)), strict=True))
        out: list[float | None] = []
        for (a, b), maybe in zip(pairs, possible, strict=True):
            key = (min(a, b), max(a, b))
            found = self.known.get(key)
            if maybe:
                inter, na, nb = next(counts)
                if found is None:
                    found = self._counted(a, b, counted_jaccard(inter, na, nb))
            if found is not None:
                self.known[key] = found
            out.append(found)
        return out

    def _counted(self, a: int, b: int, j: float) -> float | None:
        """`judge`'s answer for a pair of Jaccard `j` (1 exactly when the sets are identical)."""
        if self.kind != "title" or j == 1.0:
            return j if j >= self.threshold else None
        assert self.keys is not None
        if self.keys[a] == self.keys[b]:
            return 1.0
        if j < self.threshold or titles_differ_in_number(set(self.keys[a].split(" ")), set(self.keys[b].split(" "))):
            return None
        return j

    def similarity(self, a: int, b: int) -> float:
        found = self.known.get((min(a, b), max(a, b)))
        if found is not None:
            return found
        if self.kind == "title" and self.keys is not None and self.keys[a] == self.keys[b]:
            return 1.0
        if self.kind == "document" and self.robust is not None:
            found = self._document(a, b)
            if found is not None:
                return found
        x, y = self.batch.set(a), self.batch.set(b)
        return document_similarity(x, y) if self.kind == "document" else jaccard(x, y)

    def _near(self, a: int, b: int) -> bool:
        if self.verify:
            return jaccard(self.batch.set(a), self.batch.set(b)) >= self.threshold
        return self._estimate(a, b) >= self.threshold

    def _estimate(self, a: int, b: int) -> float:
        if self.sigs is None:
            raise RuntimeError("verify=False needs the signatures on this machine")
        return estimate_jaccard(self.sigs[a], self.sigs[b])

    def _accept_title(self, a: int, b: int) -> bool:
        assert self.keys is not None
        if self.keys[a] == self.keys[b]:
            return True
        # The two keys' words, not every key's made at once: a corpus has millions of titles.
        if titles_differ_in_number(set(self.keys[a].split(" ")), set(self.keys[b].split(" "))):
            return False
        return self._near(a, b)

    def _accept_document(self, a: int, b: int) -> bool:
        if self.robust is not None:
            return self._document(a, b) is not None
        return self._same_words(a, b)

    def _same_words(self, a: int, b: int) -> bool:
        if not self.verify:
            return self._estimate(a, b) >= self.threshold
        return same_document(self.batch.set(a), self.batch.set(b), self.threshold, self.containment)

    def _document(self, a: int, b: int) -> float | None:
        """The pair's similarity where it is a duplicate, by words or (with a noisy document)
        by characters, else None; remembered in `known`."""
        pair = (min(a, b), max(a, b))
        found = self.known.get(pair)
        if found is not None:
            return found
        assert self.robust is not None
        if self._same_words(a, b):
            found = document_similarity(self.batch.set(a), self.batch.set(b))
        elif self.robust.involves(a, b):
            found = self.robust.similarity(a, b)
        if found is not None:
            self.known[pair] = found
        return found
