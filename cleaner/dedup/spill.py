"""The signed corpus on disk: what each signed block leaves in the working directory
(`spill_block`), the corpus read back as a `Signed` whose shingles stay on disk (`spilled`),
and its candidate pairs, one band column in memory at a time (`spilled_candidates`).

Per level L the working directory holds `L.sizes` (shingles per item) and `L.hashes` (the
items' shingle hashes, concatenated), one file of band keys per band (`L.band<b>`), for titles
and paragraphs the signatures' low bytes (`L.sketch`, `num_perm` bytes an item), and where
each item is: titles their article (`title.owner`), a 64-bit hash of their match key
(`title.keyhash`) and the key itself (`title.keys`, `title.keylen`); paragraphs their article
and paragraph number; articles their text length (for `--keep longest`). Without the paragraph
level, the document level's evidence is `evidence.key` and `evidence.owner`. Texts are not
kept: a cluster's members are read again from the input by their article number.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from cleaner.dedup.arrays import sorted_distinct
from cleaner.dedup.lsh import buckets, shared_key_pairs
from cleaner.dedup.options import LEVELS, DupOptions
from cleaner.dedup.pairs import decode_pairs, no_codes, no_pairs
from cleaner.dedup.robust import noisy_codes
from cleaner.dedup.shingle import ShingleBatch
from cleaner.dedup.stages import Block, Part, Signed, finds_noisy
from cleaner.dedup.workdir import WorkDir
from cleaner.progress import Report, counter

# The character index's files (`robust`), beside the levels': `robust.sizes`, `robust.hashes`,
# `robust.band<b>`, which documents look noisy, `document.noisy`, and their share of unknown
# words, `document.noise`.
ROBUST = "robust"


class SpilledPlaces:
    """`finder.Places` of a spilled corpus: where items are (article number, paragraph number);
    `members.fill_places` gives the clusters' members their record and text."""

    def __init__(self, signed: SpilledSigned) -> None:
        self.signed = signed

    def where(self, kind: str, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The articles of a level's `items`, and their paragraph numbers (-1: none)."""
        none = np.full(len(items), -1, dtype=np.int64)
        if kind == "document":
            return items, none
        if kind == "title":
            return self.signed.title_owner[items].astype(np.int64), none
        if not len(items):  # (nothing was written where no article had a paragraph)
            return items, none
        numbers = self.signed.work.read_ranges("paragraph.number", np.int64, items, np.ones(len(items), np.int64))
        return self.signed.paragraph_owner[items].astype(np.int64), numbers

    def length(self, kind: str, j: int) -> int:
        return int(self.signed.work.read_range(f"{kind}.length", np.int64, j, 1)[0])


def _key_hash(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def spill_block(work: WorkDir, block: Block, titles: Sequence[str | None], texts: Sequence[str]) -> None:
    """Append one signed block (with band keys, `with_band_keys`) to the working directory;
    `titles` and `texts` are the block's articles, for the lengths `--keep longest` needs."""
    parts = list(block.levels()) + ([(ROBUST, block.robust)] if block.robust is not None else [])
    for name, part in parts:
        work.append(f"{name}.sizes", np.diff(part.batch.offsets))
        work.append(f"{name}.hashes", part.batch.hashes)
        if part.keys is None:
            raise RuntimeError("a spilled block needs its band keys (verify=False keeps signatures in memory)")
        for band, row in enumerate(part.keys):
            work.append(f"{name}.band{band}", row)
        if isinstance(part.sketch, np.ndarray):
            work.append(f"{name}.sketch", part.sketch)
    if block.noisy is not None:
        work.append("document.noisy", block.noisy.astype(np.uint8))
    if block.noise is not None:
        work.append("document.noise", block.noise)
    if block.titles:
        owners = np.array([i for i, _ in block.titles], dtype=np.int64)
        keys = [k.encode("utf-8", "surrogatepass") for _, k in block.titles]
        work.append("title.owner", owners)
        work.append("title.length", np.array([len(titles[i - block.first] or "") for i in owners.tolist()]))
        work.append("title.keyhash", np.array([_key_hash(k) for _, k in block.titles], dtype=np.uint64))
        work.append("title.keylen", np.array([len(k) for k in keys], dtype=np.int64))
        work.append("title.keys", np.frombuffer(b"".join(keys), dtype=np.uint8))
    if block.paragraphs:
        place = np.array(block.paragraphs, dtype=np.int64)
        work.append("paragraph.owner", place[:, 0])
        work.append("paragraph.number", place[:, 1])
        work.append("paragraph.length", place[:, 3] - place[:, 2])
    if block.evidence:
        evidence = np.array(block.evidence, dtype=np.uint64)
        work.append("evidence.key", evidence[:, 0])
        work.append("evidence.owner", evidence[:, 1].astype(np.int64))
    work.append("document.length", np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)))


