"""The corpus evidence the index keeps for `cleaner check`: where each short line stands, and how
the bodies that stop without their period end.

`cleaner clean` counts over the whole corpus in how many distinct contexts each short line stands
(a site line recurs beside different text) and fits, over every unfinished body, the odds that
such a body was cut (`normalize/evidence.py`). `cleaner check` reads only the new records, so the
index keeps, for every indexed record, its candidate lines (a hash of the line's key and the hash
of its context) and, for the few bodies that stop without their period, their ending; a check
looks up the lines of the records it checks and takes every ending, and the rules decide with the
counts `clean` would have. Rows belong to records, so a file that changes or goes takes its rows
with it, and the counts stay exact. Where records name their source (`--source-field`, kept in
the index's settings), each record's source is kept too (`sources`), and its lines again under
their keys within the source (`evidence.source_contexts`: contexts and titles), so a check counts
a line in its own site's pages as `clean` does.

Word statistics (how often a word ends a sentence, doubling) are not kept: a check uses the
shipped ones. Keeping them exact would need each record's counts (kilobytes an article), and a
hundred checked records' own counts add little to the shipped ones at a quarter of a second.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

from cleaner.dedup.schema import chunks, select_in
from cleaner.lang import detect_language
from cleaner.model import Document
from cleaner.normalize.cuts import may_be_unfinished
from cleaner.normalize.evidence import CorpusEvidence, line_contexts, source_contexts, unfinished_ending

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS line_contexts(key INTEGER NOT NULL, context INTEGER NOT NULL, rid INTEGER NOT NULL,
PRIMARY KEY(key, context, rid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS line_contexts_rid ON line_contexts(rid);
CREATE TABLE IF NOT EXISTS endings(rid INTEGER PRIMARY KEY, lang TEXT NOT NULL, kind TEXT NOT NULL,
token TEXT NOT NULL, words INTEGER NOT NULL, last_line TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources(rid INTEGER PRIMARY KEY, source TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sources_source ON sources(source);
"""


def key_hash(key: str) -> int:
    """A line key as a signed 64-bit integer (SQLite's INTEGER)."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


def ensure_tables(conn: sqlite3.Connection) -> None:
    """Create the tables where missing. Statement by statement: `executescript` would commit an
    open transaction."""
    for statement in SCHEMA_SQL.split(";"):
        if statement.strip():
            conn.execute(statement)


def add_evidence(conn: sqlite3.Connection, rids: Sequence[int], docs: Sequence[Document]) -> None:
    """Keep the lines and endings of `docs`, the records `rids` in order."""
    rows = set()
    for rid, doc in zip(rids, docs, strict=True):
        contexts = line_contexts(doc.text)
        rows.update((key_hash(key), h, rid) for key, h in contexts)
        if doc.source is not None:
            rows.update((key_hash(key), h, rid) for key, h in source_contexts(doc.source, doc.title, contexts))
    conn.executemany("INSERT OR IGNORE INTO line_contexts VALUES (?, ?, ?)", sorted(rows))
    sources = [(rid, doc.source) for rid, doc in zip(rids, docs, strict=True) if doc.source is not None]
    conn.executemany("INSERT OR REPLACE INTO sources VALUES (?, ?)", sources)
    endings = []
    for rid, doc in zip(rids, docs, strict=True):
        if not may_be_unfinished(doc.text):
            continue  # most bodies: no language detection needed
        code = doc.language or detect_language(doc.text, doc.title).code
        e = unfinished_ending(doc.text, code) if code else None
        if e is not None:
            endings.append((rid, code, *e))
    conn.executemany("INSERT OR REPLACE INTO endings VALUES (?, ?, ?, ?, ?, ?)", endings)


def forget_evidence(conn: sqlite3.Connection, rids: Iterable[int]) -> None:
    ensure_tables(conn)  # an index from before a table came (`sources`) gets it here too
    for chunk in chunks(list(rids)):
        marks = ",".join("?" * len(chunk))
        conn.execute(f"DELETE FROM line_contexts WHERE rid IN ({marks})", chunk)
        conn.execute(f"DELETE FROM endings WHERE rid IN ({marks})", chunk)
        conn.execute(f"DELETE FROM sources WHERE rid IN ({marks})", chunk)


def with_indexed_evidence(
    evidence: CorpusEvidence, conn: sqlite3.Connection, docs: Sequence[Document], exclude: set[int]
) -> CorpusEvidence:
    """`evidence` (the checked records' own) with what the index holds: the contexts of the checked
    records' lines and of the indexed endings' last lines, and every indexed ending, leaving out the
    records `exclude` (stale ones: no longer in their file)."""
    for rid, code, kind, token, words, last_line in conn.execute("SELECT * FROM endings ORDER BY rid"):
        if rid not in exclude:
            evidence.endings.setdefault(code, Counter())[(kind, token, words, last_line)] += 1
    keys = {key for doc in docs for key, _ in line_contexts(doc.text)}
    keys |= {e[3] for counts in evidence.endings.values() for e in counts if e[3]}
    for key, context in _indexed_contexts(conn, keys, exclude):
        evidence.add_context(key, context)
    _with_indexed_sources(evidence, conn, docs, exclude)
    return evidence


def _indexed_contexts(conn: sqlite3.Connection, keys: Iterable[str], exclude: set[int]) -> Iterator[tuple[str, int]]:
    """(key, context) of every indexed row of the line keys `keys`, but the records `exclude`'s."""
    by_hash = {key_hash(k): k for k in keys}
    for h, context, rid in select_in(conn, "SELECT key, context, rid FROM line_contexts WHERE key IN ({})", by_hash):
        if rid not in exclude:
            yield by_hash[h], context


def _with_indexed_sources(
    evidence: CorpusEvidence, conn: sqlite3.Connection, docs: Sequence[Document], exclude: set[int]
) -> None:
    """The indexed pages of the checked records' sources, and the contexts of their lines there."""
    sources = sorted({doc.source for doc in docs if doc.source is not None})
    for source, rid in select_in(conn, "SELECT source, rid FROM sources WHERE source IN ({})", sources):
        if rid not in exclude:
            evidence.sources[source] += 1
    sourced = [d for d in docs if d.source is not None]
    keys = {k for d in sourced for k, _ in source_contexts(d.source, d.title, line_contexts(d.text))}  # type: ignore[arg-type]
    for key, context in _indexed_contexts(conn, keys, exclude):
        evidence.add_source_context(key, context)
