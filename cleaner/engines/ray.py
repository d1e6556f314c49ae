"""The Ray engine: the Ray session, the normalizer's chunks as Ray tasks, and the duplicate
finder's stages over documents the driver holds (`RayEngine`: what `--no-verify` runs; `dups`
otherwise runs as a sharded job whose workers read the input, `ray_dups`). The functions are
those of the local engine (`cleaner.dedup.stages`, `pipeline._clean_chunk`); only where they run
differs, so the results are the same.

The finder's job:
1. Ray Data `map_batches(sign_block)`, a block of 1,000 articles a batch: texts go to the workers;
   shingle hashes come back to the driver, signatures stay in the object store.
2. a hash-partitioned shuffle in Ray tasks: each signed block's LSH band rows (`band_rows`) cut
   into 2 x CPUs parts by a hash of the band key, part p of every block to the p-th
   `bucket_pairs`, so equal band keys meet; candidate pairs come back to the driver.
3. verification of the candidate pairs in Ray tasks, each given the level's shingles through the
   object store.
4. clusters (connected components, representatives) on the driver.

Imported only for `--engine ray`: Ray is an optional extra.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import ray
import ray.data

from cleaner.dedup.lsh import band_rows, bucket_pairs
from cleaner.dedup.options import LEVEL_CODES, DupOptions
from cleaner.dedup.pairs import no_pairs, pair_list, union_pairs
from cleaner.dedup.stages import Block, Signed, assemble, sign_block
from cleaner.dedup.verify import Level
from cleaner.engines import reachable
from cleaner.errors import ConfigError
from cleaner.model import Document
from cleaner.progress import Report, counter

# Candidate pairs verified per task: enough work to outweigh a task's ~1 ms of overhead, small
# enough that both cores of a small cluster get several tasks.
VERIFY_CHUNK = 20_000
# Articles per signing task: half the local engine's block, so that the tasks of a corpus of a
# few thousand articles spread over a cluster's cores (the result does not depend on it).
BLOCK = 1000


class RaySession:
    """Connects to `address` (`auto`, `ray://host:port`, a GCS address) or, without one, starts a
    local Ray instance on this machine's cores; uses an already initialised Ray as it is. Only an
    instance started here is shut down on leaving."""

    def __init__(self, address: str | None = None) -> None:
        self.address = address
        self.started = False
        self._printer: Any = None

    def __enter__(self) -> RaySession:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        if not ray.is_initialized():
            import cleaner

            # On a remote cluster the workers get this very code (not whatever version the nodes
            # have installed); its dependencies must be installed there (`pip install cleaner[ray]`).
            runtime_env = {"py_modules": [os.path.dirname(cleaner.__file__)]} if self.address else None
            where = f"the Ray cluster at {self.address}" if self.address else "a local Ray instance"
            reachable(self.address)  # before ray.init, which retries an unreachable GCS for minutes
            try:
                ray.init(
                    address=self.address,
                    include_dashboard=False,
                    log_to_driver=False,
                    logging_level=logging.WARNING,
                    runtime_env=runtime_env,
                )
            except (ConnectionError, RuntimeError, ValueError) as e:
                reason = " ".join(str(e).split())[:300]
                raise ConfigError(f"--engine ray: cannot start or reach {where}: {reason}") from None
            except BaseException:
                ray.shutdown()  # interrupted while starting: leave no Ray processes behind
                raise
            self.started = True
        self._printer = _messages_to_stderr()
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        ctx.print_on_execution_start = False
        return self

    def __exit__(self, *exc: object) -> None:
        _restore_printer(self._printer)
        if self.started:
            ray.shutdown()
            self.started = False

    @staticmethod
    def cpus() -> int:
        return max(1, int(ray.cluster_resources().get("CPU", 1)))


def _messages_to_stderr() -> Any:
    """Ray's driver prints the cluster's messages (a task retried after a worker was killed for
    memory, an autoscaler event) to stdout, where `--format json` and `--diff` write: 20 such lines
    opened a 1M-article JSON report. While a session is open they go to stderr. (Ray offers no
    setting for it: `log_to_driver=False` silences the workers' output, not these.) Returns what
    to put back, or None when there is nothing to change."""
    from ray._private import worker

    original = getattr(worker, "print_to_stdstream", None)
    if original is None or getattr(original, "to_stderr", False):
        return None

    def to_stderr(data: dict, ignore_prefix: bool) -> None:  # type: ignore[type-arg]
        original({**data, "is_err": True}, ignore_prefix)

    to_stderr.to_stderr = True  # type: ignore[attr-defined]
    worker.print_to_stdstream = to_stderr
    return original


def _restore_printer(original: Any) -> None:
    if original is not None:
        from ray._private import worker

        worker.print_to_stdstream = original


def _encode(text: str | None) -> bytes | None:
    return None if text is None else text.encode("utf-8", "surrogatepass")


def _decode(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", "surrogatepass")


def _sign_batch(batch: pa.Table, options: DupOptions) -> dict[str, np.ndarray]:
    """One Ray Data batch of articles -> one row per contiguous run of articles: its signed
    `Block` without the signatures, and the signatures apart (pickled: arrays of different
    lengths), so that the driver can leave them on the cluster."""
    index = batch.column("index").to_numpy()
    titles = [_decode(t) for t in batch.column("title").to_pylist()]
    texts = [_decode(t) or "" for t in batch.column("text").to_pylist()]
    cuts = [0, *(np.flatnonzero(np.diff(index) != 1) + 1).tolist(), len(index)]
    runs = [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]
    blocks = [sign_block(int(index[a]), titles[a:b], texts[a:b], options) for a, b in runs]
    return {
        "first": np.array([b.first for b in blocks], dtype=np.int64),
        "block": np.array([pickle.dumps(b.without_signatures(), protocol=5) for b in blocks], dtype=object),
        "sigs": np.array(
            [pickle.dumps({name: p.sigs for name, p in b.levels()}, protocol=5) for b in blocks], dtype=object
        ),
    }


def _split_bands(
    batch: dict[str, np.ndarray], offsets: dict[int, tuple[int, int]], threshold: float, partitions: int
) -> tuple[dict[str, np.ndarray], ...]:
    """Signed blocks -> their band rows, items numbered as in the assembled corpus (`offsets`:
    a block's first title and first paragraph number), cut into `partitions` parts."""
    rows: list[dict[str, np.ndarray]] = []
    for first, payload in zip(batch["first"], batch["sigs"], strict=False):
        t_first, p_first = offsets[int(first)]
        starts = {"title": t_first, "paragraph": p_first, "document": int(first)}
        for level, sigs in pickle.loads(payload).items():
            start = starts[level]
            if sigs is not None and len(sigs):
                rows.append(band_rows(level, sigs, start, threshold, partitions))
    if not rows:
        return tuple({} for _ in range(partitions)) if partitions > 1 else {}  # type: ignore[return-value]
    table = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
    part = table.pop("part")
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(partitions + 1))
    cut = tuple({k: v[order[bounds[p] : bounds[p + 1]]] for k, v in table.items()} for p in range(partitions))
    return cut if partitions > 1 else cut[0]  # type: ignore[return-value]


def _reduce_bands(*parts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    parts = tuple(p for p in parts if p)
    if not parts:
        return bucket_pairs({"item": np.zeros(0, dtype=np.int64)})
    return bucket_pairs({k: np.concatenate([p[k] for p in parts]) for k in parts[0]})


def _verify_chunk(level: Level, pairs: np.ndarray) -> np.ndarray:
    return np.array(level.accepts([(int(a), int(b)) for a, b in pairs]), dtype=bool)


class RayEngine:
    """The duplicate finder's engine on a Ray cluster (use inside a `RaySession`)."""

    def __init__(self) -> None:
        self._signed: ray.data.Dataset | None = None
        self._offsets: dict[int, tuple[int, int]] = {}

    def sign(self, docs: Sequence[Document], options: DupOptions) -> Signed:
        tables = [
            pa.table(
                {
                    "index": pa.array(range(s, min(s + BLOCK, len(docs))), type=pa.int64()),
                    # As UTF-8 bytes with lone surrogates kept (`\ud800` escapes in scraped JSON):
                    # an Arrow string column would refuse them, the local engine does not.
                    "title": pa.array([_encode(d.title) for d in docs[s : s + BLOCK]], type=pa.large_binary()),
                    "text": pa.array([_encode(d.text) for d in docs[s : s + BLOCK]], type=pa.large_binary()),
                }
            )
            for s in range(0, len(docs), BLOCK)
        ]
        if not tables:
            self._signed = None
            return assemble([], 0, options)
        ds = ray.data.from_arrow(tables).map_batches(
            _sign_batch, batch_size=None, batch_format="pyarrow", fn_kwargs={"options": options}
        )
        self._signed = ds.materialize()
        # The signatures (over half of what signing returns) stay on the cluster for the LSH
        # stage; the driver fetches them only for `--no-verify`, which compares them.
        columns = ["block"] if options.verify else ["block", "sigs"]
        blocks: list[Block] = []
        for batch in self._signed.select_columns(columns).iter_batches(batch_format="numpy", batch_size=None):
            for k, payload in enumerate(batch["block"]):
                block = pickle.loads(payload)
                if not options.verify:
                    for name, sigs in pickle.loads(batch["sigs"][k]).items():
                        block.parts[name].sigs = sigs
                blocks.append(block)
        blocks.sort(key=lambda b: b.first)
        self._offsets, t, p = {}, 0, 0
        for b in blocks:
            self._offsets[b.first] = (t, p)
            t, p = t + len(b.titles), p + len(b.paragraphs)
        return assemble(blocks, len(docs), options)

    def candidates(self, signed: Signed, options: DupOptions) -> dict[str, np.ndarray]:
        """A hash-partitioned shuffle in Ray tasks: each signed block's band rows are cut into
        `partitions` parts by a hash of the band key, and part p of every block goes to the p-th
        `bucket_pairs`. (Ray Data's `groupby(...).map_groups` does the same in 3x the time.)"""
        sizes = {name: len(part.batch) for name, part in signed.levels()}
        found: dict[str, list[np.ndarray]] = {name: [] for name in sizes}
        if self._signed is None or not sizes:
            return {name: no_pairs() for name in sizes}
        partitions = 2 * RaySession.cpus()
        split = ray.remote(_split_bands).options(num_returns=partitions)
        reduce = ray.remote(_reduce_bands)
        parts = [
            split.remote(ref, self._offsets, options.lsh_threshold, partitions)
            for ref in self._signed.select_columns(["first", "sigs"]).to_numpy_refs()
        ]
        if partitions == 1:
            parts = [[p] for p in parts]
        names = {code: name for name, code in LEVEL_CODES.items()}
        for part in ray.get([reduce.remote(*[blocks[p] for blocks in parts]) for p in range(partitions)]):
            for code, name in names.items():
                mine = part["level"] == code
                if name in found and mine.any():
                    found[name].append(np.stack([part["a"][mine], part["b"][mine]], axis=1))
        return {name: union_pairs(sizes[name], *found[name]) for name in sizes}

    def close(self) -> None:
        """Nothing to release: the Ray session is the caller's."""

    def verify(
        self, work: Sequence[tuple[Level, np.ndarray]], report: Report | None = None, stage: str = "verification"
    ) -> Iterator[list[tuple[int, int]]]:
        step = counter(report, stage, sum(len(pairs) for _, pairs in work), "pairs")
        done = 0
        step(done)
        # All levels' tasks are submitted before any result is awaited (see `Engine.verify`).
        task = ray.remote(_verify_chunk)
        futures = []
        for level, pairs in work:
            chunk = max(1_000, min(VERIFY_CHUNK, -(-len(pairs) // (4 * RaySession.cpus()))))
            ref = ray.put(level) if len(pairs) else None
            futures.append([task.remote(ref, pairs[s : s + chunk]) for s in range(0, len(pairs), chunk)])
        for (_, pairs), parts in zip(work, futures, strict=False):
            ok = np.concatenate(ray.get(parts)) if parts else np.zeros(0, dtype=bool)
            done += len(pairs)
            step(done)
            yield pair_list(pairs[ok])


class RayPool:
    """The normalizer's chunks as Ray tasks, with the part of `ProcessPoolExecutor`'s interface
    that `engines.pool.OrderedPool` uses; `workers` is the cluster's CPUs."""

    def __init__(self, session: RaySession) -> None:
        self.session = session.__enter__()
        self.workers = RaySession.cpus()
        self._remote: dict[Any, Any] = {}

    def put(self, value: Any) -> Any:
        return ray.put(value)

    def submit(self, fn: Any, *args: Any) -> _RayFuture:
        if fn not in self._remote:
            self._remote[fn] = ray.remote(fn)
        return _RayFuture(self._remote[fn].remote(*args))

    def shutdown(self, cancel_futures: bool = False) -> None:
        self.session.__exit__(None, None, None)


class _RayFuture:
    def __init__(self, ref: Any) -> None:
        self.ref = ref

    def result(self) -> Any:
        return ray.get(self.ref)
