"""`dups --engine ray` as a sharded job: the workers read, sign, pair and verify; the driver plans
the shards, numbers them, and clusters the verified edges.

1. The driver plans shards from metadata (`cleaner.io.shards`) and runs `sign_shard` on each:
   its signed levels go to the run's working directory as arrays (`--work-dir`, which must be
   storage every node shares on a cluster of several machines; without one there, they stay
   in the object store), its band rows go to the object store cut into partitions.
2. With every shard's counts back, the driver knows the corpus's numbering (where each shard's
   articles, titles, paragraphs, records and lines start) and runs `reduce_partition` on each
   partition: candidate pairs, routed to shard-pair groups, stay in the object store.
3. `verify_batch` per batch of groups (`ray_batches`): the driver gets the verified edges and
   their items' places; the document batches run after the others, with the articles of the
   verified paragraph pairs as candidates too (`shared_articles`).
4. Connected components and the representatives (`cluster.cluster_table`) on the driver; a
   representative check of a pair that was no edge is asked of the workers (`judge_pairs`).
5. The members' texts are read again by the workers that read their shards (`read_places`).

The driver thus holds the shards' summaries, the edges with their items' places, and the
clusters: what grows with the corpus (texts, shingles, band rows, candidates) is on the
cluster, in the working directory or the object store (which spills to disk when full).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import ray

from cleaner.dedup.cluster import Table, cluster_table
from cleaner.dedup.members import Located, PlaceTexts, Wanted
from cleaner.dedup.options import LEVELS, DupOptions
from cleaner.dedup.pairs import PairValues
from cleaner.dedup.stages import finds_noisy
from cleaner.dedup.workdir import WorkDir
from cleaner.engines.ray import RaySession
from cleaner.engines.ray_batches import (
    batch_shards,
    block_size,
    join_edges,
    shared_articles,
    split_batches,
    verify_batch,
)
from cleaner.engines.ray_pairs import Batch, batch_of, group_pairs
from cleaner.engines.ray_shards import Edges, ShardSummary, judge_pairs, read_places, reduce_partition, sign_shard
from cleaner.errors import CleanerError, InputError
from cleaner.io.readers import InputFile, ReadOptions
from cleaner.io.shards import Shard, numbered, plan_shards
from cleaner.model import Origin, Rejected
from cleaner.progress import Report, counter

# A shard is about a quarter of the input per CPU (so the cores stay busy to the end), within
# these bounds: below, a task's overhead shows; above, a worker holds too many records at once.
MIN_SHARD, MAX_SHARD = 1 << 20, 64 << 20
# Band-row partitions: 2 per CPU, or one per this much input (4 at 1M articles got killed for memory).
PARTITION_BYTES = 512 << 20


def _get(refs: Any) -> Any:
    """`ray.get`, with an error of cleaner's raised in a task raised as itself (one line)."""
    try:
        return ray.get(refs)
    except ray.exceptions.RayTaskError as e:
        cause = getattr(e, "cause", None)
        if isinstance(cause, CleanerError):
            raise cause from None
        raise


@dataclass
class RayFound:
    # Each level's clusters, with their members' articles and paragraph numbers (-1: none):
    # `finder.placeholder_result` makes them clusters, `read_places` gives them their texts.
    levels: list[Located]
    stats: dict[str, Any]
    read: int = 0
    rejected: list[Rejected] = field(default_factory=list)


