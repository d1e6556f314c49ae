"""Render the README's picture of the `cleaner dups` table: a real run on the planted fixture,
at 80 columns, exported by rich as SVG. Run from the repository root:

    python bench/render_table_svg.py   # writes docs/dups-table.svg
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from rich.console import Console

from cleaner.dedup import DupOptions, find_duplicates
from cleaner.io import read_documents, strict
from cleaner.report import print_table

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    os.chdir(ROOT)
    docs = list(strict(read_documents(["fixtures/dups/planted.jsonl"])))
    result = find_duplicates(docs, DupOptions())
    console = Console(width=80, record=True, file=io.StringIO(), highlight=False)
    console.print("$ cleaner dups fixtures/dups/planted.jsonl --limit 6")
    stats = dict(result.stats, seconds=0.1)  # a fixed time keeps the picture byte-stable
    print_table(console, result.clusters, stats, limit=6)
    (ROOT / "docs").mkdir(exist_ok=True)
    console.save_svg(str(ROOT / "docs" / "dups-table.svg"), title="cleaner dups")
    print("wrote docs/dups-table.svg")


if __name__ == "__main__":
    main()
