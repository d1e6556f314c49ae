"""Boilerplate by source: what counting a line's recurrence in its own site's pages (`--source-field`)
adds to counting it through the corpus, on real corpora whose records name their source.

    python bench/bench_sources.py               # both parts, every corpus (about a minute)
    python bench/bench_sources.py --show 40     # more of the lines removed by source evidence

[1] Real text: every article cleaned with the corpus's evidence, once without its source and once
    with it. Printed: the articles that change, and the distinct lines that only source evidence
    removes, for a person to read (each should be a site's template, not its content).
[2] Planted: in sources with 4 to 40 articles, a site line of that source's own (the language's
    line of `bench_languages.SITE_LINES` and the source's name, so that no two sources share
    one) put into each article at 80%, as a scraped template line is on most of its site's pages;
    the share of planted articles given back byte for byte, with and without the source, and of
    the same sources' other articles (controls) left as they were.
Splits as in bench_languages: tune on AllSides and the Spanish corpus, report on the others.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import code_version  # noqa: E402
from bench_languages import CORPORA, ML, SITE_LINES, Corpus, records  # noqa: E402
from bench_normalize import machine_line  # noqa: E402

from cleaner.io.readers import source_name  # noqa: E402
from cleaner.normalize import clean_fields, select_rules  # noqa: E402
from cleaner.normalize.evidence import CorpusEvidence, Evidence  # noqa: E402

RULES = select_rules()
BY_SOURCE = re.compile(r"^recurs in \d+ of the [\d,]+ articles of ")
PLANT_SHARE = 0.8
SOURCE_SIZES = (4, 40)


CORPUS_LIST = [
    Corpus("allsides", "en", CORPORA / "allsides_news_37k.jsonl.gz", "tune", 3000),
    Corpus("es", "es", ML / "news_es.jsonl.gz", "tune"),
    Corpus("fakenews", "en", CORPORA / "fakenewscorpus_sample.jsonl", "report"),
    Corpus("syndication", "en", CORPORA / "syndication_provenance_scrapes_680.jsonl", "report", paragraph_sep=" ### "),
    Corpus("nl", "nl", ML / "news_nl.jsonl.gz", "report"),
    Corpus("pt", "pt", ML / "news_pt.jsonl.gz", "report"),
]


@dataclass(frozen=True)
class Article:
    id: str
    title: str | None
    text: str
    source: str


def load(c: Corpus) -> list[Article]:
    """The corpus's articles that name their source."""
    return [
        Article(str(r.get("id", i)), r.get("title") or None, text, source_name(r["source"]) or "")
        for i, (r, text) in enumerate(records(c))
        if isinstance(r.get("source"), str)
    ]


def evidence(c: Corpus, arts: list[Article], by_source: bool) -> Evidence:
    corpus = CorpusEvidence()
    for a in arts:
        corpus.observe(a.text, c.lang, source=a.source if by_source else None, title=a.title)
    return Evidence(corpus.pruned())


def clean(c: Corpus, a: Article, ev: Evidence, by_source: bool) -> tuple[str | None, str, tuple]:
    return clean_fields(a.title, a.text, RULES, c.lang, ev, source=a.source if by_source else None)


def part_real(corpora: list[Corpus], show: int) -> None:
    print("\n[1] real text: what source evidence removes beyond the corpus's")
    print(f"  {'corpus':<12} {'lang':<4} {'split':<6} {'articles':>8} {'sources':>7} {'changed':>8} {'lines':>6}")
    listing: list[str] = []
    for c in corpora:
        arts = load(c)
        plain, sourced = evidence(c, arts, False), evidence(c, arts, True)
        changed = 0
        lines: Counter[tuple[str, str]] = Counter()
        for a in arts:
            before, after = clean(c, a, plain, False), clean(c, a, sourced, True)
            changed += before[:2] != after[:2]
            gone = {e.before.strip() for e in before[2] if e.action == "removed"}
            for e in after[2]:
                line = e.before.strip()
                if e.action == "removed" and BY_SOURCE.match(e.evidence or "") and line not in gone:
                    lines[a.source, line] += 1
        sources = len({a.source for a in arts})
        print(f"  {c.name:<12} {c.lang:<4} {c.split:<6} {len(arts):8,} {sources:7,} {changed:8,} {len(lines):6,}")
        for (source, line), n in lines.most_common(show):
            listing.append(f"  {c.name:<12} {n:4}x  [{source[:24]}] {line[:90]!r}")
    print("\n  lines removed only by source evidence (articles, [source], line):")
    print("\n".join(listing) or "  (none)")


