"""What the persistent index holds: its tables, its rows as Python sees them, the settings its
shingles and band keys depend on, and the band keys as stored (`salted`). `store` reads and
writes it.

The band keys are `lsh.level_keys` of `lsh.band_keys` cut to 48 bits: the same keys the finder's
engines group, so the index and `check` find the buckets the finder finds.

Shingle sets are not stored (schema 4): they took half the index (a document's ~1,000 shingles
are 4 KB; its text, compressed, under 3 KB) and are recomputed, by the finder's own functions,
from each record's title and text, only for the few records a check verifies against. Title
keys are recomputed likewise; `titles` holds them only for the lookup.

Nor are the texts of records their file holds alone, a line of plain JSONL or a .txt file
(schema 5): a check reads those few records again where they are (`corpus/reread.py`), and
verifies each against its stored digest. A record of a gzipped, CSV or Parquet file, which
could only be found again by reading the file from its start, keeps its text compressed in
`body`.

Nor is there a table of items (schema 7): a record's rid is the first of the ids its items take
(document, title, paragraphs: `items.slots`), and its `items` how many, so the band file's item
ids name their records, and which item an id is comes from recomputing the record's items, as
verification does anyway. The table, and its index by record, were a sixth of the index.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from cleaner.dedup.items import SLOT_ORDER, items_of, slots
from cleaner.dedup.lsh import bands_rows, level_keys, remember_bands_rows
from cleaner.dedup.matchform import MATCH_FORM_VERSION
from cleaner.dedup.minhash import SCHEME, Permutations, permutations, remember_permutations
from cleaner.dedup.options import DupOptions
from cleaner.dedup.shingle import WORD_HASH_VERSION
from cleaner.errors import ConfigError, OutputError
from cleaner.io.lines import Lines, item_line
from cleaner.io.readers import ReadOptions
from cleaner.model import Document, Origin
from cleaner.normalize.evidence import ENDINGS_VERSION, LINES_VERSION

# 3: the line contexts of `corpus/evidence_index.py`; 4: no shingle sets, a band file; 5: no texts
# of records that can be read again alone; 6: band rows of cut keys, packed (`bandfile`); 7: no
# items table (a record's items take the ids from its own on, `items.slots`)
SCHEMA = 7
DICTIONARY_BYTES = 1 << 15  # zlib's window: a longer preset dictionary would not be used
_KEY_BITS = 48  # band keys are stored in 6 bytes (SQLite's integer sizes); collisions are verified away
# The CREATE statements are stored in the index as written: a line broken here must leave the
# text as it was (a backslash at the end of a line joins it to the next).
SCHEMA_SQL = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files(path TEXT PRIMARY KEY, digest TEXT NOT NULL, size INTEGER NOT NULL, \
mtime_ns INTEGER NOT NULL, records INTEGER NOT NULL);
CREATE TABLE records(rid INTEGER PRIMARY KEY, path TEXT NOT NULL, record INTEGER NOT NULL, \
line INTEGER, start INTEGER, doc TEXT NOT NULL, digest BLOB NOT NULL, items INTEGER NOT NULL, body BLOB);
CREATE INDEX records_path ON records(path);
CREATE TABLE titles(key TEXT NOT NULL, iid INTEGER NOT NULL, PRIMARY KEY(key, iid)) WITHOUT ROWID;
CREATE TABLE bands_new(key INTEGER NOT NULL, iid INTEGER NOT NULL, PRIMARY KEY(key, iid)) WITHOUT ROWID;
"""


def read_settings_of(read: ReadOptions) -> dict[str, str]:
    """How records were read: another text field or paragraph separator makes other items."""
    return {
        "text-field": read.text_field,
        "title-field": read.title_field,
        "id-field": read.id_field,
        "paragraph-sep": read.paragraph_sep or "",
        "source-field": read.source_field or "",
    }


def settings_of(options: DupOptions) -> dict[str, str]:
    """What the stored shingles and band keys depend on. (`threshold` counts through the LSH
    threshold below it; `containment` is applied at query time and may differ.)"""
    return {
        "schema": str(SCHEMA),
        "scheme": SCHEME,
        "seed": str(options.seed),
        "num-perm": str(options.num_perm),
        "ngram": str(options.ngram),
        "paragraph-ngram": str(options.paragraph_ngram),
        "title-ngram": str(options.title_ngram),
        "noisy": str(bool(options.noisy)).lower(),  # the default mode stores what --no-noisy does
        "min-words": str(options.min_words),
        "lsh-threshold": repr(round(options.lsh_threshold, 6)),
        "levels": ",".join(options.levels),
        "match-form": str(MATCH_FORM_VERSION),
        "word-hash": str(WORD_HASH_VERSION),
        "endings": str(ENDINGS_VERSION),  # the evidence index's rows (`corpus/evidence_index.py`)
        "lines": str(LINES_VERSION),
    }


