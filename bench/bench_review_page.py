"""How long the `dups` review page takes to build for a corpus the size of the issue's (100k
articles: 2,655 document clusters, and paragraph and title clusters in the tens of thousands),
from real AllSides articles: each document cluster an article and a wire-style copy of it (a
byline, cut after four paragraphs, a footer), each paragraph cluster a paragraph and a copy.
The finder is not run: this is the page alone, at its default bound of 500 clusters.

    python bench/bench_review_page.py
"""

from __future__ import annotations

import sys

from _common import allsides_documents, code_version, cpu_model, median_time

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))

from cleaner.model import Cluster, Member  # noqa: E402
from cleaner.report.dups_page import dups_page  # noqa: E402

DOCUMENT_CLUSTERS, PARAGRAPH_CLUSTERS, TITLE_CLUSTERS = 2_655, 30_000, 5_000


def clusters() -> list[Cluster]:
    docs = allsides_documents(DOCUMENT_CLUSTERS)
    out: list[Cluster] = []

    def member(d, text: str, n: int, paragraph: int | None = None) -> Member:  # type: ignore[no-untyped-def]
        return Member(f"{d.id}-{n}", d.origin.path, d.origin.record, None, paragraph, text, len(out) * 2 + n)

    for d in docs:
        body = d.paragraphs()
        copy = "\n\n".join(["By Jane Doe, Associated Press", *body[:4], "Copyright The Associated Press."])
        out.append(Cluster(len(out) + 1, "document", (member(d, d.text, 0), member(d, copy, 1)), 0, 0.9))
    paragraphs = [(d, i, p) for d in docs for i, p in enumerate(d.paragraphs())]
    for k in range(PARAGRAPH_CLUSTERS):
        d, i, p = paragraphs[k % len(paragraphs)]
        out.append(Cluster(len(out) + 1, "paragraph", (member(d, p, 0, i), member(d, p, 1, i)), 0, 1.0))
    for k in range(TITLE_CLUSTERS):
        d = docs[k % len(docs)]
        title = d.title or "untitled"
        out.append(Cluster(len(out) + 1, "title", (member(d, title, 0), member(d, title + " | Reuters", 1)), 0, 0.9))
    return out


def main() -> None:
    print(f"# {cpu_model()}; {code_version()}")
    found = clusters()
    stats = {
        "documents": 100_000,
        "paragraphs": 1_500_000,
        "clusters": {"title": TITLE_CLUSTERS, "paragraph": PARAGRAPH_CLUSTERS, "document": DOCUMENT_CLUSTERS},
        "seconds": 0,
    }
    seconds, page = median_time(lambda: dups_page(found, stats), repeat=1)
    print(f"{len(found)} clusters -> a page of 500: {len(page) / 2**20:.1f} MiB in {seconds:.2f} s")


if __name__ == "__main__":
    main()