class DiskBatch(ShingleBatch):
    """A level's shingles where they are, in the working directory: `ShingleBatch`'s questions
    (an item's set, whether two items are identical) answered by reading just those items.
    Sets already read are kept up to `cache_bytes`, then forgotten all at once (pairs arrive
    sorted, so the sets asked for again are recent ones)."""

    def __init__(self, work: WorkDir, level: str, offsets: np.ndarray, cache_bytes: int) -> None:
        super().__init__(np.zeros(0, dtype=np.uint32), offsets)
        self.work, self.name, self.cache_bytes, self.cached = work, f"{level}.hashes", cache_bytes, 0

    def raw(self, i: int) -> np.ndarray:
        start, end = int(self.offsets[i]), int(self.offsets[i + 1])
        return self.work.read_range(self.name, np.uint32, start, end - start)

    def gather(self, items: np.ndarray) -> np.ndarray:
        starts = self.offsets[items]
        return self.work.read_ranges(self.name, np.uint32, starts, self.offsets[items + 1] - starts)

    def identical(self, pairs: Sequence[tuple[int, int]]) -> np.ndarray:
        sizes = np.diff(self.offsets)
        out = np.zeros(len(pairs), dtype=bool)
        for k, (a, b) in enumerate(pairs):
            if sizes[a] == sizes[b] and sizes[a] > 0:
                out[k] = np.array_equal(self.raw(a), self.raw(b))
        return out

    def set(self, i: int) -> np.ndarray:
        s = self._sets.get(i)
        if s is None:
            if self.cached > self.cache_bytes:
                self._sets.clear()
                self.cached = 0
            s = self._sets[i] = sorted_distinct(self.raw(i))
            self.cached += s.nbytes + 100
        return s


class DiskRows:
    """A level's sketches (`sketch.Rows`) where they are, in the working directory: a `pread`
    per item asked for, as shingles are read."""

    def __init__(self, work: WorkDir, level: str, width: int) -> None:
        self.work, self.name, self.width = work, f"{level}.sketch", width

    def __getitem__(self, idx: np.ndarray) -> np.ndarray:
        counts = np.full(len(idx), self.width, dtype=np.int64)
        return self.work.read_ranges(self.name, np.uint8, idx * self.width, counts).reshape(-1, self.width)


class TitleKeys(Sequence[str]):
    """The titles' match keys, each read from the working directory when asked for."""

    def __init__(self, work: WorkDir, lengths: np.ndarray) -> None:
        self.work, self.lengths = work, lengths
        self.starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, j):  # type: ignore[no-untyped-def]
        raw = self.work.read_range("title.keys", np.uint8, int(self.starts[j]), int(self.lengths[j]))
        return raw.tobytes().decode("utf-8", "surrogatepass")


