"""Rendering duplicate clusters: a rich table for people, versioned JSON / JSONL for programs, the
clusters file, and the lines `cleaner dups` says on stderr. Rendering only: nothing here decides
what is a duplicate."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from cleaner.io.writers import atomic_output
from cleaner.model import Cluster, Member

REPORT_VERSION = 1
MAX_MEMBERS_SHOWN = 3
SNIPPET_CHARS = 120


def report_dict(
    clusters: Sequence[Cluster], stats: dict[str, Any], removals: Sequence[dict[str, Any]] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"version": REPORT_VERSION, "clusters": [c.to_dict() for c in clusters], "stats": stats}
    if removals is not None:
        out["removals"] = list(removals)
    return out


def to_json(
    clusters: Sequence[Cluster], stats: dict[str, Any], removals: Sequence[dict[str, Any]] | None = None
) -> str:
    return json.dumps(report_dict(clusters, stats, removals), ensure_ascii=False, indent=2) + "\n"


def to_jsonl(clusters: Sequence[Cluster]) -> str:
    return "".join(json.dumps({"version": REPORT_VERSION, **c.to_dict()}, ensure_ascii=False) + "\n" for c in clusters)


def _common_dir(clusters: Sequence[Cluster]) -> str:
    dirs = {os.path.dirname(m.path) for c in clusters for m in c.members}
    try:
        return os.path.commonpath(sorted(dirs)) if dirs else ""
    except ValueError:  # mixed absolute and relative paths
        return ""


def _place(m: Member, base: str) -> str:
    path = os.path.relpath(m.path, base) if base else m.path
    where = f"{path}:{m.record}"
    return where if m.paragraph is None else f"{where} ¶{m.paragraph}"


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"


def cluster_table(clusters: Sequence[Cluster], title: str | None = None) -> Table:
    """One row per cluster. Long paths fold, snippets are cut: the layout holds at 80 columns."""
    base = _common_dir(clusters)
    title = title or (f"paths under {base}/; * marks the representative" if base else "* marks the representative")
    table = Table(title=title, title_justify="left", show_lines=True, expand=False)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("n", justify="right", no_wrap=True)
    table.add_column("sim", justify="right", no_wrap=True)
    table.add_column("members", overflow="fold", ratio=2)
    table.add_column("snippet", overflow="fold", ratio=3)
    for c in clusters:
        places = [("*" if i == c.representative else "") + _place(m, base) for i, m in enumerate(c.members)]
        shown = places[:MAX_MEMBERS_SHOWN]
        if len(places) > MAX_MEMBERS_SHOWN:
            shown.append(f"+{len(places) - MAX_MEMBERS_SHOWN} more")
        table.add_row(
            str(c.id),
            c.kind,
            str(c.size),
            f"{c.similarity:.2f}",
            "\n".join(shown),
            _snippet(c.members[c.representative].text),
        )
    return table


def summary_line(stats: dict[str, Any]) -> str:
    counts = stats.get("clusters", {})
    kinds = ", ".join(f"{n} {k}" for k, n in counts.items())
    total = sum(counts.values())
    parts = [f"{stats.get('documents', 0)} documents"]
    if "paragraphs" in stats:
        parts.append(f"{stats['paragraphs']} paragraphs")
    return f"{', '.join(parts)}: {total} clusters ({kinds}) in {stats.get('seconds', 0):.2f} s"


def print_table(console: Console, clusters: Sequence[Cluster], stats: dict[str, Any]) -> None:
    if clusters:
        console.print(cluster_table(clusters))
    console.print(summary_line(stats))


def write_clusters(path: Path, clusters: Sequence[Cluster]) -> None:
    """The clusters as JSONL (as `--format jsonl`), written atomically."""
    with atomic_output(path) as fh:
        fh.write(to_jsonl(clusters).encode("utf-8"))


def drop_line(stats: dict[str, Any], output: Path, removals: Sequence[dict[str, Any]]) -> str:
    paragraphs = sum(1 for r in removals if r["paragraph"] is not None)
    written = f"{stats['written']} records written to {output}"
    return f"--drop: {written}, {stats['dropped']} articles dropped, {paragraphs} paragraphs removed"
