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
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from cleaner.dedup.cluster import Table, cluster_table, clusters_of
from cleaner.dedup.members import KIND_ORDER, Located, Placeholders, member_of, placeholders
from cleaner.dedup.options import LEVELS, DupOptions
from cleaner.dedup.pairs import no_pairs, pair_array, pair_list, pairs_without, union_pairs
from cleaner.dedup.robust import robust_pairs
from cleaner.dedup.spill import SpilledPlaces, SpilledSigned, spill_block, spilled_candidates, spilled_robust_pairs
from cleaner.dedup.stages import Signed, level_of
from cleaner.dedup.verify import Level
from cleaner.dedup.workdir import WorkDir
from cleaner.engines.local import LocalEngine
from cleaner.model import Cluster, Document, Kind, Member
from cleaner.progress import Report, counter

# `DupOptions` and `LEVELS` are read from here by callers written before `options` existed.
__all__ = [
    "LEVELS",
    "DupOptions",
    "DupResult",
    "Engine",
    "find_duplicates",
    "find_duplicates_on",
    "find_duplicates_streamed",
    "ordered_result",
]

_DEFAULTS = DupOptions()  # frozen: one instance serves every call


@dataclass
class DupResult:
    clusters: list[Cluster] | Placeholders  # placeholders: members that know only where they are
    stats: dict[str, Any] = field(default_factory=dict)


class Engine(Protocol):
    """Where the stages run (`cleaner.engines`): each method runs the same pure functions of
    `cleaner.dedup.stages`, so every engine gives the same clusters."""

    def sign(self, docs: Sequence[Document], options: DupOptions) -> Signed: ...

    def candidates(self, signed: Signed, options: DupOptions) -> dict[str, np.ndarray]:
        """Each level's candidate pairs, as `pairs` passes pairs on: a sorted, distinct k x 2
        array."""

    def verify(
        self, work: Sequence[tuple[Level, np.ndarray]], report: Report | None = None, stage: str = "verification"
    ) -> Iterator[list[tuple[int, int]]]:
        """Each level's accepted pairs, in the order given. An engine may verify all levels at
        once (the local engine does, then yields); one that yields each level as soon as it is
        done lets the caller cluster it while the next ones are verified (the Ray engine).
        `report` hears of the pairs verified (as `stage`), all levels together."""

    def close(self) -> None:
        """Release what `candidates` and `verify` kept between calls (worker processes)."""


class Places(Protocol):
    """How long each level's items' texts are (`length`, for `--keep longest`). The places of
    documents in memory make the clusters' members (`_InMemory.member`); those of a spilled
    corpus say where the members are (`SpilledPlaces.where`), for `fill_places`."""

    def length(self, kind: str, j: int) -> int: ...


@dataclass
class _InMemory:
    """The places of items of documents in memory."""

    docs: Sequence[Document]
    signed: Signed

    def member(self, kind: str, j: int) -> Member:
        if kind == "paragraph":
            i, k, a, b = self.signed.paragraphs[j]
            return member_of(self.docs[i], i, k, self.docs[i].text[a:b])
        if kind == "title":
            i = self.signed.titles[j][0]
            return member_of(self.docs[i], i, None, self.docs[i].title or "")
        return member_of(self.docs[j], j, None, self.docs[j].text)

    def length(self, kind: str, j: int) -> int:
        return len(self.member(kind, j).text)


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
    docs: Sequence[Document],
    options: DupOptions = _DEFAULTS,
    engine: Engine | None = None,
    report: Report | None = None,
) -> DupResult:
    """Clusters of duplicate titles, paragraphs and articles. `engine` decides where the work
    runs (default: this machine, in `options.jobs` processes); the clusters do not depend on it.
    `report` hears how far the stages are (`cleaner.progress`)."""
    if engine is None:
        engine = LocalEngine(options.jobs)
    try:
        return _find(docs, options, engine, report)
    finally:
        engine.close()


def find_duplicates_on(
    engine: str, address: str | None, docs: Sequence[Document], options: DupOptions, report: Report | None = None
) -> DupResult:
    """`find_duplicates` with the named engine (call `engines.check_dups_engine` first). Ray is
    imported only when asked for: it is an optional extra."""
    if engine == "local":
        return find_duplicates(docs, options, report=report)
    from cleaner.engines.ray import RayEngine, RaySession

    with RaySession(address):
        return find_duplicates(docs, options, RayEngine(), report)


# The budget of `find_duplicates_streamed` unless told: what it keeps while it runs is mostly
# the blocks being signed (`LocalEngine.sign_stream`), a band column being sorted and the
# shingle sets cached for verification.
DEFAULT_MEMORY = 2 * 2**30


