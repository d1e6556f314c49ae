"""The local engine: the finder's stages on this machine, in `jobs` processes: this one and, where
it pays, `jobs - 1` workers beside it.

On Linux the workers are forked once the work exists, so they inherit it: first the corpus to
sign, then (forked again, for the candidate pairs of all levels at once) the signed corpus. A task
is then a few numbers or a list of pairs, never pickled texts or shingles; the workers take their
tasks themselves, this process works through the same list from its other end (`_alongside`), and
the blocks the workers sign come back as memory files, not through a pipe (`parking`). Elsewhere
the workers are given the texts pickled, and verification runs in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import numpy as np

from cleaner.dedup.lsh import bands_rows, candidate_codes, key_pair_codes
from cleaner.dedup.minhash import permutations
from cleaner.dedup.options import DupOptions
from cleaner.dedup.pairs import decode_pairs, merge_codes, pair_list
from cleaner.dedup.stages import Block, Signed, assemble, level_of, sign_block, with_band_keys
from cleaner.dedup.verify import Level
from cleaner.engines.parking import Mailbox, Parked, park
from cleaner.engines.workers import worker_init
from cleaner.model import Document
from cleaner.progress import Report, counter

# Articles per block: their tokens (a Python string per word, ~20x the text) exist only while
# the block is signed, so memory follows the block, not the corpus.
BLOCK = 2000
# Fewer candidate pairs than this are verified in this process: a fork costs more.
PARALLEL_PAIRS = 4000
# Pairs verified in this process between two progress events.
VERIFY_STEP = 20_000
FORK = sys.platform == "linux"  # fork is safe and cheap there; macOS's system libraries object

# What a forked worker was given (`_adopt`): (titles, texts, options, mailbox sender) to sign, or
# (signed, options) to verify.
_SHARED: Any = None
_QUEUE: Any = None  # (ends, tasks): see `_alongside`
_LEVELS: dict[str, Level] = {}  # a worker's levels, made once from the signed corpus it inherited
Sink = Callable[[Block, Sequence[str | None], Sequence[str]], None]


def _adopt(shared: Any, queue: Any = None) -> None:
    global _SHARED, _QUEUE
    worker_init()
    _SHARED, _QUEUE = shared, queue


def _drain(remote: Callable[..., Any]) -> list[tuple[int, Any]]:
    """`remote(*task)` for each task that this worker takes from the front of `_alongside`'s
    queue, until none is left."""
    ends, tasks = _QUEUE
    parent = os.getppid()
    done = []
    # A main process killed (SIGKILL: no clean-up) must not leave its workers to finish the list.
    while os.getppid() == parent and (k := _take(ends, front=True)) is not None:
        done.append((k, remote(*tasks[k])))
    return done


def _close(ends: Any) -> None:
    """No task is taken any more."""
    with ends.get_lock():
        ends[1] = ends[0]


def _take(ends: Any, front: bool) -> int | None:
    """The next task from the front or the back of a queue whose untaken tasks are
    ends[0] .. ends[1] - 1, or None when they have met."""
    with ends.get_lock():
        if ends[0] >= ends[1]:
            return None
        if front:
            ends[0] += 1
            return int(ends[0] - 1)
        ends[1] -= 1
        return int(ends[1])


def _sign(
    first: int,
    count: int,
    titles: Sequence[str | None] | None = None,
    texts: Sequence[str] | None = None,
    options: DupOptions | None = None,
) -> Block:
    if texts is None:
        all_titles, all_texts, options, _ = _SHARED
        titles, texts = all_titles[first : first + count], all_texts[first : first + count]
    assert titles is not None and options is not None
    return with_band_keys(sign_block(first, titles, texts, options), options)


def _sign_sent(first: int, titles: Sequence[str | None], texts: Sequence[str], options: DupOptions) -> Block:
    return _sign(first, len(texts), titles, texts, options)


# A signing process holds about this much per article of its block (tokens, shingles, signatures;
# measured on 6.7 KB articles), and the block waits in the main process as well.
SIGNING_BYTES = 120_000


def block_size(memory: int, jobs: int) -> int:
    """Articles per block of `sign_stream`, so that the blocks in flight (`jobs + 1`) take at
    most half of `memory`; never more than `BLOCK`, nor fewer than 100 (or `BLOCK`)."""
    return max(min(100, BLOCK), min(BLOCK, memory // 2 // (SIGNING_BYTES * (max(1, jobs) + 1))))


def _blocks(docs: Iterable[Document], size: int) -> Iterator[tuple[int, list[str | None], list[str]]]:
    first, titles, texts = 0, [], []  # type: ignore[var-annotated]
    for d in docs:
        titles.append(d.title)
        texts.append(d.text)
        if len(texts) == size:
            yield first, titles, texts
            first, titles, texts = first + size, [], []
    if texts:
        yield first, titles, texts


def _sign_parked(first: int, count: int) -> Block | Parked:
    return park(_sign(first, count), _SHARED[3])


def _judge(kind: str, pairs: np.ndarray) -> list[float | None]:
    if kind not in _LEVELS:
        _LEVELS[kind] = level_of(_SHARED[0], kind, _SHARED[1])
    return _LEVELS[kind].judge(pair_list(pairs))


def _accepted(level: Level, pairs: np.ndarray) -> list[tuple[int, int]]:
    listed = pair_list(pairs)
    return [p for p, ok in zip(listed, level.accepts(listed), strict=False) if ok]


def _accepted_stepwise(
    level: Level, pairs: np.ndarray, before: int, step: Callable[[int], None]
) -> list[tuple[int, int]]:
    """`_accepted`, `VERIFY_STEP` pairs at a time (each pair is judged alone, so the steps
    change nothing), `step` told the pairs done, counting `before` of earlier levels."""
    found: list[tuple[int, int]] = []
    for lo in range(0, len(pairs), VERIFY_STEP):
        found += _accepted(level, pairs[lo : lo + VERIFY_STEP])
        step(before + min(lo + VERIFY_STEP, len(pairs)))
    return found


class LocalEngine:
    def __init__(self, jobs: int = 1) -> None:
        self.jobs = jobs
        self._signed: tuple[Signed, Any] | None = None  # for workers forked to verify

    def sign(self, docs: Sequence[Document], options: DupOptions) -> Signed:
        titles = [d.title for d in docs]
        texts = [d.text for d in docs]
        starts = list(range(0, len(docs), BLOCK))
        counts = [min(BLOCK, len(docs) - s) for s in starts]
        if self.jobs <= 1 or len(starts) <= 1:
            spans = zip(starts, counts, strict=True)
            blocks = [_sign(s, c, titles[s : s + c], texts[s : s + c], options) for s, c in spans]
        elif FORK:
            # Made once here, so that the workers inherit them instead of each making them.
            permutations(options.num_perm, options.seed)
            bands_rows(options.lsh_threshold, options.num_perm)
            # The workers' blocks come back parked in memory (`parking`).
            with Mailbox() as mailbox:
                found = self._alongside(
                    (titles, texts, options, mailbox.sender),
                    _sign_parked,
                    lambda s, c: _sign(s, c, titles[s : s + c], texts[s : s + c], options),
                    list(zip(starts, counts, strict=False)),
                )
                blocks = [mailbox.unpark(b) for b in found]
        else:
            with ProcessPoolExecutor(self.jobs, initializer=worker_init) as pool:
                parts = (
                    [titles[s : s + c] for s, c in zip(starts, counts, strict=False)],
                    [texts[s : s + c] for s, c in zip(starts, counts, strict=False)],
                )
                blocks = list(pool.map(_sign, starts, counts, *parts, [options] * len(starts)))
        return assemble(blocks, len(docs), options, threads=self.jobs)

    def sign_stream(self, docs: Iterable[Document], options: DupOptions, memory: int, sink: Sink) -> int:
        """Sign the documents as they come, in blocks (`block_size`), each handed in input order
        to `sink(block, titles, texts)` with its band keys; returns the number of documents.
        With `jobs` > 1 the blocks are signed in `jobs` worker processes, given the texts, at
        most `jobs + 1` blocks in flight: memory follows the block, not the corpus."""
        count = 0
        blocks = _blocks(docs, block_size(memory, self.jobs))
        if self.jobs <= 1:
            for first, titles, texts in blocks:
                sink(_sign(first, len(texts), titles, texts, options), titles, texts)
                count += len(texts)
            return count
        permutations(options.num_perm, options.seed)
        bands_rows(options.lsh_threshold, options.num_perm)
        context = multiprocessing.get_context("fork") if FORK else None
        pool = ProcessPoolExecutor(self.jobs, context, initializer=worker_init)
        pending: deque[tuple[Future[Block], list[str | None], list[str]]] = deque()
        try:
            for first, titles, texts in blocks:
                pending.append((pool.submit(_sign_sent, first, titles, texts, options), titles, texts))
                count += len(texts)
                while len(pending) > self.jobs or (pending and pending[0][0].done()):
                    done, titles, texts = pending.popleft()
                    sink(done.result(), titles, texts)
            while pending:
                done, titles, texts = pending.popleft()
                sink(done.result(), titles, texts)
            return count
        finally:
            pool.shutdown(cancel_futures=True)

    def hold(self, signed: Signed, options: DupOptions) -> None:
        """Verify against `signed` (its candidates found elsewhere: `dedup.spill`)."""
        self._signed = (signed, options)

    def candidates(self, signed: Signed, options: DupOptions) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        levels = [(name, part.keys) for name, part in signed.levels() if part.keys is not None]
        # Threads, not processes: the time is in numpy's sorts, which let go of the GIL, and a
        # forked worker pays a page copy for every page it allocates from the parent's heap.
        tasks = [(name, k[lo : lo + 3]) for name, k in levels for lo in range(0, len(k), 3)]
        with ThreadPoolExecutor(max(1, min(self.jobs, len(tasks)))) as threads:
            codes = list(threads.map(key_pair_codes, [k for _, k in tasks]))
        for name, k in levels:
            mine = [c for (task, _), c in zip(tasks, codes, strict=True) if task == name]
            out[name] = decode_pairs(merge_codes(mine), k.shape[1])
        for name, part in signed.levels():
            if name not in out and part.sigs is not None:
                out[name] = decode_pairs(candidate_codes(part.sigs, options.lsh_threshold), len(part.sigs))
        self._signed = (signed, options)
        return out

    def verify(
        self, work: Sequence[tuple[Level, np.ndarray]], report: Report | None = None, stage: str = "verification"
    ) -> Iterator[list[tuple[int, int]]]:
        total = sum(len(pairs) for _, pairs in work)
        step = counter(report, stage, total, "pairs")
        step(0)
        big = [k for k, (_, pairs) in enumerate(work) if len(pairs) >= PARALLEL_PAIRS]
        if self.jobs <= 1 or not FORK or self._signed is None or not big:
            before = 0
            for level, pairs in work:
                yield _accepted_stepwise(level, pairs, before, step)
                before += len(pairs)
            return
        levels = {level.kind: level for level, _ in work}
        # The big levels in contiguous runs of their sorted pairs (a worker reuses the shingle
        # sets it made); the small ones whole, last: this process starts there.
        tasks = [
            (level.kind, pairs[i : i + n])
            for level, pairs in (work[k] for k in big)
            for n in [-(-len(pairs) // (4 * self.jobs))]
            for i in range(0, len(pairs), n)
        ]
        tasks += [(level.kind, pairs) for k, (level, pairs) in enumerate(work) if k not in big]
        # Pairs of the tasks before each one: what the tasks taken so far hold.
        upto = np.cumsum([0] + [len(pairs) for _, pairs in tasks]).tolist()
        judged = self._alongside(
            self._signed,
            _judge,
            lambda kind, pairs: levels[kind].judge(pair_list(pairs)),
            tasks,
            lambda front, back: step(upto[front] + upto[-1] - upto[back]),
        )
        step(total)
        found: dict[str, list[tuple[int, int]]] = {kind: [] for kind in levels}
        for (kind, pairs), similarities in zip(tasks, judged, strict=False):
            accepted = [(p, s) for p, s in zip(pair_list(pairs), similarities, strict=False) if s is not None]
            levels[kind].known.update(accepted)
            found[kind] += [p for p, _ in accepted]
        yield from (found[level.kind] for level, _ in work)

    def close(self) -> None:
        self._signed = None

    def _alongside(
        self,
        shared: Any,
        remote: Callable[..., Any],
        here: Callable[..., Any],
        tasks: Sequence[tuple[Any, ...]],
        taken: Callable[[int, int], None] | None = None,
    ) -> list[Any]:
        """`[here(*t) for t in tasks]`, with `jobs - 1` workers forked with `shared` in place
        running `remote(*t)` on the tasks from the front while this process runs `here(*t)` on
        them from the back, until they meet: every process busy to the end, and what this
        process does is not sent through a pipe. The workers take their tasks themselves (a
        counter in shared memory): handed out from here, the next one waited for this process,
        busy with its own, to notice (measured: 45 ms a task). After each of its own tasks this
        process tells `taken(front, back)` which have been taken: tasks[:front] and tasks[back:]
        (begun, not all finished: the workers' are not waited for)."""
        context = multiprocessing.get_context("fork")
        ends = context.Array("q", [0, len(tasks)])
        results: list[Any] = [None] * len(tasks)
        pool = self._fork(shared, self.jobs - 1, (ends, tasks))
        try:
            drains = [pool.submit(_drain, remote) for _ in range(self.jobs - 1)]
            while (k := _take(ends, front=False)) is not None:
                results[k] = here(*tasks[k])
                if taken is not None:
                    taken(int(ends[0]), int(ends[1]))
                if any(d.done() and d.exception() is not None for d in drains):
                    break
            _close(ends)  # (where a worker failed, the others are not to finish the list first)
            for d in drains:
                for k, result in d.result():
                    results[k] = result
            return results
        finally:
            _close(ends)  # on an error or Ctrl-C here, no worker starts another task
            # The workers are gone before the caller goes on: while forked workers live, each
            # page of this process that they share costs a copy the first time this process
            # writes to it (a reference count will do), which made clustering beside them 1.5x
            # slower.
            pool.shutdown(cancel_futures=True)

    def _fork(self, shared: Any, workers: int, queue: Any) -> Executor:
        """A pool of workers forked with `shared` and `queue` in place: a forked worker gets its
        initializer's arguments as they are in memory, not pickled."""
        return ProcessPoolExecutor(
            workers, multiprocessing.get_context("fork"), initializer=_adopt, initargs=(shared, queue)
        )
