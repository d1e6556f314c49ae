"""What `cleaner check` says: a finding a line (or JSON) on stdout, what it did on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console

from cleaner.model import Finding
from cleaner.report.ci import Annotation, Place, RuleInfo, github_lines, sarif_json

if TYPE_CHECKING:
    from cleaner.check import CheckRun
    from cleaner.normalize.registry import Rule

FORMATS = ("text", "json", "github", "sarif")
CHECK_RULES = (
    RuleInfo("duplicate-article", "An article that copies one the corpus already holds (or an earlier checked one)."),
    RuleInfo("duplicate-title", "A headline the corpus already holds, up to case, punctuation and a site suffix."),
    RuleInfo("duplicate-paragraph", "A paragraph the corpus already holds."),
    RuleInfo("unreadable", "A record that cannot be read (bad JSON, encoding, a missing text field)."),
)


def _place(where: str | None) -> Place | None:
    """`path:line` (a finding's `duplicate_of`) as a place; None when it is not one."""
    path, _, line = (where or "").rpartition(":")
    return Place(path, int(line)) if path and line.isdigit() else None


def annotations(findings: Sequence[Finding]) -> list[Annotation]:
    """A finding an annotation, at its line (the record number where the format has no lines,
    as in the text format), its message as the text format says it."""
    out = []
    for f in findings:
        tail = f" (duplicate of {f.duplicate_of})" if f.duplicate_of else ""
        place = Place(f.path, f.line if f.line is not None else f.record)
        out.append(Annotation(place, f.kind, f.message + tail, related=_place(f.duplicate_of)))
    return out


def print_findings(out: Console, run: CheckRun, fmt: str, rules: Sequence[Rule] = ()) -> None:
    """The findings on stdout: a line each (`text`), one JSON object, GitHub workflow commands,
    or a SARIF log listing `rules` (those that ran) and the duplicate and unreadable kinds."""
    result = run.result
    if fmt == "github":
        sys.stdout.write(github_lines(annotations(result.findings)))
        return
    if fmt == "sarif":
        listed = [RuleInfo(r.name, r.summary) for r in rules] + list(CHECK_RULES)
        sys.stdout.write(sarif_json(annotations(result.findings), listed))
        return
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
    unread = run.result.unread
    if unread:
        first = ", ".join(f"{path}:{line}" for path, line in unread[:3]) + (", ..." if len(unread) > 3 else "")
        if len(unread) == 1:
            some, why = "1 indexed record was", "its file no longer holds it"
        else:
            some, why = f"{len(unread)} indexed records were", "their files no longer hold them"
        err.print(
            f"{some} not compared: {why} as indexed ({first}); `cleaner index update` takes in what the files hold now",
            markup=False,
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
