"""The duplicate finder: titles, paragraphs and whole articles, each through
shingle -> sign -> LSH candidates -> verify -> cluster.

Candidates are verified with the true Jaccard of their shingle sets (or, for articles, with
containment: a syndicated copy cut after a few paragraphs is mostly contained in its original),
so a reported pair is never a hash accident. Article candidates come from two places: the
article-level LSH (near-identical copies) and shared paragraph buckets (a cut or re-headlined
copy shares whole paragraphs with its original even when its overall Jaccard is low).
"""

from __future__ import annotations

import functools
import gc
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cleaner.dedup.cluster import build_clusters
from cleaner.dedup.index import candidate_pairs, pairs_of, containment, jaccard
from cleaner.dedup.minhash import Permutations, estimate_jaccard, permutations, signatures
from cleaner.dedup.shingle import ShingleBatch, ShingleBatchBuilder, hash_texts, match_form, paragraph_keys, shingle_batch, shingle_runs, tokens
from cleaner.errors import ConfigError
from cleaner.model import Cluster, Document, Member
from cleaner.text import split_paragraphs, strip_site_suffix
from cleaner.workers import worker_init

LEVELS = ("title", "paragraph", "document")
ORDINALS = frozenset("first second third fourth fifth sixth seventh eighth ninth tenth last final next".split())
KIND_ORDER = {"document": 0, "title": 1, "paragraph": 2}
# A copy must be this long (in shingles, about as many words) for containment to count: shorter
# texts (a footer, a one-line body) are contained in too much to say they were copied.
MIN_CONTAINED_SHINGLES = 50
TOKEN_BATCH = 2000  # articles tokenized before their tokens are hashed and dropped


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
    # Worker processes for tokenizing and hashing; the clusters are the same for any number.
    jobs: int = 1

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


def _gc_paused(fn: Callable[..., DupResult]) -> Callable[..., DupResult]:
    """Run without the cyclic garbage collector: the finder makes hundreds of thousands of small
    objects (paragraph members, spans, pairs) and no reference cycles, so each automatic full
    collection only rescans everything alive, the corpus included (~10% of a run)."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> DupResult:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return run


@_gc_paused
def find_duplicates(docs: Sequence[Document], options: DupOptions = DupOptions()) -> DupResult:
    started = time.perf_counter()
    perms = permutations(options.num_perm, options.seed)
    stats: dict[str, Any] = {"documents": len(docs)}
    clusters: list[Cluster] = []
    if "title" in options.levels:
        clusters += _title_clusters(docs, options, perms, stats)
    if "paragraph" in options.levels or "document" in options.levels:
        p_items, p_batch, d_batch, evidence = _shingle_corpus(docs, options)
        stats["paragraphs"] = len(p_items) if p_batch is not None else sum(len(v) for v in evidence.values())
        shared: list[tuple[int, int]] = []
        if p_batch is not None:
            found, p_candidates = _paragraph_clusters(p_items, p_batch, options, perms, stats)
            clusters += found
            shared = [(p_items[a].index, p_items[b].index) for a, b in p_candidates]
        else:
            shared = [pair for group in evidence.values() if len(group) > 1 for pair in pairs_of(sorted(set(group)))]
        if d_batch is not None:
            clusters += _document_clusters(docs, d_batch, shared, options, perms, stats)
    return _result(clusters, stats, options, started)


def _accept_by(batch: ShingleBatch, sigs: np.ndarray, threshold: float, verify: bool) -> Callable[[int, int], bool]:
    if verify:
        return lambda a, b: jaccard(batch.set(a), batch.set(b)) >= threshold
    return lambda a, b: estimate_jaccard(sigs[a], sigs[b]) >= threshold


def _title_clusters(docs: Sequence[Document], options: DupOptions, perms: Permutations, stats: dict[str, Any]) -> list[Cluster]:
    """The same headline up to case, punctuation and a site suffix, or a near-identical one."""
    t_items = [_member(d, i, None, d.title) for i, d in enumerate(docs) if d.title and tokens(d.title)]
    keys = [match_form(strip_site_suffix(m.text)) for m in t_items]
    t_batch = shingle_batch([k.split(" ") for k in keys], options.title_ngram)
    t_sigs = signatures(t_batch, perms)
    by_key: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        by_key.setdefault(k, []).append(i)
    exact = {(g[k], g[k + 1]) for g in by_key.values() for k in range(len(g) - 1)}
    candidates = candidate_pairs(t_sigs, options.lsh_threshold)
    near = _accept_by(t_batch, t_sigs, options.threshold, options.verify)
    words_of = [set(k.split(" ")) for k in keys]

    def accept(a: int, b: int) -> bool:
        if keys[a] == keys[b]:
            return True
        # `5 takeaways` is not `7 takeaways`, nor the `first` hearing the `second`: headlines
        # that differ in a number are different stories, however alike the rest.
        if any(w.isdigit() or w in ORDINALS for w in words_of[a] ^ words_of[b]):
            return False
        return near(a, b)

    def similarity(a: int, b: int) -> float:
        return 1.0 if keys[a] == keys[b] else jaccard(t_batch.set(a), t_batch.set(b))

    pairs = sorted(exact) + [p for p in sorted(candidates - exact) if accept(*p)]
    stats.update(titles=len(t_items), title_candidates=len(candidates | exact), title_pairs=len(pairs))
    return build_clusters("title", t_items, pairs, similarity, accept, options.keep)


def _shingle_corpus(docs: Sequence[Document], options: DupOptions) -> tuple[list[Member], ShingleBatch | None, ShingleBatch | None, dict[int, list[int]]]:
    """Tokens -> shingles, a few thousand articles at a time, in `options.jobs` processes: the
    paragraph items and their shingles (paragraph level), the articles' shingles (document
    level), and identical-paragraph evidence (document level without the paragraph level)."""
    p_builder, d_builder = ShingleBatchBuilder(0), ShingleBatchBuilder(0)
    p_items: list[Member] = []
    evidence: dict[int, list[int]] = {}
    for chunk in _shingled_chunks([d.text for d in docs], options):
        for i, k, a, b in chunk.paragraphs:
            p_items.append(_member(docs[i], i, k, docs[i].text[a:b]))
        if chunk.p_part is not None:
            p_builder.add_batch(chunk.p_part)
        if chunk.d_part is not None:
            d_builder.add_batch(chunk.d_part)
        for key, i in chunk.evidence:
            evidence.setdefault(key, []).append(i)
    p_batch = p_builder.build() if "paragraph" in options.levels else None
    d_batch = d_builder.build() if "document" in options.levels else None
    return p_items, p_batch, d_batch, evidence


def _paragraph_clusters(
    p_items: list[Member], p_batch: ShingleBatch, options: DupOptions, perms: Permutations, stats: dict[str, Any]
) -> tuple[list[Cluster], set[tuple[int, int]]]:
    """Paragraphs repeated within and across articles; also returns the LSH candidates, which
    are the document level's evidence."""
    p_sigs = signatures(p_batch, perms)
    p_candidates = candidate_pairs(p_sigs, options.lsh_threshold)
    accept = _accept_by(p_batch, p_sigs, options.threshold, options.verify)
    pairs = [p for p in sorted(p_candidates) if accept(*p)]
    stats.update(paragraph_candidates=len(p_candidates), paragraph_pairs=len(pairs))
    found = build_clusters("paragraph", p_items, pairs, lambda a, b: jaccard(p_batch.set(a), p_batch.set(b)), accept, options.keep)
    return found, p_candidates


