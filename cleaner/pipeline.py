"""The batch-cleaning job: read -> normalize -> write, one input file at a time, with every record
accounted for (read = written + rejected).

This is the library form of `cleaner clean`; the CLI only adds options, progress and reports.
"""

from __future__ import annotations

import base64
import json
import os
from collections import Counter
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleaner.errors import InputError
from cleaner.io.readers import InputFile, ReadOptions, iter_input_files, read_file
from cleaner.io.writers import AtomicFile, FileWriter, open_writer, plan_outputs
from cleaner.model import CleanResult, Cluster, Document, Rejected
from cleaner.normalize import clean_document, select_rules
from cleaner.normalize.engine import NotConverging, apply_changes
from cleaner.normalize.registry import Change, Rule
from cleaner.text import remove_paragraphs_spans, split_paragraphs
from cleaner.workers import worker_init


@dataclass
class CleanStats:
    files: int = 0
    read: int = 0
    written: int = 0
    rejected: int = 0
    changed: int = 0
    edits: Counter[str] = field(default_factory=Counter)
    flagged: Counter[str] = field(default_factory=Counter)
    kept_unchanged: list[str] = field(default_factory=list)  # in-place files left as they were

    def to_dict(self) -> dict[str, object]:
        return {
            "files": self.files,
            "read": self.read,
            "written": self.written,
            "rejected": self.rejected,
            "changed": self.changed,
            "edits": dict(sorted(self.edits.items())),
            "flagged": dict(sorted(self.flagged.items())),
        }


@dataclass(frozen=True)
class CleanJob:
    """What to clean and where to put it. `output=None` and `in_place=False` writes nothing (a
    check run); the records are still read and cleaned, and counted as written."""

    paths: Sequence[str | os.PathLike[str]]
    rules: Sequence[Rule]
    read_options: ReadOptions = ReadOptions()
    output: Path | None = None
    in_place: bool = False
    skip_invalid: bool = False
    jobs: int = 1  # worker processes for the normalizer (the CLI defaults to every core)
    engine: str = "local"  # or "ray": the chunks run as Ray tasks (on `address`, or a local Ray)
    address: str | None = None


def run_clean(
    job: CleanJob,
    on_result: Callable[[CleanResult], None] | None = None,
    on_reject: Callable[[Rejected], None] | None = None,
    on_file: Callable[[InputFile], None] | None = None,
) -> CleanStats:
    files = iter_input_files(job.paths)
    targets = plan_outputs(files, job.output, job.in_place, len(job.paths) > 1)
    stats = CleanStats()
    with _Cleaner(job) as cleaner:
        for f in files:
            if on_file:
                on_file(f)
            stats.files += 1
            target = targets.get(f.path)
            writer: FileWriter | None = None
            rejected_here = 0

            def documents(f: InputFile = f) -> Iterator[Document]:
                nonlocal rejected_here
                for item in read_file(f, job.read_options):
                    stats.read += 1
                    if isinstance(item, Rejected):
                        if not job.skip_invalid:
                            raise InputError(str(item.origin), item.reason)
                        stats.rejected += 1
                        rejected_here += 1
                        if on_reject:
                            on_reject(item)
                        continue
                    yield item

            try:
                for result in cleaner.clean(documents()):
                    if result.changed:
                        stats.changed += 1
                    stats.edits.update(e.rule for e in result.edits if e.action != "flagged")
                    stats.flagged.update(e.rule for e in result.edits if e.action == "flagged")
                    if target and writer is None:
                        writer = open_writer(f, target, job.read_options)
                    if writer:
                        writer.write(result.document)
                    stats.written += 1
                    if on_result:
                        on_result(result)
                # A file with a rejected record is never rewritten in place (the rejected record
                # would vanish from it), and a file with nothing readable gets no output at all.
                if target and not (rejected_here and (job.in_place or writer is None)):
                    if writer is None:
                        writer = open_writer(f, target, job.read_options)  # a valid, empty input
                    writer.commit()
                elif job.in_place and rejected_here:
                    stats.kept_unchanged.append(str(f.path))
            finally:
                if writer:
                    writer.abort()  # no-op after a commit; removes the temporary file otherwise
    return stats


CHUNK = 256  # documents sent to a worker at a time


def _clean_chunk(docs: list[Document], rule_names: list[str]) -> list[CleanResult]:
    return list(_clean_chunk_lazy(iter(docs), select_rules(rule_names) if rule_names else []))


