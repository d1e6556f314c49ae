"""The typer app, its consoles, and the one place errors become messages and exit codes.

Data goes to stdout, messages and progress to stderr (progress only on a terminal). Exit codes:
0 ok, 1 findings (`--check` found something to fix), 2 usage, config or input error, 130 when
interrupted. Errors are one line (`error: path:line: reason`); `--debug` shows the traceback.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from cleaner import __version__
from cleaner.errors import CleanerError

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
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    _state["debug"] = debug


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(Text.assemble(("error: ", "red"), message))
    return typer.Exit(code)


class errors:
    """Turn library errors, bad options and Ctrl-C into one-line messages and exit codes."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
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
            raise fail(str(exc), exc.exit_code)
        from concurrent.futures.process import BrokenProcessPool

        if isinstance(exc, BrokenProcessPool):  # a worker killed: by the system for memory, say
            why = "a worker process died before it was done (killed, perhaps for want of memory)"
            raise fail(f"{why}; nothing half-written was left behind; --jobs 1 runs without workers")
        import sqlite3

        if isinstance(exc, sqlite3.Error):  # the index: locked by another run, read-only, full disk
            raise fail(f"the index: {exc}")
        return False


class progress:
    """A file-count progress bar on stderr when it is a terminal; nothing otherwise."""

    def __init__(self, verb: str = "cleaning") -> None:
        self.verb = verb

    def __enter__(self):  # type: ignore[no-untyped-def]
        self.bar = None
        if err.is_terminal:
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed} files"),
                TimeElapsedColumn(),
            )
            self.bar = Progress(*columns, console=err, transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.verb, total=None)
        return self._advance

    def _advance(self, f: object) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=f"{self.verb} {getattr(f, 'path', f)}")

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