def _document_clusters(
    docs: Sequence[Document], d_batch: ShingleBatch, shared: list[tuple[int, int]], options: DupOptions, perms: Permutations, stats: dict[str, Any]
) -> list[Cluster]:
    """Near-duplicate articles: Jaccard at the threshold, or one mostly contained in the other.

    Articles that share a paragraph (`shared`) are candidates too: that is how a copy cut after a
    few paragraphs, or under a new headline, is found when its overall Jaccard is low."""
    d_items = [_member(d, i, None, d.text) for i, d in enumerate(docs)]
    d_sigs = signatures(d_batch, perms)
    candidates = candidate_pairs(d_sigs, options.lsh_threshold)
    candidates.update((min(a, b), max(a, b)) for a, b in shared if a != b)

    def similarity(a: int, b: int) -> float:
        x, y = d_batch.set(a), d_batch.set(b)
        j = jaccard(x, y)
        return j if min(len(x), len(y)) < MIN_CONTAINED_SHINGLES else max(j, containment(x, y))

    def accept(a: int, b: int) -> bool:
        if not options.verify:
            return estimate_jaccard(d_sigs[a], d_sigs[b]) >= options.threshold
        # Sizes first: two sets this different in size can only pass by containment.
        small, large = sorted((d_batch.size(a), d_batch.size(b)))
        if large and small / large < options.threshold and small < MIN_CONTAINED_SHINGLES:
            return False
        x, y = d_batch.set(a), d_batch.set(b)
        if jaccard(x, y) >= options.threshold:
            return True
        return min(len(x), len(y)) >= MIN_CONTAINED_SHINGLES and containment(x, y) >= options.containment

    pairs = [p for p in sorted(candidates) if accept(*p)]
    stats.update(document_candidates=len(candidates), document_pairs=len(pairs))
    return build_clusters("document", d_items, pairs, similarity, accept, options.keep)


