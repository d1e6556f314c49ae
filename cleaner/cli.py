"""The `cleaner` command: a thin typer layer over the library.

Data goes to stdout, messages and progress to stderr (progress only on a terminal). Exit codes:
0 ok, 1 findings (`--check` found something to fix), 2 usage, config or input error, 130 when
interrupted. Errors are one line (`error: path:line: reason`); `--debug` shows the traceback.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from cleaner import __version__
from cleaner.config import FileConfig, load_config
from cleaner.engines import check_engine
from cleaner.errors import CleanerError
from cleaner.io.readers import ReadOptions
from cleaner.model import CleanResult, Rejected
from cleaner.normalize import all_rules, select_rules
from cleaner.pipeline import CleanJob, CleanStats, run_clean, write_rejects

app = typer.Typer(
    name="cleaner",
    help="Clean scraped news-article dumps and find what is duplicated in them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)
_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cleaner {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    _state["debug"] = debug


# Options shared by the commands that read a corpus.
PathsArg = Annotated[list[Path], typer.Argument(help="Article files or folders (.txt, .jsonl, .jsonl.gz, .csv, .parquet).", show_default=False)]
TextField = Annotated[Optional[str], typer.Option("--text-field", help="Field holding the body (dotted path for nested JSON). [default: text]")]
TitleField = Annotated[Optional[str], typer.Option("--title-field", help="Field holding the title. [default: title]")]
IdField = Annotated[Optional[str], typer.Option("--id-field", help="Field holding the record id; without one the id is path:record. [default: id]")]
ParagraphSep = Annotated[Optional[str], typer.Option("--paragraph-sep", help="Marker that joins paragraphs in the text (e.g. ' ### '). [default: blank line]")]
SkipInvalid = Annotated[Optional[bool], typer.Option("--skip-invalid/--no-skip-invalid", help="Go on past bad records, writing each to the rejects file.")]
Rejects = Annotated[Path, typer.Option("--rejects", help="Where --skip-invalid writes rejected records (JSONL).")]
ConfigOpt = Annotated[Optional[Path], typer.Option("--config", help="Config file (default: nearest cleaner.toml or pyproject.toml with [tool.cleaner]).")]
EngineOpt = Annotated[str, typer.Option("--engine", help="'local' (this machine, --jobs processes) or 'ray' (a Ray cluster; extra cleaner[ray]).")]
AddressOpt = Annotated[Optional[str], typer.Option("--address", help="With --engine ray: 'auto', HOST:PORT or (clean only) ray://HOST:PORT. [default: start Ray on this machine]")]


def _read_options(cfg: FileConfig, text_field: str | None, title_field: str | None, id_field: str | None, paragraph_sep: str | None) -> ReadOptions:
    return ReadOptions(
        text_field=cfg.get("text-field", text_field, "text"),
        title_field=cfg.get("title-field", title_field, "title"),
        id_field=cfg.get("id-field", id_field, "id"),
        paragraph_sep=cfg.get("paragraph-sep", paragraph_sep, None),
    )


def _split_names(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [n.strip() for v in values for n in v.split(",") if n.strip()]


@app.command()
def clean(
    paths: PathsArg,
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Output file, or folder for several inputs.")] = None,
    in_place: Annotated[bool, typer.Option("--in-place", help="Rewrite the input files.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if anything would change.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Print a unified diff of what would change.")] = False,
    edits: Annotated[Optional[Path], typer.Option("--edits", help="Write the edit log (JSONL, one edit a line).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="Report format on stdout: 'text' (nothing on stdout) or 'json'.")] = "text",
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", help="Worker processes for cleaning; output is the same for any number. [default: all cores]")] = None,
    select: Annotated[Optional[list[str]], typer.Option("--select", help="Rules or rule families to run (repeat or comma-separate). [default: all]")] = None,
    ignore: Annotated[Optional[list[str]], typer.Option("--ignore", help="Rules or rule families not to run.")] = None,
    text_field: TextField = None,
    title_field: TitleField = None,
    id_field: IdField = None,
    paragraph_sep: ParagraphSep = None,
    skip_invalid: SkipInvalid = None,
    rejects: Rejects = Path("cleaner-rejects.jsonl"),
    config: ConfigOpt = None,
    engine: EngineOpt = "local",
    address: AddressOpt = None,
) -> None:
    """Fix scraping artifacts in article files, keeping their format, order and other fields."""
    with _errors():
        if fmt not in ("text", "json"):
            raise typer.BadParameter(f"unknown format '{fmt}'; use 'text' or 'json'", param_hint="--format")
        looking = check or diff or fmt == "json" or edits is not None
        if output is not None and in_place:
            raise typer.BadParameter("give either -o/--output or --in-place, not both")
        if diff and fmt == "json":
            raise typer.BadParameter("--diff and --format json both write to stdout; use --edits FILE for the edit log")
        if (output is not None or in_place) and check:
            raise typer.BadParameter("--check writes nothing; drop -o/--in-place or --check")
        if output is None and not in_place and not looking:
            raise typer.BadParameter("say where to write: -o OUT or --in-place (or --check, --diff, --edits, --format json to only look)")
        check_engine(engine, address)
        cfg = load_config(config)
        rules = select_rules(_split_names(select) or cfg.values.get("select"), _split_names(ignore) or cfg.values.get("ignore"))
        job = CleanJob(
            paths=paths,
            rules=rules,
            read_options=_read_options(cfg, text_field, title_field, id_field, paragraph_sep),
            output=output,
            in_place=in_place,
            skip_invalid=cfg.get("skip-invalid", skip_invalid, False),
            jobs=max(1, jobs if jobs is not None else (os.cpu_count() or 1)),
            engine=engine,
            address=address,
        )
        rejected: list[Rejected] = []
        documents: list[dict[str, object]] = []
        edit_log = _EditLog(edits) if edits else None

        def on_result(r: CleanResult) -> None:
            if diff and r.changed:
                _print_diff(r)
            if edit_log:
                edit_log.add(r)
            if fmt == "json" and r.edits:
                documents.append(_result_json(r))

        try:
            with _progress() as progress:
                stats = run_clean(job, on_result=on_result, on_reject=rejected.append, on_file=progress)
        except BaseException:
            if edit_log:
                edit_log.abort()
            raise
        if edit_log:
            edit_log.commit()
        if rejected:
            write_rejects(rejects, rejected)
        if fmt == "json":
            out.print_json(json.dumps({"version": 1, "documents": documents, "stats": stats.to_dict()}, ensure_ascii=False), indent=None)
        _summary(stats, rules, wrote=output is not None or in_place, rejects=rejects if rejected else None)
        if check and stats.changed:
            raise typer.Exit(1)


@app.command()
def dups(
    paths: PathsArg,
    levels: Annotated[Optional[str], typer.Option("--levels", help="Comma-separated: title,paragraph,document. [default: all]")] = None,
    threshold: Annotated[Optional[float], typer.Option("--threshold", help="Jaccard similarity of shingle sets that counts as a duplicate. [default: 0.7]")] = None,
    containment: Annotated[Optional[float], typer.Option("--containment", help="Share of a shorter article found in a longer one that makes it a copy. [default: 0.8]")] = None,
    num_perm: Annotated[Optional[int], typer.Option("--num-perm", help="MinHash permutations. [default: 128]")] = None,
    ngram: Annotated[Optional[int], typer.Option("--ngram", help="Words per shingle. [default: 5]")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="MinHash seed (datasketch's meaning). [default: 1]")] = None,
    min_words: Annotated[Optional[int], typer.Option("--min-words", help="Shortest paragraph compared, in words. [default: 8]")] = None,
    keep: Annotated[Optional[str], typer.Option("--keep", help="Representative: 'first' in input order or 'longest'. [default: first]")] = None,
    verify: Annotated[Optional[bool], typer.Option("--verify/--no-verify", help="Check candidates with the true Jaccard of their shingles. [default: verify]")] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", help="Worker processes for tokenizing and hashing; clusters are the same for any number. [default: all cores]")] = None,
    noisy: Annotated[Optional[bool], typer.Option("--noisy/--no-noisy", help="Character 5-grams, for OCR'd or badly scraped copies. [default: off]")] = None,
    fmt: Annotated[str, typer.Option("--format", help="'table', 'json' or 'jsonl' on stdout.")] = "table",
    clusters_file: Annotated[Optional[Path], typer.Option("--clusters", help="Also write the clusters as JSONL to this file.")] = None,
    drop: Annotated[bool, typer.Option("--drop", help="Write the corpus without duplicates to -o (representatives kept).")] = False,
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Where --drop writes.")] = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when duplicates were found.")] = False,
    text_field: TextField = None,
    title_field: TitleField = None,
    id_field: IdField = None,
    paragraph_sep: ParagraphSep = None,
    skip_invalid: SkipInvalid = None,
    rejects: Rejects = Path("cleaner-rejects.jsonl"),
    config: ConfigOpt = None,
    engine: EngineOpt = "local",
    address: AddressOpt = None,
) -> None:
    """Find repeated titles, near-duplicate paragraphs and near-duplicate articles."""
    from cleaner.dedup.finder import find_duplicates_on
    from cleaner.engines import check_dups_engine
    from cleaner.pipeline import load_corpus, write_without_duplicates
    from cleaner.report import print_table, to_json, to_jsonl

    with _errors():
        if fmt not in ("table", "json", "jsonl"):
            raise typer.BadParameter(f"unknown format '{fmt}'; use table, json or jsonl", param_hint="--format")
        if drop != (output is not None):
            raise typer.BadParameter("--drop and -o/--output go together")
        check_dups_engine(engine, address)
        cfg = load_config(config)
        options = _dup_options(
            cfg,
            levels=_split_names([levels]) if levels else None,
            threshold=threshold,
            containment=containment,
            num_perm=num_perm,
            ngram=ngram,
            seed=seed,
            min_words=min_words,
            keep=keep,
            verify=verify,
            noisy=noisy,
            jobs=jobs,
        )
        read_options = _read_options(cfg, text_field, title_field, id_field, paragraph_sep)
        rejected: list[Rejected] = []
        corpus = load_corpus(paths, read_options, cfg.get("skip-invalid", skip_invalid, False), rejected.append)
        result = find_duplicates_on(engine, address, corpus.documents, options)
        stats = {**result.stats, "read": corpus.read, "rejected": corpus.rejected}
        removals = None
        if drop and output is not None:
            written, removals = write_without_duplicates(corpus, result.clusters, output, read_options)
            stats.update(written=written, dropped=corpus.read - corpus.rejected - written)
        if rejected:
            write_rejects(rejects, rejected)
        if clusters_file:
            from cleaner.io.writers import AtomicFile

            f = AtomicFile(clusters_file)
            try:
                f.fh.write(to_jsonl(result.clusters).encode("utf-8"))
                f.commit()
            finally:
                f.abort()
        if fmt == "json":
            sys.stdout.write(to_json(result.clusters, stats, removals))
        elif fmt == "jsonl":
            sys.stdout.write(to_jsonl(result.clusters))
        else:
            print_table(out, result.clusters, stats)
        if fmt != "table":
            from cleaner.report import summary_line

            err.print(summary_line(stats))
        if removals is not None:
            err.print(f"--drop: {stats['written']} records written to {output}, {stats['dropped']} articles dropped, {sum(1 for r in removals if r['paragraph'] is not None)} paragraphs removed")
        if rejected:
            err.print(f"{corpus.rejected} records rejected; see {rejects}")
        if result.clusters and not exit_zero:
            raise typer.Exit(1)


DUPS_KEYS = {"levels": list, "threshold": (int, float), "containment": (int, float), "num-perm": int, "ngram": int, "seed": int, "min-words": int, "keep": str, "verify": bool, "noisy": bool}


def _dups_config(cfg: FileConfig) -> dict:  # type: ignore[type-arg]
    from cleaner.errors import ConfigError

    table = dict(cfg.tables.get("dups", {}))
    for key, value in table.items():
        if key not in DUPS_KEYS:
            raise ConfigError(f"{cfg.path}: unknown key '{key}' in [tool.cleaner.dups]; known: {', '.join(DUPS_KEYS)}")
        if not isinstance(value, DUPS_KEYS[key]) or isinstance(value, bool) and DUPS_KEYS[key] is not bool:
            raise ConfigError(f"{cfg.path}: '{key}' in [tool.cleaner.dups] has the wrong type: {value!r}")
    return table


def _pick(cli_value, table: dict, key: str, default):  # type: ignore[no-untyped-def,type-arg]
    return cli_value if cli_value is not None else table.get(key, default)


def _dup_options(cfg: FileConfig, jobs: int | None = None, **cli: object):  # type: ignore[no-untyped-def]
    """The duplicate finder's settings: command line > [tool.cleaner.dups] > defaults."""
    from cleaner.dedup import DupOptions

    dcfg = _dups_config(cfg)
    defaults = DupOptions()
    return DupOptions(
        levels=tuple(_pick(cli.get("levels"), dcfg, "levels", list(defaults.levels))),
        **{name: _pick(cli.get(name), dcfg, name.replace("_", "-"), getattr(defaults, name)) for name in _DUP_SETTINGS},
        jobs=max(1, jobs if jobs is not None else (os.cpu_count() or 1)),
    )


