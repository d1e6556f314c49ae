"""The README kept honest: every command's options table lists exactly the options its `--help`
shows, and the rules table is `cleaner rules`, name for name and family for family, in order."""

from __future__ import annotations

import re

import pytest
import typer.main
from typer.testing import CliRunner

from cleaner.cli import app
from cleaner.normalize import all_rules
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text("utf-8")
FLAG = re.compile(r"(?<![\w-])(--?[a-z][\w-]*)")


def table_after(marker: str) -> list[list[str]]:
    """The cells of the first Markdown table after `marker`, without its header and rule lines."""
    lines = README[README.index(marker) :].splitlines()[1:]
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        # `\|` inside a cell is a literal bar, not a column break.
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return rows[2:]


def readme_flags(command: str) -> set[str]:
    rows = table_after(f"<!-- options: {command} ")
    return {f for row in rows for code in re.findall(r"`([^`]*)`", row[0]) for f in FLAG.findall(code)}


def help_options(command: str) -> list[set[str]]:
    """Each option of the command as the set of its spellings (`--verify`, `--no-verify`)."""
    node = typer.main.get_command(app)
    for name in command.split():
        node = node.commands[name]  # type: ignore[attr-defined]
    return [set(p.opts + p.secondary_opts) for p in node.params if p.param_type_name == "option" and p.name != "help"]


COMMANDS = ["clean", "dups", "check", "index build", "index update", "index status"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_is_in_the_readme_table_and_back(command):
    listed = readme_flags(command)
    options = help_options(command)
    missing = [sorted(o) for o in options if not o & listed]
    unknown = sorted(listed - set().union(*options))
    assert not missing, f"in `cleaner {command} --help` but not in the README: {missing}"
    assert not unknown, f"in the README's `cleaner {command}` table but not an option: {unknown}"


def test_every_command_has_a_table_and_shows_its_options_in_help():
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    groups = {n for n, c in commands.items() if hasattr(c, "commands")}
    leaves = {n for n in commands if n not in groups} | {f"{g} {n}" for g in groups for n in commands[g].commands}
    assert leaves - {"rules"} == set(COMMANDS)  # `rules` takes no options
    r = CliRunner().invoke(app, ["dups", "--help"], env={"COLUMNS": "200"})
    assert all(any(spelling in r.stdout for spelling in o) for o in help_options("dups"))


def test_the_rules_table_is_cleaner_rules():
    in_readme = [(row[0].strip("`"), row[1]) for row in table_after("## The rules")]
    assert in_readme == [(r.name, r.family) for r in all_rules()]
    shown = CliRunner().invoke(app, ["rules"], env={"COLUMNS": "200"}).stdout
    listed = [line.split("│")[1].strip() for line in shown.splitlines() if line.startswith("│")]
    assert listed == [n for n, _ in in_readme]
