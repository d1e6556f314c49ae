"""Keeping the persistent index in step with a corpus: build it from files (or from what git
tracks), update it by content hash, so only files that changed are read again, and say how far
it is behind (`index_status`, by the same comparison the update makes).

A file is re-read when its size or modification time differs from what the index recorded, and
re-indexed only when its content digest differs too (a `touch` costs a hash, not a re-index).
Its stages, as `report` hears them (`cleaner.progress`): `reading` and `indexing` (records).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleaner.corpus.digests import file_digest, record_digest
from cleaner.corpus.evidence_index import add_evidence, ensure_tables, forget_evidence
from cleaner.corpus.reread import line_starts
from cleaner.corpus.scope import Scope, read_corpus_file
from cleaner.dedup.items import items_of
from cleaner.dedup.options import DupOptions
from cleaner.dedup.store import FileRow, IndexStore, NewRecord
from cleaner.io.readers import ReadOptions
from cleaner.model import Document, Rejected
from cleaner.progress import Report, counter, reading

BATCH_RECORDS = 2000  # records read before their items are computed and written


@dataclass
class IndexStats:
    files_read: int = 0
    files_removed: int = 0
    files_unchanged: int = 0
    records: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    compacted: bool = False


@dataclass
class Behind:
    """How the corpus's files differ from what the index holds of them."""

    reread: list[str] = field(default_factory=list)  # new or changed, in listing order
    new: int = 0  # of `reread`, those the index does not hold at all
    gone: list[str] = field(default_factory=list)  # in it, in the scope, no longer there (nor in flux)
    touched: list[FileRow] = field(default_factory=list)  # same content, new modification time
    unchanged: int = 0  # the touched ones included


def behind(store: IndexStore, scope: Scope, exclude: Iterable[str] = ()) -> Behind:
    """The comparison both `update_index` and `index_status` make: by size and modification
    time first, by content digest where those differ; files in flux are neither read nor gone."""
    out = Behind()
    now, flux = scope.listing(exclude)
    skip = set(exclude) | flux
    known = store.files()
    for name in now:
        st = (scope.root / name).stat()
        row = known.get(name)
        if row is None:
            out.reread.append(name)
            out.new += 1
        elif (row.size, row.mtime_ns) == (st.st_size, st.st_mtime_ns):
            out.unchanged += 1
        elif row.size == st.st_size and row.digest == file_digest(scope.root / name):
            out.touched.append(FileRow(name, row.digest, st.st_size, st.st_mtime_ns, row.records))
            out.unchanged += 1
        else:
            out.reread.append(name)
    out.gone = sorted(n for n in set(known) - set(now) - skip if scope.covers(n))
    return out


def index_files(
    store: IndexStore,
    root: Path,
    names: Sequence[str],
    read_options: ReadOptions,
    options: DupOptions,
    stats: IndexStats,
    report: Report | None = None,
    fresh: bool = False,
) -> None:
    """Read `names` (relative to root) and add them to the store, a batch of records at a time
    (the store must be in a transaction or a build). Unreadable records are skipped and counted:
    they are not articles to compare with; `cleaner check` reports them in the files it checks."""
    pending_files: list[FileRow] = []
    pending: list[Document] = []
    ensure_tables(store.conn)
    read = reading(report, "reading", [root / name for name in names])
    indexed = counter(report, "indexing", None, "records")
    done = 0

    def flush() -> None:
        if not pending_files:
            return
        items = items_of(pending, options)
        places = {name: line_starts(root / name) for name in {d.origin.path for d in pending}}
        records = [
            NewRecord(
                d.origin.path,
                d.origin.record,
                d.origin.line,
                d.id,
                record_digest(d),
                d.title,
                d.text,
                keep_text=(starts := places[d.origin.path]) is None,
                start=starts[d.origin.line - 1] if starts and 0 < (d.origin.line or 0) <= len(starts) else None,
            )
            for d in pending
        ]
        add_evidence(store.conn, store.add(pending_files, records, items, fresh), pending)
        nonlocal done
        done += len(records)
        indexed(done)
        pending_files.clear()
        pending.clear()

    for name in names:
        st = (root / name).stat()
        docs, rejected = read_corpus_file(root, name, read_options, read.meter)
        stats.files_read += 1
        stats.records += len(docs)
        read.send(stats.records)
        stats.rejected += rejected
        pending_files.append(FileRow(name, file_digest(root / name), st.st_size, st.st_mtime_ns, len(docs)))
        pending.extend(docs)
        if len(pending) >= BATCH_RECORDS:
            flush()
    flush()


def update_index(
    store: IndexStore,
    scope: Scope,
    read_options: ReadOptions,
    options: DupOptions,
    exclude: Iterable[str] = (),
    report: Report | None = None,
) -> IndexStats:
    """Bring the index in step with the corpus's files (except `exclude`), in one transaction:
    new and changed files are (re-)indexed, files that are gone are forgotten."""
    stats = IndexStats()
    diff = behind(store, scope, exclude)
    stats.files_unchanged = diff.unchanged
    if not (diff.reread or diff.gone or diff.touched):
        return stats
    with store.transaction():
        # Compared again now that this run holds the index: another run's update, waited for,
        # may have done this work already, and doing it twice would index files twice.
        diff = behind(store, scope, exclude)
        stats.files_unchanged = diff.unchanged
        for row in diff.touched:
            store.touch_file(row)
        stats.files_removed = len(diff.gone)
        reindex(store, scope.root, diff.gone + diff.reread, diff.reread, read_options, options, stats, report)
    return stats


def reindex(
    store: IndexStore,
    root: Path,
    forget: Sequence[str],
    read: Sequence[str],
    read_options: ReadOptions,
    options: DupOptions,
    stats: IndexStats,
    report: Report | None = None,
) -> None:
    """Forget the files `forget`, index the files `read` (inside a transaction), and compact
    the index when enough of it has changed."""
    for name in forget:
        forget_evidence(store.conn, [rid for rids in store.record_digests(name).values() for rid in rids])
        store.remove_file(name)
    index_files(store, root, read, read_options, options, stats, report)
    if store.needs_compacting():
        store.compact()
        stats.compacted = True


def build_index(
    path: Path,
    scope: Scope,
    read_options: ReadOptions,
    options: DupOptions,
    exclude: Iterable[str] = (),
    report: Report | None = None,
) -> IndexStats:
    """A new index of the scope's files at `path` (replacing any there, atomically)."""
    stats = IndexStats()
    with IndexStore.build(path, options, read_options, scope.meta()) as store:
        index_files(store, scope.root, scope.files(exclude), read_options, options, stats, report, fresh=True)
    return stats


def index_status(store: IndexStore, root: Path) -> dict[str, Any]:
    """What the index holds and the settings it was built with (`IndexStore.status`), and how
    many of its scope's files `update_index` would add, re-index and forget."""
    status = store.status()
    diff = behind(store, Scope.from_meta(root, store.settings))
    status.update(new_files=diff.new, changed_files=len(diff.reread) - diff.new, missing_files=len(diff.gone))
    return status