_DUP_SETTINGS = ("threshold", "containment", "num_perm", "ngram", "seed", "min_words", "keep", "verify", "noisy")


IndexOpt = Annotated[Optional[Path], typer.Option("--index", help="The index file. [default: .cleaner/index at the git work tree's top, or here]")]
CHECK_KEYS = {"index": str, "files": str}


def _check_config(cfg: FileConfig) -> dict:  # type: ignore[type-arg]
    from cleaner.errors import ConfigError

    table = dict(cfg.tables.get("check", {}))
    for key, value in table.items():
        if key not in CHECK_KEYS or not isinstance(value, CHECK_KEYS[key]):
            raise ConfigError(f"{cfg.path}: unknown key or wrong type '{key}' in [tool.cleaner.check]; known: {', '.join(CHECK_KEYS)} (strings)")
    return table


@app.command()
def check(
    paths: PathsArg,
    fix: Annotated[bool, typer.Option("--fix", help="Rewrite files that have artifacts with the normalizer (exit 1 when one changed).")] = False,
    update_index: Annotated[bool, typer.Option("--update-index", help="After a pass with no findings, add the checked files to the index.")] = False,
    no_index: Annotated[bool, typer.Option("--no-index", help="Compare the files with each other only, not with the index.")] = False,
    duplicates: Annotated[bool, typer.Option("--duplicates/--no-duplicates", help="Look for duplicates (--no-duplicates: artifacts only).")] = True,
    index: IndexOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="'text' (a finding a line) or 'json'.")] = "text",
    select: Annotated[Optional[list[str]], typer.Option("--select", help="Rules or rule families to run. [default: all]")] = None,
    ignore: Annotated[Optional[list[str]], typer.Option("--ignore", help="Rules or rule families not to run.")] = None,
    text_field: TextField = None,
    title_field: TitleField = None,
    id_field: IdField = None,
    paragraph_sep: ParagraphSep = None,
    config: ConfigOpt = None,
) -> None:
    """Check files for scraping artifacts and for duplicates of each other or of the indexed corpus.

    One line per finding, `path:line: kind: message (duplicate of path:line)`; exit 1 on any."""
    from cleaner.check import CheckJob, run_check

    with _errors():
        if fmt not in ("text", "json"):
            raise typer.BadParameter(f"unknown format '{fmt}'; use 'text' or 'json'", param_hint="--format")
        cfg = load_config(config)
        ccfg = _check_config(cfg)
        job = CheckJob(
            paths=paths,
            rules=select_rules(_split_names(select) or cfg.values.get("select"), _split_names(ignore) or cfg.values.get("ignore")),
            options=_dup_options(cfg, jobs=1),
            duplicates=duplicates,
            read_options=_read_options(cfg, text_field, title_field, id_field, paragraph_sep),
            index=index or (Path(ccfg["index"]) if "index" in ccfg else None),
            use_index=not no_index,
            fix=fix,
            update_index=update_index,
            **({"files_pattern": ccfg["files"]} if "files" in ccfg else {}),
        )
        with _progress("indexing") as progress:
            run = run_check(job, on_index_file=progress)
        result = run.result
        if run.built is not None:
            err.print(f"built the index {run.index} from {run.built.files_read} git-tracked files ({run.built.records} records)")
        elif job.use_index and job.duplicates and run.index is None:
            err.print("no index here and not in a git work tree: the files were compared with each other only (`cleaner index build PATH...` makes one)")
        if fmt == "json":
            body = {"version": 1, "findings": [f.to_dict() for f in result.findings], "fixed": run.fixed, "stats": result.stats()}
            sys.stdout.write(json.dumps(body, ensure_ascii=False) + "\n")
        else:
            for finding in result.findings:
                out.print(str(finding), markup=False)
        for name in run.fixed:
            err.print(f"fixed {name}")
        if run.updated:
            err.print(f"added {result.files} files to the index {run.index}")
        err.print(f"{result.files} files, {result.records} records ({result.new_records} new): {len(result.findings)} findings")
        if result.findings or run.fixed:
            raise typer.Exit(1)


