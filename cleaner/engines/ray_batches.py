"""The Ray engine's verification in batches of groups, one task a batch.

A group is one level's candidate pairs between two shards (`ray_pairs.group_pairs`). Shards
grow with the corpus, so their pairs grow with its square: at 1M articles 108 shards made
about 6,000 groups a level, each one task and, in every one of 14 partitions, one object in
the store; the driver held a quarter of a million object references (over 100 MB) and paid a
task's overhead 18,000 times. A batch is every group between two blocks of consecutive shards
(`batch_of`); the blocks are sized (`block_size`) so that each level has a few tasks per CPU,
however many shards there are. A batch's task maps the shards it needs from the run's working
directory and verifies its groups one by one, as `verify_pairs` verified each group before,
so the edges are the same; where the shards are in the object store instead (several
machines, no shared `--work-dir`) a task would fetch whole shards, so a batch is one group.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from cleaner.dedup.options import DupOptions
from cleaner.engines.ray_levels import load_level
from cleaner.engines.ray_pairs import Batch, batch_of
from cleaner.engines.ray_shards import Edges, Side, verify_pairs

# Batches a level per CPU: enough to keep every core busy to the end, few enough that a task's
# overhead does not show.
TASKS_PER_CPU = 8


def block_size(shards: int, cpus: int, mapped: bool) -> int:
    """Shards a block: blocks per side b give b(b+1)/2 batches a level, about TASKS_PER_CPU per CPU."""
    if not mapped:
        return 1
    per_side = math.ceil(math.sqrt(2 * TASKS_PER_CPU * max(1, cpus)))
    return max(1, -(-shards // per_side))


def batch_shards(batch: Batch, block: int, shards: int) -> list[int]:
    """The shards a batch's groups may have items in: its two blocks'."""
    _, x, y = batch
    return sorted({*range(x * block, min((x + 1) * block, shards)), *range(y * block, min((y + 1) * block, shards))})


def split_batches(grouped: dict, batches: list[Batch], block: int) -> tuple[dict, ...] | dict:
    """A partition's pairs as one object a batch (`batches`, in order), so that a batch's task
    fetches its own groups' pairs, not the partition's. One batch's is the dict itself: a task of
    one return value gives back what it returns whole (a 1-tuple would reach `verify_batch`)."""
    out: dict[Batch, dict] = {b: {} for b in batches}
    for key, kinds in grouped.items():
        out[batch_of(key, block)][key] = kinds
    parts = tuple(out[b] for b in batches)
    return parts if len(parts) > 1 else parts[0]


def verify_batch(
    name: str, options: DupOptions, n: int, shards: list[int], starts: list[tuple[int, int]], *values: object
) -> Edges:
    """Verify every group of a batch: `shards` the batch's shards, `starts` where each one's
    items and articles start, `values` their `LevelShard`s (or handles), then the pieces of
    every partition that has pairs for the batch. The groups' edges, joined."""
    levels, pieces = values[: len(shards)], values[len(shards) :]
    sides: dict[int, Side] = {}

    def side(k: int) -> Side:
        if k not in sides:
            at = shards.index(k)
            sides[k] = Side(load_level(levels[at]), *starts[at])
        return sides[k]

    keys = sorted({key for piece in pieces for key in piece})  # type: ignore[attr-defined]
    return join_edges([verify_pairs(name, options, n, key, side(key[1]), side(key[2]), pieces) for key in keys])


def join_edges(found: Sequence[Edges]) -> Edges:
    """Several groups' edges as one: pairs, similarities and counts together, each item's place once."""
    if not found:
        empty = np.zeros(0, np.int64)
        places = {k: empty for k in ("item", "article", "number", "length")}
        return Edges(empty, empty, np.zeros(0, np.float64), places, 0, 0)
    if len(found) == 1:
        return found[0]
    joined = {k: np.concatenate([e.places[k] for e in found]) for k in found[0].places}
    _, first = np.unique(joined["item"], return_index=True)
    return Edges(
        np.concatenate([e.a for e in found]),
        np.concatenate([e.b for e in found]),
        np.concatenate([e.similarity for e in found]),
        {k: v[first] for k, v in joined.items()},
        sum(e.candidates for e in found),
        sum(e.noisy for e in found),
    )


def shared_articles(found: Sequence[Edges]) -> np.ndarray:
    """The articles of each verified paragraph pair, as pairs of distinct articles."""
    pairs = []
    for e in found:
        where = e.places["item"]
        owner = e.places["article"]
        pairs.append(np.stack([owner[np.searchsorted(where, e.a)], owner[np.searchsorted(where, e.b)]], axis=1))
    shared = np.sort(np.concatenate(pairs), axis=1) if pairs else np.zeros((0, 2), np.int64)
    return shared[shared[:, 0] != shared[:, 1]]