@_gc_paused
def find_duplicates_streamed(
    docs: Iterable[Document],
    options: DupOptions = _DEFAULTS,
    work_dir: str | os.PathLike[str] | None = None,
    memory: int = DEFAULT_MEMORY,
    report: Report | None = None,
) -> DupResult:
    """`find_duplicates` in bounded memory, on this machine: the documents are read once, in
    blocks, and what the later stages need goes to a private working directory under
    `work_dir` (removed however the run ends). The clusters are `find_duplicates`' own, but
    their members know only where they are (`Member.index`, `paragraph`): `members.fill_members` gives
    them their records and texts from a second read. Needs `options.verify`. `report` hears
    how far the stages after signing are (`cleaner.progress`); the reading is the caller's."""
    if not options.verify:
        raise ValueError("find_duplicates_streamed needs verify=True (--no-verify keeps signatures in memory)")
    engine = LocalEngine(options.jobs)
    started = time.perf_counter()
    with WorkDir(work_dir) as work:
        try:
            documents = engine.sign_stream(docs, options, memory, functools.partial(spill_block, work))
            work.finish()
            # Shingle sets cached for verification: a sixteenth of the budget per process (each
            # verifying process has its own cache), shared by the levels.
            signed = SpilledSigned(work, documents, options, memory // 16 // max(1, options.jobs))
            candidates = spilled_candidates(signed, options.jobs, report)
            candidates["robust"] = spilled_robust_pairs(signed, options.jobs)
            engine.hold(signed, options)
            places = SpilledPlaces(signed)
            tables, stats = _cluster(signed, candidates, places, documents, options, engine, report)
            levels = [(t, *places.where(t.kind, t.items)) for t in tables]
            return placeholder_result(levels, stats, options, started)
        finally:
            engine.close()


@dataclass
class _Work:
    """One level, ready to verify: its verifier, the pairs accepted without verification (titles
    with the same match key), the pairs to verify, and its stats so far."""

    kind: Kind
    level: Level
    given: np.ndarray  # pairs, as `pairs` passes them on (k x 2, sorted)
    pairs: np.ndarray
    stats: dict[str, int]


def _find(docs: Sequence[Document], options: DupOptions, engine: Engine, report: Report | None) -> DupResult:
    started = time.perf_counter()
    step = counter(report, "signing", 1, "corpus")
    step(0)
    signed = engine.sign(docs, options)
    step(1)
    # The engines find all levels' candidates at once: the stage is one step.
    step = counter(report, "candidates", 1, "corpus")
    step(0)
    candidates = engine.candidates(signed, options)
    if signed.robust is not None and signed.noisy is not None:
        candidates["robust"] = robust_pairs(signed.robust.keys, signed.robust.sigs, signed.noisy)
    step(1)
    places = _InMemory(docs, signed)
    tables, stats = _cluster(signed, candidates, places, len(docs), options, engine, report)
    clusters = [c for t in tables for c in clusters_of(t, functools.partial(places.member, t.kind))]
    return ordered_result(clusters, stats, options, started)


def _cluster(
    signed: Signed,
    candidates: dict[str, np.ndarray],
    places: Places,
    documents: int,
    options: DupOptions,
    engine: Engine,
    report: Report | None = None,
) -> tuple[list[Table], dict[str, Any]]:
    """Each level verified and clustered, as tables, and the stats."""
    stats: dict[str, Any] = {"documents": documents}
    work = _plan(signed, candidates, places, documents, options)
    later = "document" in signed.parts and "paragraph" in signed.parts  # after the paragraphs
    tables: list[Table] = []
    clustered = counter(report, "clusters", len(work) + later, "levels")
    verified: dict[str, list[tuple[int, int]]] = {}

    def cluster(w: _Work, accepted: list[tuple[int, int]]) -> None:
        clustered(len(verified))
        pairs = verified[w.kind] = pair_list(w.given) + accepted
        stats.update(w.stats)
        stats[f"{w.kind}_pairs"] = len(pairs)
        length = functools.partial(places.length, w.kind)
        tables.append(cluster_table(w.kind, pairs, w.level.similarity, w.level.accept, options.keep, length))

    # The engine may verify these levels at once; each is clustered here as soon as it is done.
    for w, accepted in zip(work, engine.verify([(w.level, w.pairs) for w in work], report), strict=False):
        cluster(w, accepted)
    if later:
        w = _shared_work(signed, candidates, verified["paragraph"], places, documents, options)
        for accepted in engine.verify([(w.level, w.pairs)], report, "article verification"):
            cluster(w, accepted)
    clustered(len(verified))
    return tables, stats


def _plan(
    signed: Signed, candidates: dict[str, np.ndarray], places: Places, documents: int, options: DupOptions
) -> list[_Work]:
    work: list[_Work] = []
    if "title" in signed.parts:
        work.append(_title_work(signed, candidates["title"], places, options))
    if "paragraph" not in options.levels and "document" not in options.levels:
        return work
    if "paragraph" in signed.parts:
        p_candidates = candidates["paragraph"]
        n = len(signed.parts["paragraph"].batch)
        p_stats = {"paragraphs": n, "paragraph_candidates": len(p_candidates)}
        level = level_of(signed, "paragraph", options)
        work.append(_Work("paragraph", level, no_pairs(), p_candidates, p_stats))
    elif "document" in signed.parts:
        paragraphs, shared = signed.evidence_pairs()
        noisy = candidates.get("robust", no_pairs())
        counted = {"paragraphs": paragraphs}
        work.append(_document_work(signed, candidates["document"], shared, noisy, places, documents, options, counted))
    return work


def _shared_work(
    signed: Signed, found: dict[str, np.ndarray], pairs: list[tuple[int, int]], places: Places, n: int, o: DupOptions
) -> _Work:
    """The document level after the paragraphs: the articles of each verified paragraph pair are
    candidates too. (Those of each paragraph *candidate* were: at 1M synthetic articles 8.2M
    document candidates, nearly all from paragraphs sharing a sentence; a copy's paragraphs verify.)"""
    shared, noisy = signed.paragraph_owners()[pair_array(pairs)], found.get("robust", no_pairs())
    return _document_work(signed, found["document"], shared, noisy, places, n, o, {})


def _title_work(signed: Signed, candidates: np.ndarray, places: Places, options: DupOptions) -> _Work:
    """The same headline up to case, punctuation and a site suffix, or a near-identical one."""
    n = len(signed.parts["title"].batch)
    exact = signed.exact_title_pairs()
    return _Work(
        "title",
        level_of(signed, "title", options),
        exact,
        pairs_without(n, candidates, exact),
        {"titles": n, "title_candidates": len(union_pairs(n, candidates, exact))},
    )


def _document_work(
    signed: Signed,
    candidates: np.ndarray,
    shared: np.ndarray,
    noisy: np.ndarray,
    places: Places,
    documents: int,
    options: DupOptions,
    counted: dict[str, int],
) -> _Work:
    """Near-duplicate articles: Jaccard at the threshold, or one mostly contained in the other.

    Articles that share a paragraph (`shared`, pairs of articles in any order) are candidates
    too: that is how a copy cut after a few paragraphs, or under a new headline, is found when
    its overall Jaccard is low. So are the pairs of the character index (`noisy`, pairs with a
    noisy article: `robust`)."""
    shared = np.sort(shared[shared[:, 0] != shared[:, 1]], axis=1)
    pairs = union_pairs(documents, candidates, shared, noisy)
    stats = {**counted, "document_candidates": len(pairs)}
    if signed.noisy is not None:
        stats.update(noisy_documents=int(signed.noisy.sum()), noisy_candidates=len(noisy))
    return _Work(
        "document",
        level_of(signed, "document", options),
        no_pairs(),
        pairs,
        stats,
    )


def placeholder_result(
    levels: Sequence[Located], stats: dict[str, Any], options: DupOptions, started: float
) -> DupResult:
    """`ordered_result` of each level's table, its members' articles and paragraph numbers
    beside it (-1: none): members that know only where they are (`members.placeholders`)."""
    clusters = placeholders(levels)
    return _counted(clusters, clusters.counts(), stats, options, started)


def ordered_result(clusters: list[Cluster], stats: dict[str, Any], options: DupOptions, started: float) -> DupResult:
    """The clusters in report order (level, then their first member), numbered, and counted.
    `clusters` itself is put in that order and numbered: a caller's other reference to it (the
    engine's result) must not keep the unnumbered clusters alive beside the numbered ones."""
    clusters.sort(key=lambda c: (KIND_ORDER[c.kind], c.members[0].index, c.members[0].paragraph or 0))
    clusters[:] = [Cluster(i + 1, c.kind, c.members, c.representative, c.similarity) for i, c in enumerate(clusters)]
    return _counted(clusters, Counter(c.kind for c in clusters), stats, options, started)


def _counted(
    clusters: list[Cluster] | Placeholders,
    counts: Mapping[str, int],
    stats: dict[str, Any],
    options: DupOptions,
    started: float,
) -> DupResult:
    """The result, its stats given the clusters per level asked for and the time so far."""
    stats["clusters"] = {kind: counts.get(kind, 0) for kind in options.levels}
    stats["seconds"] = round(time.perf_counter() - started, 3)
    return DupResult(clusters, stats)
