"""The duplicate finder's stages as pure functions, so that every engine runs the same code and
only decides where it runs:

1. `sign_block`: a block of articles -> title keys, shingles and MinHash signatures per level.
2. `assemble`: the blocks, in input order, -> one `Signed` corpus.
3. candidates: pairs sharing an LSH band (`cleaner.dedup.lsh`: on one machine from the blocks'
   band keys, `with_band_keys`, or from signatures; from band rows where the bands are shuffled
   between machines: the same pairs).
4. `level_of` -> `verify.Level`: verification of candidate pairs (true Jaccard or containment).
5. clusters (`cluster.build_clusters`, in `finder`).

Per level, a block and the corpus hold a `Part` (shingles, signatures, band keys), in a mapping
level -> part that has the levels asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np

from cleaner.dedup import robust
from cleaner.dedup.chargrams import char_samples
from cleaner.dedup.lsh import band_keys
from cleaner.dedup.matchform import UTF8, folded, match_form, tokens
from cleaner.dedup.minhash import permutations, signatures
from cleaner.dedup.noise import noisy_flags
from cleaner.dedup.options import LEVELS, DupOptions
from cleaner.dedup.pairs import pair_array, pairs_of
from cleaner.dedup.shingle import (
    ShingleBatch,
    fold_articles,
    hash_articles,
    hash_chars,
    join_batches,
    segment_keys,
    shingle_batch,
    shingle_runs,
    window_hashes,
)
from cleaner.dedup.sketch import SKETCHED, Rows, sketch_of
from cleaner.dedup.verify import Level, RobustSets
from cleaner.text import split_paragraphs, strip_site_suffix


@dataclass
class Part:
    """One level of a block or of the corpus: its items' shingles, their MinHash signatures, and
    their LSH band keys (bands x items, see `with_band_keys`), each where it is on this machine
    (an engine may keep signatures elsewhere: verification needs them only for `verify=False`)."""

    batch: ShingleBatch
    sigs: np.ndarray | None = None
    keys: np.ndarray | None = None
    # A byte of each signature value, for the levels `sketch.SKETCHED`: what verification
    # reads first (`sketch.plausible`) once the signatures are gone.
    sketch: Rows | None = None


def _in_order(parts: dict[str, Part]) -> Iterator[tuple[str, Part]]:
    return ((name, parts[name]) for name in LEVELS if name in parts)


@dataclass
class Block:
    """What one block of articles turns into. Article numbers are global (input order); titles
    and paragraphs are numbered within the block until `assemble` puts the blocks together."""

    first: int
    count: int
    titles: list[tuple[int, str]] = field(default_factory=list)  # (article, match key)
    paragraphs: list[tuple[int, int, int, int]] = field(default_factory=list)  # (article, paragraph, start, end)
    evidence: list[tuple[int, int]] = field(default_factory=list)  # (64-bit paragraph key, article)
    parts: dict[str, Part] = field(default_factory=dict)
    # The default mode's character index (`robust`): which articles look noisy, and every
    # article's sampled character grams.
    noisy: np.ndarray | None = None
    noise: np.ndarray | None = None  # every article's share of unknown words (`noise`)
    robust: Part | None = None

    def levels(self) -> Iterator[tuple[str, Part]]:
        """The block's parts, in the order of `LEVELS`."""
        return _in_order(self.parts)

    def without_signatures(self) -> Block:
        """The block without its word levels' signatures (the character index keeps its own:
        they are small, and its pairs are found where the blocks are put together)."""
        return replace(self, parts={name: _sketched(name, part) for name, part in self.parts.items()})


def sign_block(
    first: int, titles: Sequence[str | None], texts: Sequence[str], options: DupOptions, sign: bool = True
) -> Block:
    """Tokenize, shingle and sign articles first .. first + len(texts) - 1 (any number of blocks,
    in any process, give the same corpus). Without `sign`, shingles only (what verification
    needs of records the index holds)."""
    block = Block(first, len(texts))
    if "title" in options.levels:
        block.titles = [(first + k, match_form(strip_site_suffix(t))) for k, t in enumerate(titles) if t and tokens(t)]
        block.parts["title"] = Part(shingle_batch([key.split(" ") for _, key in block.titles], options.title_ngram))
    if "paragraph" in options.levels or "document" in options.levels:
        p_part, d_part = (_noisy_parts if options.noisy else _word_parts)(block, texts, options)
        if p_part is not None:
            block.parts["paragraph"] = Part(p_part)
        if d_part is not None:
            block.parts["document"] = Part(d_part)
    if sign:
        perms = permutations(options.num_perm, options.seed)
        for part in block.parts.values():
            part.sigs = signatures(part.batch, perms)
        if block.robust is not None:
            block.robust.sigs = signatures(block.robust.batch, permutations(robust.NUM_PERM, options.seed))
    return block


def finds_noisy(options: DupOptions) -> bool:
    """Whether the documents that look noisy are also matched by characters: by default, at the
    document level (`--noisy` matches every text so, `--no-noisy` none)."""
    return options.noisy is None and "document" in options.levels


