"""The pre-commit check: are the given files free of scraping artifacts, and do they repeat
nothing the corpus (the persistent index) or each other already hold?

Only new records are checked: a record the index already holds at the same path, with the same
title and text, was checked when it came in. New records are compared with every indexed record
(except stale ones: records of the checked files that are no longer in them) and with each other;
a finding names the newer copy and says what it duplicates.

Findings are lines `path:line: kind: message (duplicate of path:line)`; the kinds are the
normalizer's rule names, `duplicate-title`, `duplicate-paragraph`, `duplicate-article` and
`unreadable`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cleaner.dedup.items import LevelItems, items_of
from cleaner.dedup.options import DupOptions
from cleaner.dedup.pairs import pairs_of
from cleaner.dedup.store import IndexStore, salted
from cleaner.dedup.verify import document_similarity, jaccard, same_document, same_paragraph, same_title
from cleaner.errors import InputError
from cleaner.indexer import (
    DEFAULT_FILES,
    IndexStats,
    Lines,
    Scope,
    build_index,
    corpus_root,
    file_digest,
    read_corpus_file,
    record_digest,
    reindex,
    relative,
    update_index,
)
from cleaner.io.readers import ReadOptions, iter_input_files
from cleaner.model import Document, Edit, Finding
from cleaner.normalize import clean_document
from cleaner.normalize.engine import NotConverging
from cleaner.normalize.registry import Rule

# An indexed bucket holding more items than this is boilerplate: its first MAX_CANDIDATES items
# are verified (the first that passes is the one named), and a paragraph in such a bucket is no
# evidence that the article around it was copied.
MAX_CANDIDATES = 50
MAX_EVIDENCE = 50
KIND_ORDER = {"unreadable": 0, "duplicate-article": 1, "duplicate-title": 2, "duplicate-paragraph": 3}
SNIPPET = 60


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    records: int = 0
    new_records: int = 0
    fixable: set[str] = field(default_factory=set)  # paths with artifacts the normalizer fixes

    def stats(self) -> dict[str, int]:
        return {"files": self.files, "records": self.records, "new": self.new_records, "findings": len(self.findings)}


@dataclass(frozen=True)
class _Place:
    """Where an earlier copy is (`path:line`) and its shingles."""

    where: str
    shingles: np.ndarray


def check_files(
    root: Path,
    names: Sequence[str],
    rules: Sequence[Rule],
    options: DupOptions,
    read_options: ReadOptions,
    store: IndexStore | None,
    duplicates: bool = True,
) -> CheckResult:
    """Check the files `names` (relative to root) against the store (if any) and each other."""
    result = CheckResult()
    new_docs: list[Document] = []
    stale: set[int] = set()
    for name in names:
        docs, rejected = read_corpus_file(root, name, read_options)
        result.files += 1
        result.records += len(docs) + len(rejected)
        for r in rejected:
            result.findings.append(Finding(name, r.origin.line or None, r.origin.record, "unreadable", r.reason))
        held = store.record_digests(name) if store else {}
        # A record is known if the index holds it at this path, as many times as it occurs: a
        # second copy of an indexed record is new (and a duplicate of the first).
        unused = {digest: list(rids) for digest, rids in held.items()}
        for d in docs:
            rids = unused.get(record_digest(d))
            if rids:
                rids.pop(0)
            else:
                new_docs.append(d)
        # What the index holds of this file that the file no longer has must not be matched.
        stale.update(rid for rids in unused.values() for rid in rids)
    result.new_records = len(new_docs)
    for doc in new_docs:
        found = artifact_findings(doc, rules)
        if found:
            result.fixable.add(doc.origin.path)
        result.findings += found
    if new_docs and duplicates:
        result.findings += duplicate_findings(new_docs, options, store, stale)
    order = {name: k for k, name in enumerate(names)}
    result.findings.sort(key=lambda f: (order.get(f.path, len(order)), f.record, f.line or 0, KIND_ORDER.get(f.kind, 9), f.kind, f.message))
    return result


# --- artifacts -----------------------------------------------------------------------------------


def artifact_findings(doc: Document, rules: Sequence[Rule]) -> list[Finding]:
    """What the normalizer would change in a record, an edit a finding (flagged places are for
    review, not findings)."""
    try:
        edits = [e for e in clean_document(doc, rules).edits if e.action != "flagged"]
    except NotConverging as e:
        raise InputError(str(doc.origin), str(e)) from None
    lines = Lines(doc)
    out = []
    for e in edits:
        line = lines.at(e.field, original_offset(edits, e))
        verb = "removes" if not e.after else "changes"
        message = f"{verb} {_snippet(e.before)}" + (f" to {_snippet(e.after)}" if e.after else "")
        out.append(Finding(doc.origin.path, line, doc.origin.record, e.rule, message))
    return out


def original_offset(edits: Sequence[Edit], edit: Edit) -> int:
    """Where `edit` (whose offsets are in its field's text after all earlier steps) falls in the
    field's original text: undo the length changes of the earlier steps' edits before it."""
    pos = edit.start
    for step in range(edit.step - 1, 0, -1):
        for e in edits:
            if e.step == step and e.field == edit.field and e.start + len(e.after) <= pos:
                pos += (e.end - e.start) - len(e.after)
    return pos


def _snippet(text: str) -> str:
    # Whitespace is shown escaped where it is all there is (a removed blank line, a space).
    flat = " ".join(text.split()) if text.strip() else text.encode("unicode_escape").decode("ascii")
    if len(flat) > SNIPPET:
        flat = flat[: SNIPPET - 1] + "…"
    return '"' + flat.replace('"', '\\"') + '"'


# --- duplicates ----------------------------------------------------------------------------------


def duplicate_findings(new_docs: Sequence[Document], options: DupOptions, store: IndexStore | None, stale: set[int]) -> list[Finding]:
    """Each new record's first earlier copy, per level: indexed records first (in indexing
    order), then the new records before it. `stale` are indexed records not to match."""
    items = items_of(new_docs, options)
    lines = [Lines(d) for d in new_docs]
    matcher = _Matcher(items, new_docs, lines, store, stale)
    found: list[tuple[int, Finding]] = []

    def report(i: int, kind: str, message: str, place: _Place, line: int | None) -> None:
        doc = new_docs[i]
        found.append((i, Finding(doc.origin.path, line, doc.origin.record, kind, message, place.where)))

    copied: set[int] = set()
    if "document" in items:
        li = items["document"]
        accept_doc = lambda x, y, _a, _b: same_document(x, y, options.threshold, options.containment)
        for k, place in matcher.first_matches("document", accept_doc):
            i = li.owners[k]
            copied.add(i)
            x = li.batch.set(k)
            title = new_docs[i].title or new_docs[i].text
            report(i, "duplicate-article", f"{_similarity(x, place.shingles)} {_snippet(title)}", place, matcher.item_line("document", k))
    if "title" in items:
        li = items["title"]
        for k, place in matcher.first_matches("title", lambda x, y, a, b: same_title(a, b, x, y, options.threshold)):
            i = li.owners[k]
            report(i, "duplicate-title", _snippet(new_docs[i].title or ""), place, matcher.item_line("title", k))
    if "paragraph" in items:
        li = items["paragraph"]
        for k, place in matcher.first_matches("paragraph", lambda x, y, _a, _b: same_paragraph(x, y, options.threshold)):
            i = li.owners[k]
            a, b = li.spans[k]
            report(i, "duplicate-paragraph", f"paragraph {(li.paragraphs[k] or 0) + 1} {_snippet(new_docs[i].text[a:b])}", place, matcher.item_line("paragraph", k))
    # A copied article's title and paragraphs repeat it (or other copies): one finding says it all.
    return [f for i, f in found if f.kind == "duplicate-article" or i not in copied]


def _similarity(x: np.ndarray, y: np.ndarray) -> str:
    j = jaccard(x, y)
    sim = document_similarity(x, y)
    return f"{j:.2f} similar" if sim <= j else f"{sim:.2f} contained ({j:.2f} similar)"


class _Matcher:
    """Candidates for the new items of each level, from the index's buckets and from each other,
    verified in order until one passes."""

    def __init__(self, items: dict[str, LevelItems], docs: Sequence[Document], lines: Sequence[Lines], store: IndexStore | None, stale: set[int]) -> None:
        self.items, self.docs, self.lines, self.store, self.stale = items, docs, lines, store, stale
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
                    found = [sorted(set(f) | set(exact.get(key, ()))) for f, key in zip(found, li.keys)]
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
            doc_of = self.store.items_of_records("document", set(rids.values())) if self.store else {}
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
        return {iid: item.rid for iid, item in self.store.items(iids).items()}

    def first_matches(self, level: str, accept: Callable[[np.ndarray, np.ndarray, str | None, str | None], bool]) -> Iterator[tuple[int, _Place]]:
        li = self.items[level]
        stored, new = self.stored_candidates(level), self.new_candidates(level)
        if level == "document":
            e_stored, e_new = self._document_evidence()
            stored = [sorted(set(a) | set(b)) for a, b in zip(stored, e_stored)]
            new = [sorted(set(a) | set(b)) for a, b in zip(new, e_new)]
        loaded = self.store.items({iid for c in stored for iid in c}) if self.store else {}
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
                    place = _Place(f"{rec.path}:{line if line is not None else rec.record}", item.shingles)
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
        li = self.items[level]
        lines = self.lines[li.owners[k]]
        if level == "title":
            return lines.at("title", 0)
        if level == "paragraph":
            return lines.at("text", li.spans[k][0])
        return lines.doc.origin.line

    def _new_place(self, level: str, j: int) -> _Place:
        li = self.items[level]
        doc = self.docs[li.owners[j]]
        line = self.item_line(level, j)
        where = f"{doc.origin.path}:{line if line is not None else doc.origin.record}"
        return _Place(where, li.batch.set(j))


# --- the job: index, check, fix, update ----------------------------------------------------------


@dataclass(frozen=True)
class CheckJob:
    """`cleaner check` as a library call. `index=None` means `<root>/.cleaner/index`, where root
    is the git work tree (or the working folder outside git)."""

    paths: Sequence[str | os.PathLike[str]]
    rules: Sequence[Rule]
    options: DupOptions = field(default_factory=DupOptions)
    read_options: ReadOptions = field(default_factory=ReadOptions)
    index: Path | None = None
    use_index: bool = True
    fix: bool = False
    update_index: bool = False
    duplicates: bool = True  # False: artifacts only (the fixer hook; the check hook reports duplicates)
    files_pattern: str = DEFAULT_FILES


@dataclass
class CheckRun:
    result: CheckResult
    index: Path | None = None
    built: IndexStats | None = None  # the index was built first (no index existed)
    synced: IndexStats | None = None  # the index followed git before the check
    fixed: list[str] = field(default_factory=list)
    updated: bool = False


def run_check(job: CheckJob, on_index_file: Callable[[str], None] | None = None) -> CheckRun:
    root, in_git = corpus_root(job.index)
    names = list(dict.fromkeys(relative(f.path, root) for f in iter_input_files(job.paths)))
    run = CheckRun(CheckResult())
    store: IndexStore | None = None
    if job.use_index and job.duplicates:
        path = job.index or root / ".cleaner" / "index"
        run.index = path
        if not path.exists() and in_git:
            # A fresh clone: build from what git tracks, so the hook needs no manual step. The
            # checked files stay out of it: they are what is being checked.
            scope = Scope(root, True, job.files_pattern)
            run.built = build_index(path, scope, job.read_options, job.options, exclude=names, on_file=on_index_file)
        if path.exists():
            store = IndexStore.open(path, job.options, job.read_options)
        else:
            run.index = None  # outside git, with no index: the files are compared with each other
    try:
        if store is not None and run.built is None and store.settings.get("source") == "git":
            run.synced = update_index(store, Scope.from_meta(root, store.settings), job.read_options, job.options, exclude=names, on_file=on_index_file)
        run.result = check_files(root, names, job.rules, job.options, job.read_options, store, job.duplicates)
        if job.fix and run.result.fixable:
            run.fixed = fix_files(root, [n for n in names if n in run.result.fixable], job.rules, job.read_options)
        if job.update_index and store is not None and not run.result.findings:
            with store.transaction():
                reindex(store, root, names, names, job.read_options, job.options, IndexStats())
            run.updated = True
    finally:
        if store is not None:
            store.close()
    return run


def fix_files(root: Path, names: Sequence[str], rules: Sequence[Rule], read_options: ReadOptions) -> list[str]:
    """Rewrite the files in place with the normalizer (as `cleaner clean --in-place`); return
    those that changed."""
    from cleaner.pipeline import CleanJob, run_clean

    changed: list[str] = []
    for name in names:
        before = file_digest(root / name)
        run_clean(CleanJob(paths=[root / name], rules=rules, read_options=read_options, in_place=True, skip_invalid=True))
        if file_digest(root / name) != before:
            changed.append(name)
    return changed
