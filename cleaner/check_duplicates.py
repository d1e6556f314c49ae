"""The pre-commit check's duplicate findings: each new record's first earlier copy, per level,
among the indexed records (from the index's LSH buckets) and the new records before it, found
with the finder's own items, band keys, bucket pairing and pair tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from cleaner.dedup.items import LevelItems, items_of
from cleaner.dedup.options import DupOptions
from cleaner.dedup.pairs import pairs_of
from cleaner.dedup.schema import Reread
from cleaner.dedup.store import IndexStore, salted
from cleaner.dedup.verify import document_similarity, jaccard, same_document, same_paragraph, same_title
from cleaner.io.lines import Lines, item_line
from cleaner.model import Document, Finding, Origin

# An indexed bucket holding more items than this is boilerplate: its first MAX_CANDIDATES items
# are verified (the first that passes is the one named), and a paragraph in such a bucket is no
# evidence that the article around it was copied.
MAX_CANDIDATES = 50
MAX_EVIDENCE = 50
SNIPPET = 60


@dataclass(frozen=True)
class _Place:
    """Where an earlier copy is (`path:line`) and its shingles."""

    where: str
    shingles: np.ndarray


def snippet(text: str) -> str:
    # Whitespace is shown escaped where it is all there is (a removed blank line, a space).
    flat = " ".join(text.split()) if text.strip() else text.encode("unicode_escape").decode("ascii")
    if len(flat) > SNIPPET:
        flat = flat[: SNIPPET - 1] + "…"
    return '"' + flat.replace('"', '\\"') + '"'


def duplicate_findings(
    new_docs: Sequence[Document],
    options: DupOptions,
    store: IndexStore | None,
    stale: set[int],
    reread: Reread | None = None,
) -> list[Finding]:
    """Each new record's first earlier copy, per level: indexed records first (in indexing
    order), then the new records before it. `stale` are indexed records not to match; `reread`
    finds the texts of indexed records the index does not keep."""
    items = items_of(new_docs, options)
    lines = [Lines(d) for d in new_docs]
    matcher = _Matcher(items, new_docs, lines, store, stale, reread)
    found: list[tuple[int, Finding]] = []

    def report(i: int, kind: str, message: str, place: _Place, line: int | None) -> None:
        doc = new_docs[i]
        found.append((i, Finding(doc.origin.path, line, doc.origin.record, kind, message, place.where)))

    copied: set[int] = set()
    if "document" in items:
        li = items["document"]

        def accept_doc(x: np.ndarray, y: np.ndarray, _a: str | None, _b: str | None) -> bool:
            return same_document(x, y, options.threshold, options.containment)

        for k, place in matcher.first_matches("document", accept_doc):
            i = li.owners[k]
            copied.add(i)
            x = li.batch.set(k)
            title = new_docs[i].title or new_docs[i].text
            report(
                i,
                "duplicate-article",
                f"{_similarity(x, place.shingles)} {snippet(title)}",
                place,
                matcher.item_line("document", k),
            )
    if "title" in items:
        li = items["title"]
        for k, place in matcher.first_matches("title", lambda x, y, a, b: same_title(a, b, x, y, options.threshold)):
            i = li.owners[k]
            report(i, "duplicate-title", snippet(new_docs[i].title or ""), place, matcher.item_line("title", k))
    if "paragraph" in items:
        li = items["paragraph"]
        for k, place in matcher.first_matches(
            "paragraph", lambda x, y, _a, _b: same_paragraph(x, y, options.threshold)
        ):
            i = li.owners[k]
            a, b = li.spans[k]
            report(
                i,
                "duplicate-paragraph",
                f"paragraph {(li.paragraphs[k] or 0) + 1} {snippet(new_docs[i].text[a:b])}",
                place,
                matcher.item_line("paragraph", k),
            )
    # A copied article's title and paragraphs repeat it (or other copies): one finding says it all.
    return [f for i, f in found if f.kind == "duplicate-article" or i not in copied]


def _similarity(x: np.ndarray, y: np.ndarray) -> str:
    j = jaccard(x, y)
    sim = document_similarity(x, y)
    return f"{j:.2f} similar" if sim <= j else f"{sim:.2f} contained ({j:.2f} similar)"


class _Matcher:
    """Candidates for the new items of each level, from the index's buckets and from each other,
    verified in order until one passes."""

    def __init__(
        self,
        items: dict[str, LevelItems],
        docs: Sequence[Document],
        lines: Sequence[Lines],
        store: IndexStore | None,
        stale: set[int],
        reread: Reread | None = None,
    ) -> None:
        self.items, self.docs, self.lines, self.store, self.stale = items, docs, lines, store, stale
        self.reread = reread
        self._stored: dict[str, list[list[int]]] = {}
        self._largest: dict[str, list[int]] = {}
        self._new: dict[str, list[list[int]]] = {}

    def stored_candidates(self, level: str) -> list[list[int]]:
        """Per new item, indexed items sharing a band (titles: or the same key), ascending."""
        if level not in self._stored:
            li = self.items[level]
            if self.store is None:
                self._stored[level] = [[] for _ in range(len(li))]
            else:
                found, self._largest[level] = self.store.bucket_members(level, li.bands, MAX_CANDIDATES)
                if level == "title":
                    exact = self.store.titles_keyed(li.keys)
                    found = [sorted(set(f) | set(exact.get(key, ()))) for f, key in zip(found, li.keys, strict=False)]
                self._stored[level] = found
        return self._stored[level]

    def new_candidates(self, level: str) -> list[list[int]]:
        """Per new item, the earlier new items sharing a band (titles: or the same key)."""
        if level not in self._new:
            li = self.items[level]
            buckets: dict[object, list[int]] = {}
            keys = salted(level, li.bands) if len(li) else np.zeros((0, 0), dtype=np.int64)
            for k in range(len(li)):
                for key in keys[k].tolist() + ([li.keys[k]] if level == "title" else []):
                    buckets.setdefault(key, []).append(k)
            earlier: list[set[int]] = [set() for _ in range(len(li))]
            for members in buckets.values():
                # Paired as the finder pairs a bucket: a big one (a footer in every article)
                # gives each member its first and previous one, not all earlier ones.
                for a, b in pairs_of(members):
                    earlier[b].add(a)
            self._new[level] = [sorted(e) for e in earlier]
        return self._new[level]

    def _document_evidence(self) -> tuple[list[list[int]], list[list[int]]]:
        """Articles that share a paragraph candidate with a new article are article candidates:
        that is how a copy cut short or under a new headline is found (as in the finder)."""
        n = len(self.items["document"])
        stored: list[set[int]] = [set() for _ in range(n)]
        new: list[set[int]] = [set() for _ in range(n)]
        if "paragraph" in self.items:
            p = self.items["paragraph"]
            p_stored, p_new = self.stored_candidates("paragraph"), self.new_candidates("paragraph")
            rids = self._rids_of(sorted({iid for c in p_stored for iid in c}))
            doc_of = self.store.document_items(set(rids.values())) if self.store else {}
            largest = self._largest.get("paragraph", [0] * len(p))
            for k in range(len(p)):
                if largest[k] > MAX_EVIDENCE:
                    continue  # boilerplate, shared by too many articles to say any was copied
                i = p.owners[k]
                stored[i].update(doc_of[rids[iid]] for iid in p_stored[k] if rids.get(iid) in doc_of)
                new[i].update(p.owners[j] for j in p_new[k] if p.owners[j] < i)
        return [sorted(s) for s in stored], [sorted(s) for s in new]

    def _rids_of(self, iids: list[int]) -> dict[int, int]:
        if not self.store or not iids:
            return {}
        return self.store.owners(iids)

    def first_matches(
        self, level: str, accept: Callable[[np.ndarray, np.ndarray, str | None, str | None], bool]
    ) -> Iterator[tuple[int, _Place]]:
        li = self.items[level]
        stored, new = self.stored_candidates(level), self.new_candidates(level)
        if level == "document":
            e_stored, e_new = self._document_evidence()
            stored = [sorted(set(a) | set(b)) for a, b in zip(stored, e_stored, strict=False)]
            new = [sorted(set(a) | set(b)) for a, b in zip(new, e_new, strict=False)]
        wanted = {iid for c in stored for iid in c}
        # Stale records (those the checked files no longer hold) are not read again: never matched.
        loaded = self.store.items(wanted, self.reread, level, self.stale) if self.store else {}
        records = self.store.records({it.rid for it in loaded.values()}) if self.store else {}
        for k in range(len(li)):
            x = li.batch.set(k)
            key = li.keys[k] if level == "title" else None
            place = None
            for iid in stored[k]:
                item = loaded.get(iid)
                # Band rows of removed items dangle until a compaction; ids are never reused,
                # so a dangling row finds no item (the level test is a second guard).
                if item is None or item.rid in self.stale or item.level != level:
                    continue
                if accept(x, item.shingles, key, item.title_key):
                    rec = records[item.rid]
                    line = item.line if item.line is not None else rec.line
                    place = _Place(str(Origin(rec.path, rec.record, line)), item.shingles)
                    break
            if place is None:
                for j in new[k]:
                    if accept(x, li.batch.set(j), key, li.keys[j] if level == "title" else None):
                        place = self._new_place(level, j)
                        break
            if place is not None:
                yield k, place

    def item_line(self, level: str, k: int) -> int | None:
        """The line new item k starts on: its title's, its paragraph's, or its record's."""
        return item_line(self.lines, level, self.items[level], k)

    def _new_place(self, level: str, j: int) -> _Place:
        li = self.items[level]
        doc = self.docs[li.owners[j]]
        line = self.item_line(level, j)
        return _Place(str(Origin(doc.origin.path, doc.origin.record, line)), li.batch.set(j))
