"""Render the README's picture of the `cleaner dups --format html` review page: a real run on the
planted fixture, opened in headless chromium (Debian's package) with the document level selected
and the wire copy's cluster open. Run from the repository root:

    python docs/render_review_page.py   # writes docs/dups-page.png (and docs/dups-page.html)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the browser helper the tests use

from cleaner.dedup import DupOptions, find_duplicates  # noqa: E402
from cleaner.io import read_documents, strict  # noqa: E402
from cleaner.report.dups_page import dups_page  # noqa: E402
from tests.browser import CHROMIUM, screenshot  # noqa: E402


def main() -> None:
    if CHROMIUM is None:
        sys.exit("chromium is not installed (apt-get install chromium)")
    os.chdir(ROOT)  # relative paths on the page, as a run from the checkout shows them
    docs = list(strict(read_documents(["fixtures/dups/planted.jsonl"])))
    result = find_duplicates(docs, DupOptions())
    stats = dict(result.stats, seconds=0.1)  # a fixed time keeps the page byte-stable
    page = ROOT / "docs" / "dups-page.html"
    page.write_text(dups_page(result.clusters, stats), "utf-8")
    wire = next(c for c in result.clusters if c.kind == "document" and c.size == 2 and c.similarity < 1)
    screenshot(page, ROOT / "docs" / "dups-page.png", f"kind=document&open={wire.id}", (1100, 820))
    print("wrote docs/dups-page.png and docs/dups-page.html")


if __name__ == "__main__":
    main()
