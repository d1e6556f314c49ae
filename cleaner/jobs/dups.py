"""The duplicate finder's job: find the corpus's clusters and, with `drop_to`, write it again
without the duplicates.

On the local engine the corpus is read as a stream (`find_duplicates_streamed`: memory bounded
by `memory`, the rest in a working directory under `work_dir`), then read again for the texts
of the clusters' members (put aside on disk until a report reads them: `dedup.texts`) and, with
`drop_to`, once more to write it. On the Ray engine the
workers read shards of the input themselves (`_run_sharded`, `engines.ray_dups`). `--no-verify`,
which needs every signature, reads the corpus into memory (on either engine).

This is the library form of `cleaner dups`; the CLI only adds options, progress and reports.
Its stages, as `report` hears them (`cleaner.progress`): `reading and signing` (`reading` and
`signing` in memory), `candidates`, `verification`, `clusters`, `reading members` (the second
read, local engine) and, with `drop_to`, `writing`.
"""

from __future__ import annotations

import os
import time
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleaner.dedup.options import DupOptions
from cleaner.dedup.texts import TextSpill
from cleaner.errors import InputError
from cleaner.io.readers import InputFile, ReadCount, ReadOptions, accepted, iter_input_files, read_file
from cleaner.io.relocate import read_again
from cleaner.io.shards import CHANGED, seekable
from cleaner.io.writers import open_writer, plan_outputs
from cleaner.model import Cluster, Document, Member, Rejected
from cleaner.normalize.engine import apply_changes
from cleaner.normalize.registry import Change
from cleaner.progress import Meter, Reading, Report, counted, counter, reading
from cleaner.text import remove_paragraphs_spans, split_paragraphs


@dataclass(frozen=True)
class DupsJob:
    paths: Sequence[str | os.PathLike[str]]
    options: DupOptions
    read_options: ReadOptions = ReadOptions()
    skip_invalid: bool = False
    engine: str = "local"  # call `cleaner.engines.check_dups_engine` first
    address: str | None = None
    drop_to: Path | None = None  # write the corpus without its duplicates here
    work_dir: Path | None = None  # where the working directory goes (default: the system temp dir)
    memory: int | None = None  # the streamed finder's budget in bytes (default: `DEFAULT_MEMORY`)


@dataclass
class DupsRun:
    clusters: Sequence[Cluster]  # `members.Clusters` after a second read: made as asked for
    stats: dict[str, Any]
    rejected: list[Rejected] = field(default_factory=list)
    removals: list[dict[str, object]] | None = None  # with `drop_to`: what was left out


def run_dups(job: DupsJob, report: Report | None = None) -> DupsRun:
    if job.engine == "local" and job.options.verify:
        return _run_streamed(job, report)
    if job.engine == "ray" and job.options.verify:
        return _run_sharded(job, report)
    from cleaner.dedup.finder import find_duplicates_on

    rejected: list[Rejected] = []
    corpus = load_corpus(job.paths, job.read_options, job.skip_invalid, rejected.append, report)
    result = find_duplicates_on(job.engine, job.address, corpus.documents, job.options, report)
    run = DupsRun(result.clusters, {**result.stats, "read": corpus.read, "rejected": corpus.rejected}, rejected)
    if job.drop_to is not None:
        docs = corpus.documents
        by_path = {f.path: file_docs for f, file_docs in corpus.files}
        written, run.removals = write_without_duplicates(
            [f for f, _ in corpus.files],
            lambda f: iter(by_path[f.path]),
            result.clusters,
            lambda i: len(split_paragraphs(docs[i].text)),
            job.drop_to,
            job.read_options,
            counter(report, "writing", corpus.read - corpus.rejected, "records"),
        )
        run.stats.update(written=written, dropped=corpus.read - corpus.rejected - written)
    return run


