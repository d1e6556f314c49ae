"""What the duplicate finder compares, per level, for a batch of documents: shingle sets,
signatures and LSH band keys. The incremental check computes these for the files it checks and
the persistent index stores them for the corpus, so both compare the same things.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cleaner.dedup.finder import DupOptions, _shingle_texts
from cleaner.dedup.index import band_keys
from cleaner.dedup.minhash import permutations, signatures
from cleaner.dedup.shingle import ShingleBatch, match_form, shingle_batch, tokens
from cleaner.model import Document
from cleaner.text import strip_site_suffix

LEVEL_CODES = {"title": 0, "paragraph": 1, "document": 2}


@dataclass
class LevelItems:
    """The items of one level: item k belongs to document `owners[k]` (its position in the batch);
    for paragraphs, `paragraphs[k]` is its 0-based index and `spans[k]` its place in the text; for
    titles, `keys[k]` is the match form without a site suffix (equal keys are the same title)."""

    level: str
    owners: list[int]
    batch: ShingleBatch
    signatures: np.ndarray
    bands: np.ndarray  # (items x bands) uint64, see `band_keys`
    paragraphs: list[int | None]
    spans: list[tuple[int, int]]
    keys: list[str]

    def __len__(self) -> int:
        return len(self.owners)


def items_of(docs: Sequence[Document], options: DupOptions) -> dict[str, LevelItems]:
    """The items of every level in `options.levels`, for `docs` in order."""
    perms = permutations(options.num_perm, options.seed)
    out: dict[str, LevelItems] = {}

    def level(name: str, owners: list[int], batch: ShingleBatch, paragraphs: list[int | None], spans: list[tuple[int, int]], keys: list[str]) -> LevelItems:
        sigs = signatures(batch, perms)
        return LevelItems(name, owners, batch, sigs, band_keys(sigs, options.lsh_threshold), paragraphs, spans, keys)

    if "title" in options.levels:
        owners = [i for i, d in enumerate(docs) if d.title and tokens(d.title)]
        keys = [match_form(strip_site_suffix(docs[i].title or "")) for i in owners]
        batch = shingle_batch([k.split(" ") for k in keys], options.title_ngram)
        out["title"] = level("title", owners, batch, [None] * len(owners), [(0, 0)] * len(owners), keys)
    if "paragraph" in options.levels or "document" in options.levels:
        chunk = _shingle_texts([d.text for d in docs], 0, options)
        if chunk.p_part is not None:
            owners = [i for i, _, _, _ in chunk.paragraphs]
            out["paragraph"] = level("paragraph", owners, chunk.p_part, [k for _, k, _, _ in chunk.paragraphs], [(a, b) for _, _, a, b in chunk.paragraphs], [])
        if chunk.d_part is not None:
            n = len(docs)
            out["document"] = level("document", list(range(n)), chunk.d_part, [None] * n, [(0, len(d.text)) for d in docs], [])
    return out
