"""The persistent index: a SQLite file (default `.cleaner/index`) and a band file beside it
holding, for every indexed record, where it is, its content digest and its items' band keys, so
a check compares new articles with the corpus without reading the corpus. Shingle sets are
recomputed from the few records a check verifies against (`items`), from texts read again from
their files, or, for records that cannot be read alone (gzip, CSV, Parquet), kept compressed.

Why SQLite: it is in the standard library, needs no server, and its transactions make an
interrupted update leave the previous index intact (SIGKILL leaves a `-journal` file that SQLite
rolls back on the next open). A first build is written aside and renamed into place, likewise.

The settings the index was built with (MinHash scheme, seed, permutations, n-grams, match-form
version, LSH threshold) are stored inside it; opening it with other settings is an error that
suggests `--rebuild`, because band keys made with other settings would silently never match.

Tables: `files` (path, content digest, size, mtime: what `update` compares), `records` (one per
indexed article, in indexing order; `body` its title and text where kept), `titles` (title key
-> item), `bands_new`. Items (a document, a title, a paragraph) have no table (schema 7): a
record's items take the ids from its own, `rid`, on (`items` of them, in `items.slots` order),
so an item id names its record, and what the item is comes from recomputing its record's items.
The LSH buckets (band key -> item) are the band file (`bandfile`: 4.5 to 5 bytes a row, where
SQLite took 17.6); the setting `bands-file` names its generation.

Updates must not rewrite the index. The band file is written once; an update's band rows go to
the small `bands_new` table instead, and lookups read both. A removed file's items go, but its
band rows stay behind, dangling (lookups skip items that are gone). `compact` writes the next
band file from both without the dangling rows: a full rewrite, done by `index update` only once
new and dangling rows make up a quarter of the index; the old file goes when it is committed.
"""

from __future__ import annotations

import base64
import os
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np

from cleaner import __version__
from cleaner.dedup.bandfile import BandFile, BandFileError, SortedSpill, band_file_path, band_files, compacted
from cleaner.dedup.items import SLOT_ORDER, LevelItems, slots
from cleaner.dedup.lsh import first_members, members_per_item
from cleaner.dedup.options import DupOptions
from cleaner.dedup.schema import (
    FileRow,
    NewRecord,
    RecordRow,
    Reread,
    StoredItem,
    body_dictionary,
    check_schema,
    check_settings,
    chunks,
    connect_index,
    create_tables,
    derived_settings,
    item_owners,
    pack_body,
    read_bodies,
    read_settings_of,
    recomputed_items,
    remember_derived,
    salted,
    select_in,
    settings_of,
    stored_value,
)
from cleaner.errors import ConfigError, IndexBusy, OutputError
from cleaner.io.readers import ReadOptions
from cleaner.io.writers import remove_stale_temps
from cleaner.model import Document

COMPACT_AT = 0.25  # share of band rows new or dangling at which an update compacts
BUSY_SECONDS = 30  # how long an update waits for another run's update to finish