def _run_streamed(job: DupsJob, report: Report | None) -> DupsRun:
    from cleaner.dedup.finder import DEFAULT_MEMORY, find_duplicates_streamed
    from cleaner.dedup.members import fill_members

    rejected: list[Rejected] = []
    count = ReadCount()
    files = iter_input_files(job.paths)
    again = _Rereader(job.read_options)
    # The signing keeps up with the reading (a few blocks in flight): one stage for both.
    first = reading(report, "reading and signing", [f.path for f in files])
    docs = first.count(
        d for f in files for d in accepted(again.first_read(f, first.meter), job.skip_invalid, count, rejected.append)
    )
    result = find_duplicates_streamed(docs, job.options, job.work_dir, job.memory or DEFAULT_MEMORY, report)
    paragraphs = _paragraph_counts(job)
    members = reading(report, "reading members", [f.path for f in files])
    clusters = fill_members(
        result.clusters, lambda wanted: again.documents(files, wanted, paragraphs, members), _texts(job)
    )
    members.end()  # (the read stops at the last member)
    run = DupsRun(clusters, {**result.stats, "read": count.read, "rejected": count.rejected}, rejected)
    return _dropped(job, run, files, again, paragraphs, report)


def _dropped(
    job: DupsJob,
    run: DupsRun,
    files: Sequence[InputFile],
    again: _Rereader,
    paragraphs: dict[int, int] | None,
    report: Report | None,
) -> DupsRun:
    """The run, and with `drop_to` the corpus written there without its duplicates (read again)."""
    if job.drop_to is not None and paragraphs is not None:
        kept = run.stats["read"] - run.stats["rejected"]
        written, run.removals = write_without_duplicates(
            files,
            again.read,
            run.clusters,
            paragraphs.__getitem__,
            job.drop_to,
            job.read_options,
            counter(report, "writing", kept, "records"),
        )
        run.stats.update(written=written, dropped=kept - written)
    return run


def _run_sharded(job: DupsJob, report: Report | None) -> DupsRun:
    """On Ray: the workers read their shards of the input themselves (`engines.ray_dups`)."""
    from cleaner.dedup.finder import placeholder_result
    from cleaner.dedup.members import PlaceTexts, Wanted, fill_places
    from cleaner.engines.ray_dups import RayDups

    started = time.perf_counter()
    files = iter_input_files(job.paths)
    again = _Rereader(job.read_options, {f.path: _stamp(f.path) for f in files})
    paragraphs = _paragraph_counts(job)

    def members(wanted: Wanted) -> Iterator[PlaceTexts]:
        for found in engine.read_places(wanted, job.read_options, count=paragraphs is not None):
            if paragraphs is not None and found.paragraphs is not None:
                paragraphs[found.index] = found.paragraphs
            yield found

    with RayDups(job.address, work_dir=job.work_dir) as engine:
        found = engine.find(files, job.read_options, job.options, job.skip_invalid, report)
        result = placeholder_result(found.levels, found.stats, job.options, started)
        found.levels = []  # (the placeholders hold the same arrays, reordered)
        step = counter(report, "reading members", 1, "corpus")
        step(0)
        clusters = fill_places(result.clusters, members, _texts(job))
        step(1)
    stats = {**result.stats, "read": found.read, "rejected": len(found.rejected)}
    return _dropped(job, DupsRun(clusters, stats, found.rejected), files, again, paragraphs, report)


def _paragraph_counts(job: DupsJob) -> dict[int, int] | None:
    """Where the members' paragraph counts go, which only `--drop` needs (an entry per article in
    a cluster: at a million articles, most of them)."""
    return {} if job.drop_to is not None else None


