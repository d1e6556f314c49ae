"""What the Ray engine's workers do for `dups`, as plain functions of plain values (the driver,
`ray_dups`, runs them as Ray tasks; the tests also call them directly):

1. `sign_shard`: read one shard with cleaner's readers, sign it in blocks (`stages.sign_block`,
   numbered within the shard), and cut its band rows into partitions by a hash of their key.
   What verification needs of the shard (`LevelShard`: shingles, title keys, where each item
   is) goes to the run's working directory as arrays (`StoredLevel`; on a cluster of several
   machines without a shared `--work-dir`, it stays in the object store as the task's result);
   the driver gets a `ShardSummary`.
2. `reduce_partition`: the band rows of one partition from every shard, numbered globally
   (`ray_batches.split_batches` then cuts its pairs into one object a batch of groups):
   candidate pairs per level (`lsh.bucket_pairs`, and for titles the exact match keys, for
   articles the shared paragraphs and the character index's pairs with a noisy article), routed
   to the shard pair that holds their two items.
3. `verify_pairs`: one level's candidates of one shard pair, made distinct and verified
   (`verify.Level`, as the local engine verifies them): the accepted edges, with the places of
   their items, go to the driver (by batches of shard pairs: `ray_batches.verify_batch`).
4. `judge_pairs`: a cluster's representative checks of pairs that were no edge.
5. `read_places`: the texts of some places of a shard's articles, read again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from cleaner.dedup import robust
from cleaner.dedup.arrays import ranges, sorted_distinct
from cleaner.dedup.lsh import band_keys, band_rows
from cleaner.dedup.members import PlaceTexts, Wanted, place_texts
from cleaner.dedup.options import LEVELS, DupOptions
from cleaner.dedup.pairs import no_pairs, pairs_without, union_pairs
from cleaner.dedup.shingle import ShingleBatch, join_batches
from cleaner.dedup.stages import Block, Part, Signed, assemble, sign_block
from cleaner.dedup.verify import Level, RobustSets
from cleaner.engines.ray_levels import LevelShard, load_level, store_level
from cleaner.engines.ray_pairs import batch_of, group_pairs, reduce_rows
from cleaner.errors import OutputError, os_reason
from cleaner.io.readers import ReadOptions
from cleaner.io.shards import Shard, read_line, read_shard, scan_lines, seekable, unchanged
from cleaner.model import Document, Rejected

# Articles signed at once in a shard: the tokens of a block exist only while it is signed.
BLOCK = 1000
# Articles whose places' texts `read_places` sends in one part (a few MB of text).
PLACES_AT_ONCE = 500


@dataclass
class ShardSummary:
    read: int  # records, rejected ones included
    documents: int
    items: dict[str, int]  # per level
    evidence: int = 0  # paragraphs counted as the article level's evidence (no paragraph level)
    noisy: int = 0
    rejected: list[Rejected] = field(default_factory=list)  # all, or the first without skip_invalid
    records: int = 0  # a byte range's records and lines, for the numbering of the next one
    lines: int = 0


@dataclass
class Locations:
    """Where a seekable shard's articles are: its line starts (`scan_lines`), and each
    article's line and record, numbered within the shard."""

    starts: np.ndarray
    lines: np.ndarray
    records: np.ndarray


def _read(
    shard: Shard, read_options: ReadOptions, skip_invalid: bool
) -> tuple[list[Document], ShardSummary, Locations | None]:
    docs: list[Document] = []
    summary = ShardSummary(0, 0, {})
    for item in read_shard(shard, read_options):
        summary.read += 1
        if isinstance(item, Rejected):
            # Without --skip-invalid the first rejection stops the run: nothing after it counts.
            summary.rejected.append(item)
            if not skip_invalid:
                break
            continue
        docs.append(item)
    summary.documents = len(docs)
    if not seekable(shard.file):
        return docs, summary, None
    summary.records, starts = scan_lines(shard)
    summary.lines = len(starts) - 1
    lines = np.array([d.origin.line or 0 for d in docs], dtype=np.int64)
    return docs, summary, Locations(starts, lines, np.array([d.origin.record for d in docs], dtype=np.int64))


