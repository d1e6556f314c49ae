"""The persistent index: one SQLite file (default `.cleaner/index`) holding, for every indexed
record, its content digest and, per level, its shingle set, band keys and (documents) signature,
so a check compares new articles with the corpus without re-reading the corpus.

Why SQLite: it is in the standard library, needs no server, and its transactions make an
interrupted update leave the previous index intact (SIGKILL leaves a `-journal` file that SQLite
rolls back on the next open). A first build is written aside and renamed into place, likewise.

The settings the index was built with (MinHash scheme, seed, permutations, n-grams, match-form
version, LSH threshold) are stored inside it; opening it with other settings is an error that
suggests `--rebuild`, because band keys made with other settings would silently never match.

Tables: `files` (path, content digest, size, mtime: what `update` compares), `records` (one per
indexed article, in indexing order), `items` (one per title, paragraph and document, with its
shingles), `bands` (band key -> item: the LSH buckets, looked up by key).

Updates must not rewrite the index. Band keys are random, so adding an article's ~400 band rows
to the big `bands` table would touch pages all over it; they go to the small `bands_new` table
instead, and lookups read both. A removed file's items go, but its band rows stay behind, dangling
(lookups skip items that are gone). `compact` folds `bands_new` into `bands` and drops dangling
rows: a full rewrite, done by `index update` only once the two make up a quarter of the index.
"""

from __future__ import annotations

import base64
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from cleaner import __version__
from cleaner.dedup.items import LevelItems
from cleaner.dedup.lsh import remember_bands_rows
from cleaner.dedup.minhash import Permutations, remember_permutations
from cleaner.dedup.options import LEVEL_CODES, DupOptions
from cleaner.dedup.schema import (
    SCHEMA_SQL,
    FileRow,
    NewRecord,
    RecordRow,
    StoredItem,
    derived_settings,
    read_settings_of,
    salted,
    settings_of,
)
from cleaner.errors import ConfigError, IndexBusy, OutputError
from cleaner.io.readers import ReadOptions
from cleaner.io.writers import remove_stale_temps

COMPACT_AT = 0.25  # share of band rows new or dangling at which an update compacts
BUSY_SECONDS = 30  # how long an update waits for another run's update to finish