def _word_parts(
    block: Block, texts: Sequence[str], options: DupOptions
) -> tuple[ShingleBatch | None, ShingleBatch | None]:
    """Word n-gram shingles of the block's paragraphs and articles. Every paragraph's words are
    hashed once, in one pass: a paragraph's shingles and its article's (the article's words are
    its paragraphs' words, in order) both come from them, and so, without the paragraph level,
    does the document level's evidence."""
    found = [split_paragraphs(t) for t in texts]
    per_article = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
    words, counts, folded_texts = hash_articles([[p for _, _, p in f] for f in found])
    running = np.concatenate([[0], np.cumsum(counts)])
    last = np.cumsum(per_article)
    article_words = running[last] - running[last - per_article]
    if finds_noisy(options):
        block.noisy, block.noise = noisy_flags(words, article_words, folded_texts)
        block.robust = Part(char_samples(folded_texts))
    d_part = None
    if "document" in options.levels:
        d_part = shingle_runs(words, article_words, options.ngram)
    if "paragraph" not in options.levels:
        block.evidence = _evidence(block.first, per_article, words, counts, options.min_words)
        return None, d_part
    selected = counts >= options.min_words
    block.paragraphs = _selected_paragraphs(block.first, found, selected)
    return shingle_runs(words, counts, min(options.ngram, options.paragraph_ngram), selected), d_part


def _noisy_parts(
    block: Block, texts: Sequence[str], options: DupOptions
) -> tuple[ShingleBatch | None, ShingleBatch | None]:
    """Character 5-grams of the match form without spaces (`--noisy`). An article's characters
    are its paragraphs' one after another, so one hash per character and one pass of 5-gram
    windows serve both levels (a window across two paragraphs is the article's only)."""
    found = [split_paragraphs(t) for t in texts]
    per_article = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
    paragraphs = [[p for _, _, p in f] for f in found]
    if "paragraph" in options.levels:
        counts, chars = _paragraph_chars(fold_articles(paragraphs)[0], paragraphs)
    else:
        words, counts, folded_texts = hash_articles(paragraphs)
        block.evidence = _evidence(block.first, per_article, words, counts, options.min_words)
        chars = _paragraph_chars(folded_texts, paragraphs)[1]
    hashes, lengths = hash_chars(chars)
    windows = window_hashes(hashes, 5)
    d_part = None
    if "document" in options.levels:
        running = np.concatenate([[0], np.cumsum(lengths)])
        last = np.cumsum(per_article)
        d_part = shingle_runs(hashes, running[last] - running[last - per_article], 5, windows=windows)
    if "paragraph" not in options.levels:
        return None, d_part
    selected = counts >= options.min_words
    block.paragraphs = _selected_paragraphs(block.first, found, selected)
    return shingle_runs(hashes, lengths, 5, selected, windows), d_part


def _paragraph_chars(folded_texts: list[bytes], paragraphs: list[list[str]]) -> tuple[np.ndarray, list[str]]:
    """Every paragraph's number of words and its match form without spaces, from its article's
    folded form (`fold_articles`: paragraphs joined by the marker, unless a NUL of the text
    itself made them fold one by one)."""
    segments: list[str] = []
    for f, ps in zip(folded_texts, paragraphs, strict=True):
        found = f.decode(*UTF8).split("\0") if ps else []
        segments += found if len(found) == len(ps) else [folded(p).decode(*UTF8) for p in ps]
    split = [s.split() for s in segments]
    return np.fromiter(map(len, split), dtype=np.int64, count=len(split)), ["".join(w) for w in split]


def _selected_paragraphs(first: int, found: list, selected: np.ndarray) -> list[tuple[int, int, int, int]]:
    """(article, paragraph, start, end) of the selected paragraphs of a block's articles."""
    owners = [(first + offset, k, a, b) for offset, f in enumerate(found) for k, (a, b, _) in enumerate(f)]
    return [owners[j] for j in np.flatnonzero(selected)]


def _evidence(
    first: int, per_article: np.ndarray, words: np.ndarray, counts: np.ndarray, min_words: int
) -> list[tuple[int, int]]:
    """The article level's evidence without the paragraph level: (key, article) for every
    paragraph of at least `min_words` words, the key equal for paragraphs with the same words
    (in the match form: case, punctuation and spacing aside). A key only proposes a candidate
    pair of articles, which is verified on their shingles."""
    selected = counts >= min_words
    owners = np.repeat(np.arange(first, first + len(per_article)), per_article)
    return list(zip(segment_keys(words, counts)[selected].tolist(), owners[selected].tolist(), strict=False))


def with_band_keys(block: Block, options: DupOptions) -> Block:
    """The block with each level's LSH band keys (`lsh.band_keys`, one row per band) in place
    of its signatures, which only `verify=False` needs: 8 bytes a band instead of 4 a
    permutation (about a third), and the candidates then need only a sort of each row."""
    if not options.verify:
        return block
    for name, part in block.parts.items():
        if part.sigs is not None:
            part.keys = np.ascontiguousarray(band_keys(part.sigs, options.lsh_threshold).T)
            block.parts[name] = _sketched(name, part)
    if block.robust is not None and block.robust.sigs is not None:
        block.robust.keys = np.ascontiguousarray(band_keys(block.robust.sigs, robust.LSH_THRESHOLD).T)
        block.robust.sigs = None
    return block


