"""The local engine: the finder's stages on this machine, in worker processes where it pays.

On Linux the workers are forked once the work exists, so they inherit it: first the corpus to
sign, then (a second pool, kept until `close`) the signed corpus whose candidate pairs to verify.
A task is then a few numbers or a list of pairs, never pickled texts or shingles. Elsewhere
signing gets its texts pickled and verification runs in this process."""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from cleaner.dedup.index import bands_rows, candidate_pairs, decode_pairs, key_pair_codes, merge_codes
from cleaner.dedup.minhash import permutations
from cleaner.dedup.stages import Block, Level, Signed, assemble, level_of, sign_block, with_band_keys
from cleaner.model import Document
from cleaner.workers import worker_init

# Articles per block: their tokens (a Python string per word, ~20x the text) exist only while
# the block is signed, so memory follows the block, not the corpus.
BLOCK = 2000
# Fewer candidate pairs than this are verified in this process: a fork costs more.
PARALLEL_PAIRS = 4000
FORK = sys.platform == "linux"  # fork is safe and cheap there; macOS's system libraries object

# What a forked worker was given (`_adopt`): (titles, texts, options) to sign, or (signed, options).
_SHARED: Any = None
_LEVELS: dict[str, Level] = {}  # a worker's levels, made once from the signed corpus it inherited


def _adopt(shared: Any) -> None:
    global _SHARED
    worker_init()
    _SHARED = shared


def _sign(first: int, count: int, titles: Sequence[str | None] | None = None, texts: Sequence[str] | None = None, options=None) -> Block:  # type: ignore[no-untyped-def]
    if texts is None:
        all_titles, all_texts, options = _SHARED
        titles, texts = all_titles[first : first + count], all_texts[first : first + count]
    assert titles is not None
    return with_band_keys(sign_block(first, titles, texts, options), options)


def _judge(kind: str, pairs: list[tuple[int, int]]) -> list[float | None]:
    if kind not in _LEVELS:
        _LEVELS[kind] = level_of(_SHARED[0], kind, _SHARED[1])
    return _LEVELS[kind].judge(pairs)


class LocalEngine:
    def __init__(self, jobs: int = 1) -> None:
        self.jobs = jobs
        self._pool: Executor | None = None
        self._signed: tuple[Signed, Any] | None = None  # for workers forked to verify

    def sign(self, docs: Sequence[Document], options) -> Signed:  # type: ignore[no-untyped-def]
        titles = [d.title for d in docs]
        texts = [d.text for d in docs]
        starts = list(range(0, len(docs), BLOCK))
        counts = [min(BLOCK, len(docs) - s) for s in starts]
        if self.jobs <= 1 or len(starts) <= 1:
            blocks = [_sign(s, c, titles[s : s + c], texts[s : s + c], options) for s, c in zip(starts, counts)]
        elif FORK:
            # Made once here, so that the workers inherit them instead of each making them.
            permutations(options.num_perm, options.seed)
            bands_rows(options.lsh_threshold, options.num_perm)
            blocks = self._forked((titles, texts, options), _sign, starts, counts)
        else:
            with ProcessPoolExecutor(self.jobs, initializer=worker_init) as pool:
                parts = [titles[s : s + c] for s, c in zip(starts, counts)], [texts[s : s + c] for s, c in zip(starts, counts)]
                blocks = list(pool.map(_sign, starts, counts, *parts, [options] * len(starts)))
        return assemble(blocks, len(docs), options)

    def candidates(self, signed: Signed, options) -> dict[str, set[tuple[int, int]]]:  # type: ignore[no-untyped-def]
        out: dict[str, set[tuple[int, int]]] = {}
        levels = [(name, keys) for name, keys in (("title", signed.t_keys), ("paragraph", signed.p_keys), ("document", signed.d_keys)) if keys is not None]
        # Threads, not processes: the time is in numpy's sorts, which let go of the GIL, and a
        # forked worker pays a page copy for every page it allocates from the parent's heap.
        tasks = [(name, k[lo : lo + 3]) for name, k in levels for lo in range(0, len(k), 3)]
        with ThreadPoolExecutor(max(1, min(self.jobs, len(tasks)))) as threads:
            codes = list(threads.map(key_pair_codes, [k for _, k in tasks]))
        for name, k in levels:
            out[name] = decode_pairs(merge_codes([c for (task, _), c in zip(tasks, codes) if task == name]), k.shape[1])
        for name, sigs in (("title", signed.t_sigs), ("paragraph", signed.p_sigs), ("document", signed.d_sigs)):
            if name not in out and sigs is not None:
                out[name] = candidate_pairs(sigs, options.lsh_threshold)
        self._signed = (signed, options)
        return out

    def verify(self, level: Level, pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
        if self.jobs <= 1 or not FORK or self._signed is None or len(pairs) < PARALLEL_PAIRS:
            return [p for p, ok in zip(pairs, level.accepts(pairs)) if ok]
        if self._pool is None:
            self._pool = self._fork(self._signed)
        # Contiguous runs of the sorted pairs, so a worker reuses the shingle sets it made.
        size = -(-len(pairs) // (4 * self.jobs))
        judged = [s for part in self._pool.map(_judge, [level.kind] * len(range(0, len(pairs), size)), [pairs[k : k + size] for k in range(0, len(pairs), size)]) for s in part]
        accepted = [(p, s) for p, s in zip(pairs, judged) if s is not None]
        level.known.update(accepted)
        return [p for p, _ in accepted]

    def close(self) -> None:
        self._signed = None
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def _fork(self, shared: Any) -> Executor:
        """A pool of `jobs` workers forked with `shared` in place: a forked worker gets its
        initializer's arguments as they are in memory, not pickled."""
        return ProcessPoolExecutor(self.jobs, multiprocessing.get_context("fork"), initializer=_adopt, initargs=(shared,))

    def _forked(self, shared: Any, fn: Callable[..., Any], *args: Sequence[Any]) -> list[Any]:
        """`map(fn, *args)` in `jobs` workers forked with `shared` in place."""
        pool = self._fork(shared)
        try:
            return list(pool.map(fn, *args))
        finally:
            # On an error or Ctrl-C, the blocks not started are dropped, not waited for.
            pool.shutdown(cancel_futures=True)
