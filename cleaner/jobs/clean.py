"""The batch-cleaning job: read -> normalize -> write, one input file at a time, with every record
accounted for (read = written + rejected).

This is the library form of `cleaner clean`; the CLI only adds options, progress and reports.
Its stages, as `report` hears them (`cleaner.progress`): `evidence` (the first pass, with corpus
evidence), `reading`, `normalizing` and, when it writes, `writing` (files).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cleaner.engines.pool import OrderedPool
from cleaner.engines.workers import shared
from cleaner.errors import InputError
from cleaner.io.readers import InputFile, ReadCount, ReadOptions, accepted, iter_input_files, read_file
from cleaner.io.writers import FileWriter, open_writer, plan_outputs
from cleaner.model import CleanResult, Document, Rejected
from cleaner.normalize import clean_document, select_rules
from cleaner.normalize.engine import NotConverging
from cleaner.normalize.evidence import CorpusEvidence, Evidence, gather
from cleaner.normalize.options import NormalizeOptions, with_language
from cleaner.normalize.registry import Rule
from cleaner.progress import Reading, Report, counted, counter, reading


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

    def count(self, result: CleanResult) -> None:
        if result.changed:
            self.changed += 1
        self.edits.update(e.rule for e in result.edits if e.action != "flagged")
        self.flagged.update(e.rule for e in result.edits if e.action == "flagged")
        self.written += 1


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
    normalize: NormalizeOptions = NormalizeOptions()
    # The corpus's evidence when the caller has it already (`cleaner check --fix` fixes what the
    # check found, with the index's evidence): no first pass.
    evidence: Evidence | None = None


def run_clean(
    job: CleanJob,
    on_result: Callable[[CleanResult], None] | None = None,
    on_reject: Callable[[Rejected], None] | None = None,
    report: Report | None = None,
) -> CleanStats:
    files = iter_input_files(job.paths)
    targets = plan_outputs(files, job.output, job.in_place, len(job.paths) > 1)
    stats = CleanStats()
    paths = [f.path for f in files]
    records: int | None = None  # known ahead only after a first pass
    if job.evidence is not None:
        evidence = job.evidence
    elif job.normalize.evidence == "corpus":
        first = reading(report, "evidence", paths)
        evidence = corpus_evidence(job, files, first)
        records = first.records if report is not None else None
    else:
        evidence = Evidence()
    setting = (evidence, job.normalize)
    read = reading(report, "reading", paths)
    cleaned = counter(report, "normalizing", records, "records")
    wrote = counter(report if targets else None, "writing", len(targets), "files")
    with OrderedPool(job.jobs, job.engine, job.address, shared=setting) as pool:
        for f in files:
            stats.files += 1
            here = ReadCount()
            docs = read.count(accepted(read_file(f, job.read_options, read.meter), job.skip_invalid, here, on_reject))
            results = pool.map(docs, _clean_stream(job.rules, setting), clean_chunk, [r.name for r in job.rules])
            if report is not None:
                results = counted(results, cleaned, stats.written)
            _clean_file(job, f, targets.get(f.path), results, here, stats, on_result)
            wrote(stats.files)
            stats.read += here.read
            stats.rejected += here.rejected
    return stats


def _clean_file(
    job: CleanJob,
    f: InputFile,
    target: Path | None,
    results: Iterator[CleanResult],
    here: ReadCount,
    stats: CleanStats,
    on_result: Callable[[CleanResult], None] | None,
) -> None:
    writer: FileWriter | None = None
    try:
        for result in results:
            stats.count(result)
            if target and writer is None:
                writer = open_writer(f, target, job.read_options)
            if writer:
                writer.write(result.document)
            if on_result:
                on_result(result)
        # A file with a rejected record is never rewritten in place (the rejected record
        # would vanish from it), and a file with nothing readable gets no output at all.
        if target and not (here.rejected and (job.in_place or writer is None)):
            if writer is None:
                writer = open_writer(f, target, job.read_options)  # a valid, empty input
            writer.commit()
        elif job.in_place and here.rejected:
            stats.kept_unchanged.append(str(f.path))
    finally:
        if writer:
            writer.abort()  # no-op after a commit; removes the temporary file otherwise


Setting = tuple[Evidence, NormalizeOptions]


def corpus_evidence(job: CleanJob, files: Sequence[InputFile], read: Reading) -> Evidence:
    """The first pass: every input read once for its statistics (in the pool, chunk by chunk;
    the counts add up the same in any order), before any document is edited. A bad record stops
    this pass as it would the second, unless skipped. `read` counts what is read."""
    corpus = CorpusEvidence()
    with OrderedPool(job.jobs, job.engine, job.address, shared=job.normalize) as pool:
        for f in files:
            docs = read.count(accepted(read_file(f, job.read_options, read.meter), job.skip_invalid, ReadCount(), None))
            for part in pool.map(docs, lambda d: [_observe(d, job.normalize)], observe_chunk):
                corpus.add(part)
    return Evidence(corpus.pruned())


def _observe(docs: Iterable[Document], options: NormalizeOptions) -> CorpusEvidence:
    return gather(with_language(doc, options) for doc in docs)


def observe_chunk(docs: list[Document], handle: object) -> list[CorpusEvidence]:
    """A worker's share of the first pass: one evidence for the chunk."""
    return [_observe(docs, shared(handle))]


def clean_one(doc: Document, rules: Sequence[Rule], setting: Setting) -> CleanResult:
    """The clean job's one call into the normalizer, in this process or a worker: the document
    in its language, with the corpus's evidence."""
    evidence, options = setting
    try:
        return clean_document(with_language(doc, options), rules, evidence, options.min_confidence)
    except NotConverging as e:
        raise InputError(str(doc.origin), str(e)) from None


def _clean_stream(rules: Sequence[Rule], setting: Setting) -> Callable[[Iterator[Document]], Iterator[CleanResult]]:
    return lambda docs: (clean_one(doc, rules, setting) for doc in docs)


def clean_chunk(docs: list[Document], rule_names: list[str], handle: object) -> list[CleanResult]:
    """A worker's share: rules travel by name (rule objects need not pickle), the evidence once
    per worker (`handle`)."""
    rules = select_rules(rule_names) if rule_names else []
    setting = shared(handle)
    return [clean_one(doc, rules, setting) for doc in docs]