def derived_settings(options: DupOptions) -> dict[str, str]:
    perms = permutations(options.num_perm, options.seed)
    bands, rows = bands_rows(options.lsh_threshold, options.num_perm)
    return {
        "permutations": base64.b64encode(perms.a.tobytes() + perms.b.tobytes()).decode("ascii"),
        "bands-rows": f"{bands},{rows}",
    }


@dataclass(frozen=True)
class FileRow:
    path: str
    digest: str
    size: int
    mtime_ns: int
    records: int


@dataclass(frozen=True)
class RecordRow:
    rid: int
    path: str
    record: int
    line: int | None
    doc: str
    digest: bytes = b""  # of its title and text (`corpus.digests.record_digest`)
    start: int | None = None  # where its line starts in its file, if the record is read alone from there
    items: int = 0  # its items hold the ids rid .. rid + items - 1

    @property
    def origin(self) -> Origin:
        return Origin(self.path, self.record, self.line)


# Where the texts the index does not keep come from: records (rid order) -> rid -> the record as
# its file holds it now, for those found as they were indexed (`corpus.reread.CorpusTexts`).
Reread = Callable[[Sequence[RecordRow]], dict[int, Document]]


@dataclass(frozen=True)
class StoredItem:
    """An indexed item as a check needs it: where it is and what to verify against."""

    iid: int
    rid: int
    level: str
    paragraph: int | None
    line: int | None
    title_key: str | None
    shingles: np.ndarray


@dataclass
class NewRecord:
    """A record to index: where it is, its content digest, and its title and text (from which
    its items are recomputed)."""

    path: str
    record: int
    line: int | None
    doc: str
    digest: bytes
    title: str | None
    text: str
    keep_text: bool = True  # False where the record can be read again alone (`corpus/reread.py`)
    start: int | None = None  # then, in a JSONL file, where its line starts


def body_dictionary(records: Sequence[NewRecord]) -> bytes:
    """zlib's preset dictionary for the index's bodies: the end of the first records' titles and
    texts. News articles share their words and phrases, so each body compressed with it is 14%
    smaller than alone (as small as 16 compressed together), and still read on its own."""
    return b"".join(_raw(r.title, r.text) for r in records[:64])[-DICTIONARY_BYTES:]


def pack_body(title: str | None, text: str, dictionary: bytes) -> bytes:
    """A record's title (None kept apart from "") and text, compressed; deterministic."""
    packer = zlib.compressobj(9, zdict=dictionary) if dictionary else zlib.compressobj(9)
    return packer.compress(_raw(title, text)) + packer.flush()


def _raw(title: str | None, text: str) -> bytes:
    return json.dumps([title, text], ensure_ascii=False).encode("utf-8", "surrogatepass")


def item_owners(conn: sqlite3.Connection, iids: Iterable[int]) -> dict[int, int]:
    """iid -> rid, for the items `iids` the index still holds (a record's are the ids from its
    own on): the record with the largest rid not above the id, if its items reach it."""
    out: dict[int, int] = {}
    rid, count = 0, 0
    q = "SELECT rid, items FROM records WHERE rid <= ? ORDER BY rid DESC LIMIT 1"
    for iid in sorted(set(iids)):
        if not rid <= iid < rid + count:
            rid, count = conn.execute(q, (iid,)).fetchone() or (0, 0)
        if rid <= iid < rid + count:
            out[iid] = rid
    return out


def read_bodies(conn: sqlite3.Connection, rids: Iterable[int], dictionary: bytes) -> dict[int, tuple[str | None, str]]:
    """rid -> title, text, for the records whose text the index keeps."""
    out: dict[int, tuple[str | None, str]] = {}
    for rid, body in select_in(conn, "SELECT rid, body FROM records WHERE body IS NOT NULL AND rid IN ({})", rids):
        unpacker = zlib.decompressobj(zdict=dictionary) if dictionary else zlib.decompressobj()
        title, text = json.loads((unpacker.decompress(body) + unpacker.flush()).decode("utf-8", "surrogatepass"))
        out[rid] = (title, text)
    return out


def salted(level: str, keys: np.ndarray) -> np.ndarray:
    """Band keys as the index stores them: with the level folded in (`lsh.level_keys`), cut to
    48 bits (a chance collision is a candidate that verification rejects)."""
    return (level_keys(level, keys) >> np.uint64(64 - _KEY_BITS)).astype(np.int64)


