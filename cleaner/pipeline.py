"""The batch-cleaning job: read -> normalize -> write, one input file at a time, with every record
accounted for (read = written + rejected).

This is the library form of `cleaner clean`; the CLI only adds options, progress and reports.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cleaner.errors import InputError
from cleaner.io.readers import InputFile, ReadOptions, iter_input_files, read_file
from cleaner.io.writers import AtomicFile, FileWriter, check_output, open_writer, output_path
from cleaner.model import CleanResult, Rejected
from cleaner.normalize import clean_document
from cleaner.normalize.registry import Rule


@dataclass
class CleanStats:
    files: int = 0
    read: int = 0
    written: int = 0
    rejected: int = 0
    changed: int = 0
    edits: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, object]:
        return {
            "files": self.files,
            "read": self.read,
            "written": self.written,
            "rejected": self.rejected,
            "changed": self.changed,
            "edits": dict(sorted(self.edits.items())),
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


def run_clean(
    job: CleanJob,
    on_result: Callable[[CleanResult], None] | None = None,
    on_reject: Callable[[Rejected], None] | None = None,
    on_file: Callable[[InputFile], None] | None = None,
) -> CleanStats:
    files = iter_input_files(job.paths)
    check_output(files, job.output, job.in_place)
    stats = CleanStats()
    many = len(job.paths) > 1
    for f in files:
        if on_file:
            on_file(f)
        stats.files += 1
        target = f.path if job.in_place else output_path(f, job.output, many) if job.output else None
        writer: FileWriter | None = open_writer(f, target, job.read_options) if target else None
        try:
            for item in read_file(f, job.read_options):
                stats.read += 1
                if isinstance(item, Rejected):
                    if not job.skip_invalid:
                        raise InputError(str(item.origin), item.reason)
                    stats.rejected += 1
                    if on_reject:
                        on_reject(item)
                    continue
                result = clean_document(item, job.rules)
                if result.changed:
                    stats.changed += 1
                stats.edits.update(e.rule for e in result.edits if e.action != "flagged")
                if writer:
                    writer.write(result.document)
                stats.written += 1
                if on_result:
                    on_result(result)
            if writer:
                writer.commit()
        finally:
            if writer:
                writer.abort()  # no-op after a commit; removes the temporary file otherwise
    return stats


def write_rejects(path: Path, rejects: Sequence[Rejected]) -> None:
    """The rejects file: one JSON object a line with where, why, and the record as it was read."""
    out = AtomicFile(path)
    try:
        for r in rejects:
            row = {"path": r.origin.path, "record": r.origin.record, "line": r.origin.line, "reason": r.reason, "raw": r.raw}
            out.fh.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
        out.commit()
    finally:
        out.abort()
