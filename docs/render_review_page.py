"""Render the README's pictures of the review pages from real runs on the fixtures, opened in
headless chromium (Debian's package):

- `cleaner dups --format html` on the planted fixture, the document level selected and the wire
  copy's cluster open: docs/dups-page.png (and the page, docs/dups-page.html);
- `cleaner clean --review` on the AllSides sample and the seed articles, showing the flagged
  places and removals: docs/clean-page.png (and docs/clean-page.html).

Run from the repository root: python docs/render_review_page.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the browser helper the tests use

from cleaner.dedup import DupOptions, find_duplicates  # noqa: E402
from cleaner.io import read_documents, strict  # noqa: E402
from cleaner.jobs.clean import CleanJob, run_clean  # noqa: E402
from cleaner.normalize import all_rules  # noqa: E402
from cleaner.report.clean_page import Review, clean_page  # noqa: E402
from cleaner.report.dups_page import dups_page  # noqa: E402
from tests.browser import CHROMIUM, screenshot  # noqa: E402

DOCS = ROOT / "docs"


def dups_picture() -> None:
    docs = list(strict(read_documents(["fixtures/dups/planted.jsonl"])))
    result = find_duplicates(docs, DupOptions())
    stats = dict(result.stats, seconds=0.1)  # a fixed time keeps the page byte-stable
    page = DOCS / "dups-page.html"
    page.write_text(dups_page(result.clusters, stats), "utf-8")
    wire = next(c for c in result.clusters if c.kind == "document" and c.size == 2 and c.similarity < 1)
    screenshot(page, DOCS / "dups-page.png", f"kind=document&open={wire.id}", (1100, 820))


def clean_picture() -> None:
    rules = all_rules()
    review = Review(rules)
    run_clean(CleanJob(paths=["fixtures/corpora/allsides_sample.jsonl", "seeds"], rules=rules), on_result=review.add)
    page = DOCS / "clean-page.html"
    page.write_text(clean_page(review), "utf-8")
    screenshot(page, DOCS / "clean-page.png", "rule=truncated-end,doubled-word,headline-repeat", (1100, 820))


def main() -> None:
    if CHROMIUM is None:
        sys.exit("chromium is not installed (apt-get install chromium)")
    os.chdir(ROOT)  # relative paths on the pages, as a run from the checkout shows them
    dups_picture()
    clean_picture()
    print("wrote docs/dups-page.png, docs/clean-page.png and their pages")


if __name__ == "__main__":
    main()