def _sketched(name: str, part: Part) -> Part:
    """The part without its signatures, with their sketch where its level has one."""
    if part.sigs is None:
        return part
    return replace(part, sigs=None, sketch=sketch_of(part.sigs) if name in SKETCHED else None)


@dataclass
class Signed:
    """The whole corpus, signed: per level (`parts`) the items' shingles, signatures and band
    keys, in input order."""

    titles: list[tuple[int, str]]
    paragraphs: list[tuple[int, int, int, int]]
    evidence: dict[int, list[int]]
    parts: dict[str, Part]
    noisy: np.ndarray | None = None  # see `Block`
    noise: np.ndarray | None = None
    robust: Part | None = None

    def levels(self) -> Iterator[tuple[str, Part]]:
        """The corpus's parts, in the order of `LEVELS`."""
        return _in_order(self.parts)

    def title_keys(self) -> Sequence[str]:
        """The titles' match keys, in item order."""
        return [k for _, k in self.titles]

    def title_owners(self) -> np.ndarray:
        return np.fromiter((i for i, _ in self.titles), dtype=np.int64, count=len(self.titles))

    def paragraph_owners(self) -> np.ndarray:
        return np.fromiter((p[0] for p in self.paragraphs), dtype=np.int64, count=len(self.paragraphs))

    def exact_title_pairs(self) -> np.ndarray:
        """Titles with the same match key: each paired with the next one of its key."""
        by_key: dict[str, list[int]] = {}
        for i, k in enumerate(self.title_keys()):
            by_key.setdefault(k, []).append(i)
        return pair_array((g[k], g[k + 1]) for g in by_key.values() for k in range(len(g) - 1))

    def evidence_pairs(self) -> tuple[int, np.ndarray]:
        """Without the paragraph level: the paragraphs counted, and the pairs of articles that
        share a paragraph's words (`evidence`)."""
        groups = (sorted(set(group)) for group in self.evidence.values() if len(group) > 1)
        shared = np.array([pair for g in groups for pair in pairs_of(g)], dtype=np.int64).reshape(-1, 2)
        return sum(len(v) for v in self.evidence.values()), shared


def assemble(blocks: Sequence[Block], documents: int, options: DupOptions, threads: int = 1) -> Signed:
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
    evidence: dict[int, list[int]] = {}
    for b in blocks:
        for key, i in b.evidence:
            evidence.setdefault(key, []).append(i)
    names = [name for name in LEVELS if name in options.levels]
    with ThreadPoolExecutor(max(1, threads)) as pool:
        found = [pool.submit(_join_level, [b.parts[name] for b in blocks], options.num_perm) for name in names]
        titles = [t for b in blocks for t in b.titles]
        paragraphs = [p for b in blocks for p in b.paragraphs]
        parts = {name: f.result() for name, f in zip(names, found, strict=False)}
    if not finds_noisy(options):
        return Signed(titles, paragraphs, evidence, parts)
    noisy = np.concatenate([b.noisy for b in blocks if b.noisy is not None] or [np.zeros(0, dtype=bool)])
    noise = np.concatenate([b.noise for b in blocks if b.noise is not None] or [np.zeros(0, dtype=np.float32)])
    joined = _join_level([b.robust for b in blocks if b.robust is not None], robust.NUM_PERM)
    return Signed(titles, paragraphs, evidence, parts, noisy, noise, joined)


def _join_level(parts: list[Part], num_perm: int) -> Part:
    """One level's parts of the blocks, in order, as the corpus's: signatures and band keys only
    where every block has them."""
    sigs = [p.sigs for p in parts]
    keys = [p.keys for p in parts]
    joined_sigs = None
    if all(s is not None for s in sigs):
        joined_sigs = np.concatenate(sigs) if sigs else np.zeros((0, num_perm), dtype=np.uint32)
    joined_keys = np.concatenate(keys, axis=1) if keys and all(k is not None for k in keys) else None
    sketches = [p.sketch for p in parts]
    joined_sketch = np.concatenate(sketches) if sketches and all(isinstance(k, np.ndarray) for k in sketches) else None
    return Part(join_batches([p.batch for p in parts]), joined_sigs, joined_keys, joined_sketch)


def level_of(signed: Signed, kind: str, options: DupOptions) -> Level:
    """What verifying the `kind` level of a signed corpus needs."""
    part = signed.parts[kind]
    keys = signed.title_keys() if kind == "title" else None
    found = None
    if kind == "document" and signed.robust is not None and signed.noisy is not None and signed.noise is not None:
        found = RobustSets(signed.robust.batch, signed.noisy, signed.noise, options.threshold, options.containment)
    o = options
    return Level(kind, part.batch, part.sigs, o.threshold, o.containment, o.verify, keys, found, sketch=part.sketch)