class _Cleaner:
    """Cleans a stream of documents, in order, in this process, in `job.jobs` worker processes or
    as Ray tasks (`job.engine`).
    The pool starts only once there is more than one chunk of work, so small inputs pay nothing;
    results come back in input order, so the output is the same for any number of jobs."""

    def __init__(self, job: CleanJob) -> None:
        self.job = job
        self.names = [r.name for r in job.rules]
        self.pool: Any = None  # a ProcessPoolExecutor, or an engines.ray.RayPool
        self.workers = job.jobs

    def __enter__(self) -> _Cleaner:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def clean(self, docs: Iterator[Document]) -> Iterator[CleanResult]:
        if self.job.jobs <= 1 and self.job.engine == "local":
            yield from _clean_chunk_lazy(docs, self.job.rules)
            return
        pending: deque[Future[list[CleanResult]]] = deque()
        chunk: list[Document] = []
        for doc in docs:
            chunk.append(doc)
            if len(chunk) == CHUNK:
                yield from self._submit(chunk, pending)
                chunk = []
        if chunk:
            if self.pool is None and not pending:
                yield from _clean_chunk_lazy(iter(chunk), self.job.rules)  # small input: no pool
            else:
                yield from self._submit(chunk, pending)
        while pending:
            yield from pending.popleft().result()

    def _submit(self, chunk: list[Document], pending: deque[Future[list[CleanResult]]]) -> Iterator[CleanResult]:
        if self.pool is None:
            if self.job.engine == "ray":
                from cleaner.engines.ray import RayPool, RaySession

                self.pool = RayPool(RaySession(self.job.address))
                self.workers = self.pool.workers
            else:
                self.pool = ProcessPoolExecutor(max_workers=self.job.jobs, initializer=worker_init)
        pending.append(self.pool.submit(_clean_chunk, chunk, self.names))
        # Keep at most two chunks per worker in flight: memory stays bounded while streaming.
        while len(pending) > 2 * self.workers:
            yield from pending.popleft().result()


def _clean_chunk_lazy(docs: Iterator[Document], rules: Sequence[Rule]) -> Iterator[CleanResult]:
    for doc in docs:
        try:
            yield clean_document(doc, rules)
        except NotConverging as e:
            raise InputError(str(doc.origin), str(e)) from None


def write_rejects(path: Path, rejects: Sequence[Rejected]) -> None:
    """The rejects file: one JSON object a line with where, why, and the record as it was read."""
    out = AtomicFile(path)
    try:
        for r in rejects:
            row: dict[str, object] = {"path": r.origin.path, "record": r.origin.record, "line": r.origin.line, "reason": r.reason, "raw": r.raw}
            if isinstance(r.raw, bytes):  # not valid UTF-8: kept exactly, as base64
                row.update(raw=None, raw_base64=base64.b64encode(r.raw).decode("ascii"))
            out.fh.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
        out.commit()
    finally:
        out.abort()


# --- the duplicate finder's job ------------------------------------------------------------------


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
) -> Corpus:
    corpus = Corpus()
    for f in iter_input_files(paths):
        docs: list[Document] = []
        for item in read_file(f, read_options):
            corpus.read += 1
            if isinstance(item, Rejected):
                if not skip_invalid:
                    raise InputError(str(item.origin), item.reason)
                corpus.rejected += 1
                if on_reject:
                    on_reject(item)
                continue
            docs.append(item)
        corpus.files.append((f, docs))
    return corpus


def plan_drops(docs: Sequence[Document], clusters: Sequence[Cluster]) -> tuple[set[int], dict[int, set[int]], list[dict[str, object]]]:
    """What `--drop` removes: every non-representative article of a document cluster, and every
    non-representative copy of a repeated paragraph (from the articles that stay). Returns the
    dropped record positions, the paragraphs to remove per position, and the list of removals."""
    dropped: set[int] = set()
    removals: list[dict[str, object]] = []
    for c in clusters:
        if c.kind != "document":
            continue
        rep = c.members[c.representative]
        for i, m in enumerate(c.members):
            if i != c.representative and m.index not in dropped:
                dropped.add(m.index)
                removals.append({"doc": m.doc, "path": m.path, "record": m.record, "paragraph": None, "cluster": c.id, "duplicate_of": {"doc": rep.doc, "path": rep.path, "record": rep.record}})
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
        rep = c.members[keep]
        for i, m in enumerate(c.members):
            if i == keep or m.index in dropped or m.paragraph is None:
                continue
            paragraphs.setdefault(m.index, set()).add(m.paragraph)
            removals.append({"doc": m.doc, "path": m.path, "record": m.record, "paragraph": m.paragraph, "cluster": c.id, "duplicate_of": {"doc": rep.doc, "path": rep.path, "record": rep.record, "paragraph": rep.paragraph}})
    # Never empty an article: when every paragraph of one is a repeat, its first one stays.
    for index, remove in paragraphs.items():
        if len(remove) >= len(split_paragraphs(docs[index].text)):
            kept = min(remove)
            remove.discard(kept)
            removals = [r for r in removals if not (r["paragraph"] == kept and r["doc"] == docs[index].id and r["record"] == docs[index].origin.record and r["path"] == docs[index].origin.path)]
    return dropped, paragraphs, removals


def write_without_duplicates(corpus: Corpus, clusters: Sequence[Cluster], output: Path, read_options: ReadOptions) -> tuple[int, list[dict[str, object]]]:
    """Write the corpus to `output` without the duplicates `plan_drops` chose; return how many
    records were written and the removals."""
    files = [f for f, _ in corpus.files]
    targets = plan_outputs(files, output, False, len({f.root for f in files}) > 1)
    docs = corpus.documents
    dropped, paragraphs, removals = plan_drops(docs, clusters)
    written = 0
    index = 0
    for f, file_docs in corpus.files:
        writer = open_writer(f, targets[f.path], read_options)
        try:
            for doc in file_docs:
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
