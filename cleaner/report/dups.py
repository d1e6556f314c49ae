"""Rendering duplicate clusters: a rich table for people, versioned JSON / JSONL for programs, the
clusters file, and the lines `cleaner dups` says on stderr. Rendering only: nothing here decides
what is a duplicate."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from cleaner.io.writers import atomic_output
from cleaner.model import Cluster, Member
from cleaner.report.ci import Annotation, Place, RuleInfo

REPORT_VERSION = 1
MAX_MEMBERS_SHOWN = 3
SNIPPET_CHARS = 80


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
    return "".join(json_chunks(clusters, stats, removals))


# The top-level key the clusters go under, as `json.dumps(..., indent=2)` writes it with an empty
# list: its first occurrence (the second key, after an integer version) is the top-level one.
_CLUSTERS_SLOT = '\n  "clusters": []'


def json_chunks(
    clusters: Sequence[Cluster], stats: dict[str, Any], removals: Sequence[dict[str, Any]] | None = None
) -> Iterator[str]:
    """`to_json`, a cluster at a time: the report of a large corpus is hundreds of MB of text,
    and as one dict and one string it took more memory than finding the clusters. The bytes are
    `json.dumps(report_dict(...), ensure_ascii=False, indent=2)`'s."""
    frame = json.dumps(report_dict([], stats, removals), ensure_ascii=False, indent=2)
    head, slot, tail = frame.partition(_CLUSTERS_SLOT)
    if not clusters:
        yield frame + "\n"
        return
    yield head + slot[:-1] + "\n"
    for k, c in enumerate(clusters):
        # One item of a list two levels deep: every line of it indented by four more spaces
        # (strings have their line breaks escaped, so each line break here is the layout's).
        item = "    " + json.dumps(c.to_dict(), ensure_ascii=False, indent=2).replace("\n", "\n    ")
        yield item + (",\n" if k + 1 < len(clusters) else "\n  ]")
    yield tail + "\n"


def jsonl_lines(clusters: Iterable[Cluster]) -> Iterator[str]:
    """`to_jsonl`, a line at a time."""
    for c in clusters:
        yield json.dumps({"version": REPORT_VERSION, **c.to_dict()}, ensure_ascii=False) + "\n"


def to_jsonl(clusters: Sequence[Cluster]) -> str:
    return "".join(jsonl_lines(clusters))


def common_dir(clusters: Sequence[Cluster]) -> str:
    dirs = {os.path.dirname(m.path) for c in clusters for m in c.members}
    try:
        return os.path.commonpath(sorted(dirs)) if dirs else ""
    except ValueError:  # mixed absolute and relative paths
        return ""


def place(m: Member, base: str) -> str:
    path = os.path.relpath(m.path, base) if base else m.path
    where = f"{path}:{m.record}"
    return where if m.paragraph is None else f"{where} ¶{m.paragraph}"


def snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"


SORTS = ("cost", "size", "similarity", "input")
TABLE_LIMIT = 20  # rows of the table by default: a screen or two


def cost(c: Cluster) -> int:
    """What a cluster costs: the duplicated text it holds, its size times its representative's
    length in characters. A repeated footer of 30 articles outweighs one doubled headline."""
    return c.size * len(c.members[c.representative].text)


def ordered(clusters: Sequence[Cluster], sort: str = "cost") -> Sequence[Cluster]:
    """The clusters in the order people read them: `cost` (most duplicated text first), `size`
    (most members first), `similarity` (least similar first: the borderline ones to check) or
    `input` (cluster ids, which follow the input). Ties go by id, so the order is stable.
    What is sorted is the clusters' places, each cluster read once for its key: a report's
    clusters may be made as they are read (`dedup.members.Clusters`), and a table shows a few."""
    keys = {
        "cost": lambda c: (-cost(c), c.id),
        "size": lambda c: (-c.size, -cost(c), c.id),
        "similarity": lambda c: (c.similarity, -cost(c), c.id),
        "input": lambda c: (c.id,),
    }
    key = keys[sort]
    return _InOrder(clusters, sorted(range(len(clusters)), key=lambda k: key(clusters[k])))