def recomputed_items(
    records: Sequence[RecordRow],
    docs: dict[int, Document],
    iids: Iterable[int],
    options: DupOptions,
    level: str | None = None,
) -> dict[int, StoredItem]:
    """The items `iids` of `records` whose record is in `docs` (rid -> title and text as indexed),
    recomputed by the indexing's own `items_of`, all records in one batch: their shingles, title
    keys and lines, and from the order their ids were given in (`slots`), which item each id is.
    With `level`, only the items of that level (and only the levels its places depend on)."""
    held = sorted((r for r in records if r.rid in docs), key=lambda r: r.rid)
    batch = [docs[r.rid] for r in held]
    indexed = [name for name in SLOT_ORDER if name in options.levels]
    before = indexed if level is None else indexed[: indexed.index(level) + 1] if level in indexed else []
    # A document is always its record's first item: its place needs no shingles of it.
    shingled = tuple(name for name in before if name != "document" or level in (None, "document"))
    items = items_of(batch, replace(options, levels=shingled), sign=False) if shingled else {}
    owners: dict[str, Sequence[int]] = {name: li.owners for name, li in items.items()}
    if "document" in before:
        owners["document"] = range(len(batch))
    _, places = slots(owners, len(batch))
    lines = [Lines(d) for d in batch]
    wanted = set(iids)
    out: dict[int, StoredItem] = {}
    for name, li in items.items():
        if level not in (None, name):
            continue
        for k, (owner, place) in enumerate(zip(li.owners, places[name], strict=True)):
            if (iid := held[owner].rid + place) in wanted:
                key = li.keys[k] if name == "title" else None
                line = item_line(lines, name, li, k)
                out[iid] = StoredItem(iid, held[owner].rid, name, li.paragraphs[k], line, key, li.batch.set(k))
    return out


def connect_index(path: Path, timeout: float) -> sqlite3.Connection:
    """An open index file (one-line errors for what is not one)."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=timeout)
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
    return conn


def create_tables(conn: sqlite3.Connection, settings: dict[str, str]) -> None:
    """The tables of a new index, and its settings, in a file renamed into place only once
    complete (so the journal buys nothing while it is written)."""
    conn.execute("PRAGMA page_size=16384")  # four bodies a page, where 4 KiB pages held one
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.executescript(SCHEMA_SQL)
    rows = {**settings, "next-iid": "1"}
    conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(rows.items()))


def check_schema(path: Path, settings: dict[str, str]) -> None:
    """An index of another schema is refused with one line: its tables are not these."""
    stored = settings.get("schema", "?")
    if stored != str(SCHEMA):
        age = "an older" if stored.isdigit() and int(stored) < SCHEMA else "another"
        raise ConfigError(
            f"{path}: the index is in {age} format (schema {stored}; this cleaner reads {SCHEMA}); "
            "rebuild it with `cleaner index build --rebuild`"
        )


# Settings that came later, with the value an index from before them had: no source field, the
# first line keys (a missing `word-hash`, by contrast, is another hashing, and refused).
UNSET_BEFORE = {"source-field": "", "lines": "1"}


def check_settings(path: Path, settings: dict[str, str], expected: dict[str, str]) -> None:
    differ = [k for k in expected if settings.get(k, UNSET_BEFORE.get(k)) != expected[k]]
    if differ:
        stored = ", ".join(f"{k}={settings.get(k, UNSET_BEFORE.get(k, '?'))}" for k in differ)
        asked = ", ".join(f"{k}={expected[k]}" for k in differ)
        raise ConfigError(
            f"{path}: the index was built with {stored} but this run uses {asked}; "
            "rebuild it with `cleaner index build --rebuild` (or run with the index's settings)"
        )


def remember_derived(settings: dict[str, str], options: DupOptions) -> None:
    """The permutations and banding computed at build time: the index keeps answering with
    those, whatever a later version would compute."""
    try:
        perms = np.frombuffer(base64.b64decode(settings["permutations"]), dtype=np.uint32)
        bands, rows = (int(v) for v in settings["bands-rows"].split(","))
    except (KeyError, ValueError):
        return  # computed again when needed
    n = options.num_perm
    if len(perms) == 2 * n:
        remember_permutations(Permutations(n, options.seed, perms[:n].copy(), perms[n:].copy()))
    remember_bands_rows(options.lsh_threshold, n, bands, rows)


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


def chunks(values: Sequence[int] | Sequence[str] | list, size: int = 900) -> Iterator[list]:  # type: ignore[type-arg]
    # SQLite builds before 3.32 allow at most 999 parameters in one statement.
    for k in range(0, len(values), size):
        yield list(values[k : k + size])


def select_in(conn: sqlite3.Connection, query: str, values: Iterable, *before: object) -> Iterator[tuple]:  # type: ignore[type-arg]
    """The rows of `query` whose `{}` is an IN list of `values` (distinct, ascending), asked a chunk
    at a time; `before` are the parameters ahead of that list."""
    for chunk in chunks(sorted(set(values))):
        yield from conn.execute(query.format(",".join("?" * len(chunk))), [*before, *chunk])