def part_planted(corpora: list[Corpus], seed: int) -> None:
    lo, hi = SOURCE_SIZES
    print(
        f"\n[2] planted: a source's own site line in {PLANT_SHARE:.0%} of its articles (sources of {lo}-{hi} articles)"
    )
    print(
        f"  {'corpus':<12} {'lang':<4} {'split':<6} {'sources':>7} {'planted':>7}"
        f" {'fixed, by source':>16} {'fixed, corpus only':>18} {'controls kept':>13}"
    )
    for c in corpora:
        arts = load(c)
        sourced = evidence(c, arts, True)
        by: dict[str, list[Article]] = defaultdict(list)
        for a in arts:
            by[a.source].append(a)
        chosen = sorted(s for s, v in by.items() if lo <= len(v) <= hi)
        rng = random.Random(f"{seed}:{c.name}")
        # Bases: each article as the cleaner gives it back, and unchanged when cleaned again.
        bases: dict[str, Article] = {}
        for s in chosen:
            for a in by[s]:
                title, text, _ = clean(c, a, sourced, True)
                base = Article(a.id, title, text, a.source)
                if text.strip() and clean(c, base, sourced, True)[1] == text:
                    bases[a.id] = base
        planted: dict[str, Article] = {}
        for s in chosen:
            line = f"{SITE_LINES.get(c.lang, SITE_LINES['en'])}: {s}"
            for a in by[s]:
                if a.id in bases and rng.random() < PLANT_SHARE:
                    planted[a.id] = _plant(bases[a.id], line, rng)
        corpus = [planted.get(a.id, bases.get(a.id, a)) for a in arts]
        with_source, without = evidence(c, corpus, True), evidence(c, corpus, False)
        fixed = sum(clean(c, p, with_source, True)[1] == bases[i].text for i, p in planted.items())
        fixed_plain = sum(clean(c, p, without, False)[1] == bases[i].text for i, p in planted.items())
        controls = [bases[i] for i in bases if i not in planted]
        kept = sum(clean(c, b, with_source, True)[1] == b.text for b in controls)
        n = max(len(planted), 1)
        print(
            f"  {c.name:<12} {c.lang:<4} {c.split:<6} {len(chosen):7} {len(planted):7}"
            f" {fixed / n:16.3f} {fixed_plain / n:18.3f} {kept / max(len(controls), 1):13.3f}"
        )


def _plant(a: Article, line: str, rng: random.Random) -> Article:
    """`line` as a paragraph of its own at a paragraph break or at the end, nothing else changed."""
    text = a.text
    body = len(text.rstrip())
    spots = [m.end() for m in re.finditer(r"\n\n", text[:body])] + [body]
    k = rng.choice(spots)
    if k == body:
        return Article(a.id, a.title, text[:body] + "\n\n" + line + text[body:], a.source)
    return Article(a.id, a.title, text[:k] + line + "\n\n" + text[k:], a.source)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", choices=["real", "planted", "all"], default="all")
    ap.add_argument("--show", type=int, default=15, help="lines listed per corpus (default 15)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--corpus", action="append", help="only these corpora (names as printed)")
    args = ap.parse_args()
    print(machine_line())
    print(code_version())
    corpora = [c for c in CORPUS_LIST if c.path.exists() and (not args.corpus or c.name in args.corpus)]
    if args.part in ("real", "all"):
        part_real(corpora, args.show)
    if args.part in ("planted", "all"):
        part_planted(corpora, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
