"""The local engine: the finder's stages on this machine, in worker processes where it pays.

On Linux the workers are forked once the work exists (the corpus to sign, or the level whose
candidate pairs to verify), so they inherit it: a task is a few numbers, not pickled texts or
shingles. Elsewhere signing gets its texts pickled and verification stays in this process."""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from cleaner.dedup.index import bands_rows, candidate_pairs, key_pairs
from cleaner.dedup.minhash import permutations
from cleaner.dedup.stages import Block, Level, Signed, assemble, sign_block, with_band_keys
from cleaner.model import Document
from cleaner.workers import worker_init

# Articles per block: their tokens (a Python string per word, ~20x the text) exist only while
# the block is signed, so memory follows the block, not the corpus.
BLOCK = 2000
# Fewer candidate pairs than this are verified here: forking costs more than it saves.
PARALLEL_PAIRS = 4000
FORK = sys.platform == "linux"  # fork is safe and cheap there; macOS's system libraries object

# What forked workers inherit: (titles, texts, options) while signing, the Level while verifying.
_SHARED: Any = None


def _sign(first: int, count: int, titles: Sequence[str | None] | None = None, texts: Sequence[str] | None = None, options=None) -> Block:  # type: ignore[no-untyped-def]
    if texts is None:
        all_titles, all_texts, options = _SHARED
        titles, texts = all_titles[first : first + count], all_texts[first : first + count]
    assert titles is not None
    return with_band_keys(sign_block(first, titles, texts, options), options)


def _accepts(pairs: list[tuple[int, int]]) -> list[bool]:
    level: Level = _SHARED
    return level.accepts(pairs)


class LocalEngine:
    def __init__(self, jobs: int = 1) -> None:
        self.jobs = jobs

    def sign(self, docs: Sequence[Document], options) -> Signed:  # type: ignore[no-untyped-def]
        titles = [d.title for d in docs]
        texts = [d.text for d in docs]
        starts = list(range(0, len(docs), BLOCK))
        counts = [min(BLOCK, len(docs) - s) for s in starts]
        if self.jobs <= 1 or len(starts) <= 1:
            blocks = [_sign(s, c, titles[s : s + c], texts[s : s + c], options) for s, c in zip(starts, counts)]
        elif FORK:
            # What every worker would compute (and import datasketch and scipy for), once here.
            permutations(options.num_perm, options.seed)
            bands_rows(options.lsh_threshold, options.num_perm)
            blocks = self._forked((titles, texts, options), _sign, starts, counts)
        else:
            with ProcessPoolExecutor(self.jobs, initializer=worker_init) as pool:
                parts = [titles[s : s + c] for s, c in zip(starts, counts)], [texts[s : s + c] for s, c in zip(starts, counts)]
                blocks = list(pool.map(_sign, starts, counts, *parts, [options] * len(starts)))
        return assemble(blocks, len(docs), options)

    def candidates(self, signed: Signed, options) -> dict[str, set[tuple[int, int]]]:  # type: ignore[no-untyped-def]
        out = {}
        for name, sigs, keys in (("title", signed.t_sigs, signed.t_keys), ("paragraph", signed.p_sigs, signed.p_keys), ("document", signed.d_sigs, signed.d_keys)):
            if keys is not None:
                out[name] = key_pairs(keys)
            elif sigs is not None:
                out[name] = candidate_pairs(sigs, options.lsh_threshold)
        return out

    def verify(self, level: Level, pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
        if self.jobs > 1 and FORK and len(pairs) >= PARALLEL_PAIRS:
            # Contiguous runs of the sorted pairs, so a worker reuses the shingle sets it made.
            size = -(-len(pairs) // (4 * self.jobs))
            oks = [ok for part in self._forked(level, _accepts, [pairs[k : k + size] for k in range(0, len(pairs), size)]) for ok in part]
        else:
            oks = level.accepts(pairs)
        return [p for p, ok in zip(pairs, oks) if ok]

    def _forked(self, shared: Any, fn: Callable[..., Any], *args: Sequence[Any]) -> list[Any]:
        """`map(fn, *args)` in `jobs` workers forked with `shared` in place."""
        global _SHARED
        _SHARED = shared
        try:
            with ProcessPoolExecutor(self.jobs, multiprocessing.get_context("fork"), initializer=worker_init) as pool:
                return list(pool.map(fn, *args))
        finally:
            _SHARED = None
