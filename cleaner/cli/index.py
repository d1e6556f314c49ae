"""`cleaner index build|update|status`: the persistent index that `cleaner check` uses."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cleaner import config
from cleaner.cli.app import app, err, out, progress
from cleaner.cli.options import ConfigOpt, IndexOpt, ReadArgs, command, register

index_app = typer.Typer(
    help="The persistent index that `cleaner check` compares new articles with.", no_args_is_help=True
)
app.add_typer(index_app, name="index")


def _setup(cfg: config.FileConfig, paths: list[Path] | None, index: Path | None):  # type: ignore[no-untyped-def]
    """The index's path, the corpus's root, and the files named (or git's, or None)."""
    from cleaner.corpus.scope import DEFAULT_FILES, Scope, corpus_root, relative
    from cleaner.errors import InputError

    index = config.index_path(cfg, index)
    root, in_git = corpus_root(index)
    path = index or root / ".cleaner" / "index"
    pattern = config.check_table(cfg).get("files", DEFAULT_FILES)
    if paths:
        for p in paths:
            if not p.exists():
                raise InputError(str(p), "no such file or directory")
        return path, root, Scope(root, False, pattern, tuple(relative(p, root) for p in paths))
    return path, root, Scope(root, True, pattern) if in_git else None


@command("build")
def index_build(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Corpus files or folders. [default: the files git tracks that the hooks look at]", show_default=False
        ),
    ] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Replace an existing index.")] = False,
    index: IndexOpt = None,
    read: ReadArgs = ReadArgs(),
    config_file: ConfigOpt = None,
) -> None:
    """Build the index from a corpus (written aside and renamed into place when complete)."""
    from cleaner.errors import ConfigError
    from cleaner.jobs.index import build_index
    from cleaner.report.index import print_stats

    cfg = config.load_config(config_file)
    path, _, scope = _setup(cfg, paths, index)
    if scope is None:
        raise ConfigError("not in a git work tree: name the corpus files or folders to index")
    if path.exists() and not rebuild:
        raise ConfigError(
            f"{path}: an index is already there; `cleaner index update` brings it up to date, --rebuild replaces it"
        )
    with progress() as show:
        stats = build_index(
            path, scope, config.read_options(cfg, read.values()), config.dup_options(cfg, jobs=1), report=show
        )
    print_stats(err, "built", path, stats)


@command("update")
def index_update(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Files or folders to bring up to date. [default: what the index was built from]", show_default=False
        ),
    ] = None,
    index: IndexOpt = None,
    read: ReadArgs = ReadArgs(),
    config_file: ConfigOpt = None,
) -> None:
    """Re-index files that changed (by content hash), add new ones, forget deleted ones."""
    from cleaner.corpus.scope import Scope
    from cleaner.dedup.store import IndexStore
    from cleaner.jobs.index import update_index
    from cleaner.report.index import print_stats

    cfg = config.load_config(config_file)
    path, root, scope = _setup(cfg, paths, index)
    options = config.dup_options(cfg, jobs=1)
    read_options = config.read_options(cfg, read.values())
    store = IndexStore.open(path, options, read_options)
    try:
        if not paths:
            scope = Scope.from_meta(root, store.settings)
        with progress() as show:
            stats = update_index(store, scope, read_options, options, report=show)
    finally:
        store.close()
    print_stats(err, "updated", path, stats)


@command("status")
def index_status(
    index: IndexOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="'text' or 'json'.")] = "text",
    config_file: ConfigOpt = None,
) -> None:
    """Show what the index holds, the settings it was built with, and which files changed since."""
    from cleaner.dedup.store import IndexStore
    from cleaner.jobs import index as jobs
    from cleaner.report.index import print_status

    path, root, _ = _setup(config.load_config(config_file), None, index)
    store = IndexStore.open(path, None)  # any settings: seeing them is the point
    try:
        status = jobs.index_status(store, root)
    finally:
        store.close()
    print_status(out, path, status, fmt)


register(index_app, index_build, index_update, index_status)