def key_hash(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def _block_rows(block: Block, first: dict[str, int], threshold: float, partitions: int) -> dict[str, dict]:
    """A signed block's rows to shuffle, items numbered within the shard (`first`: the block's
    first item of each level): word bands (`bands`), the character index's bands (`robust`),
    title match keys (`titles`) and paragraph evidence (`evidence`)."""
    out: dict[str, dict] = {}
    bands = []
    for name, part in block.levels():
        if part.sigs is not None and len(part.sigs):
            bands.append(band_rows(name, part.sigs, first[name], threshold, partitions))
    if bands:
        out["bands"] = {k: np.concatenate([r[k] for r in bands]) for k in bands[0]}
    if block.robust is not None and block.robust.sigs is not None and len(block.robust.sigs):
        keys = band_keys(block.robust.sigs, robust.LSH_THRESHOLD)
        n, b = keys.shape
        out["robust"] = {
            "key": keys.ravel(),
            "band": np.tile(np.arange(b, dtype=np.int64), n),
            "item": np.repeat(np.arange(block.first, block.first + n, dtype=np.int64), b),
            "noisy": np.repeat(block.noisy, b),
        }
    if block.titles:
        out["titles"] = {
            "key": np.array([key_hash(k) for _, k in block.titles], dtype=np.uint64),
            "item": np.arange(first["title"], first["title"] + len(block.titles), dtype=np.int64),
            "text": np.array([k for _, k in block.titles], dtype=object),
        }
    if block.evidence:
        evidence = np.array(block.evidence, dtype=np.uint64).reshape(-1, 2)
        out["evidence"] = {"key": evidence[:, 0], "owner": evidence[:, 1].astype(np.int64)}
    return out


def _cut(rows: dict[str, dict], partitions: int) -> list[dict[str, dict]]:
    """Rows -> `partitions` parts, each row to the part its key's hash names."""
    parts: list[dict[str, dict]] = [{} for _ in range(partitions)]
    for kind, table in rows.items():
        part = (table["key"] % np.uint64(partitions)).astype(np.int64)
        table = {k: v for k, v in table.items() if k != "part"}
        for p in range(partitions):
            mine = np.flatnonzero(part == p)
            parts[p][kind] = {k: v[mine] for k, v in table.items()}
    return parts


def _join_rows(tables: Sequence[dict[str, dict]]) -> dict[str, dict]:
    kinds = sorted({kind for t in tables for kind in t})
    return {
        kind: {
            k: np.concatenate([t[kind][k] for t in tables if kind in t])
            for k in next(t[kind] for t in tables if kind in t)
        }
        for kind in kinds
    }


def _level_shards(signed: Signed, docs: Sequence[Document], options: DupOptions) -> list[LevelShard]:
    out: list[LevelShard] = []
    for name, part in signed.levels():
        if name == "title":
            owner = signed.title_owners()
            length = np.array([len(docs[i].title or "") for i in owner.tolist()], dtype=np.int64)
            out.append(LevelShard(part.batch, owner, length, keys=list(signed.title_keys()), sketch=_rows(part)))
        elif name == "paragraph":
            places = np.array(signed.paragraphs, dtype=np.int64).reshape(-1, 4)
            lengths = places[:, 3] - places[:, 2]
            out.append(LevelShard(part.batch, places[:, 0], lengths, number=places[:, 1], sketch=_rows(part)))
        else:
            length = np.fromiter((len(d.text) for d in docs), dtype=np.int64, count=len(docs))
            shard = LevelShard(part.batch, np.arange(len(docs), dtype=np.int64), length)
            if signed.robust is not None:
                shard.robust, shard.noisy, shard.noise = signed.robust.batch, signed.noisy, signed.noise
            out.append(shard)
    return out


def _rows(part: Part) -> np.ndarray | None:
    return part.sketch if isinstance(part.sketch, np.ndarray) else None


def sign_shard(
    shard: Shard,
    index: int,
    read_options: ReadOptions,
    options: DupOptions,
    skip_invalid: bool,
    partitions: int,
    work_dir: str | None = None,
) -> tuple[object, ...]:
    """(summary, `Locations` or None, one `LevelShard` per level asked for, `partitions` parts
    of band rows); the shard is the `index`-th of the corpus. With `work_dir`, the levels'
    arrays go there and their results are `StoredLevel` handles."""
    docs, summary, locations = _read(shard, read_options, skip_invalid)
    first = {name: 0 for name in LEVELS}
    blocks: list[Block] = []
    rows: list[dict[str, dict]] = []
    for start in range(0, len(docs), BLOCK):
        chunk = docs[start : start + BLOCK]
        block = sign_block(start, [d.title for d in chunk], [d.text for d in chunk], options)
        first["document"] = start
        rows.append(_block_rows(block, first, options.lsh_threshold, partitions))
        for name, part in block.levels():
            first[name] += len(part.batch)
        summary.evidence += len(block.evidence)
        blocks.append(block.without_signatures())
        if block.robust is not None:
            block.robust.sigs = None
    signed = assemble(blocks, len(docs), options)
    summary.items = {name: len(part.batch) for name, part in signed.levels()}
    summary.noisy = int(signed.noisy.sum()) if signed.noisy is not None else 0
    joined = _join_rows(rows)
    for table in joined.values():
        table["shard"] = np.full(len(table["key"]), index, dtype=np.int64)
    parts = _cut(joined, partitions)
    levels: list[object] = list(_level_shards(signed, docs, options))
    if work_dir is not None:
        names = [name for name, _ in signed.levels()]
        try:
            levels = [
                store_level(lv, f"{work_dir}/{index}-{n}")  # type: ignore[arg-type]
                for lv, n in zip(levels, names, strict=True)
            ]
        except OSError as e:
            raise OutputError(f"--work-dir {work_dir}: cannot write the shard's arrays: {os_reason(e)}") from None
    return (summary, locations, *levels, *parts)


def reduce_partition(
    starts: dict[str, np.ndarray], options: DupOptions, block: int, *parts: dict[str, dict]
) -> tuple[object, ...]:
    """(the batches this partition has pairs for, the pairs by group): see `ray_pairs`, and
    `ray_batches` for the batches of groups (`block` shards a side)."""
    grouped = group_pairs(reduce_rows(_join_rows([p for p in parts if p]), starts, options), starts)
    return sorted({batch_of(key, block) for key in grouped}), grouped


@dataclass
class Side:
    """Where a shard's items and articles start in the corpus's numbering."""

    shard: LevelShard
    item: int
    article: int


def _subset(batch: ShingleBatch, idx: np.ndarray) -> ShingleBatch:
    """The texts `idx` of a batch, in that order, as a batch of their own."""
    starts, sizes = batch.offsets[idx], batch.offsets[idx + 1] - batch.offsets[idx]
    return ShingleBatch(batch.hashes[ranges(starts, sizes)], np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64))


