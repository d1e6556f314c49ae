"""The duplicate finder's stages as pure functions, so that every engine runs the same code and
only decides where it runs:

1. `sign_block`: a block of articles -> title keys, shingles and MinHash signatures per level.
2. `assemble`: the blocks, in input order, -> one `Signed` corpus.
3. candidates: pairs sharing an LSH band (on one machine `index.key_pairs` over the blocks' band
   keys, `with_band_keys`, or `index.candidate_pairs` over signatures; `band_rows` +
   `bucket_pairs` where the bands are shuffled between machines: the same pairs).
4. `Level.judge` / `Level.accepts`: verification of candidate pairs (true Jaccard or containment).
5. clusters (`cluster.build_clusters`, in `finder`).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from cleaner.dedup.index import band_keys, bands_rows, jaccard, pairs_of
from cleaner.dedup.minhash import estimate_jaccard, permutations, signatures
from cleaner.dedup.shingle import (
    ShingleBatch,
    ShingleBatchBuilder,
    hash_paragraphs,
    match_form,
    segment_keys,
    shingle_batch,
    shingle_runs,
    tokens,
)
from cleaner.dedup.verify import document_similarity, same_document, titles_differ_in_number
from cleaner.text import split_paragraphs, strip_site_suffix

LEVELS = ("title", "paragraph", "document")


@dataclass
class Block:
    """What one block of articles turns into. Article numbers are global (input order); titles
    and paragraphs are numbered within the block until `assemble` puts the blocks together."""

    first: int
    count: int
    titles: list[tuple[int, str]] = field(default_factory=list)  # (article, match key)
    t_part: ShingleBatch | None = None
    t_sigs: np.ndarray | None = None
    paragraphs: list[tuple[int, int, int, int]] = field(default_factory=list)  # (article, paragraph, start, end)
    p_part: ShingleBatch | None = None
    p_sigs: np.ndarray | None = None
    d_part: ShingleBatch | None = None
    d_sigs: np.ndarray | None = None
    evidence: list[tuple[int, int]] = field(default_factory=list)  # (64-bit paragraph key, article)
    # Band keys (bands x items, see `with_band_keys`), where they replace the signatures.
    t_keys: np.ndarray | None = None
    p_keys: np.ndarray | None = None
    d_keys: np.ndarray | None = None


def sign_block(first: int, titles: Sequence[str | None], texts: Sequence[str], options) -> Block:  # type: ignore[no-untyped-def]
    """Tokenize, shingle and sign articles first .. first + len(texts) - 1 (`options` is a
    `DupOptions`; any number of blocks, in any process, give the same corpus)."""
    perms = permutations(options.num_perm, options.seed)
    block = Block(first, len(texts))
    if "title" in options.levels:
        block.titles = [(first + k, match_form(strip_site_suffix(t))) for k, t in enumerate(titles) if t and tokens(t)]
        block.t_part = shingle_batch([key.split(" ") for _, key in block.titles], options.title_ngram)
        block.t_sigs = signatures(block.t_part, perms)
    if "paragraph" not in options.levels and "document" not in options.levels:
        return block
    if options.noisy:
        p_part, d_part = _noisy_parts(block, texts, options)
    else:
        p_part, d_part = _word_parts(block, texts, options)
    if p_part is not None:
        block.p_part = p_part
        block.p_sigs = signatures(p_part, perms)
    if d_part is not None:
        block.d_part = d_part
        block.d_sigs = signatures(d_part, perms)
    return block


def _word_parts(block: Block, texts: Sequence[str], options) -> tuple[ShingleBatch | None, ShingleBatch | None]:  # type: ignore[no-untyped-def]
    """Word n-gram shingles of the block's paragraphs and articles. Every paragraph's words are
    hashed once, in one pass: a paragraph's shingles and its article's (the article's words are
    its paragraphs' words, in order) both come from them, and so, without the paragraph level,
    does the document level's evidence."""
    found = [split_paragraphs(t) for t in texts]
    per_article = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
    words, counts = hash_paragraphs([[p for _, _, p in f] for f in found])
    d_part = None
    if "document" in options.levels:
        running = np.concatenate([[0], np.cumsum(counts)])
        last = np.cumsum(per_article)
        d_part = shingle_runs(words, running[last] - running[last - per_article], options.ngram)
    if "paragraph" not in options.levels:
        block.evidence = _evidence(block.first, per_article, words, counts, options.min_words)
        return None, d_part
    selected = counts >= options.min_words
    owners = [(block.first + offset, k, a, b) for offset, f in enumerate(found) for k, (a, b, _) in enumerate(f)]
    block.paragraphs = [owners[j] for j in np.flatnonzero(selected)]
    return shingle_runs(words, counts, min(options.ngram, options.paragraph_ngram), selected), d_part


def _noisy_parts(block: Block, texts: Sequence[str], options) -> tuple[ShingleBatch | None, ShingleBatch | None]:  # type: ignore[no-untyped-def]
    """Character 5-grams of the match form without spaces (`--noisy`), from token lists."""
    with_paragraphs = "paragraph" in options.levels
    p_tokens: list[list[str]] = []
    d_tokens: list[list[str]] = []
    found = [split_paragraphs(t) for t in texts]
    for offset, paragraphs in enumerate(found):
        words_of_doc: list[str] = []
        for k, (a, b, p) in enumerate(paragraphs):
            toks = tokens(p)
            words_of_doc += toks
            if with_paragraphs and len(toks) >= options.min_words:
                block.paragraphs.append((block.first + offset, k, a, b))
                p_tokens.append(list("".join(toks)))
        d_tokens.append(list("".join(words_of_doc)))
    if not with_paragraphs:
        words, counts = hash_paragraphs([[p for _, _, p in f] for f in found])
        per_article = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
        block.evidence = _evidence(block.first, per_article, words, counts, options.min_words)
    p_part = shingle_batch(p_tokens, 5) if with_paragraphs else None
    d_part = shingle_batch(d_tokens, 5) if "document" in options.levels else None
    return p_part, d_part


def _evidence(first: int, per_article: np.ndarray, words: np.ndarray, counts: np.ndarray, min_words: int) -> list[tuple[int, int]]:
    """The article level's evidence without the paragraph level: (key, article) for every
    paragraph of at least `min_words` words, the key equal for paragraphs with the same words
    (in the match form: case, punctuation and spacing aside). A key only proposes a candidate
    pair of articles, which is verified on their shingles."""
    selected = counts >= min_words
    owners = np.repeat(np.arange(first, first + len(per_article)), per_article)
    return list(zip(segment_keys(words, counts)[selected].tolist(), owners[selected].tolist()))


def with_band_keys(block: Block, options) -> Block:  # type: ignore[no-untyped-def]
    """The block with each level's LSH band keys (`index.band_keys`, one row per band) in place
    of its signatures, which only `verify=False` needs: 8 bytes a band instead of 4 a
    permutation (about a third), and the candidates then need only a sort of each row."""
    if not options.verify:
        return block
    for sigs, keys in (("t_sigs", "t_keys"), ("p_sigs", "p_keys"), ("d_sigs", "d_keys")):
        found = getattr(block, sigs)
        if found is not None:
            setattr(block, keys, np.ascontiguousarray(band_keys(found, options.lsh_threshold).T))
            setattr(block, sigs, None)
    return block


@dataclass
class Signed:
    """The whole corpus, signed: per level the items' shingles and signatures, in input order.
    A level's signatures may be None where the engine kept them off this machine: verification
    (`Level`) needs them only for `verify=False`."""

    titles: list[tuple[int, str]]
    t_batch: ShingleBatch | None
    t_sigs: np.ndarray | None
    paragraphs: list[tuple[int, int, int, int]]
    p_batch: ShingleBatch | None
    p_sigs: np.ndarray | None
    d_batch: ShingleBatch | None
    d_sigs: np.ndarray | None
    evidence: dict[int, list[int]]
    t_keys: np.ndarray | None = None
    p_keys: np.ndarray | None = None
    d_keys: np.ndarray | None = None


def assemble(blocks: Sequence[Block], documents: int, options, threads: int = 1) -> Signed:  # type: ignore[no-untyped-def]
    """Blocks -> the corpus. The blocks must tile articles 0 .. documents - 1 (checked: an engine
    that lost or reordered a block must fail, not report other clusters). The arrays are put
    together in `threads` threads (numpy copies without the GIL): a few hundred MB of fresh
    memory to fill, on a path no other process shares."""
    blocks = sorted(blocks, key=lambda b: b.first)
    position = 0
    for b in blocks:
        if b.first != position:
            raise RuntimeError(f"signed blocks do not tile the corpus: expected article {position}, got {b.first}")
        position += b.count
    if position != documents:
        raise RuntimeError(f"signed blocks cover {position} articles of {documents}")

    def level(name: str, part: str, sigs: str) -> tuple[ShingleBatch | None, np.ndarray | None]:
        if name not in options.levels:
            return None, None
        builder = ShingleBatchBuilder(0)
        for b in blocks:
            builder.add_batch(getattr(b, part))
        rows = [getattr(b, sigs) for b in blocks]
        if any(r is None for r in rows):
            return builder.build(), None
        return builder.build(), np.concatenate(rows) if rows else np.zeros((0, options.num_perm), dtype=np.uint32)

    def keys(name: str) -> np.ndarray | None:
        rows = [getattr(b, name) for b in blocks]
        return np.concatenate(rows, axis=1) if rows and all(r is not None for r in rows) else None

    evidence: dict[int, list[int]] = {}
    for b in blocks:
        for key, i in b.evidence:
            evidence.setdefault(key, []).append(i)
    with ThreadPoolExecutor(max(1, threads)) as pool:
        levels = [pool.submit(level, *names) for names in (("title", "t_part", "t_sigs"), ("paragraph", "p_part", "p_sigs"), ("document", "d_part", "d_sigs"))]
        key_rows = [pool.submit(keys, name) for name in ("t_keys", "p_keys", "d_keys")]
        titles = [t for b in blocks for t in b.titles]
        paragraphs = [p for b in blocks for p in b.paragraphs]
        (t_batch, t_sigs), (p_batch, p_sigs), (d_batch, d_sigs) = [f.result() for f in levels]
        t_keys, p_keys, d_keys = [f.result() for f in key_rows]
    return Signed(titles, t_batch, t_sigs, paragraphs, p_batch, p_sigs, d_batch, d_sigs, evidence, t_keys, p_keys, d_keys)


# --- candidates where the bands are shuffled: one row per (item, band) ---------------------------


LEVEL_CODES = {name: code for code, name in enumerate(LEVELS)}


def band_rows(level: str, sigs: np.ndarray, first_item: int, threshold: float, partitions: int) -> dict[str, np.ndarray]:
    """The LSH band keys of one level's items first_item .. first_item + len(sigs) - 1, one row
    per item and band: a 64-bit hash of level, band and values (`key`), the partition it is
    shuffled to (so equal keys meet), the level, the band, the item, and the band's values
    (columns v0, v1, ...: the hash only sorts, the values decide)."""
    n, num_perm = sigs.shape
    bands, rows = bands_rows(threshold, num_perm)
    band = np.tile(np.arange(bands, dtype=np.int16), n)
    values = sigs[:, : bands * rows].reshape(n * bands, rows)
    mix = np.random.RandomState(54321).randint(1, 2**62, size=rows + 2, dtype=np.uint64) | np.uint64(1)
    code = LEVEL_CODES[level]
    with np.errstate(over="ignore"):
        # Column by column: numpy's sum over a short inner axis is several times slower.
        key = band.astype(np.uint64) * mix[rows] + np.uint64(code) * mix[rows + 1]
        for r in range(rows):
            key += values[:, r].astype(np.uint64) * mix[r]
    out = {
        "key": key,
        "part": (key % np.uint64(max(1, partitions))).astype(np.int64),
        "level": np.full(n * bands, code, dtype=np.int8),
        "band": band,
        "item": np.repeat(np.arange(first_item, first_item + n, dtype=np.int64), bands),
    }
    for r in range(rows):
        out[f"v{r}"] = np.ascontiguousarray(values[:, r])
    return out


def bucket_pairs(rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Candidate pairs among band rows: items of one level whose values in one band are all equal,
    paired as `index.candidate_pairs` pairs them, so the union over partitions is its set of pairs.
    Returns columns level, a, b (a < b), without repeats."""
    empty = {"level": np.zeros(0, dtype=np.int64), "a": np.zeros(0, dtype=np.int64), "b": np.zeros(0, dtype=np.int64)}
    if len(rows["item"]) < 2:
        return empty
    value_cols = sorted((c for c in rows if c[:1] == "v" and c[1:].isdigit()), key=lambda c: int(c[1:]))
    order = np.argsort(rows["key"], kind="stable")
    keys = rows["key"][order]
    same = keys[1:] == keys[:-1]
    starts = np.flatnonzero(np.concatenate([[True], ~same]))
    sizes = np.diff(np.concatenate([starts, [len(keys)]]))
    pairs: set[tuple[int, int, int]] = set()
    exact = np.column_stack([rows[c].astype(np.uint32) for c in ("level", "band", *value_cols)])
    for start, size in zip(starts[sizes > 1], sizes[sizes > 1]):
        run = order[start : start + size]
        # Equal hashes, then equal values: a 64-bit collision never makes a pair.
        groups: dict[bytes, tuple[int, list[int]]] = {}
        for i in run.tolist():
            groups.setdefault(exact[i].tobytes(), (int(rows["level"][i]), []))[1].append(int(rows["item"][i]))
        for code, members in groups.values():
            if len(members) > 1:
                pairs.update((code, a, b) for a, b in pairs_of(sorted(members)))
    if not pairs:
        return empty
    arr = np.array(sorted(pairs), dtype=np.int64)
    return {"level": arr[:, 0], "a": arr[:, 1], "b": arr[:, 2]}


# --- verification ----------------------------------------------------------------------------------


def level_of(signed: Signed, kind: str, options) -> Level:  # type: ignore[no-untyped-def]
    """What verifying the `kind` level of a signed corpus needs."""
    batch, sigs = {"title": (signed.t_batch, signed.t_sigs), "paragraph": (signed.p_batch, signed.p_sigs), "document": (signed.d_batch, signed.d_sigs)}[kind]
    assert batch is not None
    keys = [k for _, k in signed.titles] if kind == "title" else None
    return Level(kind, batch, sigs, options.threshold, options.containment, options.verify, keys)


@dataclass
class Level:
    """What verifying one level's pairs needs: its shingles, signatures and (titles) match keys.
    `known` holds the similarity of the pairs accepted so far (here, or by an engine's workers),
    so clustering need not make their shingle sets again."""

    kind: str
    batch: ShingleBatch
    sigs: np.ndarray | None  # needed only when not `verify`
    threshold: float
    containment: float
    verify: bool
    keys: list[str] | None = None
    known: dict[tuple[int, int], float] = field(default_factory=dict, repr=False)
    _words: list[set[str]] | None = field(default=None, repr=False)

    def accept(self, a: int, b: int) -> bool:
        if (min(a, b), max(a, b)) in self.known:
            return True
        if self.kind == "title":
            return self._accept_title(a, b)
        if self.kind == "document":
            return self._accept_document(a, b)
        return self._near(a, b)

    def accepts(self, pairs: Sequence[tuple[int, int]]) -> list[bool]:
        return [s is not None for s in self.judge(pairs)]

    def judge(self, pairs: Sequence[tuple[int, int]]) -> list[float | None]:
        """Each pair's similarity where it is accepted, else None (and `known` learns it).
        Pairs of texts with the same shingles (most candidates: boilerplate, repeated
        paragraphs) are told apart at once: similarity 1, on every test."""
        out: list[float | None] = []
        for (a, b), same in zip(pairs, self.batch.identical(pairs).tolist()):
            found = 1.0 if same else self.similarity(a, b) if self.accept(a, b) else None
            if found is not None:
                self.known[(min(a, b), max(a, b))] = found
            out.append(found)
        return out

    def similarity(self, a: int, b: int) -> float:
        found = self.known.get((min(a, b), max(a, b)))
        if found is not None:
            return found
        if self.kind == "title" and self.keys is not None and self.keys[a] == self.keys[b]:
            return 1.0
        x, y = self.batch.set(a), self.batch.set(b)
        return document_similarity(x, y) if self.kind == "document" else jaccard(x, y)

    def _near(self, a: int, b: int) -> bool:
        if self.verify:
            return jaccard(self.batch.set(a), self.batch.set(b)) >= self.threshold
        return self._estimate(a, b) >= self.threshold

    def _estimate(self, a: int, b: int) -> float:
        if self.sigs is None:
            raise RuntimeError("verify=False needs the signatures on this machine")
        return estimate_jaccard(self.sigs[a], self.sigs[b])

    def _accept_title(self, a: int, b: int) -> bool:
        assert self.keys is not None
        if self.keys[a] == self.keys[b]:
            return True
        if self._words is None:
            self._words = [set(k.split(" ")) for k in self.keys]
        if titles_differ_in_number(self._words[a], self._words[b]):
            return False
        return self._near(a, b)

    def _accept_document(self, a: int, b: int) -> bool:
        if not self.verify:
            return self._estimate(a, b) >= self.threshold
        return same_document(self.batch.set(a), self.batch.set(b), self.threshold, self.containment)
