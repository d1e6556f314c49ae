"""The batch-cleaning job: read -> normalize -> write, one input file at a time, with every record
accounted for (read = written + rejected).

This is the library form of `cleaner clean`; the CLI only adds options, progress and reports.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cleaner.engines.pool import OrderedPool
from cleaner.errors import InputError
from cleaner.io.readers import InputFile, ReadCount, ReadOptions, accepted, iter_input_files, read_file
from cleaner.io.writers import FileWriter, open_writer, plan_outputs
from cleaner.model import CleanResult, Document, Rejected
from cleaner.normalize import clean_document, select_rules
from cleaner.normalize.engine import NotConverging
from cleaner.normalize.registry import Rule


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


def run_clean(
    job: CleanJob,
    on_result: Callable[[CleanResult], None] | None = None,
    on_reject: Callable[[Rejected], None] | None = None,
    on_file: Callable[[InputFile], None] | None = None,
) -> CleanStats:
    files = iter_input_files(job.paths)
    targets = plan_outputs(files, job.output, job.in_place, len(job.paths) > 1)
    stats = CleanStats()
    with OrderedPool(job.jobs, job.engine, job.address) as pool:
        for f in files:
            if on_file:
                on_file(f)
            stats.files += 1
            here = ReadCount()
            docs = accepted(read_file(f, job.read_options), job.skip_invalid, here, on_reject)
            results = pool.map(docs, _clean_stream(job.rules), clean_chunk, [r.name for r in job.rules])
            _clean_file(job, f, targets.get(f.path), results, here, stats, on_result)
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


def clean_one(doc: Document, rules: Sequence[Rule]) -> CleanResult:
    """The clean job's one call into the normalizer: whatever else it comes to need (the
    document's language, the corpus's evidence) is passed here, in this process or a worker."""
    try:
        return clean_document(doc, rules)
    except NotConverging as e:
        raise InputError(str(doc.origin), str(e)) from None


def _clean_stream(rules: Sequence[Rule]) -> Callable[[Iterator[Document]], Iterator[CleanResult]]:
    return lambda docs: (clean_one(doc, rules) for doc in docs)


def clean_chunk(docs: list[Document], rule_names: list[str]) -> list[CleanResult]:
    """A worker's share: rules travel by name (rule objects need not pickle)."""
    rules = select_rules(rule_names) if rule_names else []
    return [clean_one(doc, rules) for doc in docs]
