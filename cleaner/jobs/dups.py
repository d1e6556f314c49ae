"""The duplicate finder's job: read the corpus into memory, find its clusters (on the local or the
Ray engine), and with `drop_to` write it again without the duplicates.

This is the library form of `cleaner dups`; the CLI only adds options and reports.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleaner.dedup.options import DupOptions
from cleaner.io.readers import InputFile, ReadCount, ReadOptions, accepted, iter_input_files, read_file
from cleaner.io.writers import open_writer, plan_outputs
from cleaner.model import Cluster, Document, Member, Rejected
from cleaner.normalize.engine import apply_changes
from cleaner.normalize.registry import Change
from cleaner.text import remove_paragraphs_spans, split_paragraphs


@dataclass(frozen=True)
class DupsJob:
    paths: Sequence[str | os.PathLike[str]]
    options: DupOptions
    read_options: ReadOptions = ReadOptions()
    skip_invalid: bool = False
    engine: str = "local"  # call `cleaner.engines.check_dups_engine` first
    address: str | None = None
    drop_to: Path | None = None  # write the corpus without its duplicates here


@dataclass
class DupsRun:
    clusters: list[Cluster]
    stats: dict[str, Any]
    rejected: list[Rejected] = field(default_factory=list)
    removals: list[dict[str, object]] | None = None  # with `drop_to`: what was left out


def run_dups(job: DupsJob) -> DupsRun:
    from cleaner.dedup.finder import find_duplicates_on

    rejected: list[Rejected] = []
    corpus = load_corpus(job.paths, job.read_options, job.skip_invalid, rejected.append)
    result = find_duplicates_on(job.engine, job.address, corpus.documents, job.options)
    run = DupsRun(result.clusters, {**result.stats, "read": corpus.read, "rejected": corpus.rejected}, rejected)
    if job.drop_to is not None:
        written, run.removals = write_without_duplicates(corpus, result.clusters, job.drop_to, job.read_options)
        run.stats.update(written=written, dropped=corpus.read - corpus.rejected - written)
    return run


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
    count = ReadCount()
    for f in iter_input_files(paths):
        corpus.files.append((f, list(accepted(read_file(f, read_options), skip_invalid, count, on_reject))))
    corpus.read, corpus.rejected = count.read, count.rejected
    return corpus


def plan_drops(
    docs: Sequence[Document], clusters: Sequence[Cluster]
) -> tuple[set[int], dict[int, set[int]], list[dict[str, object]]]:
    """What `--drop` removes: every non-representative article of a document cluster, and every
    non-representative copy of a repeated paragraph (from the articles that stay). Returns the
    dropped record positions, the paragraphs to remove per position, and the list of removals."""
    dropped: set[int] = set()
    removals: list[dict[str, object]] = []
    for c in clusters:
        if c.kind != "document":
            continue
        for i, m in enumerate(c.members):
            if i != c.representative and m.index not in dropped:
                dropped.add(m.index)
                removals.append(_removal(c, m, c.members[c.representative], paragraph=False))
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
        for i, m in enumerate(c.members):
            if i == keep or m.index in dropped or m.paragraph is None:
                continue
            paragraphs.setdefault(m.index, set()).add(m.paragraph)
            removals.append(_removal(c, m, c.members[keep], paragraph=True))
    # Never empty an article: when every paragraph of one is a repeat, its first one stays.
    for index, remove in paragraphs.items():
        if len(remove) >= len(split_paragraphs(docs[index].text)):
            first = min(remove)
            remove.discard(first)
            o = docs[index].origin
            removals = [
                r
                for r in removals
                if (r["paragraph"], r["doc"], r["record"], r["path"]) != (first, docs[index].id, o.record, o.path)
            ]
    return dropped, paragraphs, removals


def _removal(c: Cluster, m: Member, rep: Member, paragraph: bool) -> dict[str, object]:
    """One entry of the report's `removals`: what went, from which cluster, a copy of what."""
    of: dict[str, object] = {"doc": rep.doc, "path": rep.path, "record": rep.record}
    if paragraph:
        of["paragraph"] = rep.paragraph
    where = {"doc": m.doc, "path": m.path, "record": m.record, "paragraph": m.paragraph if paragraph else None}
    return {**where, "cluster": c.id, "duplicate_of": of}


def write_without_duplicates(
    corpus: Corpus, clusters: Sequence[Cluster], output: Path, read_options: ReadOptions
) -> tuple[int, list[dict[str, object]]]:
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
