"""`cleaner rules`: the normalizer's rules as a table."""

from __future__ import annotations

from rich.table import Table

from cleaner.cli.app import out
from cleaner.cli.options import command
from cleaner.normalize import all_rules


@command("rules")
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