def _prepared(name: str, options: DupOptions, a: Side, b: Side, pairs: np.ndarray) -> tuple[Level, list]:
    """The level of just the items of `pairs` (global items, the first in a's shard, the second
    in b's), and the pairs numbered as its items: the work follows the pairs, not the shards."""
    items = sorted_distinct(pairs.ravel())
    sides = [(a, items)] if a is b else [(a, items[items < b.item]), (b, items[items >= b.item])]
    local = [(side.shard, mine - side.item) for side, mine in sides]
    batch = join_batches([_subset(shard.batch, idx) for shard, idx in local])
    keys = None if a.shard.keys is None else [shard.keys[i] for shard, idx in local for i in idx.tolist()]  # type: ignore[index]
    sets = None
    if a.shard.robust is not None and a.shard.noisy is not None and a.shard.noise is not None:
        samples = join_batches([_subset(shard.robust, idx) for shard, idx in local])  # type: ignore[arg-type]
        noisy = np.concatenate([shard.noisy[idx] for shard, idx in local])  # type: ignore[index]
        noise = np.concatenate([shard.noise[idx] for shard, idx in local])  # type: ignore[index]
        sets = RobustSets(samples, noisy, noise, options.threshold, options.containment)
    sketch = None
    if a.shard.sketch is not None:
        sketch = np.concatenate([shard.sketch[idx] for shard, idx in local])  # type: ignore[index]
    o = options
    level = Level(name, batch, None, o.threshold, o.containment, o.verify, keys, sets, sketch=sketch)
    at = np.searchsorted(items, pairs)
    return level, list(zip(at[:, 0].tolist(), at[:, 1].tolist(), strict=True))


def _places(items: np.ndarray, a: Side, b: Side) -> dict[str, np.ndarray]:
    """Each global item's article, paragraph number (-1: none) and text length."""
    out = {"item": items, "article": np.zeros(len(items), np.int64), "number": np.full(len(items), -1, np.int64)}
    out["length"] = np.zeros(len(items), np.int64)
    for side in (a,) if a is b else (a, b):
        mine = (items >= side.item) & (items < side.item + len(side.shard.batch))
        local = items[mine] - side.item
        out["article"][mine] = side.shard.owner[local] + side.article
        out["length"][mine] = side.shard.length[local]
        if side.shard.number is not None:
            out["number"][mine] = side.shard.number[local]
    return out


@dataclass
class Edges:
    """One group's verified pairs (global items, sorted) with their similarities, the places of
    their items (`_places`), and the group's distinct candidates (and, for articles, those of
    the character index)."""

    a: np.ndarray
    b: np.ndarray
    similarity: np.ndarray
    places: dict[str, np.ndarray]
    candidates: int
    noisy: int = 0