class SpilledSigned(Signed):
    """The corpus as `Signed`, its arrays on disk. `titles`, `paragraphs` and `evidence` stay
    empty: what the finder needs of them is in `title_owner`, `paragraph_owner` and the
    working directory."""

    def __init__(self, work: WorkDir, documents: int, options: DupOptions, cache_bytes: int) -> None:
        parts = {}
        for name in (n for n in LEVELS if n in options.levels):
            sketch = DiskRows(work, name, options.num_perm) if work.exists(f"{name}.sketch") else None
            parts[name] = Part(_disk_batch(work, name, cache_bytes // len(LEVELS)), sketch=sketch)
        super().__init__([], [], {}, parts)
        self.work, self.documents = work, documents
        if finds_noisy(options):
            self.noisy = work.read("document.noisy", np.uint8).astype(bool)
            self.noise = work.read("document.noise", np.float32)
            self.robust = Part(_disk_batch(work, ROBUST, cache_bytes // len(LEVELS)))
        self.title_owner = work.read("title.owner", np.int64)
        self.paragraph_owner = work.read("paragraph.owner", np.int64)

    def title_keys(self) -> Sequence[str]:
        return TitleKeys(self.work, self.work.read("title.keylen", np.int64))

    def title_owners(self) -> np.ndarray:
        return self.title_owner

    def paragraph_owners(self) -> np.ndarray:
        return self.paragraph_owner

    def exact_title_pairs(self) -> np.ndarray:
        return _exact_title_pairs(self.work, self.title_keys())

    def evidence_pairs(self) -> tuple[int, np.ndarray]:
        return _evidence_pairs(self.work)


def _disk_batch(work: WorkDir, name: str, cache_bytes: int) -> DiskBatch:
    sizes = work.read(f"{name}.sizes", np.int64)
    return DiskBatch(work, name, np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64), cache_bytes)


def _exact_title_pairs(work: WorkDir, keys: Sequence[str]) -> np.ndarray:
    """`Signed.exact_title_pairs` from the keys' 64-bit hashes: only titles of one hash are
    compared, key by key (so a hash collision pairs nothing)."""
    found = buckets(work.read("title.keyhash", np.uint64))
    pairs: list[tuple[int, int]] = []
    for start, size in zip(found.starts.tolist(), found.sizes.tolist(), strict=True):
        members = found.members[start : start + size].tolist()
        by_key: dict[str, list[int]] = {}
        for j in members:
            by_key.setdefault(keys[j], []).append(j)
        pairs += [(g[k], g[k + 1]) for g in by_key.values() for k in range(len(g) - 1)]
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)


def _evidence_pairs(work: WorkDir) -> tuple[int, np.ndarray]:
    """`Signed.evidence_pairs` from the evidence on disk: (key, article) sorted, repeats
    dropped, each key's articles paired as `pairs_of` pairs them."""
    keys, owners = work.read("evidence.key", np.uint64), work.read("evidence.owner", np.int64)
    counted = len(keys)
    if counted < 2:
        return counted, no_pairs()
    a, b = shared_key_pairs(keys, owners)
    return counted, np.stack([a, b], axis=1) if len(a) else no_pairs()


def _band_codes(work: WorkDir, name: str, band: int, n: int, noisy: np.ndarray | None = None) -> np.ndarray:
    row = work.read(f"{name}.band{band}", np.uint64)
    return buckets(row).pair_codes(n) if noisy is None else noisy_codes(row, noisy)


def spilled_candidates(signed: SpilledSigned, threads: int, report: Report | None = None) -> dict[str, np.ndarray]:
    """Each level's candidate pairs (`LocalEngine.candidates`' answer), from one band column at
    a time read from disk: the pairs are merged as the bands come, so memory holds the distinct
    pairs so far and the columns being sorted. `report` hears of each band column done (stage
    `candidates`, all levels' bands together)."""
    levels = [(name, len(part.batch), list(_bands(signed.work, name))) for name, part in signed.levels()]
    step = counter(report, "candidates", sum(len(bands) for _, _, bands in levels), "bands")
    done = [0]
    step(0)

    def band_done() -> None:
        done[0] += 1
        step(done[0])

    with ThreadPoolExecutor(max(1, threads)) as pool:
        return {name: _merged(pool, signed.work, name, n, bands, band_done) for name, n, bands in levels}


def spilled_robust_pairs(signed: SpilledSigned, threads: int) -> np.ndarray:
    """`robust.robust_pairs` of the character index on disk."""
    if signed.robust is None or signed.noisy is None or not signed.noisy.any():
        return no_pairs()
    bands = list(_bands(signed.work, ROBUST))
    with ThreadPoolExecutor(max(1, threads)) as pool:
        return _merged(pool, signed.work, ROBUST, len(signed.robust.batch), bands, noisy=signed.noisy)


def _merged(
    pool: ThreadPoolExecutor,
    work: WorkDir,
    name: str,
    n: int,
    bands: list[int],
    done: Callable[[], None] | None = None,
    noisy: np.ndarray | None = None,
) -> np.ndarray:
    """The pairs of `name`'s band columns, merged as they come (`done` after each)."""
    merged = no_codes()
    for codes in pool.map(functools.partial(_band_codes, work, name, n=n, noisy=noisy), bands):
        merged = sorted_distinct(np.concatenate([merged, codes]))
        if done is not None:
            done()
    return decode_pairs(merged, n) if n >= 2 else no_pairs()


def _bands(work: WorkDir, name: str) -> Iterator[int]:
    band = 0
    while work.exists(f"{name}.band{band}"):
        yield band
        band += 1
