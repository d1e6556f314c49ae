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
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Protocol

import numpy as np

from cleaner.dedup.cluster import build_clusters
from cleaner.dedup.options import LEVELS, DupOptions
from cleaner.dedup.pairs import no_pairs, pair_array, pair_list, pairs_of, pairs_without, union_pairs
from cleaner.dedup.stages import Signed, level_of
from cleaner.dedup.verify import Level
from cleaner.engines.local import LocalEngine
from cleaner.model import Cluster, Document, Member

# `DupOptions` and `LEVELS` are read from here by callers written before `options` existed.
__all__ = ["LEVELS", "DupOptions", "DupResult", "Engine", "find_duplicates", "find_duplicates_on"]

KIND_ORDER = {"document": 0, "title": 1, "paragraph": 2}
_DEFAULTS = DupOptions()  # frozen: one instance serves every call


@dataclass
class DupResult:
    clusters: list[Cluster]
    stats: dict[str, Any] = field(default_factory=dict)


class Engine(Protocol):
    """Where the stages run (`cleaner.engines`): each method runs the same pure functions of
    `cleaner.dedup.stages`, so every engine gives the same clusters."""

    def sign(self, docs: Sequence[Document], options: DupOptions) -> Signed: ...

    def candidates(self, signed: Signed, options: DupOptions) -> dict[str, np.ndarray]:
        """Each level's candidate pairs, as `pairs` passes pairs on: a sorted, distinct k x 2
        array."""

    def verify(self, work: Sequence[tuple[Level, np.ndarray]]) -> Iterator[list[tuple[int, int]]]:
        """Each level's accepted pairs, in the order given. An engine may verify all levels at
        once (the local engine does, then yields); one that yields each level as soon as it is
        done lets the caller cluster it while the next ones are verified (the Ray engine)."""

    def close(self) -> None:
        """Release what `candidates` and `verify` kept between calls (worker processes)."""


def _member(doc: Document, index: int, paragraph: int | None, text: str) -> Member:
    return Member(doc.id, doc.origin.path, doc.origin.record, doc.origin.line, paragraph, text, index)


class _Members(Sequence[Member]):
    """A level's items as cluster members, each made when first asked for: a corpus has hundreds
    of thousands of paragraphs (and tens of thousands of titles and articles), and a few
    percent of them in clusters. Item j is `make(j)`."""

    def __init__(self, count: int, make: Callable[[int], Member]) -> None:
        self.count, self.make = count, make
        self.made: dict[int, Member] = {}

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, j):  # type: ignore[no-untyped-def]
        found = self.made.get(j)
        if found is None:
            found = self.made[j] = self.make(j)
        return found


def _paragraph_member(docs: Sequence[Document], paragraphs: list[tuple[int, int, int, int]], j: int) -> Member:
    i, k, a, b = paragraphs[j]
    return _member(docs[i], i, k, docs[i].text[a:b])


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
def find_duplicates(
    docs: Sequence[Document], options: DupOptions = _DEFAULTS, engine: Engine | None = None
) -> DupResult:
    """Clusters of duplicate titles, paragraphs and articles. `engine` decides where the work
    runs (default: this machine, in `options.jobs` processes); the clusters do not depend on it."""
    if engine is None:
        engine = LocalEngine(options.jobs)
    try:
        return _find(docs, options, engine)
    finally:
        engine.close()


def find_duplicates_on(engine: str, address: str | None, docs: Sequence[Document], options: DupOptions) -> DupResult:
    """`find_duplicates` with the named engine (call `engines.check_dups_engine` first). Ray is
    imported only when asked for: it is an optional extra."""
    if engine == "local":
        return find_duplicates(docs, options)
    from cleaner.engines.ray import RayEngine, RaySession

    with RaySession(address):
        return find_duplicates(docs, options, RayEngine())


@dataclass
class _Work:
    """One level, ready to verify: its verifier, its items as members, the pairs accepted without
    verification (titles with the same match key), the pairs to verify, and its stats so far."""

    kind: str
    level: Level
    items: Sequence[Member]
    given: np.ndarray  # pairs, as `pairs` passes them on (k x 2, sorted)
    pairs: np.ndarray
    stats: dict[str, int]


