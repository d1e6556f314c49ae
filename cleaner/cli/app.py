"""The typer app, its consoles, and the one place errors become messages and exit codes.

Data goes to stdout, messages and progress to stderr (progress only on a terminal). Exit codes:
0 ok, 1 findings (`--check` found something to fix), 2 usage, config, input or output error (a
full disk too), 130 when interrupted (Ctrl-C), 143 / 129 when stopped by SIGTERM / SIGHUP. Errors
are one line (`error: path:line: reason`); `--debug` shows the traceback.
"""

from __future__ import annotations

import codecs
import io
import sys
from contextlib import ExitStack
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TaskID, TextColumn, TimeRemainingColumn
from rich.text import Text

from cleaner import __version__
from cleaner.errors import CleanerError, os_reason
from cleaner.heap import keep_freed_memory
from cleaner.interrupts import Terminated, received, stop_on_signals
from cleaner.io.writers import guarded_stream
from cleaner.progress import Progress as Stage
from cleaner.progress import Report

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
    """Turn library errors, bad options, OS errors, Ctrl-C, SIGTERM and SIGHUP into one-line
    messages and exit codes. Within it, a failed write to stdout (a full disk) is an error naming
    stdout; a reader that closed the pipe (`| head`) ends the run quietly, as click does."""

    def __enter__(self) -> None:
        self.stack = ExitStack()
        self.stack.enter_context(stop_on_signals())
        self.stdout = None
        if sys.stdout is sys.__stdout__ and sys.stdout is not None:  # not under a test runner
            sys.stdout.flush()
            self.stdout = sys.stdout
            # On UTF-8 only a lone surrogate (read from the input as it was) cannot be encoded: it
            # goes out as its escape, `\ud800`, which is the JSON reports' own (they stay valid).
            utf8 = codecs.lookup(sys.stdout.encoding).name == "utf-8"
            sys.stdout = io.TextIOWrapper(
                guarded_stream(sys.stdout.fileno(), "stdout"),
                encoding=sys.stdout.encoding,
                errors="backslashreplace" if utf8 else sys.stdout.errors,
                line_buffering=sys.stdout.line_buffering,
            )
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        try:
            exc = self._flush_stdout(exc)
            return self._translate(exc)
        finally:
            self.stack.close()

    def _flush_stdout(self, exc: BaseException | None) -> BaseException | None:
        """The command's error, or the error of writing what it left in stdout's buffer."""
        if self.stdout is None:
            return exc
        guarded, sys.stdout = sys.stdout, self.stdout
        try:
            guarded.flush()
        except (OSError, CleanerError) as e:
            if exc is None or isinstance(exc, (typer.Exit, SystemExit)):
                exc = e  # what was printed did not arrive: that, not the findings, decides
        guarded.buffer.raw.discard()  # anything left has failed once and been reported
        guarded.detach()
        return exc

    def _translate(self, exc: BaseException | None) -> bool:
        stopped = received()
        if stopped is not None and not isinstance(exc, Terminated):
            exc = stopped  # the signal surfaced as some other error (a worker it killed, say)
        if exc is None or isinstance(exc, (typer.Exit, SystemExit)):
            return False
        if _state["debug"] and not isinstance(exc, KeyboardInterrupt):
            return False
        if isinstance(exc, Terminated):
            err.print(f"stopped by {exc.name}: nothing half-written was left behind")
            raise typer.Exit(exc.exit_code)
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
        if isinstance(exc, BrokenPipeError):
            raise exc  # click ends the run quietly
        if isinstance(exc, OSError):  # one the library did not name: say what the OS said
            where = f"{exc.filename}: " if exc.filename else ""
            raise fail(f"{where}{os_reason(exc)}")
        return False


class _Counts(ProgressColumn):
    """What a stage has done, in its unit: records, megabytes and MB/s for a read."""

    def render(self, task: Task) -> Text:
        unit, done = task.fields["unit"], int(task.completed)
        if unit != "bytes":
            of = f" of {int(task.total):,}" if task.total is not None else ""
            return Text(f"{done:,}{of} {unit}")
        speed = f"  {task.speed / 1e6:.1f} MB/s" if task.speed else ""
        size = f"{done / 1e6:.1f} of {(task.total or 0) / 1e6:.1f} MB"
        return Text(f"{task.fields['records'] or 0:,} records  {size}{speed}")


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


class progress:
    """A line per stage on stderr, as the library reports them (`cleaner.progress`), when stderr
    is a terminal; otherwise nothing, and the library is given no report at all."""

    def __enter__(self) -> Report | None:
        self.bar: Progress | None = None
        if not err.is_terminal:
            return None
        columns = (TextColumn("{task.description:<20}"), BarColumn(), _Counts(), TimeRemainingColumn())
        # What goes to stdout stays there: rich would print it above the bars, on stderr, which
        # is right only when stdout is the same terminal (`clean --diff > file` is not).
        self.bar = Progress(*columns, console=err, transient=True, redirect_stdout=_isatty(sys.stdout))
        self.stages: dict[str, TaskID] = {}
        self.bar.start()
        return self._show

    def _show(self, event: Stage) -> None:
        assert self.bar is not None
        task = self.stages.get(event.stage)
        fresh = task is None
        if task is None:
            task = self.stages[event.stage] = self.bar.add_task(
                event.stage, total=event.total, unit=event.unit, records=None
            )
        self.bar.update(task, completed=event.done, total=event.total, records=event.records)
        if fresh:  # a stage shows as it begins, not at the next tick (a short one, never)
            self.bar.refresh()

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def main() -> None:
    """Console-script entry point."""
    keep_freed_memory()
    try:
        app()
    except KeyboardInterrupt as e:  # before or after a command's own handling
        err.print("interrupted")
        sys.exit(e.exit_code if isinstance(e, Terminated) else 130)
