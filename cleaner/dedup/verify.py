"""When two candidates really are duplicates: the pair tests shared by the corpus-wide finder and
the incremental check, so both give the same answer for the same two texts, and `Level`, which
applies them to one level's candidate pairs in the finder.

Each test takes the sorted, distinct shingle hashes of the two texts (see `ShingleBatch.set`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from cleaner.dedup.minhash import estimate_jaccard
from cleaner.dedup.noise import NOISIER_BY
from cleaner.dedup.shingle import ShingleBatch

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
    inter = overlap(x, y)
    return inter / (len(x) + len(y) - inter)


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
    inter, small = overlap(x, y), min(len(x), len(y))
    j = inter / (len(x) + len(y) - inter) if len(x) or len(y) else 1.0
    return j if small < MIN_CONTAINED_SHINGLES else max(j, inter / small)


def same_document(x: np.ndarray, y: np.ndarray, threshold: float, min_containment: float) -> bool:
    """Near-identical (Jaccard at the threshold) or one mostly contained in the other (a copy cut
    after some paragraphs, or under a new headline, dateline or footer)."""
    small, large = sorted((len(x), len(y)))
    if not large:
        return True  # two empty texts: Jaccard 1
    # Sizes first: two sets this different in size can only pass by containment.
    if small / large < threshold and small < MIN_CONTAINED_SHINGLES:
        return False
    inter = overlap(x, y)
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
        Pairs of texts with the same shingles (most candidates: boilerplate, repeated
        paragraphs) are told apart at once: similarity 1, on every test."""
        out: list[float | None] = []
        for (a, b), same in zip(pairs, self.batch.identical(pairs).tolist(), strict=False):
            found = 1.0 if same else self.similarity(a, b) if self.accept(a, b) else None
            if found is not None:
                self.known[(min(a, b), max(a, b))] = found
            out.append(found)
        return out

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
