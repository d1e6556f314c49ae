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


def items_of(docs: Sequence[Document], options: DupOptions, sign: bool = True) -> dict[str, LevelItems]:
    """The items of every level in `options.levels`, for `docs` in order: the finder's own
    `sign_block`, plus each item's band keys (without `sign`, shingles only: no signatures or
    band keys, as verification against indexed records needs)."""
    # The index and the incremental check compare words (or, `noisy=True`, characters)
    # everywhere: the default mode's character index of noisy documents is the finder's alone.
    options = replace(options, noisy=bool(options.noisy))
    block = sign_block(0, [d.title for d in docs], [d.text for d in docs], options, sign=sign)
    out: dict[str, LevelItems] = {}
    for name, part in block.levels():
        if part.sigs is not None or not sign:
            owners, paragraphs, spans, keys = _places(name, block, docs)
            sigs = part.sigs if part.sigs is not None else np.zeros((len(owners), 0), dtype=np.uint64)
            bands = band_keys(sigs, options.lsh_threshold) if sign else np.zeros((len(owners), 0), dtype=np.uint64)
            out[name] = LevelItems(name, owners, part.batch, sigs, bands, paragraphs, spans, keys)
    return out


# A record's items, in the order they take ids: its document, its title, its paragraphs.
SLOT_ORDER = ("document", "title", "paragraph")


def slots(owners: dict[str, Sequence[int]], n_docs: int) -> tuple[list[int], dict[str, list[int]]]:
    """Per document, how many items it has; and per level, each item's place among its
    document's ids (`SLOT_ORDER`), from the items' owners per level. A level's places need only
    the levels before it."""
    taken = [0] * n_docs
    places: dict[str, list[int]] = {}
    for level in SLOT_ORDER:
        if level in owners:
            at = places[level] = []
            for owner in owners[level]:
                at.append(taken[owner])
                taken[owner] += 1
    return taken, places


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