def _where(places: dict[str, np.ndarray], items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The articles and paragraph numbers (-1: none) of a level's `items`, all of which are in
    edges, from the places of the items in edges (sorted by item)."""
    k = np.searchsorted(places["item"], items)
    return places["article"][k].astype(np.int64), places["number"][k].astype(np.int64)


def _one_host() -> bool:
    """Whether every live node of the cluster runs on one machine (the one address)."""
    return len({n["NodeManagerAddress"] for n in ray.nodes() if n.get("Alive")}) <= 1


class RayDups:
    """The sharded job on a Ray cluster (`address`, or a Ray started here), as a context."""

    def __init__(
        self, address: str | None = None, shard_bytes: int | None = None, work_dir: Path | None = None
    ) -> None:
        self.session = RaySession(address)
        self.shard_bytes = shard_bytes
        self.work_dir = work_dir
        self.shards: list[Shard] = []
        self.outs: list[Any] = []
        self.starts: dict[str, np.ndarray] = {}
        self.store: WorkDir | None = None
        self.block = 1  # shards a block of the verification's batches (`ray_batches`)

    def __enter__(self) -> RayDups:
        self.session.__enter__()
        try:
            # The shards' arrays go to a working directory every worker can read: given one, or
            # on a cluster whose nodes are all this machine (a local Ray, simulated nodes), the
            # system temp dir; on several machines without one they stay in the object store.
            if self.work_dir is not None or _one_host():
                self.store = WorkDir(self.work_dir).__enter__()
        except BaseException:
            self.session.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.outs = []
        try:
            if self.store is not None:
                self.store.close()
        finally:
            self.session.__exit__(*exc)

    def find(
        self,
        files: Sequence[InputFile],
        read_options: ReadOptions,
        options: DupOptions,
        skip_invalid: bool,
        report: Report | None = None,
    ) -> RayFound:
        cpus = RaySession.cpus()
        total = sum(f.path.stat().st_size for f in files if f.path.is_file())
        partitions = max(2 * cpus, -(-total // PARTITION_BYTES))
        target = self.shard_bytes or min(MAX_SHARD, max(MIN_SHARD, total // (4 * cpus) + 1))
        self.shards = plan_shards(files, target)
        names = [name for name in LEVELS if name in options.levels]
        sign = ray.remote(sign_shard).options(num_returns=2 + len(names) + partitions)
        where = str(self.store.path) if self.store is not None else None
        self.outs = [
            sign.remote(s, k, read_options, options, skip_invalid, partitions, where) for k, s in enumerate(self.shards)
        ]
        step = counter(report, "reading and signing", len(self.shards), "shards")
        step(0)
        summaries: list[ShardSummary] = _get([o[0] for o in self.outs])
        step(len(self.shards))
        found = RayFound([], {})
        found.read, found.rejected = self._number(summaries, skip_invalid)
        self.starts = self._starts(summaries, names)
        self.block = block_size(len(self.shards), cpus, mapped=self.store is not None)
        edges = self._edges(names, options, partitions, report)
        found.stats, found.levels = self._cluster(names, edges, summaries, options, report)
        return found

    def _number(self, summaries: list[ShardSummary], skip_invalid: bool) -> tuple[int, list[Rejected]]:
        """Each byte range given the numbering of its file so far, and the rejected records of
        all shards numbered so: the records read and the rejections (the first one an error
        without `skip_invalid`)."""
        before: dict[str, tuple[int, int]] = {}
        rejected: list[Rejected] = []
        whole_file: set[str] = set()  # a file-level rejection (record 0), once per file
        read = 0
        for k, (shard, summary) in enumerate(zip(self.shards, summaries, strict=True)):
            record, line = before.get(shard.path, (0, 0)) if shard.splits else (0, 0)
            if shard.splits:
                self.shards[k] = numbered(shard, record, line)
                before[shard.path] = (record + summary.records, line + summary.lines)
            read += summary.read
            for r in summary.rejected:
                if r.origin.record == 0:
                    if r.origin.path in whole_file:
                        read -= 1
                        continue
                    whole_file.add(r.origin.path)
                # A file-level rejection (record 0, no line) stays as it is.
                shift = record if r.origin.record else 0
                origin = Origin(
                    r.origin.path, r.origin.record + shift, None if r.origin.line is None else r.origin.line + line
                )
                rejected.append(replace(r, origin=origin))
                if not skip_invalid:
                    raise InputError(str(origin), r.reason)
        return read, rejected

    @staticmethod
    def _starts(summaries: list[ShardSummary], names: list[str]) -> dict[str, np.ndarray]:
        """Per level (and `document`: articles), where each shard's items start, and the total."""
        starts = {"document": np.cumsum([0] + [s.documents for s in summaries]).astype(np.int64)}
        for name in names:
            starts[name] = np.cumsum([0] + [s.items.get(name, 0) for s in summaries]).astype(np.int64)
        return starts

    def _payload(self, name: str, names: list[str], shard: int) -> Any:
        return self.outs[shard][2 + names.index(name)]

    def _sides(self, name: str, names: list[str], sa: int, sb: int) -> tuple[tuple[int, ...], list[Any]]:
        first, articles = self.starts[name], self.starts["document"]
        sides: tuple[int, ...] = (int(first[sa]), int(articles[sa]))
        refs = [self._payload(name, names, sa)]
        if sb != sa:
            sides += (int(first[sb]), int(articles[sb]))
            refs.append(self._payload(name, names, sb))
        return sides, refs

    def _edges(
        self, names: list[str], options: DupOptions, partitions: int, report: Report | None
    ) -> dict[str, list[Edges]]:
        """Every batch's verified edges, by level."""
        reduce, first, block = ray.remote(reduce_partition).options(num_returns=2), 2 + len(names), self.block
        reduced = [
            reduce.remote(self.starts, options, block, *(o[first + p] for o in self.outs)) for p in range(partitions)
        ]
        step = counter(report, "candidates", partitions, "partitions")
        step(0)
        present: list[list[Batch]] = _get([r[0] for r in reduced])
        step(partitions)
        # The band rows are consumed: the object store may let them go.
        self.outs = [o[:first] for o in self.outs]
        pieces: dict[Batch, list[Any]] = {}
        for p, batches in enumerate(present):
            if batches:
                split = ray.remote(split_batches).options(num_returns=len(batches))
                refs = split.remote(reduced[p][1], batches, block)
                for batch, ref in zip(batches, refs if len(batches) > 1 else [refs], strict=True):
                    pieces.setdefault(tuple(batch), []).append(ref)  # type: ignore[arg-type]
        del reduced  # the whole partitions: once split, the object store may let them go
        out: dict[str, list[Edges]] = {name: [] for name in names}
        # With the paragraph level, the articles of its verified pairs are document candidates
        # (as `finder._shared_work`): the document batches wait for the paragraphs' edges.
        later = "document" in names and "paragraph" in names
        first_batches = [k for k in pieces if not (later and k[0] == "document")]
        self._verify(first_batches, pieces, names, options, out, report, "verification")
        if later:
            shared = shared_articles(out["paragraph"])
            extra: dict[Batch, dict] = {}
            for key, kinds in group_pairs({("document", "shared"): shared}, self.starts).items():
                extra.setdefault(batch_of(key, block), {})[key] = kinds
            for batch, groups in extra.items():
                pieces.setdefault(batch, []).append(groups)
            articles = [k for k in pieces if k[0] == "document"]
            self._verify(articles, pieces, names, options, out, report, "article verification")
        return out

    def _verify(
        self,
        batches: list[Batch],
        pieces: dict[Batch, list[Any]],
        names: list[str],
        options: DupOptions,
        out: dict[str, list[Edges]],
        report: Report | None,
        stage: str,
    ) -> None:
        """`verify_batch` of each batch in `batches`; their edges added to `out`, in batch order."""
        ordered = sorted(batches, key=lambda k: (LEVELS.index(k[0]), k[1], k[2]))
        verify = ray.remote(verify_batch)
        futures = []
        for batch in ordered:
            name = batch[0]
            shards = batch_shards(batch, self.block, len(self.shards))
            first, articles = self.starts[name], self.starts["document"]
            starts = [(int(first[k]), int(articles[k])) for k in shards]
            payloads = [self._payload(name, names, k) for k in shards]
            futures.append(verify.remote(name, options, int(first[-1]), shards, starts, *payloads, *pieces[batch]))
        step = counter(report, stage, len(futures), "batches")
        step(0)
        for k, (batch, result) in enumerate(zip(ordered, _get(futures), strict=True)):
            out[batch[0]].append(result)
            step(k + 1)

    def _judge(self, name: str, names: list[str], options: DupOptions, pairs: list[tuple[int, int]]) -> dict:
        """`judge_pairs` of the pairs, by shard pair, on the workers."""
        arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        shard = np.searchsorted(self.starts[name], arr, side="right") - 1
        task = ray.remote(judge_pairs)
        futures, asked = [], []
        for sa, sb in sorted(set(map(tuple, shard.tolist()))):
            mine = arr[(shard[:, 0] == sa) & (shard[:, 1] == sb)]
            sides, refs = self._sides(name, names, sa, sb)
            futures.append(task.remote(name, options, sides, mine, *refs))
            asked.append(mine)
        return {
            (int(a), int(b)): s
            for mine, sims in zip(asked, _get(futures), strict=True)
            for (a, b), s in zip(mine.tolist(), sims, strict=True)
        }

    def _level_clusters(
        self, name: str, names: list[str], joined: Edges, count: int, options: DupOptions
    ) -> tuple[Table, int]:
        pairs = np.stack([joined.a, joined.b], axis=1)
        order = np.lexsort((pairs[:, 1], pairs[:, 0]))
        edges = pairs[order]
        known = PairValues(edges, joined.similarity[order], count)
        where, lengths = joined.places["item"], joined.places["length"]
        length = lambda j: int(lengths[np.searchsorted(where, j)])  # noqa: E731
        answers: dict[tuple[int, int], float | None] = {}
        missing: set[tuple[int, int]] = set()

        def accept(a: int, b: int) -> bool:
            p = (min(a, b), max(a, b))
            if known.get(a, b) is not None:
                return True
            if p in answers:
                return answers[p] is not None
            missing.add(p)
            return False  # for now: asked of the workers, then clustered again

        def similarity(a: int, b: int) -> float:
            found = known.get(a, b)
            return found if found is not None else answers[(min(a, b), max(a, b))]  # type: ignore[return-value]

        while True:
            missing.clear()
            table = cluster_table(name, edges, similarity, accept, options.keep, length)  # type: ignore[arg-type]
            if not missing:
                return table, len(edges)
            answers.update(self._judge(name, names, options, sorted(missing)))

    def _cluster(
        self,
        names: list[str],
        edges: dict[str, list[Edges]],
        summaries: list[ShardSummary],
        options: DupOptions,
        report: Report | None,
    ) -> tuple[dict[str, Any], list[Located]]:
        """The stats the local engine gives (in its order), and each level's clusters with where
        their members are."""
        stats: dict[str, Any] = {"documents": int(self.starts["document"][-1])}
        levels: list[Located] = []
        step = counter(report, "clusters", len(names), "levels")
        plural = {"title": "titles", "paragraph": "paragraphs", "document": "documents"}
        for done, name in enumerate(names):
            step(done)
            level = edges.pop(name)  # each level's batches let go once it is clustered
            candidates = sum(e.candidates for e in level)
            if name == "title" or name == "paragraph":
                stats.update({plural[name]: int(self.starts[name][-1]), f"{name}_candidates": candidates})
            else:
                if "paragraph" not in names:
                    stats["paragraphs"] = sum(s.evidence for s in summaries)
                stats["document_candidates"] = candidates
                if finds_noisy(options):
                    stats["noisy_documents"] = sum(s.noisy for s in summaries)
                    stats["noisy_candidates"] = sum(e.noisy for e in level)
            joined = join_edges(level)
            del level
            table, count = self._level_clusters(name, names, joined, int(self.starts[name][-1]), options)
            stats[f"{name}_pairs"] = count
            levels.append((table, *_where(joined.places, table.items)))
        step(len(names))
        return stats, levels

    def read_places(self, wanted: Wanted, read_options: ReadOptions, count: bool = False) -> Iterator[PlaceTexts]:
        """The texts of the places `wanted`, in input order, read by the workers that read their
        shards, a part of a shard at a time (Ray streaming generators): two tasks a CPU in
        flight, and each part let go once passed on, so the driver holds one part's texts and
        the object store a few shards', not the corpus's."""
        first = self.starts["document"]
        task = ray.remote(read_places)
        ahead = 2 * RaySession.cpus()
        queue: deque[tuple[int, Any]] = deque()
        for k in range(len(self.shards)):
            part = wanted.part(int(first[k]), int(first[k + 1]), int(first[k]))
            if len(part.articles):
                queue.append((k, task.remote(self.shards[k], self.outs[k][1], read_options, part, count)))
            if len(queue) >= ahead:
                yield from _answers(queue.popleft(), first)
        while queue:
            yield from _answers(queue.popleft(), first)


def _answers(job: tuple[int, Any], first: np.ndarray) -> Iterator[PlaceTexts]:
    """One `read_places` task's parts, numbered in the corpus."""
    k, parts = job
    for ref in parts:
        for place in _get(ref):
            yield replace(place, index=int(first[k]) + place.index)
