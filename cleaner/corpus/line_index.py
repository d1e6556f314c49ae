"""The corpus evidence the index keeps for `cleaner check`: where each short line stands.

`cleaner clean` counts, over the whole corpus, in how many distinct contexts each short line
stands (a site line recurs beside different text: `normalize/evidence.py`). `cleaner check` sees
only the new records, so the index keeps, for every indexed record, its candidate lines (a hash
of the line's key) and their context hashes; a check looks up the lines of the records it checks
and the boilerplate rule decides with the same counts `clean` would have. Rows belong to records,
so a file that changes or goes takes its lines with it, and the counts stay exact.

Word statistics (how sentences end, doubling) are not kept here: a check uses the shipped ones.
Keeping them exact would need each record's counts (kilobytes an article), and a hundred checked
records' own counts add little to the shipped ones at a quarter of a second.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence

from cleaner.model import Document
from cleaner.normalize.evidence import CorpusEvidence, line_contexts

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS line_contexts(key INTEGER NOT NULL, context INTEGER NOT NULL, rid INTEGER NOT NULL,
PRIMARY KEY(key, context, rid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS line_contexts_rid ON line_contexts(rid);
"""


def key_hash(key: str) -> int:
    """A line key as a signed 64-bit integer (SQLite's INTEGER)."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


def ensure_tables(conn: sqlite3.Connection) -> None:
    """Create the table where it is missing (an index built before it existed gains it, empty,
    and fills as files are indexed again). Statement by statement: `executescript` would commit
    an open transaction."""
    for statement in SCHEMA_SQL.split(";"):
        if statement.strip():
            conn.execute(statement)


def add_lines(conn: sqlite3.Connection, first_rid: int, docs: Sequence[Document]) -> None:
    """Keep the lines of `docs`, the records numbered from `first_rid` on in order."""
    rows = sorted(
        {(key_hash(key), h, first_rid + k) for k, doc in enumerate(docs) for key, h in line_contexts(doc.text)}
    )
    conn.executemany("INSERT OR IGNORE INTO line_contexts VALUES (?, ?, ?)", rows)


def forget_lines(conn: sqlite3.Connection, rids: Iterable[int]) -> None:
    rids = list(rids)
    for k in range(0, len(rids), 900):
        chunk = rids[k : k + 900]
        conn.execute(f"DELETE FROM line_contexts WHERE rid IN ({','.join('?' * len(chunk))})", chunk)


def with_indexed_lines(
    evidence: CorpusEvidence, conn: sqlite3.Connection, docs: Sequence[Document], exclude: set[int]
) -> CorpusEvidence:
    """`evidence` (the checked records' own) with the contexts the index holds for their lines,
    leaving out the records `exclude` (stale ones: no longer in their file)."""
    keys = {key for doc in docs for key, _ in line_contexts(doc.text)}
    by_hash = {key_hash(k): k for k in keys}
    hashes = sorted(by_hash)
    for k in range(0, len(hashes), 900):
        chunk = hashes[k : k + 900]
        rows = conn.execute(
            f"SELECT key, context, rid FROM line_contexts WHERE key IN ({','.join('?' * len(chunk))})", chunk
        )
        for h, context, rid in rows:
            if rid not in exclude:
                evidence.add_context(by_hash[h], context)
    return evidence
