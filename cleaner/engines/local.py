"""The local engine: the finder's stages on this machine, signing in worker processes."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from cleaner.dedup.index import candidate_pairs
from cleaner.dedup.stages import Level, Signed, assemble, sign_block
from cleaner.model import Document
from cleaner.workers import worker_init

# Articles per block: their tokens (a Python string per word, ~20x the text) exist only while
# the block is signed, so memory follows the block, not the corpus.
BLOCK = 2000


class LocalEngine:
    def __init__(self, jobs: int = 1) -> None:
        self.jobs = jobs

    def sign(self, docs: Sequence[Document], options) -> Signed:  # type: ignore[no-untyped-def]
        titles = [d.title for d in docs]
        texts = [d.text for d in docs]
        starts = list(range(0, len(docs), BLOCK))
        if self.jobs <= 1 or len(starts) <= 1:
            blocks = [sign_block(s, titles[s : s + BLOCK], texts[s : s + BLOCK], options) for s in starts]
        else:
            with ProcessPoolExecutor(max_workers=self.jobs, initializer=worker_init) as pool:
                blocks = list(pool.map(sign_block, starts, [titles[s : s + BLOCK] for s in starts], [texts[s : s + BLOCK] for s in starts], [options] * len(starts)))
        return assemble(blocks, len(docs), options)

    def candidates(self, signed: Signed, options) -> dict[str, set[tuple[int, int]]]:  # type: ignore[no-untyped-def]
        levels = {"title": signed.t_sigs, "paragraph": signed.p_sigs, "document": signed.d_sigs}
        return {name: candidate_pairs(sigs, options.lsh_threshold) for name, sigs in levels.items() if sigs is not None}

    def verify(self, level: Level, pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
        return [p for p, ok in zip(pairs, level.accepts(pairs)) if ok]
