"""The `cleaner` command: a thin typer layer over the library. Each command is its options, one
library call (`cleaner.jobs`, `cleaner.check`) and one renderer (`cleaner.report`)."""

from cleaner.cli import check, clean, dups, index, rules
from cleaner.cli.app import app, main
from cleaner.cli.options import register

register(app, clean.clean, dups.dups, check.check, rules.list_rules)  # the order `cleaner --help` lists them in
assert index.index_app  # added to the app by its module (groups come after the commands)

__all__ = ["app", "main"]
