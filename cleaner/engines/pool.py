"""Where the normalizer's work runs: in this process, in worker processes, or as Ray tasks, with
results in input order (so the output is the same for any number of jobs)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

from cleaner.engines.workers import worker_init

T = TypeVar("T")
R = TypeVar("R")
CHUNK = 256  # items sent to a worker at a time


class OrderedPool:
    """Maps work over a stream in chunks, in order. The pool starts only once there is more than
    one chunk of work, so small inputs pay nothing; at most two chunks per worker are in flight,
    so memory stays bounded while streaming. `shared`, a read-only object, reaches each worker
    once: `chunk_fn` gets its handle as the last argument (`engines.workers.shared(handle)`)."""

    def __init__(self, jobs: int, engine: str = "local", address: str | None = None, shared: Any = None) -> None:
        self.jobs, self.engine, self.address = jobs, engine, address
        self.shared = shared
        self.handle: Any = None  # what `chunk_fn` receives to find `shared` in its worker
        self.pool: Any = None  # a ProcessPoolExecutor, or an engines.ray.RayPool
        self.workers = jobs

    def __enter__(self) -> OrderedPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def map(
        self,
        items: Iterator[T],
        serial: Callable[[Iterator[T]], Iterator[R]],
        chunk_fn: Callable[..., list[R]],
        *args: Any,
    ) -> Iterator[R]:
        """`serial(items)` in this process, or `chunk_fn(chunk, *args)` (picklable, a function
        of a module) on the workers; either way the results of `items` in their order."""
        if self.jobs <= 1 and self.engine == "local":
            yield from serial(items)
            return
        pending: deque[Future[list[R]]] = deque()
        chunk: list[T] = []
        for item in items:
            chunk.append(item)
            if len(chunk) == CHUNK:
                yield from self._submit(pending, chunk_fn, chunk, *args)
                chunk = []
        if chunk:
            if self.pool is None and not pending:
                yield from serial(iter(chunk))  # small input: no pool
            else:
                yield from self._submit(pending, chunk_fn, chunk, *args)
        while pending:
            yield from pending.popleft().result()

    def _submit(
        self, pending: deque[Future[list[R]]], chunk_fn: Callable[..., list[R]], chunk: list[T], *args: Any
    ) -> Iterator[R]:
        if self.pool is None:
            if self.engine == "ray":
                from cleaner.engines.ray import RayPool, RaySession

                self.pool = RayPool(RaySession(self.address))
                self.workers = self.pool.workers
                self.handle = [self.pool.put(self.shared)]
            else:
                self.pool = ProcessPoolExecutor(max_workers=self.jobs, initializer=worker_init, initargs=(self.shared,))
        pending.append(self.pool.submit(chunk_fn, chunk, *args, self.handle))
        while len(pending) > 2 * self.workers:
            yield from pending.popleft().result()
