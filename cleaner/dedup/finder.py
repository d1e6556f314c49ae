"""The duplicate finder: titles, paragraphs and whole articles, each through
shingle -> sign -> LSH candidates -> verify -> cluster.

Candidates are verified with the true Jaccard of their shingle sets (or, for articles, with
containment: a syndicated copy cut after a few paragraphs is mostly contained in its original),
so a reported pair is never a hash accident. Article candidates come from two places: the
article-level LSH (near-identical copies) and shared paragraph buckets (a cut or re-headlined
copy shares whole paragraphs with its original even when its overall Jaccard is low).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cleaner.dedup.cluster import build_clusters
from cleaner.dedup.index import candidate_pairs, containment, jaccard
from cleaner.dedup.minhash import estimate_jaccard, permutations, signatures
from cleaner.dedup.shingle import match_form, shingle_hashes, shingles_for, words
from cleaner.errors import ConfigError
from cleaner.model import Cluster, Document, Member
from cleaner.text import split_paragraphs, strip_site_suffix

LEVELS = ("title", "paragraph", "document")
KIND_ORDER = {"document": 0, "title": 1, "paragraph": 2}
# A copy must be this long (in shingles, about as many words) for containment to count: shorter
# texts (a footer, a one-line body) are contained in too much to say they were copied.
MIN_CONTAINED_SHINGLES = 50


@dataclass(frozen=True)
class DupOptions:
    levels: tuple[str, ...] = LEVELS
    threshold: float = 0.7
    containment: float = 0.8
    num_perm: int = 128
    ngram: int = 5
    seed: int = 1
    min_words: int = 8
    keep: str = "first"
    verify: bool = True
    noisy: bool = False
    # Shorter texts need shorter shingles: one changed word in a 20-word paragraph removes 10 of
    # its 16 word 5-grams (Jaccard 0.46) but only 6 of its 18 trigrams (0.71). Titles compare as
    # word sets, so `House passes abortion measure` and `House passes abortion again measure` match.
    paragraph_ngram: int = 3
    title_ngram: int = 1
    # LSH runs this far below the threshold, so pairs just above it are not lost to chance (the
    # verification, at the threshold itself, is exact).
    lsh_margin: float = 0.15

    @property
    def lsh_threshold(self) -> float:
        return max(0.05, self.threshold - self.lsh_margin)

    def __post_init__(self) -> None:
        unknown = [lv for lv in self.levels if lv not in LEVELS]
        if unknown:
            raise ConfigError(f"unknown level '{unknown[0]}'; levels: {', '.join(LEVELS)}")
        if not 0 < self.threshold <= 1 or not 0 < self.containment <= 1:
            raise ConfigError("--threshold and --containment must be in (0, 1]")
        if self.num_perm < 2 or self.ngram < 1 or self.min_words < 1:
            raise ConfigError("--num-perm must be >= 2, --ngram and --min-words >= 1")
        if self.keep not in ("first", "longest"):
            raise ConfigError(f"unknown --keep '{self.keep}'; use 'first' or 'longest'")


@dataclass
class DupResult:
    clusters: list[Cluster]
    stats: dict[str, Any] = field(default_factory=dict)


def _member(doc: Document, index: int, paragraph: int | None, text: str) -> Member:
    return Member(doc.id, doc.origin.path, doc.origin.record, doc.origin.line, paragraph, text, index)


def _verified(pairs: set[tuple[int, int]], accept) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    return [p for p in sorted(pairs) if accept(*p)]


def find_duplicates(docs: Sequence[Document], options: DupOptions = DupOptions()) -> DupResult:
    started = time.perf_counter()
    perms = permutations(options.num_perm, options.seed)
    stats: dict[str, Any] = {"documents": len(docs)}
    clusters: list[Cluster] = []

    def accept_by(sets: list[np.ndarray], sigs: np.ndarray, threshold: float):  # type: ignore[no-untyped-def]
        if options.verify:
            return lambda a, b: jaccard(sets[a], sets[b]) >= threshold
        return lambda a, b: estimate_jaccard(sigs[a], sigs[b]) >= threshold

    # --- titles -------------------------------------------------------------------------------
    if "title" in options.levels:
        t_items = [_member(d, i, None, d.title) for i, d in enumerate(docs) if d.title and match_form(d.title)]
        keys = [match_form(strip_site_suffix(m.text)) for m in t_items]
        t_sets = [shingle_hashes(k.split(" "), options.title_ngram) for k in keys]
        t_sigs = signatures(t_sets, perms)
        by_key: dict[str, list[int]] = {}
        for i, k in enumerate(keys):
            by_key.setdefault(k, []).append(i)
        exact = {(g[k], g[k + 1]) for g in by_key.values() for k in range(len(g) - 1)}
        candidates = candidate_pairs(t_sigs, options.lsh_threshold)
        accept = accept_by(t_sets, t_sigs, options.threshold)
        pairs = sorted(exact) + _verified(candidates - exact, lambda a, b: keys[a] != keys[b] and accept(a, b))

        def title_sim(a: int, b: int) -> float:
            return 1.0 if keys[a] == keys[b] else jaccard(t_sets[a], t_sets[b])

        clusters += build_clusters("title", t_items, pairs, title_sim, lambda a, b: keys[a] == keys[b] or accept(a, b), options.keep)
        stats["titles"] = len(t_items)
        stats["title_candidates"] = len(candidates | exact)
        stats["title_pairs"] = len(pairs)

    # --- paragraphs ---------------------------------------------------------------------------
    need_paragraphs = "paragraph" in options.levels or "document" in options.levels
    p_items: list[Member] = []
    p_sets: list[np.ndarray] = []
    p_candidates: set[tuple[int, int]] = set()
    if need_paragraphs:
        for i, d in enumerate(docs):
            for k, (_, _, p) in enumerate(split_paragraphs(d.text)):
                toks = words(p)
                if len(toks) >= options.min_words:
                    p_items.append(_member(d, i, k, p))
                    p_sets.append(shingles_for(p, min(options.ngram, options.paragraph_ngram), options.noisy))
        p_sigs = signatures(p_sets, perms)
        p_candidates = candidate_pairs(p_sigs, options.lsh_threshold)
        stats["paragraphs"] = len(p_items)
        stats["paragraph_candidates"] = len(p_candidates)
    if "paragraph" in options.levels:
        accept = accept_by(p_sets, p_sigs, options.threshold)
        pairs = _verified(p_candidates, accept)
        clusters += build_clusters("paragraph", p_items, pairs, lambda a, b: jaccard(p_sets[a], p_sets[b]), accept, options.keep)
        stats["paragraph_pairs"] = len(pairs)

    # --- documents ----------------------------------------------------------------------------
    if "document" in options.levels:
        d_items = [_member(d, i, None, d.text) for i, d in enumerate(docs)]
        d_sets = [shingles_for(d.text, options.ngram, options.noisy) for d in docs]
        d_sigs = signatures(d_sets, perms)
        candidates = candidate_pairs(d_sigs, options.lsh_threshold)
        # Articles that share a paragraph bucket are candidates too: that is how a copy cut after
        # a few paragraphs, or under a new headline, is found when its overall Jaccard is low.
        for a, b in p_candidates:
            da, db = p_items[a].index, p_items[b].index
            if da != db:
                candidates.add((min(da, db), max(da, db)))

        def doc_sim(a: int, b: int) -> float:
            j = jaccard(d_sets[a], d_sets[b])
            if min(len(d_sets[a]), len(d_sets[b])) < MIN_CONTAINED_SHINGLES:
                return j
            return max(j, containment(d_sets[a], d_sets[b]))

        def doc_accept(a: int, b: int) -> bool:
            if not options.verify:
                return estimate_jaccard(d_sigs[a], d_sigs[b]) >= options.threshold
            j = jaccard(d_sets[a], d_sets[b])
            if j >= options.threshold:
                return True
            return min(len(d_sets[a]), len(d_sets[b])) >= MIN_CONTAINED_SHINGLES and containment(d_sets[a], d_sets[b]) >= options.containment

        pairs = _verified(candidates, doc_accept)
        clusters += build_clusters("document", d_items, pairs, doc_sim, doc_accept, options.keep)
        stats["document_candidates"] = len(candidates)
        stats["document_pairs"] = len(pairs)

    clusters.sort(key=lambda c: (KIND_ORDER[c.kind], c.members[0].index, c.members[0].paragraph or 0))
    clusters = [Cluster(i + 1, c.kind, c.members, c.representative, c.similarity) for i, c in enumerate(clusters)]
    stats["clusters"] = {kind: sum(1 for c in clusters if c.kind == kind) for kind in options.levels}
    stats["seconds"] = round(time.perf_counter() - started, 3)
    return DupResult(clusters, stats)
