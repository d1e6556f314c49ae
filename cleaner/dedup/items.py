"""What the duplicate finder compares, per level, for a batch of documents: shingle sets,
signatures and LSH band keys. The incremental check computes these for the files it checks and
the persistent index stores them for the corpus, so both compare the same things.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cleaner.dedup.finder import DupOptions
from cleaner.dedup.index import band_keys
from cleaner.dedup.shingle import ShingleBatch
from cleaner.dedup.stages import sign_block
from cleaner.model import Document

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
    """The items of every level in `options.levels`, for `docs` in order: the finder's own
    `sign_block`, plus each item's band keys."""
    block = sign_block(0, [d.title for d in docs], [d.text for d in docs], options)
    out: dict[str, LevelItems] = {}

    def level(name: str, owners: list[int], batch: ShingleBatch | None, sigs: np.ndarray | None, paragraphs: list[int | None], spans: list[tuple[int, int]], keys: list[str]) -> None:
        if batch is not None and sigs is not None:
            out[name] = LevelItems(name, owners, batch, sigs, band_keys(sigs, options.lsh_threshold), paragraphs, spans, keys)

    n = len(block.titles)
    level("title", [i for i, _ in block.titles], block.t_part, block.t_sigs, [None] * n, [(0, 0)] * n, [k for _, k in block.titles])
    p = block.paragraphs
    level("paragraph", [i for i, _, _, _ in p], block.p_part, block.p_sigs, [k for _, k, _, _ in p], [(a, b) for _, _, a, b in p], [])
    level("document", list(range(len(docs))), block.d_part, block.d_sigs, [None] * len(docs), [(0, len(d.text)) for d in docs], [])
    return out