@dataclass
class _Chunk:
    """What one batch of articles turns into: paragraph items as (article, paragraph, start, end),
    their shingles, the articles' shingles, and (without the paragraph level) identical-paragraph
    evidence as (64-bit key, article)."""

    paragraphs: list[tuple[int, int, int, int]]
    p_part: ShingleBatch | None
    d_part: ShingleBatch | None
    evidence: list[tuple[int, int]]


def _shingle_texts(texts: Sequence[str], first: int, options: DupOptions) -> _Chunk:
    """Tokenize and hash one batch of article texts (a pure function: it runs in a worker)."""
    if options.noisy:
        return _shingle_texts_noisy(texts, first, options)
    with_paragraphs = "paragraph" in options.levels
    spans: list[tuple[int, int, int, int]] = []
    evidence: list[tuple[int, int]] = []
    p_part = d_part = None
    if with_paragraphs:
        # Every paragraph's words hashed once, in one pass: a paragraph's shingles and its
        # article's (the article's words are its paragraphs' words, in order) both come from them.
        owners: list[tuple[int, int, int, int]] = []
        paragraphs: list[str] = []
        per_article = np.zeros(len(texts), dtype=np.int64)
        for offset, text in enumerate(texts):
            found = split_paragraphs(text)
            per_article[offset] = len(found)
            owners += [(first + offset, k, a, b) for k, (a, b, _) in enumerate(found)]
            paragraphs += [p for _, _, p in found]
        words, counts = hash_texts(paragraphs)
        selected = counts >= options.min_words
        spans = [owners[j] for j in np.flatnonzero(selected)]
        p_part = shingle_runs(words, counts, min(options.ngram, options.paragraph_ngram), selected)
        if "document" in options.levels:
            article = np.repeat(np.arange(len(texts)), per_article)
            d_part = shingle_runs(words, np.bincount(article, weights=counts, minlength=len(texts)).astype(np.int64), options.ngram)
    else:
        words, counts = hash_texts(texts)
        d_part = shingle_runs(words, counts, options.ngram)
        evidence = _evidence(texts, first, options)
    return _Chunk(spans, p_part, d_part, evidence)


def _evidence(texts: Sequence[str], first: int, options: DupOptions) -> list[tuple[int, int]]:
    """Identical paragraphs (case and spacing aside): the article level's evidence without the
    paragraph level."""
    return [(key, first + i) for key, i in paragraph_keys(texts, options.min_words)]


def _shingle_texts_noisy(texts: Sequence[str], first: int, options: DupOptions) -> _Chunk:
    """The same for character 5-grams (`--noisy`), from token lists."""
    with_paragraphs = "paragraph" in options.levels
    spans: list[tuple[int, int, int, int]] = []
    p_tokens: list[list[str]] = []
    d_tokens: list[list[str]] = []
    evidence: list[tuple[int, int]] = []
    for offset, text in enumerate(texts):
        i = first + offset
        if with_paragraphs:
            words_of_doc: list[str] = []
            for k, (a, b, p) in enumerate(split_paragraphs(text)):
                toks = tokens(p)
                words_of_doc += toks
                if len(toks) >= options.min_words:
                    spans.append((i, k, a, b))
                    p_tokens.append(list("".join(toks)))
            d_tokens.append(list("".join(words_of_doc)))
        else:
            d_tokens.append(list("".join(tokens(text))))
    if not with_paragraphs:
        evidence = _evidence(texts, first, options)
    p_part = shingle_batch(p_tokens, 5) if with_paragraphs else None
    d_part = shingle_batch(d_tokens, 5) if "document" in options.levels else None
    return _Chunk(spans, p_part, d_part, evidence)


def _shingled_chunks(texts: list[str], options: DupOptions) -> Iterator[_Chunk]:
    """Batches of TOKEN_BATCH articles, in order; in worker processes when `options.jobs` > 1 and
    there is more than one batch (results come back in order, so the answer is the same)."""
    starts = list(range(0, len(texts), TOKEN_BATCH))
    if options.jobs <= 1 or len(starts) <= 1:
        for s in starts:
            yield _shingle_texts(texts[s : s + TOKEN_BATCH], s, options)
        return
    with ProcessPoolExecutor(max_workers=options.jobs, initializer=worker_init) as pool:
        yield from pool.map(_shingle_texts, [texts[s : s + TOKEN_BATCH] for s in starts], starts, [options] * len(starts))


def _result(clusters: list[Cluster], stats: dict[str, Any], options: DupOptions, started: float) -> DupResult:
    clusters.sort(key=lambda c: (KIND_ORDER[c.kind], c.members[0].index, c.members[0].paragraph or 0))
    clusters = [Cluster(i + 1, c.kind, c.members, c.representative, c.similarity) for i, c in enumerate(clusters)]
    stats["clusters"] = {kind: sum(1 for c in clusters if c.kind == kind) for kind in options.levels}
    stats["seconds"] = round(time.perf_counter() - started, 3)
    return DupResult(clusters, stats)
