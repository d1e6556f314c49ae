"""Options defined once and shared by the commands, and option groups: a dataclass of options
that a command takes as one parameter (`read: ReadArgs`); `command` spreads its fields into the
command's options, at that parameter's place, and gathers them back into the dataclass."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, is_dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_type_hints

import typer

from cleaner.cli.app import errors

F = TypeVar("F", bound=Callable[..., Any])
_GROUPS: set[type] = set()


def option_group(cls: type) -> type:
    """A dataclass whose fields (each an `Annotated[..., typer.Option(...)]` with a default) a
    command takes as one parameter."""
    _GROUPS.add(cls)
    return cls


def command(name: str | None = None) -> Callable[[F], F]:
    """A command for `register`: its option groups spread out, its body run under `errors()`."""

    def spread(func: F) -> F:
        hints = get_type_hints(func, include_extras=True)
        params: list[inspect.Parameter] = []
        groups: dict[str, tuple[type, list[str]]] = {}
        for p in inspect.signature(func).parameters.values():
            kind = hints[p.name]
            if kind in _GROUPS and is_dataclass(kind):
                own = get_type_hints(kind, include_extras=True)
                groups[p.name] = (kind, [f.name for f in fields(kind)])
                params += [
                    inspect.Parameter(f.name, p.POSITIONAL_OR_KEYWORD, default=f.default, annotation=own[f.name])
                    for f in fields(kind)
                ]
            else:
                params.append(p.replace(annotation=kind))

        @functools.wraps(func)
        def run(**kwargs: Any) -> Any:
            for group, (kind, names) in groups.items():
                kwargs[group] = kind(**{n: kwargs.pop(n) for n in names})
            with errors():
                return func(**kwargs)

        run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in params}
        run.command_name = name  # type: ignore[attr-defined]
        return run  # type: ignore[return-value]

    return spread


def register(app: typer.Typer, *commands: Callable[..., Any]) -> None:
    """Add the commands to `app`, in the order `--help` lists them."""
    for c in commands:
        app.command(getattr(c, "command_name", None))(c)


# --- options several commands share ---------------------------------------------------------------

PathsArg = Annotated[
    list[Path],
    typer.Argument(help="Article files or folders (.txt, .jsonl, .jsonl.gz, .csv, .parquet).", show_default=False),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="Config file (default: nearest cleaner.toml or pyproject.toml with [tool.cleaner])."),
]
IndexOpt = Annotated[
    Path | None,
    typer.Option("--index", help="The index file. [default: .cleaner/index at the git work tree's top, or here]"),
]
OutputOpt = Annotated[Path | None, typer.Option("-o", "--output", help="Output file, or folder for several inputs.")]


@option_group
@dataclass(frozen=True)
class ReadArgs:
    """How records are read (`cleaner.config.read_options` merges them with the config file)."""

    text_field: Annotated[
        str | None,
        typer.Option("--text-field", help="Field holding the body (dotted path for nested JSON). [default: text]"),
    ] = None
    title_field: Annotated[
        str | None, typer.Option("--title-field", help="Field holding the title. [default: title]")
    ] = None
    id_field: Annotated[
        str | None,
        typer.Option(
            "--id-field", help="Field holding the record id; without one the id is path:record. [default: id]"
        ),
    ] = None
    paragraph_sep: Annotated[
        str | None,
        typer.Option(
            "--paragraph-sep", help="Marker that joins paragraphs in the text (e.g. ' ### '). [default: blank line]"
        ),
    ] = None
    source_field: Annotated[
        str | None,
        typer.Option(
            "--source-field",
            help="Field naming each record's site or publisher (a URL: its host); a line on most of its own"
            " source's pages is a site line.",
        ),
    ] = None

    def values(self) -> dict[str, Any]:
        return asdict(self)


@option_group
@dataclass(frozen=True)
class RejectArgs:
    skip_invalid: Annotated[
        bool | None,
        typer.Option(
            "--skip-invalid/--no-skip-invalid", help="Go on past bad records, writing each to the rejects file."
        ),
    ] = None
    rejects: Annotated[
        Path, typer.Option("--rejects", help="Where --skip-invalid writes rejected records (JSONL).")
    ] = Path("cleaner-rejects.jsonl")


@option_group
@dataclass(frozen=True)
class EngineArgs:
    engine: Annotated[
        str,
        typer.Option(
            "--engine", help="'local' (this machine, --jobs processes) or 'ray' (a Ray cluster; extra cleaner[ray])."
        ),
    ] = "local"
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            help="With --engine ray: 'auto', HOST:PORT or (clean only) ray://HOST:PORT."
            " [default: start Ray on this machine]",
        ),
    ] = None


def check_format(fmt: str, known: tuple[str, ...], spelled: str) -> None:
    if fmt not in known:
        raise typer.BadParameter(f"unknown format '{fmt}'; use {spelled}", param_hint="--format")