class IndexStore:
    """An open index. Use `IndexStore.open` for an existing one, `IndexStore.build` for a new one."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        self.settings = dict(conn.execute("SELECT key, value FROM meta"))

    # --- opening ---------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, options: DupOptions | None, read: ReadOptions | None = None) -> IndexStore:
        """An existing index; with `options` (and `read`), one built with the same settings (else
        an error suggesting --rebuild). Without, any index (to show its status)."""
        if path.is_dir():
            raise ConfigError(f"{path}: is a folder; --index names the index file (default .cleaner/index)")
        if not path.is_file():
            raise ConfigError(f"{path}: no index here; build one with `cleaner index build PATH...`")
        try:
            conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_SECONDS)
            conn.execute("SELECT count(*) FROM meta").fetchone()
        except sqlite3.OperationalError as e:  # locked, unreadable, or not ours
            if "no such table" in str(e):
                raise ConfigError(
                    f"{path}: not a cleaner index ({e}); rebuild it with `cleaner index build --rebuild`"
                ) from None
            raise OutputError(f"{path}: cannot open the index: {e}") from None
        except sqlite3.DatabaseError as e:
            raise ConfigError(
                f"{path}: not a cleaner index ({e}); rebuild it with `cleaner index build --rebuild`"
            ) from None
        store = cls(path, conn)
        if options is not None:
            store._check_settings({**settings_of(options), **(read_settings_of(read) if read else {})})
            store._remember_derived(options)
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
        if path.exists():
            IndexStore.open(path, None).close()  # never replace a file that is not an index
        # Named as the writers name theirs, so that a build killed outright is cleaned up later.
        tmp = path.with_name(f".{path.name}.cleaner-{os.getpid()}.build.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_temps(path)
            tmp.unlink(missing_ok=True)
            conn = sqlite3.connect(tmp, isolation_level=None)
        except (OSError, sqlite3.Error) as e:
            raise OutputError(f"{path}: cannot write the index here: {e}") from None
        try:
            # The file is renamed into place only once complete, so the journal buys nothing here.
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
            conn.executescript(SCHEMA_SQL)
            rows = {
                **settings_of(options),
                **read_settings_of(read),
                **derived_settings(options),
                "cleaner": __version__,
                "next-rid": "1",
                "next-iid": "1",
                **(meta or {}),
            }
            conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(rows.items()))
            store = cls(tmp, conn)
            conn.execute("BEGIN")
            yield store
            conn.execute("COMMIT")
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.close()
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, path)
            store.path = path
        except BaseException:
            conn.close()
            tmp.unlink(missing_ok=True)
            raise

    def _check_settings(self, expected: dict[str, str]) -> None:
        differ = [k for k in expected if self.settings.get(k) != expected[k]]
        if differ:
            stored = ", ".join(f"{k}={self.settings.get(k, '?')}" for k in differ)
            asked = ", ".join(f"{k}={expected[k]}" for k in differ)
            raise ConfigError(
                f"{self.path}: the index was built with {stored} but this run uses {asked}; "
                "rebuild it with `cleaner index build --rebuild` (or run with the index's settings)"
            )

    def _remember_derived(self, options: DupOptions) -> None:
        """The permutations and banding computed at build time: the index keeps answering with
        those, whatever a later version would compute."""
        try:
            perms = np.frombuffer(base64.b64decode(self.settings["permutations"]), dtype=np.uint32)
            bands, rows = (int(v) for v in self.settings["bands-rows"].split(","))
        except (KeyError, ValueError):
            return  # computed again when needed
        n = options.num_perm
        if len(perms) == 2 * n:
            remember_permutations(Permutations(n, options.seed, perms[:n].copy(), perms[n:].copy()))
        remember_bands_rows(options.lsh_threshold, n, bands, rows)

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
        except BaseException as e:
            if self.conn.in_transaction:  # (SQLite itself rolls back on some errors, a full disk)
                self.conn.execute("ROLLBACK")
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
        out: dict[int, RecordRow] = {}
        for chunk in _chunks(sorted(set(rids))):
            q = f"SELECT rid, path, record, line, doc FROM records WHERE rid IN ({','.join('?' * len(chunk))})"
            out.update((r[0], RecordRow(*r)) for r in self.conn.execute(q, chunk))
        return out

    def bucket_members(self, level: str, keys: np.ndarray, limit: int) -> tuple[list[list[int]], list[int]]:
        """For each row of band keys (items x bands): the indexed items sharing any of its keys,
        ascending (indexing order), at most the first `limit` of each bucket; and the size of
        its largest bucket (a paragraph in thousands of articles is boilerplate)."""
        flat = salted(level, np.ascontiguousarray(keys)).ravel()
        wanted = sorted(set(flat.tolist()))
        hits: dict[int, list[int]] = {}
        for chunk in _chunks(wanted):
            marks = ",".join("?" * len(chunk))
            q = (
                f"SELECT key, iid FROM bands WHERE key IN ({marks}) "
                f"UNION ALL SELECT key, iid FROM bands_new WHERE key IN ({marks})"
            )
            for key, iid in self.conn.execute(q, chunk + chunk):
                hits.setdefault(key, []).append(iid)
        for members in hits.values():
            members.sort()
        width = keys.shape[1] if keys.ndim == 2 else 0
        out: list[list[int]] = []
        largest: list[int] = []
        for row in range(keys.shape[0]):
            found: set[int] = set()
            biggest = 0
            for key in flat[row * width : (row + 1) * width].tolist():
                members = hits.get(key, ())
                found.update(members[:limit])
                biggest = max(biggest, len(members))
            out.append(sorted(found))
            largest.append(biggest)
        return out, largest

    def titles_keyed(self, keys: Iterable[str]) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for chunk in _chunks(sorted(set(keys))):
            q = f"SELECT title_key, iid FROM items WHERE title_key IN ({','.join('?' * len(chunk))}) ORDER BY iid"
            for key, iid in self.conn.execute(q, chunk):
                out.setdefault(key, []).append(iid)
        return out

    def items(self, iids: Iterable[int]) -> dict[int, StoredItem]:
        names = {v: k for k, v in LEVEL_CODES.items()}
        out: dict[int, StoredItem] = {}
        for chunk in _chunks(sorted(set(iids))):
            marks = ",".join("?" * len(chunk))
            q = f"SELECT iid, rid, level, paragraph, line, title_key, shingles FROM items WHERE iid IN ({marks})"
            for iid, rid, level, paragraph, line, title_key, shingles in self.conn.execute(q, chunk):
                out[iid] = StoredItem(
                    iid, rid, names[level], paragraph, line, title_key, np.frombuffer(shingles, dtype=np.uint32)
                )
        return out

    def items_of_records(self, level: str, rids: Iterable[int]) -> dict[int, int]:
        """rid -> iid of that record's item at `level` (documents: one per record)."""
        out: dict[int, int] = {}
        for chunk in _chunks(sorted(set(rids))):
            q = f"SELECT rid, iid FROM items WHERE level = ? AND rid IN ({','.join('?' * len(chunk))})"
            out.update(self.conn.execute(q, [LEVEL_CODES[level], *chunk]))
        return out

    def status(self) -> dict[str, object]:
        def count(q: str) -> int:
            return self.conn.execute(q).fetchone()[0]

        levels = {name: count(f"SELECT count(*) FROM items WHERE level = {code}") for name, code in LEVEL_CODES.items()}
        return {
            "path": str(self.path),
            "bytes": self.path.stat().st_size,
            "files": count("SELECT count(*) FROM files"),
            "records": count("SELECT count(*) FROM records"),
            "items": levels,
            "band_rows": count("SELECT count(*) FROM bands") + count("SELECT count(*) FROM bands_new"),
            "band_rows_new": count("SELECT count(*) FROM bands_new"),
            "settings": {k: v for k, v in sorted(self.settings.items()) if k != "permutations"},
        }

    # --- writing (inside `transaction` or `build`) -----------------------------------------------

    def remove_file(self, path: str) -> None:
        """Forget a file and everything indexed from it (its band rows stay, dangling, until
        `compact`: deleting them here would touch pages all over the bands table)."""
        rids = [r for (r,) in self.conn.execute("SELECT rid FROM records WHERE path = ?", (path,))]
        for chunk in _chunks(rids):
            marks = ",".join("?" * len(chunk))
            self._count_changed(self.conn.execute(f"DELETE FROM items WHERE rid IN ({marks})", chunk).rowcount)
            self.conn.execute(f"DELETE FROM records WHERE rid IN ({marks})", chunk)
        self.conn.execute("DELETE FROM files WHERE path = ?", (path,))

    def needs_compacting(self) -> bool:
        """Whether items added or removed since the last compaction are a quarter of the index."""
        live = self.conn.execute("SELECT max(iid) - min(iid) + 1 FROM items").fetchone()[0] or 0
        return self._changed_items() > COMPACT_AT * max(1, live)

    def _changed_items(self) -> int:
        return int(self.settings.get("items-changed", "0"))

    def _count_changed(self, n: int) -> None:
        self.set_meta("items-changed", str(self._changed_items() + n))

    def compact(self) -> None:
        """Fold new band rows into the main table and drop rows of items that are gone."""
        self.conn.execute("INSERT OR IGNORE INTO bands SELECT key, iid FROM bands_new ORDER BY key, iid")
        self.conn.execute("DELETE FROM bands_new")
        self.conn.execute("DELETE FROM bands WHERE iid NOT IN (SELECT iid FROM items)")
        self.set_meta("items-changed", "0")

    def touch_file(self, row: FileRow) -> None:
        """Record a new size or modification time for a file whose content did not change."""
        self.conn.execute("UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?", (row.size, row.mtime_ns, row.path))

    def add(
        self,
        files: Sequence[FileRow],
        records: Sequence[NewRecord],
        items: dict[str, LevelItems],
        lines: dict[str, list[int | None]],
        fresh: bool = False,
    ) -> int:
        """Index records and their items (`items` of exactly `records`, `lines[level][k]` item k's line): first rid."""
        self.conn.executemany(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
            [(r.path, r.digest, r.size, r.mtime_ns, r.records) for r in files],
        )
        first_rid = self._take("next-rid", len(records))
        self.conn.executemany(
            "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?)",
            [(first_rid + k, r.path, r.record, r.line, r.doc, r.digest) for k, r in enumerate(records)],
        )
        iid = self._take("next-iid", sum(len(li) for li in items.values()))
        for level, li in items.items():
            if not len(li):
                continue
            code = LEVEL_CODES[level]
            rows = []
            for k in range(len(li)):
                sig = li.signatures[k].tobytes() if level == "document" else None
                key = li.keys[k] if level == "title" else None
                rows.append(
                    (
                        iid + k,
                        first_rid + li.owners[k],
                        code,
                        li.paragraphs[k],
                        lines[level][k],
                        key,
                        li.batch.set(k).tobytes(),
                        sig,
                    )
                )
            self.conn.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            keys = salted(level, li.bands).ravel()
            ids = np.repeat(np.arange(iid, iid + len(li), dtype=np.int64), li.bands.shape[1])
            order = np.lexsort((ids, keys))  # B-tree inserts in key order touch each page once
            table = "bands" if fresh else "bands_new"
            rows_in_order = zip(keys[order].tolist(), ids[order].tolist(), strict=True)
            self.conn.executemany(f"INSERT OR IGNORE INTO {table} VALUES (?, ?)", rows_in_order)
            iid += len(li)
        if not fresh:
            self._count_changed(sum(len(li) for li in items.values()))
        return first_rid

    def _take(self, counter: str, n: int) -> int:
        """The first of n fresh ids. Ids are never reused: a removed item's band rows stay behind
        until `compact`, and must not point at whatever item would get its id next."""
        first = int(self.settings.get(counter, "1"))
        self.set_meta(counter, str(first + n))
        return first

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        self.settings[key] = value


def stored_value(path: Path, key: str) -> str | None:
    """One setting of the index at `path`, or None where there is no readable index."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _chunks(values: Sequence[int] | Sequence[str] | list, size: int = 900) -> Iterator[list]:  # type: ignore[type-arg]
    # SQLite builds before 3.32 allow at most 999 parameters in one statement.
    for k in range(0, len(values), size):
        yield list(values[k : k + size])
