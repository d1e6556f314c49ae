"""Which files make up the corpus, named as the index names them (relative to its root)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from cleaner.corpus.git import git_files, git_root
from cleaner.dedup.store import stored_value
from cleaner.errors import InputError
from cleaner.io.readers import InputFile, ReadOptions, detect_format, read_file
from cleaner.io.writers import real_path
from cleaner.model import Document, Rejected
from cleaner.progress import Meter

# What the hooks look at (the same pattern is in .pre-commit-hooks.yaml): identify, which
# pre-commit uses for `types`, knows no type for JSONL or Parquet.
DEFAULT_FILES = r"\.(txt|jsonl|jsonl\.gz|csv|parquet)$"


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
                    names += [
                        relative(Path(d) / n, self.root)
                        for d, _, fs in os.walk(full)
                        for n in fs
                        if detect_format(Path(n)) and not n.startswith(".")
                    ]
                elif full.exists():
                    names.append(relative(full, self.root))
        return sorted(n for n in set(names) if n not in skip), flux

    def covers(self, name: str) -> bool:
        """Whether an indexed file belongs to this scope (so its absence means it was deleted)."""
        return self.git or any(name == p or name.startswith(p.rstrip("/") + "/") or p in ("", ".") for p in self.paths)

    def meta(self) -> dict[str, str]:
        return {
            "source": "git" if self.git else "paths",
            "files-pattern": self.pattern,
            "paths": json.dumps(list(self.paths)),
            "root": str(self.root),
        }

    @classmethod
    def from_meta(cls, root: Path, meta: dict[str, str]) -> Scope:
        return cls(
            root,
            meta.get("source") == "git",
            meta.get("files-pattern", DEFAULT_FILES),
            tuple(json.loads(meta.get("paths", "[]"))),
        )


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
    Both are resolved first, so a path through a symlink names the same file (as far as links
    go: a symlink loop is named as it is, and its reader says it cannot be read)."""
    full = real_path(path)
    try:
        return full.relative_to(root.resolve()).as_posix()
    except ValueError:
        return full.as_posix()


def read_corpus_file(
    root: Path, name: str, read_options: ReadOptions, meter: Meter | None = None
) -> tuple[list[Document], list[Rejected]]:
    """The records of one corpus file, their origins naming it as the index does (`name`);
    `meter` counts its bytes (`progress.Meter`)."""
    path = root / name
    fmt = detect_format(path)
    if fmt is None:
        raise InputError(name, "unknown file type")
    docs: list[Document] = []
    rejected: list[Rejected] = []
    for item in read_file(InputFile(path, path, fmt), read_options, meter):
        origin = replace(item.origin, path=name)
        if isinstance(item, Rejected):
            rejected.append(replace(item, origin=origin))
        else:
            docs.append(replace(item, origin=origin))
    return docs, rejected
