"""`cleaner check`: options -> `run_check` -> the findings."""

from __future__ import annotations

from typing import Annotated

import typer

from cleaner import config
from cleaner.cli.app import err, out, progress
from cleaner.cli.options import ConfigOpt, IndexOpt, PathsArg, ReadArgs, check_format, command


@command()
def check(
    paths: PathsArg,
    fix: Annotated[
        bool,
        typer.Option("--fix", help="Rewrite files that have artifacts with the normalizer (exit 1 when one changed)."),
    ] = False,
    update_index: Annotated[
        bool, typer.Option("--update-index", help="After a pass with no findings, add the checked files to the index.")
    ] = False,
    no_index: Annotated[
        bool, typer.Option("--no-index", help="Compare the files with each other only, not with the index.")
    ] = False,
    duplicates: Annotated[
        bool,
        typer.Option("--duplicates/--no-duplicates", help="Look for duplicates (--no-duplicates: artifacts only)."),
    ] = True,
    index: IndexOpt = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="'text' (a finding a line), 'json', 'github' (workflow commands: annotations on the files)"
            " or 'sarif' (SARIF 2.1.0, for code scanning).",
        ),
    ] = "text",
    select: Annotated[
        list[str] | None, typer.Option("--select", help="Rules or rule families to run. [default: all]")
    ] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Rules or rule families not to run.")] = None,
    read: ReadArgs = ReadArgs(),
    config_file: ConfigOpt = None,
) -> None:
    """Check files for scraping artifacts and for duplicates of each other or of the indexed corpus.

    One line per finding, `path:line: kind: message (duplicate of path:line)`; exit 1 on any."""
    from cleaner.check import CheckJob, run_check
    from cleaner.report import check as report

    check_format(fmt, report.FORMATS, "text, json, github or sarif")
    cfg = config.load_config(config_file)
    table = config.check_table(cfg)
    job = CheckJob(
        paths=paths,
        rules=config.rules(cfg, select, ignore),
        options=config.dup_options(cfg, jobs=1),
        duplicates=duplicates,
        read_options=config.read_options(cfg, read.values()),
        index=config.index_path(cfg, index),
        use_index=not no_index,
        fix=fix,
        update_index=update_index,
        **({"files_pattern": table["files"]} if "files" in table else {}),
    )
    with progress() as show:
        run = run_check(job, show)
    report.print_index_note(err, run, looked=job.use_index and job.duplicates)
    report.print_findings(out, run, fmt, job.rules)
    report.print_summary(err, run)
    if run.result.findings or run.fixed:
        raise typer.Exit(1)