def _distinct(kind: str, key: tuple[str, int, int], grouped: Sequence[dict], n: int) -> np.ndarray:
    found = [g[key][kind] for g in grouped if key in g and kind in g[key]]
    return union_pairs(n, *found) if found else no_pairs()


def verify_pairs(name: str, options: DupOptions, n: int, key: tuple[str, int, int], a: Side, b: Side, grouped) -> Edges:
    """Verify a group's candidates: the group `key` (level, shard of the first item, of the
    second) between the sides `a` and `b` (one object when the group is within a shard), its
    pairs those under `key` in the pieces `grouped` of every partition that has some
    (`reduce_partition`)."""
    lsh = _distinct("lsh", key, grouped, n)
    given, noisy = no_pairs(), 0
    if name == "title":
        given = _distinct("exact", key, grouped, n)
        candidates = len(union_pairs(n, lsh, given))
        lsh = pairs_without(n, lsh, given)
    elif name == "document":
        shared = _distinct("shared", key, grouped, n)
        found = _distinct("robust", key, grouped, n)
        lsh, noisy = union_pairs(n, lsh, shared, found), len(found)
        candidates = len(lsh)
    else:
        candidates = len(lsh)
    level, local = _prepared(name, options, a, b, lsh)
    judged = level.judge(local)
    ok = np.array([s is not None for s in judged], dtype=bool)
    pairs = union_pairs(n, given, lsh[ok]) if len(given) else lsh[ok]
    sims = {
        (int(x), int(y)): s for (x, y), s in zip(lsh[ok].tolist(), (s for s in judged if s is not None), strict=True)
    }
    similarity = np.array([sims.get((int(x), int(y)), 1.0) for x, y in pairs.tolist()], dtype=np.float64)
    places = _places(np.unique(pairs.ravel()), a, b)
    return Edges(pairs[:, 0], pairs[:, 1], similarity, places, candidates, noisy)


def _sides(sides: tuple[int, ...], values: Sequence[object]) -> tuple[Side, Side, Sequence[object]]:
    a = Side(load_level(values[0]), sides[0], sides[1])
    if len(sides) == 2:
        return a, a, values[1:]
    return a, Side(load_level(values[1]), sides[2], sides[3]), values[2:]


def judge_pairs(name: str, options: DupOptions, sides: tuple[int, ...], pairs: np.ndarray, *shards: object) -> list:
    """For each pair (global items of the sides' shards): its similarity where `Level.accept`
    takes it, else None; what clustering asks of a representative and a member that were no
    verified edge."""
    a, b, _ = _sides(sides, shards)
    level, local = _prepared(name, options, a, b, pairs)
    out: list[float | None] = []
    for x, y in local:
        out.append(level.similarity(x, y) if level.accept(x, y) else None)
    return out


def read_places(
    shard: Shard, locations: Locations | None, read_options: ReadOptions, wanted: Wanted, count: bool = False
) -> Iterator[list[PlaceTexts]]:
    """The texts of the places `wanted` (numbered within the shard) of the shard's articles, read
    again, `PLACES_AT_ONCE` articles at a time: each article from its own line where the shard is
    seekable, else by reading the shard up to the last one. Only the places' texts go back, not
    whole documents (at a million articles most of them have a paragraph in some cluster), and
    in parts, so that the driver holds one part at a time, not a shard's answer."""
    part: list[PlaceTexts] = []
    for j, (k, doc) in enumerate(_documents_at(shard, locations, read_options, wanted.articles.tolist())):
        part.append(place_texts(k, doc, wanted.codes_of(j), count))
        if len(part) == PLACES_AT_ONCE:
            yield part
            part = []
    if part:
        yield part


def _documents_at(
    shard: Shard, locations: Locations | None, read_options: ReadOptions, wanted: list[int]
) -> Iterator[tuple[int, Document]]:
    if locations is not None:
        # Read by their lines, not through `read_shard`: a file changed since it was signed
        # would give other records at those lines, so it is an error, as there.
        unchanged(shard)
        for k in wanted:
            line = int(locations.lines[k])  # within the shard, 1-based
            start, end = int(locations.starts[line - 1]), int(locations.starts[line])
            record, at = int(locations.records[k]) + shard.span.record, line + shard.span.line
            doc = read_line(shard.file, read_options, start, end, record, at)
            if not isinstance(doc, Document):
                raise RuntimeError(f"{shard.path}: record {record} was not read again as it was first")
            yield k, doc
        unchanged(shard)  # (nor while they were read)
        return
    want, k = set(wanted), 0
    last = max(want, default=-1)
    for item in read_shard(shard, read_options):
        if k > last:
            break
        if isinstance(item, Document):
            if k in want:
                yield k, item
            k += 1
