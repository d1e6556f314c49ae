"""What the `cleaner index` commands say: a line per build or update, the status table."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cleaner.jobs.index import IndexStats


def print_stats(err: Console, verb: str, path: Path, stats: IndexStats) -> None:
    line = f"{verb} {path}: {stats.files_read} files read ({stats.records} records)"
    if stats.files_unchanged or stats.files_removed:
        line += f", {stats.files_unchanged} unchanged, {stats.files_removed} removed"
    if stats.rejected:
        first = stats.rejected[0]
        line += f"; {len(stats.rejected)} unreadable records left out (first: {first.message()})"
    err.print(line)


def print_status(out: Console, path: Path, status: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps(status) + "\n")
        return
    table = Table(title=f"index {path}", title_justify="left", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", overflow="fold")
    items = status["items"]
    records = f"{status['files']} files, {status['records']} records"
    holds = f"{records}; {items['title']} titles, {items['paragraph']} paragraphs, {items['document']} articles"
    table.add_row("holds", holds)
    table.add_row("size", f"{status['bytes'] / 2**20:.1f} MiB, {status['band_rows']} band rows")
    since = f"{status['new_files']} new, {status['changed_files']} changed, {status['missing_files']} deleted files"
    table.add_row("since built", since + " (`cleaner index update` takes them in)")
    for key, value in status["settings"].items():
        table.add_row(key, value)
    out.print(table)
