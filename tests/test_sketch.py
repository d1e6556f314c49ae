"""The signature bytes read before verification (`dedup.sketch`): on real paragraphs, every pair at
the threshold passes and the candidates far below it are turned away; the finder's clusters are
the same with them as without."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from cleaner.dedup import DupOptions, find_duplicates, stages, verify
from cleaner.dedup.minhash import permutations, signatures
from cleaner.dedup.shingle import shingle_batch
from cleaner.dedup.sketch import MISS_CHANCE, agreement_floor, plausible, sketch_of
from cleaner.io import ReadOptions, read_documents, strict
from cleaner.model import Document, Origin
from tests.conftest import FIXTURES

SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def _sentences() -> list[str]:
    docs = strict(read_documents([FIXTURES / "corpora" / "allsides_sample.jsonl"], ReadOptions()))
    out = [s for d in docs for s in SENTENCE.split(d.text.replace("\n", " ")) if 12 <= s.count(" ") <= 40]
    return list(dict.fromkeys(out))


@pytest.fixture(scope="module")
def pairs_of_paragraphs():
    """Paragraphs of three real sentences, each paired with a near copy (one or two words
    changed, or its last words cut) and with a paragraph that shares only its first sentence."""
    rng = random.Random(7)
    sentences = _sentences()
    texts: list[list[str]] = []
    kinds: list[str] = []
    for _ in range(300):
        a, b, c, d, e = rng.sample(sentences, 5)
        words = f"{a} {b} {c}".split()
        near = list(words)
        for k in rng.sample(range(len(near)), rng.choice([1, 2])):
            near[k] = "changed"
        if rng.random() < 0.3:
            near = words[: len(words) - rng.randint(1, 3)]
        texts += [words, near, f"{a} {d} {e}".split()]
        kinds += ["near", "shared"]
    batch = shingle_batch([[w.lower() for w in t] for t in texts], 3)
    sketch = sketch_of(signatures(batch, permutations(128, 1)))
    pairs = np.array([(3 * k, 3 * k + j) for k in range(300) for j in (1, 2)], dtype=np.int64)
    jaccards = np.array([verify.jaccard(batch.set(int(a)), batch.set(int(b))) for a, b in pairs])
    return sketch, pairs, jaccards, np.array(kinds)


def test_every_pair_at_the_threshold_passes(pairs_of_paragraphs):
    sketch, pairs, jaccards, _ = pairs_of_paragraphs
    at = jaccards >= 0.7
    assert at.sum() > 150  # the near copies are near: the test has cases
    assert plausible(sketch, pairs[at], 0.7).all()


def test_pairs_that_share_one_sentence_of_three_are_turned_away(pairs_of_paragraphs):
    sketch, pairs, jaccards, kinds = pairs_of_paragraphs
    shared = kinds == "shared"
    assert jaccards[shared].max() < 0.5
    assert plausible(sketch, pairs[shared], 0.7).mean() < 0.02


def test_the_floor_is_the_binomial_tail_at_the_threshold():
    floor = agreement_floor(128, 0.7)
    tail = sum(_binomial(128, m, 0.7) for m in range(floor))
    assert tail <= MISS_CHANCE < tail + _binomial(128, floor, 0.7)
    assert agreement_floor(16, 0.7) == 0  # too few permutations to turn anything away


def _binomial(n: int, m: int, p: float) -> float:
    from math import comb

    return comb(n, m) * p**m * (1 - p) ** (n - m)


def _shared_sentence_docs() -> list[Document]:
    """Articles whose paragraphs are drawn from a few real sentences, as in `bench_scale.py`'s
    corpus at 1M articles: paragraphs share sentences by chance, and a few are copies."""
    rng = random.Random(3)
    pool = _sentences()[:30]
    docs = []
    for i in range(80):
        paragraphs = [" ".join(rng.sample(pool, 3)) for _ in range(4)]
        if i % 10 == 9:
            paragraphs = docs[i - 5].text.split("\n\n")[:3]
        docs.append(Document(f"d{i}", None, "\n\n".join(paragraphs), Origin("shared", i + 1)))
    return docs


def test_the_finder_finds_the_same_clusters_without_the_sketches_and_they_turned_pairs_away(monkeypatch):
    docs = _shared_sentence_docs()
    turned_away = []

    def counted(rows, pairs, threshold):
        found = plausible(rows, pairs, threshold)
        turned_away.append(int((~found).sum()))
        return found

    monkeypatch.setattr(verify, "plausible", counted)
    with_sketches = find_duplicates(docs, DupOptions(levels=("paragraph", "document")))
    assert sum(turned_away) > 30
    monkeypatch.setattr(stages, "SKETCHED", ())
    turned_away.clear()
    without = find_duplicates(docs, DupOptions(levels=("paragraph", "document")))
    assert turned_away == []
    assert with_sketches.clusters == without.clusters
    assert sum(c.kind == "document" for c in without.clusters) >= 8
    assert {k: v for k, v in with_sketches.stats.items() if k != "seconds"} == {
        k: v for k, v in without.stats.items() if k != "seconds"
    }
