"""How far a run is: the events the jobs send to whoever shows them (the CLI, on a terminal).

The library only calls a `Report` with `Progress` events; it never draws anything, so a caller
that passes no report pays nothing. Events are sent every `EVERY` records and at the end of each
input file (one a file in a folder of .txt articles: little beside reading and cleaning one), per
band column, every `engines.local.VERIFY_STEP` pairs verified, per level clustered; for one stage
`done` only grows.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")

# Records between two reading events: a few a second at signing speed on news articles.
EVERY = 256


@dataclass(frozen=True)
class Progress:
    """One stage's state: `done` of `total` (None: not known ahead) `unit`s. A reading stage
    counts bytes of the files as they are on disk (compressed ones compressed), so that its
    total is known before anything is read, and says how many `records` those were."""

    stage: str
    done: int
    total: int | None
    unit: str
    records: int | None = None


Report = Callable[[Progress], None]


def total_bytes(paths: Iterable[os.PathLike[str] | str]) -> int:
    """The size on disk of the files named; one that cannot be stat'ed counts nothing (reading
    it will say why)."""
    size = 0
    for p in paths:
        with contextlib.suppress(OSError):
            size += os.stat(p).st_size
    return size


class Meter:
    """Bytes of the input read so far: the files finished, whole, and the open one up to where
    its reader stands in it (the position in the file on disk, so a .gz counts compressed)."""

    def __init__(self) -> None:
        self.finished = 0
        self.position: Callable[[], int] | None = None

    def follow(self, position: Callable[[], int]) -> None:
        """`position()`: how far into the open file its reader is (a handle's `tell`)."""
        self.position = position

    def finish(self, size: int) -> None:
        self.finished += size
        self.position = None

    def bytes(self) -> int:
        if self.position is None:
            return self.finished
        try:
            return self.finished + self.position()
        except (OSError, ValueError):  # the file closed between two records
            return self.finished


@dataclass
class Reading:
    """One pass over the input as a stage: `count(records)` passes a record stream through and
    reports bytes read (of `total`) and records every `EVERY` records and when it runs out;
    `meter` is the one to give the readers (`read_file`). Without a report it does nothing."""

    report: Report | None
    stage: str
    total: int
    meter: Meter = field(default_factory=Meter)
    records: int = 0

    def count(self, items: Iterable[T]) -> Iterator[T]:
        if self.report is None:
            return iter(items)
        # Files read to their end count whole: at the last, all of them.
        return counted(items, self.send, self.records)

    def send(self, records: int) -> None:
        self.records = records
        if self.report is not None:
            done = min(self.meter.bytes(), self.total)
            self.report(Progress(self.stage, done, self.total, "bytes", records))

    def end(self) -> None:
        """The pass is over, though it stopped before the end of the input."""
        if self.report is not None:
            self.report(Progress(self.stage, self.total, self.total, "bytes", self.records))


def reading(report: Report | None, stage: str, paths: Iterable[os.PathLike[str] | str]) -> Reading:
    """A `Reading` of the files `paths`, their total size from the file system."""
    return Reading(report, stage, total_bytes(paths) if report is not None else 0)


def counted(items: Iterable[T], step: Callable[[int], None], start: int = 0) -> Iterator[T]:
    """`items` passed through, `step(n)` told the count (from `start`) every `EVERY` items
    and once more when they run out."""
    n = start
    for item in items:
        n += 1
        if n % EVERY == 0:
            step(n)
        yield item
    step(n)


def counter(report: Report | None, stage: str, total: int | None, unit: str) -> Callable[[int], None]:
    """`step(done)` sending `Progress(stage, done, total, unit)`; a no-op without a report."""
    if report is None:
        return _ignore
    return lambda done: report(Progress(stage, done, total, unit))


def _ignore(done: int) -> None:
    pass