index_app = typer.Typer(help="The persistent index that `cleaner check` compares new articles with.", no_args_is_help=True)
app.add_typer(index_app, name="index")


def _index_setup(config: Path | None, paths: list[Path] | None, index: Path | None):  # type: ignore[no-untyped-def]
    from cleaner.indexer import DEFAULT_FILES, Scope, corpus_root, relative

    cfg = load_config(config)
    ccfg = _check_config(cfg)
    index = index or (Path(ccfg["index"]) if "index" in ccfg else None)
    root, in_git = corpus_root(index)
    path = index or root / ".cleaner" / "index"
    pattern = ccfg.get("files", DEFAULT_FILES)
    if paths:
        for p in paths:
            if not p.exists():
                from cleaner.errors import InputError

                raise InputError(str(p), "no such file or directory")
        scope = Scope(root, False, pattern, tuple(relative(p, root) for p in paths))
    elif in_git:
        scope = Scope(root, True, pattern)
    else:
        scope = None
    return cfg, path, root, scope


@index_app.command("build")
def index_build(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Corpus files or folders. [default: the files git tracks that the hooks look at]", show_default=False)] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Replace an existing index.")] = False,
    index: IndexOpt = None,
    text_field: TextField = None,
    title_field: TitleField = None,
    id_field: IdField = None,
    paragraph_sep: ParagraphSep = None,
    config: ConfigOpt = None,
) -> None:
    """Build the index from a corpus (written aside and renamed into place when complete)."""
    from cleaner.errors import ConfigError
    from cleaner.indexer import build_index

    with _errors():
        cfg, path, _, scope = _index_setup(config, paths, index)
        if scope is None:
            raise ConfigError("not in a git work tree: name the corpus files or folders to index")
        if path.exists() and not rebuild:
            raise ConfigError(f"{path}: an index is already there; `cleaner index update` brings it up to date, --rebuild replaces it")
        with _progress("indexing") as progress:
            stats = build_index(path, scope, _read_options(cfg, text_field, title_field, id_field, paragraph_sep), _dup_options(cfg, jobs=1), on_file=progress)
        _index_summary("built", path, stats)