def _find(docs: Sequence[Document], options: DupOptions, engine: Engine) -> DupResult:
    started = time.perf_counter()
    stats: dict[str, Any] = {"documents": len(docs)}
    signed = engine.sign(docs, options)
    candidates = engine.candidates(signed, options)
    work = _plan(docs, signed, candidates, options)
    clusters: list[Cluster] = []
    # Every level's pairs are known before any is verified, so the engine may verify them all
    # at once while each level is clustered here as soon as its own are done.
    for w, accepted in zip(work, engine.verify([(w.level, w.pairs) for w in work]), strict=False):
        pairs = pair_list(w.given) + accepted
        stats.update(w.stats)
        stats[f"{w.kind}_pairs"] = len(pairs)
        clusters += build_clusters(w.kind, w.items, pairs, w.level.similarity, w.level.accept, options.keep)  # type: ignore[arg-type]
    return _result(clusters, stats, options, started)


def _plan(
    docs: Sequence[Document], signed: Signed, candidates: dict[str, np.ndarray], options: DupOptions
) -> list[_Work]:
    work: list[_Work] = []
    if "title" in signed.parts:
        work.append(_title_work(docs, signed, candidates["title"], options))
    if "paragraph" not in options.levels and "document" not in options.levels:
        return work
    if "paragraph" in signed.parts:
        counted: dict[str, int] = {}
        p_candidates = candidates["paragraph"]
        p_items = _Members(len(signed.paragraphs), functools.partial(_paragraph_member, docs, signed.paragraphs))
        p_stats = {"paragraphs": len(signed.paragraphs), "paragraph_candidates": len(p_candidates)}
        work.append(
            _Work("paragraph", level_of(signed, "paragraph", options), p_items, no_pairs(), p_candidates, p_stats)
        )
        # Articles sharing a paragraph's LSH bucket are the document level's evidence.
        owner = np.fromiter(map(itemgetter(0), signed.paragraphs), dtype=np.int64, count=len(signed.paragraphs))
        shared = owner[p_candidates]
    else:
        counted = {"paragraphs": sum(len(v) for v in signed.evidence.values())}
        groups = (sorted(set(group)) for group in signed.evidence.values() if len(group) > 1)
        shared = np.array([pair for g in groups for pair in pairs_of(g)], dtype=np.int64).reshape(-1, 2)
    if "document" in signed.parts:
        work.append(_document_work(docs, signed, candidates["document"], shared, options, counted))
    return work


def _title_work(docs: Sequence[Document], signed: Signed, candidates: np.ndarray, options: DupOptions) -> _Work:
    """The same headline up to case, punctuation and a site suffix, or a near-identical one."""
    owners = [i for i, _ in signed.titles]
    t_items = _Members(len(owners), lambda j: _member(docs[owners[j]], owners[j], None, docs[owners[j]].title or ""))
    level = level_of(signed, "title", options)
    keys = level.keys
    assert keys is not None
    by_key: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        by_key.setdefault(k, []).append(i)
    exact = pair_array((g[k], g[k + 1]) for g in by_key.values() for k in range(len(g) - 1))
    n = len(owners)
    return _Work(
        "title",
        level,
        t_items,
        exact,
        pairs_without(n, candidates, exact),
        {"titles": n, "title_candidates": len(union_pairs(n, candidates, exact))},
    )


def _document_work(
    docs: Sequence[Document],
    signed: Signed,
    candidates: np.ndarray,
    shared: np.ndarray,
    options: DupOptions,
    counted: dict[str, int],
) -> _Work:
    """Near-duplicate articles: Jaccard at the threshold, or one mostly contained in the other.

    Articles that share a paragraph (`shared`, pairs of articles in any order) are candidates
    too: that is how a copy cut after a few paragraphs, or under a new headline, is found when
    its overall Jaccard is low."""
    d_items = _Members(len(docs), lambda i: _member(docs[i], i, None, docs[i].text))
    shared = np.sort(shared[shared[:, 0] != shared[:, 1]], axis=1)
    pairs = union_pairs(len(docs), candidates, shared)
    return _Work(
        "document",
        level_of(signed, "document", options),
        d_items,
        no_pairs(),
        pairs,
        {**counted, "document_candidates": len(pairs)},
    )


def _result(clusters: list[Cluster], stats: dict[str, Any], options: DupOptions, started: float) -> DupResult:
    clusters.sort(key=lambda c: (KIND_ORDER[c.kind], c.members[0].index, c.members[0].paragraph or 0))
    clusters = [Cluster(i + 1, c.kind, c.members, c.representative, c.similarity) for i, c in enumerate(clusters)]
    stats["clusters"] = {kind: sum(1 for c in clusters if c.kind == kind) for kind in options.levels}
    stats["seconds"] = round(time.perf_counter() - started, 3)
    return DupResult(clusters, stats)
