"""The duplicate finder at corpus scale: memory, time and recall as the corpus grows.

    flock /work/notes/bench.lock python bench/bench_scale.py                    # 100k 300k 1M
    flock /work/notes/bench.lock python bench/bench_scale.py --sizes 20000 50000
    python bench/bench_scale.py --sizes 20000 --checkout /work/main            # another checkout
    python bench/bench_scale.py --sizes 100000 --reports /tmp/r   # keep the reports to compare

Articles are synthetic but made of real text: sentences of the AllSides corpus
(../shared/corpora/allsides_news_37k.jsonl.gz) drawn at random into paragraphs of 2 to 4
sentences, 10 to 24 paragraphs an article (about 6.7 KB, as AllSides' own), under a headline
made of the first half of one AllSides title and the second half of another. About 3% of the
articles are planted near-copies of an earlier article: cut after 60-100% of its paragraphs,
under a new headline, with 3 words changed. The corpus depends only on its size and --seed
(byte for byte), and is kept in --data for the next run.

Each size runs `cleaner dups FILE --format json` in a fresh process (the code of --checkout
first on PYTHONPATH) with all levels and with `--levels document`, and prints its wall time,
its peak memory (PSS summed over the process and all its descendants, sampled every 0.1 s),
bytes per article, the planted copies found in a document cluster with their original (recall),
the candidates and verified pairs per level (the work, which need not grow as the articles do),
and the members of document clusters that are no copy of their cluster's representative nor
its original (wrong links; a chance near-copy among random sentences would count here). Ratios
are against the smallest size of the same run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ALLSIDES, ROOT, code_version, machine, run_sampled  # noqa: E402

COPY_SHARE = 0.03
CHANGED_WORDS = 3
VARIANTS = {"all levels": [], "document": ["--levels", "document"]}
_SENTENCE_END = re.compile(r"(?<=[.!?])[”\"]?\s+(?=[A-Z“\"])")


@dataclass(frozen=True)
class Pools:
    sentences: list[str]
    titles: list[str]


def pools() -> Pools:
    """Distinct sentences (40 to 300 characters) and titles of AllSides, in corpus order."""
    sentences: dict[str, None] = {}
    titles: dict[str, None] = {}
    with gzip.open(ALLSIDES, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if (r.get("title") or "").count(" ") >= 3:
                titles[r["title"].strip()] = None
            for paragraph in (r.get("text") or "").split("\n"):
                for s in _SENTENCE_END.split(paragraph.strip()):
                    if 40 <= len(s) <= 300:
                        sentences[s] = None
    return Pools(list(sentences), list(titles))


def _headline(p: Pools, rng: np.random.Generator) -> str:
    a, b = (p.titles[k].split(" ") for k in rng.integers(0, len(p.titles), 2))
    return " ".join(a[: len(a) // 2] + b[len(b) // 2 :])


def _article(p: Pools, rng: np.random.Generator) -> list[str]:
    sizes = rng.integers(2, 5, int(rng.integers(10, 25)))
    picks = rng.integers(0, len(p.sentences), int(sizes.sum())).tolist()
    out, at = [], 0
    for size in sizes.tolist():
        out.append(" ".join(p.sentences[k] for k in picks[at : at + size]))
        at += size
    return out


def _copy(paragraphs: list[str], rng: np.random.Generator) -> list[str]:
    """Cut after 60-100% of the paragraphs, then `CHANGED_WORDS` words changed."""
    kept = [p.split(" ") for p in paragraphs[: max(1, int(np.ceil(len(paragraphs) * rng.uniform(0.6, 1.0))))]]
    for _ in range(CHANGED_WORDS):
        words = kept[int(rng.integers(0, len(kept)))]
        words[int(rng.integers(0, len(words)))] = ["however", "reportedly", "officials", "Tuesday"][
            int(rng.integers(0, 4))
        ]
    return [" ".join(w) for w in kept]


def generate(n: int, seed: int, path: Path, p: Pools) -> dict[int, int]:
    """Write n articles to `path` (JSONL: id, title, text); return planted copy -> original."""
    rng = np.random.default_rng(seed)
    copies: dict[int, int] = {}
    originals: list[tuple[int, list[str]]] = []  # recent ones only: memory stays flat
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as out:
        for i in range(n):
            if originals and rng.random() < COPY_SHARE:
                k, source = originals[int(rng.integers(0, len(originals)))]
                paragraphs = _copy(source, rng)
                copies[i] = k
            else:
                paragraphs = _article(p, rng)
                originals.append((i, paragraphs))
                if len(originals) > 10_000:
                    del originals[:5000]
            record = {"id": f"a{i}", "title": _headline(p, rng), "text": "\n\n".join(paragraphs)}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    tmp.rename(path)
    return copies


def corpus(n: int, seed: int, data: Path, p: Pools | None) -> tuple[Path, dict[int, int], Pools | None]:
    path = data / f"scale-{n}-seed{seed}.jsonl"
    truth = path.with_suffix(".copies.json")
    if not (path.exists() and truth.exists()):
        p = p or pools()
        copies = generate(n, seed, path, p)
        truth.write_text(json.dumps(sorted(copies.items())))
    return path, {int(c): int(o) for c, o in json.loads(truth.read_text())}, p


def score(report: dict, copies: dict[int, int]) -> tuple[int, int]:  # type: ignore[type-arg]
    """Planted copies in one document cluster with their original, and wrong links: members
    that are neither the representative's original nor a copy of it."""
    cluster_of: dict[int, int] = {}
    wrong = 0
    for c in report["clusters"]:
        if c["kind"] == "document":
            members = [int(m["doc"][1:]) for m in c["members"]]
            rep = members[c["representative"]]
            wrong += sum(1 for m in members if copies.get(m, m) != copies.get(rep, rep))
            cluster_of.update((m, c["id"]) for m in members)
    found = sum(1 for c, o in copies.items() if c in cluster_of and cluster_of[c] == cluster_of.get(o))
    return found, wrong