class IndexStore:
    """An open index. Use `IndexStore.open` for an existing one, `IndexStore.build` for a new one."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path, self.conn = path, conn
        self.settings = dict(conn.execute("SELECT key, value FROM meta"))
        self.options: DupOptions | None = None  # what stored items are recomputed with
        self.home = path  # where the index is (or, while it is built, will be)
        self._bands: BandFile | None = None
        self._spill: SortedSpill | None = None  # while building: the band rows, sorted on disk
        # Band files the committed index no longer names, and those only rolled-back changes named.
        self._after_commit: list[Path] = []
        self._on_rollback: list[Path] = []

    # --- opening ---------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, options: DupOptions | None, read: ReadOptions | None = None) -> IndexStore:
        """An existing index; with `options` (and `read`), one built with the same settings (else
        an error suggesting --rebuild). Without, any index (to show its status)."""
        if path.is_dir():
            raise ConfigError(f"{path}: is a folder; --index names the index file (default .cleaner/index)")
        if not path.is_file():
            raise ConfigError(f"{path}: no index here; build one with `cleaner index build PATH...`")
        store = cls(path, connect_index(path, BUSY_SECONDS))
        if options is not None:
            try:
                check_schema(path, store.settings)
                check_settings(
                    path, store.settings, {**settings_of(options), **(read_settings_of(read) if read else {})}
                )
            except ConfigError:
                store.close()
                raise
            store.options = options
            remember_derived(store.settings, options)
        return store

    @classmethod
    @contextmanager
    def build(
        cls, path: Path, options: DupOptions, read: ReadOptions, meta: dict[str, str] | None = None
    ) -> Iterator[IndexStore]:
        """A new index at `path`, written to a temporary file beside it and renamed over `path`
        only when the block ends without an error: an interrupted build leaves any previous
        index as it was."""
        if path.is_dir():
            raise ConfigError(f"{path}: is a folder; --index names the index file (default .cleaner/index)")
        generation = 1
        if path.exists():
            IndexStore.open(path, None).close()  # never replace a file that is not an index
            generation = int(stored_value(path, "bands-file") or 0) + 1
        bands = band_file_path(path, generation)
        # Named as the writers name theirs, so that a build killed outright is cleaned up later.
        tmp = path.with_name(f".{path.name}.cleaner-{os.getpid()}.build.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_temps(path)
            tmp.unlink(missing_ok=True)
            conn = sqlite3.connect(tmp, isolation_level=None)
            spill = SortedSpill(path)
        except (OSError, sqlite3.Error) as e:
            raise OutputError(f"{path}: cannot write the index here: {e}") from None
        try:
            create_tables(conn, {**settings_of(options), **read_settings_of(read), **derived_settings(options)})
            conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted({"cleaner": __version__, **(meta or {})}.items()))
            store = cls(tmp, conn)
            store.options, store.home, store._spill = options, path, spill
            conn.execute("BEGIN")
            yield store
            spill.write(bands)
            store.set_meta("bands-file", str(generation))
            conn.execute("COMMIT")
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.close()
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, path)
            store.path = path
            for old in band_files(path):  # the replaced index's, and any an interrupted run left
                if old != bands:
                    old.unlink(missing_ok=True)
        except BaseException:
            conn.close()
            tmp.unlink(missing_ok=True)
            bands.unlink(missing_ok=True)
            raise
        finally:
            spill.close()

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: a failed update rolls back. One writer at a time: another run's update is
        waited for (`BUSY_SECONDS`), then this one is `IndexBusy`; a full disk an `OutputError`."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            if "locked" in str(e) or "busy" in str(e):
                raise IndexBusy(f"{self.path}: the index is busy: another cleaner is updating it; try again") from None
            raise OutputError(f"{self.path}: cannot write the index: {e}") from None
        try:
            yield
            self.conn.execute("COMMIT")
            _unlink(self._after_commit)
        except BaseException as e:
            if self.conn.in_transaction:  # (SQLite itself rolls back on some errors, a full disk)
                self.conn.execute("ROLLBACK")
            _unlink(self._on_rollback)
            self.settings = dict(self.conn.execute("SELECT key, value FROM meta"))
            self._bands = None
            if isinstance(e, sqlite3.Error):
                raise OutputError(f"{self.path}: cannot write the index: {e}") from None
            raise

    # --- reading ---------------------------------------------------------------------------------

    def files(self) -> dict[str, FileRow]:
        return {r[0]: FileRow(*r) for r in self.conn.execute("SELECT path, digest, size, mtime_ns, records FROM files")}

    def record_digests(self, path: str) -> dict[bytes, list[int]]:
        """The indexed records of `path` by content digest (digest -> rids, ascending)."""
        out: dict[bytes, list[int]] = {}
        for rid, digest in self.conn.execute("SELECT rid, digest FROM records WHERE path = ? ORDER BY rid", (path,)):
            out.setdefault(bytes(digest), []).append(rid)
        return out

    def records(self, rids: Iterable[int]) -> dict[int, RecordRow]:
        q = "SELECT rid, path, record, line, doc, digest, start, items FROM records WHERE rid IN ({})"
        return {r[0]: RecordRow(*r[:5], bytes(r[5]), r[6], r[7]) for r in select_in(self.conn, q, rids)}

    def owners(self, iids: Iterable[int]) -> dict[int, int]:
        """iid -> rid, for the items `iids` the index still holds."""
        return item_owners(self.conn, iids)

    def bucket_members(self, level: str, keys: np.ndarray, limit: int) -> tuple[list[list[int]], list[int]]:
        """For each row of band keys (items x bands): the indexed items sharing any of its keys,
        ascending (indexing order), at most the first `limit` of each bucket; and the size of
        its largest bucket (a paragraph in thousands of articles is boilerplate)."""
        flat = salted(level, np.ascontiguousarray(keys)).ravel()
        hits, sizes = first_members(*self.band_file().lookup(flat), limit)
        for key, iid in select_in(self.conn, "SELECT key, iid FROM bands_new WHERE key IN ({})", flat.tolist()):
            hits.setdefault(key, []).append(iid)  # new items: after the band file's, in id order
            sizes[key] = sizes.get(key, 0) + 1
        shape = (keys.shape[0], keys.shape[1] if keys.ndim == 2 else 0)
        return members_per_item(hits, sizes, flat.reshape(shape), limit)

    def band_file(self) -> BandFile:
        """The band rows of the last build or compaction (opened once, memory-mapped)."""
        if self._bands is None:
            check_schema(self.home, self.settings)
            try:
                self._bands = BandFile(band_file_path(self.home, int(self.settings["bands-file"])))
            except BandFileError as e:
                raise ConfigError(f"{e}; rebuild the index with `cleaner index build --rebuild`") from None
        return self._bands

    def titles_keyed(self, keys: Iterable[str]) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for key, iid in select_in(self.conn, "SELECT key, iid FROM titles WHERE key IN ({}) ORDER BY iid", keys):
            out.setdefault(key, []).append(iid)
        return out

    def items(
        self, iids: Iterable[int], reread: Reread | None = None, level: str | None = None, skip: Collection[int] = ()
    ) -> dict[int, StoredItem]:
        """The items `iids` still held (of `level`, or all; none of the records `skip`), recomputed
        from their records' titles and texts in one batch: the texts the index keeps, and the others
        as `reread` finds them in their files (an item whose record is found nowhere is left out)."""
        if self.options is None:
            raise ValueError("items need the index opened with its settings")
        iids = {iid: rid for iid, rid in self.owners(iids).items() if rid not in skip}
        records = self.records(set(iids.values()))
        dictionary = base64.b64decode(self.settings.get("body-dictionary", ""))
        docs = {
            rid: Document(records[rid].doc, title, text, records[rid].origin)
            for rid, (title, text) in read_bodies(self.conn, records, dictionary).items()
        }
        if reread is not None and len(docs) < len(records):
            again = reread(sorted((r for r in records.values() if r.rid not in docs), key=lambda r: r.rid))
            # Placed where the index saw it: a record found moved is still named by its indexed line.
            docs.update((rid, replace(d, origin=records[rid].origin)) for rid, d in again.items())
        return recomputed_items(list(records.values()), docs, iids, self.options, level)

    def document_items(self, rids: Iterable[int]) -> dict[int, int]:
        """rid -> the iid of that record's document (the first of its ids, `items.slots`)."""
        return {rid: rid for rid in rids} if "document" in self.settings["levels"].split(",") else {}

    def status(self) -> dict[str, object]:
        def count(q: str) -> int:
            return self.conn.execute(q).fetchone()[0]

        check_schema(self.path, self.settings)
        documents = count("SELECT count(*) FROM records") if "document" in self.settings["levels"].split(",") else 0
        titles = count("SELECT count(*) FROM titles")
        paragraphs = count("SELECT coalesce(sum(items), 0) FROM records") - documents - titles
        levels = {"title": titles, "paragraph": paragraphs, "document": documents}
        return {
            "path": str(self.path),
            "bytes": self.path.stat().st_size + self.band_file().bytes,
            "files": count("SELECT count(*) FROM files"),
            "records": count("SELECT count(*) FROM records"),
            "items": levels,
            "band_rows": len(self.band_file()) + count("SELECT count(*) FROM bands_new"),
            "band_rows_new": count("SELECT count(*) FROM bands_new"),
            "settings": {
                k: v for k, v in sorted(self.settings.items()) if k not in ("permutations", "body-dictionary")
            },
        }

    # --- writing (inside `transaction` or `build`) -----------------------------------------------

    def remove_file(self, path: str) -> None:
        """Forget a file and everything indexed from it (its band rows stay, dangling, until
        `compact`: deleting them here would touch pages all over the bands table)."""
        rows = self.conn.execute("SELECT rid, items FROM records WHERE path = ?", (path,)).fetchall()
        title = SLOT_ORDER.index("title") if "document" in self.settings["levels"].split(",") else 0
        for chunk in chunks(rows):
            marks = ",".join("?" * len(chunk))
            # A record's title, if it has one, is the item of that place (`items.slots`).
            self.conn.execute(f"DELETE FROM titles WHERE iid IN ({marks})", [rid + title for rid, _ in chunk])
            self.conn.execute(f"DELETE FROM records WHERE rid IN ({marks})", [rid for rid, _ in chunk])
            self._count_changed(sum(n for _, n in chunk))
        self.conn.execute("DELETE FROM files WHERE path = ?", (path,))

    def needs_compacting(self) -> bool:
        """Whether items added or removed since the last compaction are a quarter of the index."""
        live = self.conn.execute("SELECT max(rid + items) - min(rid) FROM records").fetchone()[0] or 0
        return self._changed_items() > COMPACT_AT * max(1, live)

    def _changed_items(self) -> int:
        return int(self.settings.get("items-changed", "0"))

    def _count_changed(self, n: int) -> None:
        self.set_meta("items-changed", str(self._changed_items() + n))

    def compact(self) -> None:
        """Fold new band rows into a new band file without the rows of items that are gone
        (inside `transaction`: the current file is removed once the change is committed)."""
        current = self.band_file()
        remove_stale_temps(self.home)  # what a compaction killed outright left
        generation = int(self.settings["bands-file"]) + 1
        target = band_file_path(self.home, generation)
        new = np.array(self.conn.execute("SELECT key, iid FROM bands_new").fetchall(), dtype=np.int64).reshape(-1, 2)
        held = np.array(self.conn.execute("SELECT rid, items FROM records ORDER BY rid").fetchall(), np.int64)
        rids, counts = held.reshape(-1, 2).T
        live = np.repeat(rids - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()))
        self._on_rollback.append(target)
        compacted(current, new[:, 0], new[:, 1], live, self.home, target)
        self._after_commit.append(band_file_path(self.home, generation - 1))
        self.conn.execute("DELETE FROM bands_new")
        self.set_meta("bands-file", str(generation))
        self.set_meta("items-changed", "0")
        self._bands = None

    def touch_file(self, row: FileRow) -> None:
        """Record a new size or modification time for a file whose content did not change."""
        self.conn.execute("UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?", (row.size, row.mtime_ns, row.path))

    def add(
        self, files: Sequence[FileRow], records: Sequence[NewRecord], items: dict[str, LevelItems], fresh: bool = False
    ) -> list[int]:
        """Index records and their items (`items` of exactly `records`, in order): their rids."""
        self.conn.executemany(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
            [(r.path, r.digest, r.size, r.mtime_ns, r.records) for r in files],
        )
        counts, places = slots({level: li.owners for level, li in items.items()}, len(records))
        taken = np.maximum(1, np.array(counts, dtype=np.int64))  # every record has an id of its own
        rids = self._take("next-iid", int(taken.sum())) + np.cumsum(taken) - taken
        kept = [r for r in records if r.keep_text]
        if kept and "body-dictionary" not in self.settings:
            self.set_meta("body-dictionary", base64.b64encode(body_dictionary(kept)).decode("ascii"))
        dictionary = base64.b64decode(self.settings.get("body-dictionary", ""))
        rows = [
            (rid, r.path, r.record, r.line, r.start, r.doc, r.digest, n)
            for rid, r, n in zip(rids.tolist(), records, counts, strict=True)
        ]
        bodies = [pack_body(r.title, r.text, dictionary) if r.keep_text else None for r in records]
        self.conn.executemany(
            "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*row, b) for row, b in zip(rows, bodies, strict=True)],
        )
        for level, li in items.items():
            if not len(li):
                continue
            iids = rids[np.array(li.owners, dtype=np.int64)] + np.array(places[level], dtype=np.int64)
            if level == "title":
                titled = sorted(zip(li.keys, iids.tolist(), strict=True))
                self.conn.executemany("INSERT INTO titles VALUES (?, ?)", titled)
            keys = salted(level, li.bands).ravel()
            ids = np.repeat(iids, li.bands.shape[1])
            if fresh and self._spill is not None:
                self._spill.add(keys, ids)
            else:
                order = np.lexsort((ids, keys))  # B-tree inserts in key order touch each page once
                rows_in_order = zip(keys[order].tolist(), ids[order].tolist(), strict=True)
                self.conn.executemany("INSERT OR IGNORE INTO bands_new VALUES (?, ?)", rows_in_order)
        if not fresh:
            self._count_changed(sum(counts))
        return rids.tolist()

    def _take(self, counter: str, n: int) -> int:
        """The first of n fresh ids. Ids are never reused: a removed item's band rows stay behind
        until `compact`, and must not point at whatever item would get its id next."""
        first = int(self.settings.get(counter, "1"))
        self.set_meta(counter, str(first + n))
        return first

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        self.settings[key] = value


def _unlink(paths: list[Path]) -> None:
    for p in paths:
        p.unlink(missing_ok=True)
    paths.clear()
