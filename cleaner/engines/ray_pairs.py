"""The Ray engine's candidate pairs from shuffled rows (`ray_shards.reduce_partition`): every
row of one key is in one partition, so the pairs made here are those the local engine makes
from the whole corpus, and the pairs of all partitions together are its candidates.

Rows come numbered within their shard (`shard` column) and are numbered here as in the corpus
(`starts`: per level, where each shard's items start; `document`: its articles). The pairs
then go to the group of the shard pair that holds their two items (`group_pairs`), where they
are made distinct and verified: a pair found in two partitions (two bands of one pair of items
keyed to different partitions) lands in one group, so the groups' distinct counts add up to
the corpus's.
"""

from __future__ import annotations

import numpy as np

from cleaner.dedup.lsh import Buckets, bucket_pairs, buckets, shared_key_pairs
from cleaner.dedup.options import LEVEL_CODES, LEVELS, DupOptions
from cleaner.dedup.pairs import no_pairs

Found = dict[tuple[str, str], np.ndarray]  # (level, kind) -> pairs of global items, k x 2


def _numbered(rows: dict[str, dict], starts: dict[str, np.ndarray]) -> None:
    """Shard numbers -> corpus numbers, in place."""
    first = starts["document"]
    if "bands" in rows:
        t = rows["bands"]
        by_level = np.stack([starts.get(name, first) for name in LEVELS])
        t["item"] = t["item"] + by_level[t["level"].astype(np.int64), t["shard"]]
    if "robust" in rows:
        rows["robust"]["item"] = rows["robust"]["item"] + first[rows["robust"]["shard"]]
    if "titles" in rows:
        rows["titles"]["item"] = rows["titles"]["item"] + starts["title"][rows["titles"]["shard"]]
    if "evidence" in rows:
        rows["evidence"]["owner"] = rows["evidence"]["owner"] + first[rows["evidence"]["shard"]]


def _pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.stack([a, b], axis=1) if len(a) else no_pairs()


def _band_pairs(t: dict[str, np.ndarray], found: Found) -> None:
    """Word levels: items sharing a band's values. (The articles of verified paragraph pairs,
    document candidates too, are paired by the driver once the paragraphs are verified.)"""
    pairs = bucket_pairs(t)
    for name, code in LEVEL_CODES.items():
        mine = pairs["level"] == code
        if mine.any():
            found[(name, "lsh")] = _pairs(pairs["a"][mine], pairs["b"][mine])


def _title_pairs(t: dict[str, np.ndarray], found: Found) -> None:
    """Titles of one match key: each paired with the next one of its key (`Signed.exact_title_pairs`);
    the key itself decides, its hash only chose the partition."""
    by_key: dict[str, list[int]] = {}
    order = np.argsort(t["item"], kind="stable")
    for text, item in zip(t["text"][order].tolist(), t["item"][order].tolist(), strict=True):
        by_key.setdefault(text, []).append(item)
    pairs = sorted((g[k], g[k + 1]) for g in by_key.values() for k in range(len(g) - 1))
    found[("title", "exact")] = np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _evidence_pairs(t: dict[str, np.ndarray], found: Found) -> None:
    """Without the paragraph level: articles sharing a paragraph's words (`spill._evidence_pairs`)."""
    keys, owners = t["key"], t["owner"]
    if len(keys) < 2:
        return
    found[("document", "shared")] = _pairs(*shared_key_pairs(keys, owners))


def _robust_pairs(t: dict[str, np.ndarray], found: Found) -> None:
    """The character index: items sharing a band key, paired only where one is noisy
    (`robust.noisy_codes`, one band at a time there: the band is part of the bucket here)."""
    order = np.argsort(t["item"], kind="stable")
    keys, bands, items, noisy = t["key"][order], t["band"][order], t["item"][order], t["noisy"][order]
    if len(keys) < 2 or not noisy.any():
        return
    got = buckets(keys, bands[:, None])
    members = np.concatenate([[0], np.cumsum(noisy[got.members], dtype=np.int64)])
    some = members[got.starts + got.sizes] > members[got.starts]
    a, b = Buckets(got.members, got.starts[some], got.sizes[some]).pairs()
    keep = noisy[a] | noisy[b] if len(a) else np.zeros(0, dtype=bool)
    found[("document", "robust")] = _pairs(items[a[keep]], items[b[keep]])


def reduce_rows(rows: dict[str, dict], starts: dict[str, np.ndarray], options: DupOptions) -> Found:
    """One partition's rows (all shards') -> its candidate pairs by level and kind."""
    _numbered(rows, starts)
    found: Found = {}
    if "bands" in rows:
        _band_pairs(rows["bands"], found)
    if "titles" in rows:
        _title_pairs(rows["titles"], found)
    if "evidence" in rows:
        _evidence_pairs(rows["evidence"], found)
    if "robust" in rows:
        _robust_pairs(rows["robust"], found)
    return found


def group_pairs(found: Found, starts: dict[str, np.ndarray]) -> dict[tuple[str, int, int], dict[str, np.ndarray]]:
    """Pairs -> the group (level, shard of the first item, shard of the second) they belong to."""
    out: dict[tuple[str, int, int], dict[str, np.ndarray]] = {}
    for (name, kind), pairs in found.items():
        if not len(pairs):
            continue
        shard = np.searchsorted(starts[name], pairs, side="right") - 1
        code = shard[:, 0] * len(starts[name]) + shard[:, 1]
        order = np.argsort(code, kind="stable")
        code, pairs, shard = code[order], pairs[order], shard[order]
        cuts = np.flatnonzero(np.concatenate([[True], code[1:] != code[:-1]]))
        for lo, hi in zip(cuts.tolist(), [*cuts[1:].tolist(), len(code)], strict=True):
            key = (name, int(shard[lo, 0]), int(shard[lo, 1]))
            out.setdefault(key, {})[kind] = pairs[lo:hi]
    return out


Batch = tuple[str, int, int]  # (level, block of the first item's shard, block of the second's)


def batch_of(key: tuple[str, int, int], block: int) -> Batch:
    """The batch of groups a group (level, shard, shard) is verified in: the pair of blocks of
    `block` consecutive shards that holds its two shards (`ray_batches`)."""
    name, sa, sb = key
    return (name, sa // block, sb // block)
