"""`cleaner dups`: options -> `run_dups` -> the clusters report."""

from __future__ import annotations

import re
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import typer

from cleaner import config
from cleaner.cli.app import err, out, progress
from cleaner.cli.options import (
    ConfigOpt,
    EngineArgs,
    PathsArg,
    ReadArgs,
    RejectArgs,
    check_format,
    command,
    option_group,
)


@option_group
@dataclass(frozen=True)
class DupArgs:
    """The finder's settings on the command line (`cleaner.config.dup_options` merges them)."""

    levels: Annotated[
        str | None, typer.Option("--levels", help="Comma-separated: title,paragraph,document. [default: all]")
    ] = None
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold", help="Jaccard similarity of shingle sets that counts as a duplicate. [default: 0.7]"
        ),
    ] = None
    containment: Annotated[
        float | None,
        typer.Option(
            "--containment",
            help="Share of a shorter article found in a longer one that makes it a copy. [default: 0.8]",
        ),
    ] = None
    num_perm: Annotated[int | None, typer.Option("--num-perm", help="MinHash permutations. [default: 128]")] = None
    ngram: Annotated[int | None, typer.Option("--ngram", help="Words per shingle. [default: 5]")] = None
    seed: Annotated[int | None, typer.Option("--seed", help="MinHash seed (datasketch's meaning). [default: 1]")] = None
    min_words: Annotated[
        int | None, typer.Option("--min-words", help="Shortest paragraph compared, in words. [default: 8]")
    ] = None
    keep: Annotated[
        str | None, typer.Option("--keep", help="Representative: 'first' in input order or 'longest'. [default: first]")
    ] = None
    verify: Annotated[
        bool | None,
        typer.Option(
            "--verify/--no-verify", help="Check candidates with the true Jaccard of their shingles. [default: verify]"
        ),
    ] = None
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            help="Worker processes for tokenizing and hashing; clusters are the same for any number."
            " [default: all cores]",
        ),
    ] = None
    noisy: Annotated[
        bool | None,
        typer.Option(
            "--noisy/--no-noisy",
            help="Character 5-grams for every text (OCR'd or badly scraped corpora), or for none."
            " [default: for the articles that look OCR-noisy]",
        ),
    ] = None

    def values(self) -> dict[str, Any]:
        return asdict(self)


_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def parse_size(text: str) -> int:
    """`2G`, `512M`, `1.5G`, `300000000` (bytes) -> bytes; at least 64 MiB."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if not found:
        raise typer.BadParameter(f"'{text}' is no size; say e.g. 2G or 512M", param_hint="--memory")
    size = int(float(found[1]) * _UNITS[found[2].upper()])
    if size < 64 * 2**20:
        raise typer.BadParameter("at least 64M", param_hint="--memory")
    return size


@command()
def dups(
    paths: PathsArg,
    match: DupArgs = DupArgs(),
    fmt: Annotated[
        str,
        typer.Option(
            "--format", help="'table', 'json', 'jsonl', 'html' (a review page), 'github' or 'sarif' (for CI) on stdout."
        ),
    ] = "table",
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            help="Clusters in the table or page, the most costly first; 0: all (JSON is always complete)."
            " [default: 20 in the table, 500 in the page]",
        ),
    ] = None,
    sort: Annotated[
        str,
        typer.Option(
            "--sort", help="Table order: 'cost' (members x length), 'size', 'similarity' (lowest first), 'input'."
        ),
    ] = "cost",
    clusters_file: Annotated[
        Path | None, typer.Option("--clusters", help="Also write the clusters as JSONL to this file.")
    ] = None,
    drop: Annotated[
        bool, typer.Option("--drop", help="Write the corpus without duplicates to -o (representatives kept).")
    ] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Where --drop writes.")] = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when duplicates were found.")] = False,
    memory: Annotated[
        str,
        typer.Option(
            "--memory", help="Memory budget of the local engine, e.g. 2G or 512M: sets its block sizes and caches."
        ),
    ] = "2G",
    work_dir: Annotated[
        Path | None,
        typer.Option(
            "--work-dir",
            help="Where the local engine, and the Ray engine's workers, keep their arrays (a private folder,"
            " removed at the end; on a Ray cluster of several machines, storage every node shares)."
            " [default: the system temp dir]",
        ),
    ] = None,
    read: ReadArgs = ReadArgs(),
    bad: RejectArgs = RejectArgs(),
    config_file: ConfigOpt = None,
    run_on: EngineArgs = EngineArgs(),
) -> None:
    """Find repeated titles, near-duplicate paragraphs and near-duplicate articles."""
    from cleaner.engines import check_dups_engine
    from cleaner.jobs.dups import DupsJob, run_dups
    from cleaner.report import dups as report
    from cleaner.report.rejects import write_rejects

    check_format(
        fmt, ("table", "json", "jsonl", "html", "github", "sarif"), "table, json, jsonl, html, github or sarif"
    )
    if sort not in report.SORTS:
        raise typer.BadParameter(f"unknown order '{sort}'; use {', '.join(report.SORTS)}", param_hint="--sort")
    if limit is not None and limit < 0:
        raise typer.BadParameter("must be 0 (all) or more", param_hint="--limit")
    if drop != (output is not None):
        raise typer.BadParameter("--drop and -o/--output go together")
    check_dups_engine(run_on.engine, run_on.address)
    cfg = config.load_config(config_file)
    options = config.dup_options(cfg, match.values(), match.jobs)
    # Duplicates are found across sources: the source field (a [tool.cleaner] setting for `clean`
    # and `check`) is not read, so its values can reject no record here.
    read_options = replace(config.read_options(cfg, read.values()), source_field=None)
    skip_invalid = cfg.get("skip-invalid", bad.skip_invalid, False)
    job = DupsJob(paths, options, read_options, skip_invalid, run_on.engine, run_on.address, output if drop else None)
    with progress() as show:
        run = run_dups(replace(job, work_dir=work_dir, memory=parse_size(memory)), show)
    if run.rejected:
        write_rejects(bad.rejects, run.rejected)
    if clusters_file:
        report.write_clusters(clusters_file, run.clusters)
    if fmt == "json":
        sys.stdout.writelines(report.json_chunks(run.clusters, run.stats, run.removals))
    elif fmt == "jsonl":
        sys.stdout.writelines(report.jsonl_lines(run.clusters))
    elif fmt in ("github", "sarif"):
        from cleaner.report.ci import github_lines, sarif_json

        found = report.cluster_annotations(run.clusters)
        rules = [report.DUP_RULES[k] for k in options.levels]
        sys.stdout.write(github_lines(found) if fmt == "github" else sarif_json(found, rules))
    elif fmt == "html":
        from cleaner.report.dups_page import PAGE_LIMIT, dups_page

        sys.stdout.write(dups_page(run.clusters, run.stats, PAGE_LIMIT if limit is None else limit))
    else:
        report.print_table(out, run.clusters, run.stats, report.TABLE_LIMIT if limit is None else limit, sort)
    if fmt != "table":
        err.print(report.summary_line(run.stats))
    if run.removals is not None and output is not None:
        err.print(report.drop_line(run.stats, output, run.removals))
    if run.rejected:
        err.print(f"{run.stats['rejected']} records rejected; see {bad.rejects}")
    if run.clusters and not exit_zero:
        raise typer.Exit(1)
