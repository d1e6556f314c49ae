"""What `cleaner check` says: a finding a line (or JSON) on stdout, what it did on stderr."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:
    from cleaner.check import CheckRun


def print_findings(out: Console, run: CheckRun, fmt: str) -> None:
    result = run.result
    if fmt == "json":
        body = {
            "version": 1,
            "findings": [f.to_dict() for f in result.findings],
            "fixed": run.fixed,
            "stats": result.stats(),
        }
        sys.stdout.write(json.dumps(body, ensure_ascii=False) + "\n")
        return
    for finding in result.findings:
        out.print(str(finding), markup=False)


def print_index_note(err: Console, run: CheckRun, looked: bool) -> None:
    """How the index came in: built first, or missing (`looked`: the check wanted one)."""
    if run.built is not None:
        err.print(
            f"built the index {run.index} from {run.built.files_read} git-tracked files ({run.built.records} records)"
        )
    elif looked and run.index is None:
        err.print(
            "no index here and not in a git work tree: the files were compared with each other only"
            " (`cleaner index build PATH...` makes one)"
        )


def print_summary(err: Console, run: CheckRun) -> None:
    result = run.result
    for name in run.fixed:
        err.print(f"fixed {name}")
    if run.updated:
        err.print(f"added {result.files} files to the index {run.index}")
    err.print(
        f"{result.files} files, {result.records} records ({result.new_records} new): {len(result.findings)} findings"
    )