@index_app.command("update")
def index_update(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Files or folders to bring up to date. [default: what the index was built from]", show_default=False)] = None,
    index: IndexOpt = None,
    text_field: TextField = None,
    title_field: TitleField = None,
    id_field: IdField = None,
    paragraph_sep: ParagraphSep = None,
    config: ConfigOpt = None,
) -> None:
    """Re-index files that changed (by content hash), add new ones, forget deleted ones."""
    from cleaner.dedup.store import IndexStore
    from cleaner.indexer import Scope, update_index

    with _errors():
        cfg, path, root, scope = _index_setup(config, paths, index)
        options = _dup_options(cfg, jobs=1)
        read_options = _read_options(cfg, text_field, title_field, id_field, paragraph_sep)
        store = IndexStore.open(path, options, read_options)
        try:
            if not paths:
                scope = Scope.from_meta(root, store.settings)
            with _progress("indexing") as progress:
                stats = update_index(store, scope, read_options, options, on_file=progress)
        finally:
            store.close()
        _index_summary("updated", path, stats)


@index_app.command("status")
def index_status(
    index: IndexOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="'text' or 'json'.")] = "text",
    config: ConfigOpt = None,
) -> None:
    """Show what the index holds, the settings it was built with, and which files changed since."""
    from cleaner.dedup.store import IndexStore
    from cleaner.indexer import Scope

    with _errors():
        _, path, root, _ = _index_setup(config, None, index)
        store = IndexStore.open(path, None)  # any settings: seeing them is the point
        try:
            status = store.status()
            held = store.files()
            now = Scope.from_meta(root, store.settings).files()
            changed = [n for n in now if n in held and _stat_key(root / n) != (held[n].size, held[n].mtime_ns)]
            status.update(new_files=len(set(now) - set(held)), changed_files=len(changed), missing_files=len(set(held) - set(now)))
        finally:
            store.close()
        if fmt == "json":
            sys.stdout.write(json.dumps(status) + "\n")
            return
        table = Table(title=f"index {path}", title_justify="left", show_header=False)
        table.add_column("what", style="bold")
        table.add_column("value", overflow="fold")
        items = status["items"]
        table.add_row("holds", f"{status['files']} files, {status['records']} records; {items['title']} titles, {items['paragraph']} paragraphs, {items['document']} articles")
        table.add_row("size", f"{status['bytes'] / 2**20:.1f} MiB, {status['band_rows']} band rows")
        table.add_row("since built", f"{status['new_files']} new, {status['changed_files']} changed, {status['missing_files']} deleted files (`cleaner index update` takes them in)")
        for key, value in status["settings"].items():
            table.add_row(key, value)
        out.print(table)


