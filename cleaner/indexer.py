"""Keeping the persistent index in step with a corpus: build it from files (or from what git
tracks), and update it by content hash, so only files that changed are read again.

A file is re-read when its size or modification time differs from what the index recorded, and
re-indexed only when its content digest differs too (a `touch` costs a hash, not a re-index).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import regex

from cleaner.dedup.items import LevelItems, items_of
from cleaner.dedup.options import DupOptions
from cleaner.dedup.store import FileRow, IndexStore, NewRecord, stored_value
from cleaner.errors import ConfigError, InputError
from cleaner.io.readers import InputFile, ReadOptions, detect_format, parse_txt, read_file
from cleaner.model import Document, Rejected
from cleaner.text import split_paragraphs

# What the hooks look at (the same pattern is in .pre-commit-hooks.yaml): identify, which
# pre-commit uses for `types`, knows no type for JSONL or Parquet.
DEFAULT_FILES = r"\.(txt|jsonl|jsonl\.gz|csv|parquet)$"
BATCH_RECORDS = 2000  # records read before their items are computed and written


@dataclass
class IndexStats:
    files_read: int = 0
    files_removed: int = 0
    files_unchanged: int = 0
    records: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    compacted: bool = False


def record_digest(doc: Document) -> bytes:
    """What makes two records the same article for the index: their title and text."""
    h = hashlib.blake2b(digest_size=16)
    h.update((doc.title or "").encode("utf-8", "surrogatepass"))
    h.update(b"\x00")
    h.update(doc.text.encode("utf-8", "surrogatepass"))
    return h.digest()


def file_digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --- lines ---------------------------------------------------------------------------------------


class Lines:
    """The file line where a part of a record starts, for `path:line:` messages: the record's own
    line in JSONL and CSV, the exact line in a .txt article, none in Parquet (the record number
    stands in for it)."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.content = doc.raw if isinstance(doc.raw, str) and doc.origin.path.lower().endswith(".txt") else None
        self.layout = parse_txt(self.content) if self.content is not None else None

    def at(self, field: str, offset: int) -> int | None:
        if self.content is None or self.layout is None:
            return self.doc.origin.line
        span = self.layout.title_span if field == "title" else self.layout.body_span
        base = span[0] if span else 0
        return self.content.count("\n", 0, base + offset) + 1

    def of_paragraph(self, k: int) -> int | None:
        paragraphs = split_paragraphs(self.doc.text)
        return self.at("text", paragraphs[k][0]) if k < len(paragraphs) else self.doc.origin.line


def item_lines(docs: Sequence[Document], items: dict[str, LevelItems]) -> dict[str, list[int | None]]:
    lines = [Lines(d) for d in docs]
    out: dict[str, list[int | None]] = {}
    for level, li in items.items():
        if level == "title":
            out[level] = [lines[i].at("title", 0) for i in li.owners]
        elif level == "paragraph":
            out[level] = [lines[i].at("text", a) for i, (a, _) in zip(li.owners, li.spans)]
        else:
            out[level] = [docs[i].origin.line for i in li.owners]
    return out


# --- which files ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Where the corpus is: `root` (paths in the index are relative to it), and either the files
    git tracks there that match `pattern`, or the `paths` given when the index was built."""

    root: Path
    git: bool
    pattern: str = DEFAULT_FILES
    paths: tuple[str, ...] = ()

    def files(self, exclude: Iterable[str] = ()) -> list[str]:
        """The corpus's files now, relative to root, in sorted order, without `exclude`."""
        return self.listing(exclude)[0]

    def listing(self, exclude: Iterable[str] = ()) -> tuple[list[str], set[str]]:
        """The corpus's files, and those in flux: files git tracks whose working copy is not
        what was last committed (staged, modified). A file in flux is neither indexed nor
        forgotten: the index keeps what it had of it until the change is committed."""
        skip = set(exclude)
        if self.git:
            names, flux = git_files(self.root, self.pattern)
        else:
            names, flux = [], set()
            for p in self.paths:
                full = self.root / p
                if full.is_dir():
                    names += [relative(Path(d) / n, self.root) for d, _, fs in os.walk(full) for n in fs if detect_format(Path(n)) and not n.startswith(".")]
                elif full.exists():
                    names.append(relative(full, self.root))
        return sorted(n for n in set(names) if n not in skip), flux

    def covers(self, name: str) -> bool:
        """Whether an indexed file belongs to this scope (so its absence means it was deleted)."""
        return self.git or any(name == p or name.startswith(p.rstrip("/") + "/") or p in ("", ".") for p in self.paths)

    def meta(self) -> dict[str, str]:
        return {"source": "git" if self.git else "paths", "files-pattern": self.pattern, "paths": json.dumps(list(self.paths)), "root": str(self.root)}

    @classmethod
    def from_meta(cls, root: Path, meta: dict[str, str]) -> Scope:
        return cls(root, meta.get("source") == "git", meta.get("files-pattern", DEFAULT_FILES), tuple(json.loads(meta.get("paths", "[]"))))