class _InOrder(Sequence[Cluster]):
    def __init__(self, clusters: Sequence[Cluster], order: list[int]) -> None:
        self.clusters, self.order = clusters, order

    def __len__(self) -> int:
        return len(self.order)

    def __getitem__(self, j):  # type: ignore[no-untyped-def]
        if isinstance(j, slice):
            return [self.clusters[k] for k in self.order[j]]
        return self.clusters[self.order[j]]


def compact(n: int) -> str:
    if n < 1000:
        return str(n)
    for size, unit in ((10**6, "M"), (10**3, "k")):
        if n >= size:
            value = n / size
            return f"{value:.1f}{unit}" if value < 10 else f"{value:.0f}{unit}"
    return str(n)  # pragma: no cover (the loop always returns)


def cluster_table(clusters: Sequence[Cluster], title: str | None = None) -> Table:
    """One row per cluster, in the order given. Long paths fold, snippets are cut: the layout
    holds at 80 columns."""
    base = common_dir(clusters)
    if title is None:
        title = "n×len: members × length, the duplicated text; * marks the representative"
        title += f"; paths under {base}/" if base else ""
    table = Table(title=title, title_justify="left", show_lines=True, expand=False)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("n", justify="right", no_wrap=True)
    table.add_column("sim", justify="right", no_wrap=True)
    table.add_column("n×len", justify="right", no_wrap=True)
    table.add_column("members", overflow="fold", ratio=2)
    table.add_column("snippet", overflow="fold", ratio=3)
    for c in clusters:
        places = [("*" if i == c.representative else "") + place(m, base) for i, m in enumerate(c.members)]
        shown = places[:MAX_MEMBERS_SHOWN]
        if len(places) > MAX_MEMBERS_SHOWN:
            shown.append(f"+{len(places) - MAX_MEMBERS_SHOWN} more")
        table.add_row(
            str(c.id),
            "doc" if c.kind == "document" else "para" if c.kind == "paragraph" else c.kind,
            str(c.size),
            f"{c.similarity:.2f}",
            compact(cost(c)),
            "\n".join(shown),
            snippet(c.members[c.representative].text),
        )
    return table


def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


LEVEL_NAMES = {"document": "articles", "paragraph": "paragraphs", "title": "titles"}


def summary_line(stats: dict[str, Any]) -> str:
    """The corpus, the clusters per level and the time, in one line (on stderr beside JSON)."""
    counts = stats.get("clusters", {})
    kinds = ", ".join(f"{n} {k}" for k, n in counts.items())
    corpus = [f"{stats.get('documents', 0)} articles"]
    if "paragraphs" in stats:
        corpus.append(f"{stats['paragraphs']} paragraphs")
    return f"{', '.join(corpus)}: {sum(counts.values())} clusters ({kinds}) in {stats.get('seconds', 0):.2f} s"