def _stat_key(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _index_summary(verb: str, path: Path, stats) -> None:  # type: ignore[no-untyped-def]
    line = f"{verb} {path}: {stats.files_read} files read ({stats.records} records)"
    if stats.files_unchanged or stats.files_removed:
        line += f", {stats.files_unchanged} unchanged, {stats.files_removed} removed"
    if stats.rejected:
        first = stats.rejected[0]
        line += f"; {len(stats.rejected)} unreadable records left out (first: {first.message()})"
    err.print(line)


@app.command("rules")
def list_rules() -> None:
    """List the normalizer's rules, in the order they run."""
    table = Table(title="cleaner rules", title_justify="left")
    table.add_column("rule", style="bold")
    table.add_column("family")
    table.add_column("fields")
    table.add_column("what it fixes", overflow="fold")
    for r in all_rules():
        table.add_row(r.name, r.family, ",".join(r.fields), r.summary)
    out.print(table)


# --- helpers ---------------------------------------------------------------------------------


class _errors:
    """Turn library errors, bad options and Ctrl-C into one-line messages and exit codes."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:  # type: ignore[no-untyped-def]
        if exc is None or isinstance(exc, (typer.Exit, SystemExit)):
            return False
        if _state["debug"] and not isinstance(exc, KeyboardInterrupt):
            return False
        if isinstance(exc, KeyboardInterrupt):
            err.print("interrupted: nothing half-written was left behind")
            raise typer.Exit(130)
        if isinstance(exc, typer.BadParameter):
            return False  # typer prints usage errors itself, with exit code 2
        if isinstance(exc, CleanerError):
            err.print(Text.assemble(("error: ", "red"), str(exc)))
            raise typer.Exit(exc.exit_code)
        from concurrent.futures.process import BrokenProcessPool

        if isinstance(exc, BrokenProcessPool):  # a worker killed: by the system for memory, say
            why = "a worker process died before it was done (killed, perhaps for want of memory)"
            err.print(Text.assemble(("error: ", "red"), f"{why}; nothing half-written was left behind; --jobs 1 runs without workers"))
            raise typer.Exit(2)
        import sqlite3

        if isinstance(exc, sqlite3.Error):  # the index: locked by another run, read-only, full disk
            err.print(Text.assemble(("error: ", "red"), f"the index: {exc}"))
            raise typer.Exit(2)
        return False


class _EditLog:
    def __init__(self, path: Path) -> None:
        from cleaner.io.writers import AtomicFile

        self.file = AtomicFile(path)

    def add(self, r: CleanResult) -> None:
        for e in r.edits:
            row = {"doc": r.original.id, "path": r.original.origin.path, "record": r.original.origin.record, **e.to_dict()}
            self.file.fh.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")

    def commit(self) -> None:
        self.file.commit()

    def abort(self) -> None:
        self.file.abort()


def _result_json(r: CleanResult) -> dict[str, object]:
    o = r.original.origin
    return {"doc": r.original.id, "path": o.path, "record": o.record, "line": o.line, "changed": r.changed, "edits": [e.to_dict() for e in r.edits]}


def _print_diff(r: CleanResult) -> None:
    name = f"{r.original.origin.path}:{r.original.origin.record}"
    before = [*(["# " + r.original.title] if r.original.title is not None else []), *r.original.text.splitlines()]
    after = [*(["# " + r.document.title] if r.document.title is not None else []), *r.document.text.splitlines()]
    for line in difflib.unified_diff(before, after, f"a/{name}", f"b/{name}", lineterm=""):
        sys.stdout.write(line + "\n")


class _progress:
    """A file-count progress bar on stderr when it is a terminal; nothing otherwise."""

    def __init__(self, verb: str = "cleaning") -> None:
        self.verb = verb

    def __enter__(self):  # type: ignore[no-untyped-def]
        self.bar = None
        if err.is_terminal:
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed} files"), TimeElapsedColumn(), console=err, transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.verb, total=None)
        return self._advance

    def _advance(self, f: object) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=f"{self.verb} {getattr(f, 'path', f)}")

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _summary(stats: CleanStats, rules: list, wrote: bool, rejects: Path | None) -> None:  # type: ignore[type-arg]
    if stats.edits:
        table = Table(title="edits by rule", title_justify="left")
        table.add_column("rule")
        table.add_column("edits", justify="right")
        for name in [r.name for r in rules if r.name in stats.edits]:
            table.add_row(name, str(stats.edits[name]))
        err.print(table)
    verb = "written" if wrote else "checked"
    line = f"{stats.files} files: {stats.read} records read, {stats.written} {verb}, {stats.rejected} rejected; {stats.changed} changed"
    if stats.flagged:
        line += f"; {sum(stats.flagged.values())} places flagged for review ({', '.join(sorted(stats.flagged))}; see --edits)"
    if rejects:
        line += f"; rejects in {rejects}"
    err.print(line)
    for path in stats.kept_unchanged:
        err.print(f"{path}: not rewritten in place, because some of its records were rejected")
    if stats.files and not stats.read:
        err.print("[yellow]warning:[/yellow] the input holds no records (empty corpus)")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
