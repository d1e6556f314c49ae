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
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from cleaner.check_duplicates import duplicate_findings, snippet
from cleaner.corpus.digests import file_digest, record_digest
from cleaner.corpus.evidence_index import with_indexed_evidence
from cleaner.corpus.reread import CorpusTexts
from cleaner.corpus.scope import DEFAULT_FILES, Scope, corpus_root, read_corpus_file, relative
from cleaner.dedup.options import DupOptions
from cleaner.dedup.store import IndexStore
from cleaner.errors import InputError
from cleaner.io.lines import Lines
from cleaner.io.readers import ReadOptions, iter_input_files
from cleaner.jobs.index import IndexStats, build_index, reindex, update_index
from cleaner.lang import detect_language
from cleaner.model import Document, Edit, Finding
from cleaner.normalize import clean_document
from cleaner.normalize.engine import NotConverging
from cleaner.normalize.evidence import Evidence, gather
from cleaner.normalize.registry import Rule
from cleaner.progress import Report

KIND_ORDER = {"unreadable": 0, "duplicate-article": 1, "duplicate-title": 2, "duplicate-paragraph": 3}


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    records: int = 0
    new_records: int = 0
    fixable: set[str] = field(default_factory=set)  # paths with artifacts the normalizer fixes
    evidence: Evidence | None = None  # what the artifacts were found with (and `--fix` fixes with)
    # Indexed records (path, line) not compared: their files no longer hold them as indexed.
    unread: list[tuple[str, int]] = field(default_factory=list)

    def stats(self) -> dict[str, int]:
        return {"files": self.files, "records": self.records, "new": self.new_records, "findings": len(self.findings)}


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
    new_docs = [_in_language(d) for d in new_docs]
    result.evidence = check_evidence(new_docs, store, stale)
    for doc in new_docs:
        found = artifact_findings(doc, rules, result.evidence)
        if found:
            result.fixable.add(doc.origin.path)
        result.findings += found
    if new_docs and duplicates:
        reread = CorpusTexts(root, read_options)
        result.findings += duplicate_findings(new_docs, options, store, stale, reread)
        result.unread = sorted({(r.path, r.line or r.record) for r in reread.missing})
    order = {name: k for k, name in enumerate(names)}
    result.findings.sort(
        key=lambda f: (
            order.get(f.path, len(order)),
            f.record,
            f.line or 0,
            KIND_ORDER.get(f.kind, 9),
            f.kind,
            f.message,
        )
    )
    return result


# --- artifacts -----------------------------------------------------------------------------------


def _in_language(doc: Document) -> Document:
    """Detected once, for the evidence and the rules both."""
    return doc if doc.language is not None else replace(doc, language=detect_language(doc.text, doc.title).code)


def check_evidence(docs: Sequence[Document], store: IndexStore | None, stale: set[int]) -> Evidence:
    """What a check decides with: the shipped word statistics, the checked records' lines and
    endings, and from the index (leaving out its stale records) where the corpus has their short
    lines and how its unfinished bodies end, so that a site line recurring through the corpus, or
    a cut in a corpus often cut, is judged as `cleaner clean` over the corpus would judge it."""
    corpus = gather(docs, words=False)
    if store is not None:
        with_indexed_evidence(corpus, store.conn, docs, stale)
    return Evidence(corpus.pruned())


def artifact_findings(doc: Document, rules: Sequence[Rule], evidence: Evidence | None = None) -> list[Finding]:
    """What the normalizer would change in a record, an edit a finding (flagged places are for
    review, not findings)."""
    try:
        edits = [e for e in clean_document(doc, rules, evidence).edits if e.action != "flagged"]
    except NotConverging as e:
        raise InputError(str(doc.origin), str(e)) from None
    lines = Lines(doc)
    out = []
    for e in edits:
        line = lines.at(e.field, original_offset(edits, e))
        verb = "removes" if not e.after else "changes"
        message = f"{verb} {snippet(e.before)}" + (f" to {snippet(e.after)}" if e.after else "")
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


def run_check(job: CheckJob, report: Report | None = None) -> CheckRun:
    """`report` hears how far building or updating the index is (`jobs.index`'s stages)."""
    root, in_git = corpus_root(job.index)
    names = list(dict.fromkeys(relative(f.path, root) for f in iter_input_files(job.paths)))
    run = CheckRun(CheckResult())
    store: IndexStore | None = None
    if job.use_index:
        # Opened for artifacts only too (the fixer hook): the index holds the corpus's evidence.
        path = job.index or root / ".cleaner" / "index"
        run.index = path
        if not path.exists() and in_git:
            # A fresh clone: build from what git tracks, so the hook needs no manual step. The
            # checked files stay out of it: they are what is being checked.
            scope = Scope(root, True, job.files_pattern)
            run.built = build_index(path, scope, job.read_options, job.options, exclude=names, report=report)
        if path.exists():
            store = IndexStore.open(path, job.options, job.read_options)
        else:
            run.index = None  # outside git, with no index: the files are compared with each other
    try:
        if store is not None and run.built is None and store.settings.get("source") == "git":
            run.synced = update_index(
                store,
                Scope.from_meta(root, store.settings),
                job.read_options,
                job.options,
                exclude=names,
                report=report,
            )
        run.result = check_files(root, names, job.rules, job.options, job.read_options, store, job.duplicates)
        if job.fix and run.result.fixable:
            fixable = [n for n in names if n in run.result.fixable]
            run.fixed = fix_files(root, fixable, job.rules, job.read_options, run.result.evidence)
        if job.update_index and store is not None and not run.result.findings:
            with store.transaction():
                reindex(store, root, names, names, job.read_options, job.options, IndexStats())
            run.updated = True
    finally:
        if store is not None:
            store.close()
    return run


def fix_files(
    root: Path, names: Sequence[str], rules: Sequence[Rule], read_options: ReadOptions, evidence: Evidence | None = None
) -> list[str]:
    """Rewrite the files in place with the normalizer (as `cleaner clean --in-place`, with the
    check's evidence where given); return those that changed."""
    from cleaner.jobs.clean import CleanJob, run_clean

    changed: list[str] = []
    for name in names:
        before = file_digest(root / name)
        run_clean(
            CleanJob(
                paths=[root / name],
                rules=rules,
                read_options=read_options,
                in_place=True,
                skip_invalid=True,
                evidence=evidence,
            )
        )
        if file_digest(root / name) != before:
            changed.append(name)
    return changed
