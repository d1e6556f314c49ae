"""What `cleaner clean` shows and writes beside its output: the unified diff, the JSON report,
the edit log, and the summary on stderr."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from cleaner.io.writers import atomic_output
from cleaner.model import CleanResult
from cleaner.normalize.registry import Rule

if TYPE_CHECKING:
    from cleaner.jobs.clean import CleanStats


@contextmanager
def edit_log(path: Path | None) -> Iterator[Callable[[CleanResult], None] | None]:
    """The edit log (JSONL, one edit a line) as a function to give each result to; the file
    appears only if the block ends normally. None without a path."""
    if path is None:
        yield None
        return
    with atomic_output(path) as fh:

        def add(r: CleanResult) -> None:
            for e in r.edits:
                row = {
                    "doc": r.original.id,
                    "path": r.original.origin.path,
                    "record": r.original.origin.record,
                    **e.to_dict(),
                }
                fh.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")

        yield add


def result_json(r: CleanResult) -> dict[str, object]:
    o = r.original.origin
    return {
        "doc": r.original.id,
        "path": o.path,
        "record": o.record,
        "line": o.line,
        "changed": r.changed,
        "edits": [e.to_dict() for e in r.edits],
    }


def print_json(out: Console, documents: list[dict[str, object]], stats: CleanStats) -> None:
    out.print_json(
        json.dumps({"version": 1, "documents": documents, "stats": stats.to_dict()}, ensure_ascii=False), indent=None
    )


def print_diff(r: CleanResult, stream: IO[str]) -> None:
    name = f"{r.original.origin.path}:{r.original.origin.record}"
    before = [*(["# " + r.original.title] if r.original.title is not None else []), *r.original.text.splitlines()]
    after = [*(["# " + r.document.title] if r.document.title is not None else []), *r.document.text.splitlines()]
    for line in difflib.unified_diff(before, after, f"a/{name}", f"b/{name}", lineterm=""):
        stream.write(line + "\n")


def print_summary(err: Console, stats: CleanStats, rules: Sequence[Rule], wrote: bool, rejects: Path | None) -> None:
    if stats.edits:
        table = Table(title="edits by rule", title_justify="left")
        table.add_column("rule")
        table.add_column("edits", justify="right")
        for name in [r.name for r in rules if r.name in stats.edits]:
            table.add_row(name, str(stats.edits[name]))
        err.print(table)
    verb = "written" if wrote else "checked"
    line = f"{stats.files} files: {stats.read} records read, {stats.written} {verb}, {stats.rejected} rejected"
    line += f"; {stats.changed} changed"
    if stats.flagged:
        kinds = ", ".join(sorted(stats.flagged))
        line += f"; {sum(stats.flagged.values())} places flagged for review ({kinds}; see --review or --edits)"
    if rejects:
        line += f"; rejects in {rejects}"
    err.print(line)
    for path in stats.kept_unchanged:
        err.print(f"{path}: not rewritten in place, because some of its records were rejected")
    if stats.files and not stats.read:
        err.print("[yellow]warning:[/yellow] the input holds no records (empty corpus)")
