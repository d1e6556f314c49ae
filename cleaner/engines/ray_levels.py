"""One level of one shard as the Ray engine's workers keep it between signing and verification
(`LevelShard`), and the handle that stands for it in the object store when its arrays are in
the run's working directory (`StoredLevel`: `store_level` writes them, `load_level` maps them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cleaner.dedup.shingle import ShingleBatch
from cleaner.errors import OutputError, os_reason


@dataclass
class LevelShard:
    """One level of one shard, numbered within the shard: the items' shingles, each item's
    article (`owner`), paragraph number and text length, the titles' match keys, and for
    articles the character index's samples and noise."""

    batch: ShingleBatch
    owner: np.ndarray
    length: np.ndarray
    number: np.ndarray | None = None
    keys: list[str] | None = None
    robust: ShingleBatch | None = None
    noisy: np.ndarray | None = None
    noise: np.ndarray | None = None
    sketch: np.ndarray | None = None  # titles and paragraphs: `sketch.sketch_of` their signatures


@dataclass(frozen=True)
class StoredLevel:
    """A `LevelShard` whose arrays a worker wrote to the run's working directory (`path`, one
    `.npy` file an array), and what it holds besides them: the task's result in the object
    store is this handle of a few hundred bytes. Verification maps the files and reads the pages
    of the items it verifies only, where a `LevelShard` in the object store (every shingle of
    the shard) was fetched whole by each of the shard's groups: at 1M articles the shards'
    30 KB an article overflowed the store, and every group restored two shards from its spill."""

    path: str
    arrays: tuple[str, ...]  # the `LevelShard` fields (`batch.hashes` ...) stored, by file name
    keys: list[str] | None = None


def _field_arrays(shard: LevelShard) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {"batch.hashes": shard.batch.hashes, "batch.offsets": shard.batch.offsets}
    out.update(owner=shard.owner, length=shard.length)
    for name in ("number", "noisy", "noise", "sketch"):
        if getattr(shard, name) is not None:
            out[name] = getattr(shard, name)
    if shard.robust is not None:
        out.update({"robust.hashes": shard.robust.hashes, "robust.offsets": shard.robust.offsets})
    return out


def store_level(shard: LevelShard, prefix: str) -> StoredLevel:
    """Write `shard`'s arrays beside `prefix` (`<workdir>/<shard>-<level>`) and return the handle."""
    arrays = _field_arrays(shard)
    for name, values in arrays.items():
        np.save(f"{prefix}.{name}.npy", np.ascontiguousarray(values), allow_pickle=False)
    return StoredLevel(prefix, tuple(arrays), shard.keys)


def load_level(value: object) -> LevelShard:
    """A `LevelShard` from a task's result: itself, or a `StoredLevel`'s arrays memory-mapped."""
    if not isinstance(value, StoredLevel):
        return value  # type: ignore[return-value]
    try:
        a = {name: np.load(f"{value.path}.{name}.npy", mmap_mode="r") for name in value.arrays}
    except OSError as e:
        raise OutputError(
            f"{value.path}: the Ray engine's working directory cannot be read on this node ({os_reason(e)}):"
            " on a cluster of several machines, --work-dir must be storage that every node shares"
        ) from None
    robust = ShingleBatch(a["robust.hashes"], a["robust.offsets"]) if "robust.hashes" in a else None
    return LevelShard(
        ShingleBatch(a["batch.hashes"], a["batch.offsets"]),
        a["owner"],
        a["length"],
        a.get("number"),
        value.keys,
        robust,
        a.get("noisy"),
        a.get("noise"),
        a.get("sketch"),
    )
