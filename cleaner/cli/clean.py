"""`cleaner clean`: options -> `run_clean` -> the clean report."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from cleaner import config
from cleaner.cli.app import err, out, progress
from cleaner.cli.options import ConfigOpt, EngineArgs, OutputOpt, PathsArg, ReadArgs, RejectArgs, check_format, command
from cleaner.engines import check_engine
from cleaner.jobs.clean import CleanJob, run_clean
from cleaner.model import CleanResult, Rejected
from cleaner.report import clean as report
from cleaner.report.clean_page import review_page
from cleaner.report.rejects import write_rejects


def _check_usage(output: Path | None, in_place: bool, check: bool, diff: bool, looking: bool, fmt: str) -> None:
    if output is not None and in_place:
        raise typer.BadParameter("give either -o/--output or --in-place, not both")
    if diff and fmt == "json":
        raise typer.BadParameter("--diff and --format json both write to stdout; use --edits FILE for the edit log")
    if (output is not None or in_place) and check:
        raise typer.BadParameter("--check writes nothing; drop -o/--in-place or --check")
    if output is None and not in_place and not looking:
        raise typer.BadParameter(
            "say where to write: -o OUT or --in-place (or --check, --diff, --edits, --format json to only look)"
        )


def _reporter(
    diff: bool, log: Callable[[CleanResult], None] | None, documents: list[dict[str, object]] | None
) -> Callable[[CleanResult], None]:
    """What is shown of each result as it comes: its diff, its edits in the log and the report."""

    def on_result(r: CleanResult) -> None:
        if diff and r.changed:
            report.print_diff(r, sys.stdout)
        if log:
            log(r)
        if documents is not None and r.edits:
            documents.append(report.result_json(r))

    return on_result


@command()
def clean(
    paths: PathsArg,
    output: OutputOpt = None,
    in_place: Annotated[bool, typer.Option("--in-place", help="Rewrite the input files.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if anything would change.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Print a unified diff of what would change.")] = False,
    edits: Annotated[Path | None, typer.Option("--edits", help="Write the edit log (JSONL, one edit a line).")] = None,
    review: Annotated[
        Path | None, typer.Option("--review", help="Write a review page (HTML) of the edits and flagged places.")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="Report format on stdout: 'text' (nothing on stdout) or 'json'.")
    ] = "text",
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            help="Worker processes for cleaning; output is the same for any number. [default: all cores]",
        ),
    ] = None,
    select: Annotated[
        list[str] | None,
        typer.Option("--select", help="Rules or rule families to run (repeat or comma-separate). [default: all]"),
    ] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Rules or rule families not to run.")] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang", help="The language of every document (ISO 639-1, e.g. 'de'), or 'auto'. [default: auto]"
        ),
    ] = None,
    lang_field: Annotated[
        str | None, typer.Option("--lang-field", help="The record field that holds each document's language.")
    ] = None,
    min_confidence: Annotated[
        float | None,
        typer.Option("--min-confidence", help="Below this a removal is only flagged (0-1). [default: 0.9]"),
    ] = None,
    evidence: Annotated[
        str | None,
        typer.Option(
            "--evidence",
            help="'corpus': read the inputs once for statistics before cleaning; 'shipped': the package's only."
            " [default: corpus]",
        ),
    ] = None,
    read: ReadArgs = ReadArgs(),
    bad: RejectArgs = RejectArgs(),
    config_file: ConfigOpt = None,
    run_on: EngineArgs = EngineArgs(),
) -> None:
    """Fix scraping artifacts in article files, keeping their format, order and other fields."""
    check_format(fmt, ("text", "json"), "'text' or 'json'")
    _check_usage(
        output, in_place, check, diff, check or diff or fmt == "json" or edits is not None or review is not None, fmt
    )
    check_engine(run_on.engine, run_on.address)
    cfg = config.load_config(config_file)
    rules = config.rules(cfg, select, ignore)
    job = CleanJob(
        paths=paths,
        rules=rules,
        read_options=config.read_options(cfg, read.values()),
        output=output,
        in_place=in_place,
        skip_invalid=cfg.get("skip-invalid", bad.skip_invalid, False),
        jobs=config.all_cores(jobs),
        engine=run_on.engine,
        address=run_on.address,
        normalize=config.normalize_options(cfg, lang, lang_field, min_confidence, evidence),
    )
    rejected: list[Rejected] = []
    documents: list[dict[str, object]] = []
    with report.edit_log(edits) as log, review_page(review, rules, log) as log, progress() as show:
        on_result = _reporter(diff, log, documents if fmt == "json" else None)
        stats = run_clean(job, on_result=on_result, on_reject=rejected.append, report=show)
    if rejected:
        write_rejects(bad.rejects, rejected)
    if fmt == "json":
        report.print_json(out, documents, stats)
    report.print_summary(
        err, stats, rules, wrote=output is not None or in_place, rejects=bad.rejects if rejected else None
    )
    if check and stats.changed:
        raise typer.Exit(1)
