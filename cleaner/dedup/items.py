"""What the duplicate finder compares, per level, for a batch of documents: shingle sets,
signatures and LSH band keys. The incremental check computes these for the files it checks and
the persistent index stores them for the corpus, so both compare the same things.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from cleaner.dedup.lsh import band_keys
from cleaner.dedup.options import DupOptions
from cleaner.dedup.shingle import ShingleBatch
from cleaner.dedup.stages import Block, sign_block
from cleaner.model import Document


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
    # The index and the incremental check compare words (or, `noisy=True`, characters)
    # everywhere: the default mode's character index of noisy documents is the finder's alone.
    options = replace(options, noisy=bool(options.noisy))
    block = sign_block(0, [d.title for d in docs], [d.text for d in docs], options)
    out: dict[str, LevelItems] = {}
    for name, part in block.levels():
        if part.sigs is not None:
            owners, paragraphs, spans, keys = _places(name, block, docs)
            out[name] = LevelItems(
                name,
                owners,
                part.batch,
                part.sigs,
                band_keys(part.sigs, options.lsh_threshold),
                paragraphs,
                spans,
                keys,
            )
    return out


def _places(
    level: str, block: Block, docs: Sequence[Document]
) -> tuple[list[int], list[int | None], list[tuple[int, int]], list[str]]:
    """Where a level's items are: their documents, paragraph numbers, spans and (titles) keys."""
    if level == "title":
        n = len(block.titles)
        return [i for i, _ in block.titles], [None] * n, [(0, 0)] * n, [k for _, k in block.titles]
    if level == "paragraph":
        p = block.paragraphs
        return [i for i, _, _, _ in p], [k for _, k, _, _ in p], [(a, b) for _, _, a, b in p], []
    return list(range(len(docs))), [None] * len(docs), [(0, len(d.text)) for d in docs], []
