"""What the persistent index holds: its tables, its rows as Python sees them, the settings its
shingles and band keys depend on, and the band keys as stored (`salted`). `store` reads and
writes it.

The band keys are `lsh.level_keys` of `lsh.band_keys` cut to 48 bits: the same keys the finder's
engines group, so the index and `check` find the buckets the finder finds.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np

from cleaner.dedup.lsh import bands_rows, level_keys
from cleaner.dedup.matchform import MATCH_FORM_VERSION
from cleaner.dedup.minhash import SCHEME, permutations
from cleaner.dedup.options import DupOptions
from cleaner.io.readers import ReadOptions

SCHEMA = 3  # 3: the line contexts of `corpus/evidence_index.py`
_KEY_BITS = 48  # band keys are stored in 6 bytes (SQLite's integer sizes); collisions are verified away
# The CREATE statements are stored in the index as written: a line broken here must leave the
# text as it was (a backslash at the end of a line joins it to the next).
SCHEMA_SQL = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files(path TEXT PRIMARY KEY, digest TEXT NOT NULL, size INTEGER NOT NULL, \
mtime_ns INTEGER NOT NULL, records INTEGER NOT NULL);
CREATE TABLE records(rid INTEGER PRIMARY KEY, path TEXT NOT NULL, record INTEGER NOT NULL, \
line INTEGER, doc TEXT NOT NULL, digest BLOB NOT NULL);
CREATE INDEX records_path ON records(path);
CREATE TABLE items(iid INTEGER PRIMARY KEY, rid INTEGER NOT NULL, level INTEGER NOT NULL, paragraph INTEGER, \
line INTEGER, title_key TEXT, shingles BLOB NOT NULL, signature BLOB);
CREATE INDEX items_rid ON items(rid);
CREATE INDEX items_title ON items(title_key) WHERE title_key IS NOT NULL;
CREATE TABLE bands(key INTEGER NOT NULL, iid INTEGER NOT NULL, PRIMARY KEY(key, iid)) WITHOUT ROWID;
CREATE TABLE bands_new(key INTEGER NOT NULL, iid INTEGER NOT NULL, PRIMARY KEY(key, iid)) WITHOUT ROWID;
"""


def read_settings_of(read: ReadOptions) -> dict[str, str]:
    """How records were read: another text field or paragraph separator makes other items."""
    return {
        "text-field": read.text_field,
        "title-field": read.title_field,
        "id-field": read.id_field,
        "paragraph-sep": read.paragraph_sep or "",
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
        "noisy": str(options.noisy).lower(),
        "min-words": str(options.min_words),
        "lsh-threshold": repr(round(options.lsh_threshold, 6)),
        "levels": ",".join(options.levels),
        "match-form": str(MATCH_FORM_VERSION),
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
    """A record to index: where it is, its content digest, and for each of its items the line it
    starts on (see `cleaner.check.Lines`)."""

    path: str
    record: int
    line: int | None
    doc: str
    digest: bytes


def salted(level: str, keys: np.ndarray) -> np.ndarray:
    """Band keys as the index stores them: with the level folded in (`lsh.level_keys`), cut to
    48 bits (6-byte SQLite integers: a quarter smaller than 64-bit ones; a chance collision is a
    candidate that verification rejects)."""
    return (level_keys(level, keys) >> np.uint64(64 - _KEY_BITS)).astype(np.int64)