def level_rows(clusters: Sequence[Cluster], stats: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """Per level: its clusters, how many of its items are a copy of something else in the corpus
    (a cluster of n holds n - 1 copies), of how many, and the share."""
    totals = {"document": stats.get("documents", 0), "paragraph": stats.get("paragraphs", 0)}
    totals["title"] = stats.get("titles", totals["document"])
    copies_of: dict[str, int] = {}
    for c in clusters:  # one pass: a cluster of `members.Clusters` is made anew each time it is read
        copies_of[c.kind] = copies_of.get(c.kind, 0) + c.size - 1
    rows = []
    for kind, n in stats.get("clusters", {}).items():
        copies = copies_of.get(kind, 0)
        whole = totals[kind]
        rows.append((kind, str(n), str(copies), f"{whole} {LEVEL_NAMES[kind]}", share(copies, whole)))
    return rows


LEVEL_COLUMNS = ("level", "clusters", "copies", "of", "duplicated")


def corpus_line(stats: dict[str, Any]) -> str:
    corpus = [f"{stats.get('documents', 0)} articles"]
    if "paragraphs" in stats:
        corpus.append(f"{stats['paragraphs']} paragraphs")
    return f"{', '.join(corpus)}, {stats.get('seconds', 0):.2f} s"


def summary_table(clusters: Sequence[Cluster], stats: dict[str, Any]) -> Table:
    """The levels' rows under a title that says how large the corpus is and how long it took."""
    table = Table(title=corpus_line(stats), title_justify="left", box=None, pad_edge=False)
    for i, name in enumerate(LEVEL_COLUMNS):
        table.add_column(name, justify="left" if i == 0 else "right")
    for row in level_rows(clusters, stats):
        table.add_row(*row)
    return table


def more_line(shown: int, total: int, sort: str) -> str:
    order = {"cost": "most duplicated text first", "size": "largest first", "similarity": "least similar first"}
    how = order.get(sort, "in input order")
    return (
        f"{shown} of {total} clusters shown ({how}); {total - shown} more:"
        " --limit 0 shows all, --format json or jsonl gives every cluster"
    )


def print_table(
    console: Console, clusters: Sequence[Cluster], stats: dict[str, Any], limit: int = TABLE_LIMIT, sort: str = "cost"
) -> None:
    """The summary, then the clusters in `sort` order, at most `limit` of them (0: all), and a
    last line that says what was left out. Wrapped at the console's width although the CLI's
    console soft-wraps: at 80 columns a folded path or sentence reads better than a cut one."""
    console.print(summary_table(clusters, stats), soft_wrap=False)
    rows = ordered(clusters, sort)
    shown = rows if limit <= 0 else rows[:limit]
    if shown:
        console.print(cluster_table(shown), soft_wrap=False)
    if len(shown) < len(rows):
        console.print(more_line(len(shown), len(rows), sort), markup=False, soft_wrap=False)


DUP_RULES = {
    "document": RuleInfo("duplicate-article", "A near-duplicate of another article of the corpus."),
    "paragraph": RuleInfo("duplicate-paragraph", "A paragraph repeated elsewhere in the corpus."),
    "title": RuleInfo("duplicate-title", "A headline repeated elsewhere, up to case, punctuation and a site suffix."),
}


def member_place(m: Member) -> Place:
    return Place(m.path, m.line if m.line is not None else m.record)


def cluster_annotations(clusters: Sequence[Cluster]) -> list[Annotation]:
    """Every member but the representative, as a finding at its record: what `cleaner check`
    would say of it, pointing at the representative."""
    out = []
    for c in clusters:
        rep = c.members[c.representative]
        of = member_place(rep)
        for i, m in enumerate(c.members):
            if i == c.representative:
                continue
            where = f"{of.path}:{of.line}" + (f" ¶{rep.paragraph}" if rep.paragraph is not None else "")
            message = f'{c.similarity:.2f} similar "{snippet(m.text)}" (duplicate of {where}, cluster {c.id})'
            out.append(Annotation(member_place(m), DUP_RULES[c.kind].id, message, related=of))
    return out


def write_clusters(path: Path, clusters: Sequence[Cluster]) -> None:
    """The clusters as JSONL (as `--format jsonl`), written atomically."""
    with atomic_output(path) as fh:
        for line in jsonl_lines(clusters):
            fh.write(line.encode("utf-8"))


def drop_line(stats: dict[str, Any], output: Path, removals: Sequence[dict[str, Any]]) -> str:
    paragraphs = sum(1 for r in removals if r["paragraph"] is not None)
    written = f"{stats['written']} records written to {output}"
    return f"--drop: {written}, {stats['dropped']} articles dropped, {paragraphs} paragraphs removed"