def work(stats: dict) -> str:  # type: ignore[type-arg]
    """Candidates and verified pairs per level: how much of the time is the corpus's own
    growth (titles drawn from a fixed pool of halves collide more often as the corpus grows)."""
    levels = [k for k in ("title", "paragraph", "document") if f"{k}_candidates" in stats]
    parts = [f"{k} {stats[f'{k}_candidates']:,} candidates, {stats.get(f'{k}_pairs', 0):,} pairs" for k in levels]
    if "noisy_candidates" in stats:
        parts.append(f"noisy {stats['noisy_candidates']:,} candidates")
    return "; ".join(parts)


def measure(checkout: Path, path: Path, extra: list[str], out: Path) -> tuple[int, float, int]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    env.pop("RAY_ADDRESS", None)
    cmd = [sys.executable, "-m", "cleaner.cli", "dups", str(path), "--format", "json", "--exit-zero", *extra]
    with out.open("wb") as fh:
        return run_sampled(cmd, env, fh)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the cleaner to run (default: this one)")
    parser.add_argument("--data", type=Path, default=Path("/tmp/bench-scale"), help="where corpora are kept")
    parser.add_argument("--only", choices=list(VARIANTS), help="one variant only")
    parser.add_argument("--extra", default="", help="more options for cleaner dups, space-separated")
    parser.add_argument(
        "--reports",
        type=Path,
        help="keep each JSON report here, without stats.seconds (compare two checkouts' with cmp)",
    )
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}; checkout {args.checkout.resolve()}, {code_version(args.checkout.resolve())}")
    p = None
    base: dict[str, tuple[int, float, int]] = {}
    for n in sorted(args.sizes):
        path, copies, p = corpus(n, args.seed, args.data, p)
        size_mb = path.stat().st_size / 1e6
        for name, extra in VARIANTS.items():
            if args.only and name != args.only:
                continue
            report_path = args.data / f"report-{n}-{name.replace(' ', '-')}.json"
            code, wall, peak = measure(args.checkout.resolve(), path, extra + args.extra.split(), report_path)
            if code not in (0, 1):
                print(f"{n:>9,} {name:<10} failed: exit {code}")
                continue
            try:
                report = json.loads(report_path.read_text())
                found, wrong = score(report, copies)
            except ValueError:  # exit 0 or 1 yet no report: say so rather than stop the run
                print(f"{n:>9,} {name:<10} exit {code} without a JSON report ({report_path.stat().st_size} bytes)")
                continue
            n0, w0, p0 = base.setdefault(name, (n, wall, peak))
            print(
                f"{n:>9,} {name:<10} ({size_mb:,.0f} MB) {wall:8.1f} s  peak {peak / 2**30:6.2f} GiB"
                f"  {peak / n / 1e3:6.1f} KB/article  copies found {found:,}/{len(copies):,}  wrong links {wrong}"
                f"  | x{n / n0:.1f} articles: time x{wall / w0:.2f}, peak x{peak / p0:.2f}"
            )
            print(f"{'':>10} the work: {work(report['stats'])}")
            sys.stdout.flush()
            if args.reports is not None:
                report["stats"].pop("seconds", None)
                args.reports.mkdir(parents=True, exist_ok=True)
                (args.reports / report_path.name).write_text(json.dumps(report, sort_keys=True))
            report_path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