def _texts(job: DupsJob) -> TextSpill:
    """Where the members' texts go: memory, up to a sixteenth of the budget, then the disk."""
    from cleaner.dedup.finder import DEFAULT_MEMORY

    return TextSpill(job.work_dir, (job.memory or DEFAULT_MEMORY) // TEXTS_SHARE)


# The share of the memory budget the members' texts may take (in bytes of UTF-8) before they go to disk.
TEXTS_SHARE = 16


def _stamp(path: Path) -> tuple[int, ...] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


@dataclass
class _Rereader:
    """Reads each input file again, as it was read the first time: a file changed in between
    is an error, since its record numbers may no longer be the ones found. Where each document
    was is kept (its record and line, 16 bytes), so that the members of a plain JSONL file
    (`shards.seekable`) are read from their own lines (`relocate`) and a file without members is
    not read at all."""

    read_options: ReadOptions
    stamps: dict[Path, tuple[int, ...] | None] = field(default_factory=dict)
    origins: dict[Path, tuple[array[int], array[int]]] = field(default_factory=dict)

    def first_read(self, f: InputFile, meter: Meter) -> Iterator[Document | Rejected]:
        self.stamps[f.path] = _stamp(f.path)
        records, lines = self.origins.setdefault(f.path, (array("q"), array("q")))
        for item in read_file(f, self.read_options, meter):
            if isinstance(item, Document):
                records.append(item.origin.record)
                lines.append(item.origin.line or 0)
            yield item

    def _unchanged(self, f: InputFile) -> None:
        if _stamp(f.path) != self.stamps.get(f.path):
            raise InputError(str(f.path), CHANGED)

    def read(self, f: InputFile, meter: Meter | None = None) -> Iterator[Document]:
        self._unchanged(f)
        # Its rejected records were counted (or stopped the run) the first time.
        return accepted(read_file(f, self.read_options, meter), True, ReadCount())

    def documents(
        self, files: Sequence[InputFile], wanted: set[int], paragraphs: dict[int, int] | None, read: Reading
    ) -> Iterator[tuple[int, Document]]:
        """The documents at the article numbers `wanted`, in input order, counted by `read`;
        `paragraphs`, if given, learns how many paragraphs each has (what `--drop` must leave)."""
        first, ordered = 0, sorted(wanted)
        for f in files:
            records, lines = self.origins.get(f.path, (array("q"), array("q")))
            lo, hi = bisect_left(ordered, first), bisect_left(ordered, first + len(records))
            mine = [i - first for i in ordered[lo:hi]]
            if mine and seekable(f):
                self._unchanged(f)
                again = read_again(f, self.read_options, [(records[k], lines[k]) for k in mine])
                found = zip((first + k for k in mine), read.count(again), strict=True)
            else:
                found = ((first + k, d) for k, d in _at(read.count(self.read(f, read.meter)), mine))
            for i, doc in found:
                if paragraphs is not None:
                    paragraphs[i] = len(split_paragraphs(doc.text))
                yield i, doc
            first += len(records)


def _at(docs: Iterator[Document], positions: list[int]) -> Iterator[tuple[int, Document]]:
    """The documents at the ascending `positions` of `docs`, read no further than the last."""
    wanted = iter(positions)
    position = next(wanted, None)
    for k, doc in enumerate(docs) if position is not None else ():
        if k == position:
            yield k, doc
            position = next(wanted, None)
            if position is None:
                return


@dataclass
class Corpus:
    """Documents read into memory with the file each came from (the finder needs them all)."""

    files: list[tuple[InputFile, list[Document]]] = field(default_factory=list)
    read: int = 0
    rejected: int = 0

    @property
    def documents(self) -> list[Document]:
        return [d for _, docs in self.files for d in docs]


def load_corpus(
    paths: Sequence[str | os.PathLike[str]],
    read_options: ReadOptions,
    skip_invalid: bool = False,
    on_reject: Callable[[Rejected], None] | None = None,
    report: Report | None = None,
) -> Corpus:
    corpus = Corpus()
    count = ReadCount()
    files = iter_input_files(paths)
    read = reading(report, "reading", [f.path for f in files])
    for f in files:
        docs = accepted(read_file(f, read_options, read.meter), skip_invalid, count, on_reject)
        corpus.files.append((f, list(read.count(docs))))
    corpus.read, corpus.rejected = count.read, count.rejected
    return corpus


def plan_drops(
    clusters: Sequence[Cluster], paragraph_count: Callable[[int], int]
) -> tuple[set[int], dict[int, set[int]], list[dict[str, object]]]:
    """What `--drop` removes: every non-representative article of a document cluster, and every
    non-representative copy of a repeated paragraph (from the articles that stay). Returns the
    dropped record positions, the paragraphs to remove per position, and the list of removals.
    `paragraph_count(i)` is how many paragraphs article i has (asked of articles in clusters)."""
    dropped: set[int] = set()
    removals: list[dict[str, object]] = []
    places: list[tuple[int, int] | None] = []  # removals[k]'s (article, paragraph)
    for c in clusters:
        if c.kind != "document":
            continue
        for i, m in enumerate(c.members):
            if i != c.representative and m.index not in dropped:
                dropped.add(m.index)
                removals.append(_removal(c, m, c.members[c.representative], paragraph=False))
                places.append(None)
    paragraphs: dict[int, set[int]] = {}
    for c in clusters:
        if c.kind != "paragraph":
            continue
        # The copy that stays must be in an article that stays: the representative, unless its
        # article was dropped as a duplicate, then the first member whose article stays.
        kept = [i for i, m in enumerate(c.members) if m.index not in dropped]
        if not kept:
            continue
        keep = c.representative if c.representative in kept else kept[0]
        for i, m in enumerate(c.members):
            if i == keep or m.index in dropped or m.paragraph is None:
                continue
            paragraphs.setdefault(m.index, set()).add(m.paragraph)
            removals.append(_removal(c, m, c.members[keep], paragraph=True))
            places.append((m.index, m.paragraph))
    # Never empty an article: when every paragraph of one is a repeat, its first one stays.
    stay: set[tuple[int, int]] = set()
    for index, remove in paragraphs.items():
        if len(remove) >= paragraph_count(index):
            stay.add((index, min(remove)))
            remove.discard(min(remove))
    removals = [r for r, place in zip(removals, places, strict=True) if place not in stay]
    return dropped, paragraphs, removals


def _removal(c: Cluster, m: Member, rep: Member, paragraph: bool) -> dict[str, object]:
    """One entry of the report's `removals`: what went, from which cluster, a copy of what."""
    of: dict[str, object] = {"doc": rep.doc, "path": rep.path, "record": rep.record}
    if paragraph:
        of["paragraph"] = rep.paragraph
    where = {"doc": m.doc, "path": m.path, "record": m.record, "paragraph": m.paragraph if paragraph else None}
    return {**where, "cluster": c.id, "duplicate_of": of}


def write_without_duplicates(
    files: Sequence[InputFile],
    records: Callable[[InputFile], Iterator[Document]],
    clusters: Sequence[Cluster],
    paragraph_count: Callable[[int], int],
    output: Path,
    read_options: ReadOptions,
    step: Callable[[int], None] | None = None,
) -> tuple[int, list[dict[str, object]]]:
    """Write the corpus (`records(f)`: file f's documents, in order) to `output` without the
    duplicates `plan_drops` chose; return how many records were written and the removals.
    `step` is told how many records have gone through (`progress.counted`)."""
    targets = plan_outputs(files, output, False, len({f.root for f in files}) > 1)
    dropped, paragraphs, removals = plan_drops(clusters, paragraph_count)
    written = 0
    index = 0
    for f in files:
        writer = open_writer(f, targets[f.path], read_options)
        try:
            for doc in records(f) if step is None else counted(records(f), step, index):
                i, index = index, index + 1
                if i in dropped:
                    continue
                if i in paragraphs:
                    doc = doc.with_content(doc.title, _without_paragraphs(doc.text, paragraphs[i]))
                writer.write(doc)
                written += 1
            writer.commit()
        finally:
            writer.abort()
    return written, removals


def _without_paragraphs(text: str, remove: set[int]) -> str:
    spans = sorted(remove_paragraphs_spans(split_paragraphs(text), remove).values())
    return apply_changes(text, [Change(a, b) for a, b in spans])