def git_root(start: Path) -> Path | None:
    try:
        done = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, text=True, check=False)
    except OSError:
        return None
    return Path(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else None


def git_files(root: Path, pattern: str) -> tuple[list[str], set[str]]:
    """Files as of the last commit that match `pattern` and whose working copy is that commit's,
    and the files in flux (differing from the last commit: staged, modified, added). The index
    holds what the corpus has accepted: a file staged for a commit that the hook may yet refuse
    is checked, never indexed, until it is committed."""
    try:
        wanted = regex.compile(pattern)
    except regex.error as e:
        raise ConfigError(f"invalid files pattern {pattern!r}: {e}") from None
    if subprocess.run(["git", "rev-parse", "-q", "--verify", "HEAD"], cwd=root, capture_output=True, check=False).returncode != 0:
        return [], {n for n in _git_names(root, "ls-files", "-z") if wanted.search(n)}  # no commit yet
    committed = _git_names(root, "ls-tree", "-r", "-z", "--name-only", "HEAD")
    flux = {n for n in _git_names(root, "diff", "-z", "--name-only", "--no-renames", "HEAD") if wanted.search(n)}
    return [n for n in committed if wanted.search(n) and n not in flux and (root / n).is_file()], flux


def _git_names(root: Path, *args: str) -> list[str]:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise InputError(str(root), f"cannot list the files git holds: {e}") from None
    return [n for n in done.stdout.decode("utf-8", "surrogateescape").split("\0") if n]


def corpus_root(index: Path | None = None) -> tuple[Path, bool]:
    """The folder the index's paths are relative to: the git work tree around the working folder;
    outside git, the folder the index was built in (stored in it), else the working folder."""
    here = Path.cwd().resolve()
    top = git_root(here)
    if top is not None:
        return top.resolve(), True
    if index is not None and index.is_file():
        stored = stored_value(index, "root")
        if stored and Path(stored).is_dir():
            return Path(stored), False
    return here, False


def relative(path: Path, root: Path) -> str:
    """`path` as the index names it: relative to root in POSIX form, or absolute outside root.
    Both are resolved first, so a path through a symlink names the same file."""
    full = path.resolve()
    try:
        return full.relative_to(root.resolve()).as_posix()
    except ValueError:
        return full.as_posix()


# --- build and update ----------------------------------------------------------------------------


def read_corpus_file(root: Path, name: str, read_options: ReadOptions) -> tuple[list[Document], list[Rejected]]:
    """The records of one corpus file, their origins naming it as the index does (`name`)."""
    path = root / name
    fmt = detect_format(path)
    if fmt is None:
        raise InputError(name, "unknown file type")
    docs: list[Document] = []
    rejected: list[Rejected] = []
    for item in read_file(InputFile(path, path, fmt), read_options):
        origin = replace(item.origin, path=name)
        if isinstance(item, Rejected):
            rejected.append(replace(item, origin=origin))
        else:
            docs.append(replace(item, origin=origin))
    return docs, rejected


def index_files(
    store: IndexStore,
    root: Path,
    names: Sequence[str],
    read_options: ReadOptions,
    options: DupOptions,
    stats: IndexStats,
    on_file: Callable[[str], None] | None = None,
    fresh: bool = False,
) -> None:
    """Read `names` (relative to root) and add them to the store, a batch of records at a time
    (the store must be in a transaction or a build). Unreadable records are skipped and counted:
    they are not articles to compare with; `cleaner check` reports them in the files it checks."""
    pending_files: list[FileRow] = []
    pending: list[Document] = []

    def flush() -> None:
        if not pending_files:
            return
        items = items_of(pending, options)
        records = [NewRecord(d.origin.path, d.origin.record, d.origin.line, d.id, record_digest(d)) for d in pending]
        store.add(pending_files, records, items, item_lines(pending, items), fresh)
        pending_files.clear()
        pending.clear()

    for name in names:
        if on_file:
            on_file(name)
        st = (root / name).stat()
        docs, rejected = read_corpus_file(root, name, read_options)
        stats.files_read += 1
        stats.records += len(docs)
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
    on_file: Callable[[str], None] | None = None,
) -> IndexStats:
    """Bring the index in step with the corpus's files (except `exclude`), in one transaction:
    new and changed files are (re-)indexed, files that are gone are forgotten."""
    stats = IndexStats()
    now, flux = scope.listing(exclude)
    skip = set(exclude) | flux
    known = store.files()
    changed: list[str] = []
    touched: list[FileRow] = []  # same content, new modification time
    for name in now:
        st = (scope.root / name).stat()
        row = known.get(name)
        if row is not None and (row.size, row.mtime_ns) == (st.st_size, st.st_mtime_ns):
            stats.files_unchanged += 1
            continue
        if row is not None and row.size == st.st_size and row.digest == file_digest(scope.root / name):
            touched.append(FileRow(name, row.digest, st.st_size, st.st_mtime_ns, row.records))
            stats.files_unchanged += 1
            continue
        changed.append(name)
    gone = sorted(n for n in set(known) - set(now) - skip if scope.covers(n))
    if not (changed or gone or touched):
        return stats
    with store.transaction():
        for row in touched:
            store.touch_file(row)
        stats.files_removed = len(gone)
        reindex(store, scope.root, gone + changed, changed, read_options, options, stats, on_file)
    return stats


def reindex(
    store: IndexStore,
    root: Path,
    forget: Sequence[str],
    read: Sequence[str],
    read_options: ReadOptions,
    options: DupOptions,
    stats: IndexStats,
    on_file: Callable[[str], None] | None = None,
) -> None:
    """Forget the files `forget`, index the files `read` (inside a transaction), and compact
    the index when enough of it has changed."""
    for name in forget:
        store.remove_file(name)
    index_files(store, root, read, read_options, options, stats, on_file)
    if store.needs_compacting():
        store.compact()
        stats.compacted = True


def build_index(
    path: Path,
    scope: Scope,
    read_options: ReadOptions,
    options: DupOptions,
    exclude: Iterable[str] = (),
    on_file: Callable[[str], None] | None = None,
) -> IndexStats:
    """A new index of the scope's files at `path` (replacing any there, atomically)."""
    stats = IndexStats()
    with IndexStore.build(path, options, read_options, scope.meta()) as store:
        index_files(store, scope.root, scope.files(exclude), read_options, options, stats, on_file, fresh=True)
    return stats
