"""Incremental check benchmark: `cleaner check` on 100 new articles against an index of the
AllSides corpus, at two index sizes, wall time including start-up.

Set-up per size N (10,000 and 37,554): the first N AllSides articles as JSONL shards of 1,000
records in a git repository (committed), `cleaner index build` over it; 100 new articles as .txt
files, staged (90 BBC articles and 10 AllSides articles re-headlined, so the duplicate path runs
with real candidates). Then, each as a fresh process, median of --repeat runs:
  check      cleaner check new/*.txt          (index: sync with git, then check)
  no-index   cleaner check --no-index new/*   (the same check without the corpus: the floor)
  startup    cleaner --version                (interpreter + imports)
and once, the non-incremental alternative: `cleaner dups` over corpus + new (all three levels).
Finally the 100 new articles are committed and `cleaner index update` takes them in: its time,
and how much of the index file changed (4 KiB pages that differ).

    python bench/bench_check.py                     # sizes 10000 and 37554, --repeat 5
    python bench/bench_check.py --sizes 2000 --repeat 3
    python bench/bench_check.py --limit 3000 --size-only   # bytes per article, no timings

Each size also prints the index's bytes per article (file size / articles indexed) and where
the bytes go (SQLite's dbstat, per table and index): a size figure, not a timing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, code_version, cpu_model, usable_cores  # noqa: E402

SHARED = ROOT / ".." / "shared" / "corpora"
ALLSIDES = SHARED / "allsides_news_37k.jsonl.gz"
BBC = SHARED / "bbc_fulltext_2225.jsonl"
CLEANER = [sys.executable, "-m", "cleaner.cli"]


def sh(cmd: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if check and done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done


def timed(cmd: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    t = time.perf_counter()
    done = sh(cmd, cwd)
    return time.perf_counter() - t, done


def median_of(cmd: list[str], cwd: Path, repeat: int) -> tuple[float, subprocess.CompletedProcess[str]]:
    runs = [timed(cmd, cwd) for _ in range(repeat)]
    return statistics.median(t for t, _ in runs), runs[-1][1]


def set_up(work: Path, records: list[dict], bbc: list[dict]) -> list[str]:
    corpus = work / "corpus"
    corpus.mkdir(parents=True)
    for k in range(0, len(records), 1000):
        with open(corpus / f"allsides_{k // 1000:03d}.jsonl", "w", encoding="utf-8") as fh:
            for r in records[k : k + 1000]:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    (work / ".gitignore").write_text(".cleaner/\n")
    for args in (
        ["init", "-q"],
        ["add", "."],
        ["-c", "user.name=b", "-c", "user.email=b@example.org", "commit", "-qm", "corpus"],
    ):
        sh(["git", *args], work)
    new = work / "new"
    new.mkdir()
    names = []
    for k, r in enumerate(bbc[:90]):
        names.append(f"new/bbc_{k:03d}.txt")
        (work / names[-1]).write_text(f"{r['title']}\n\n{r['text']}\n", encoding="utf-8")
    for k in range(10):
        r = records[(k * 997) % len(records)]
        names.append(f"new/copy_{k:03d}.txt")
        (work / names[-1]).write_text(f"Re-headlined: {r['title']}\n\n{r['text']}\n", encoding="utf-8")
    sh(["git", "add", "new"], work)
    return names


def index_bytes(index: Path, articles: int) -> tuple[int, str]:
    """The index's bytes (its SQLite file and the band files beside it), and per article: in all
    and per table and index (SQLite's dbstat) or file, the larger ones."""
    conn = sqlite3.connect(f"file:{index}?mode=ro", uri=True)
    try:
        parts = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
    finally:
        conn.close()
    parts += [(f"file {p.name[len(index.name) + 1 :]}", p.stat().st_size) for p in index.parent.glob(f"{index.name}.*")]
    total = index.stat().st_size + sum(p.stat().st_size for p in index.parent.glob(f"{index.name}.*"))
    big = sorted(((size, name) for name, size in parts if size >= 0.005 * total), reverse=True)
    shares = ", ".join(f"{name} {size / articles:,.0f}" for size, name in big)
    return total, f"{total / articles:,.0f} bytes per article ({total:,} bytes / {articles:,} articles; {shares})"


def changed_pages(a: bytes, b: bytes, page: int = 4096) -> tuple[int, int]:
    total = max(len(a), len(b)) // page + 1
    differ = sum(1 for k in range(total) if a[k * page : (k + 1) * page] != b[k * page : (k + 1) * page])
    return differ, total


def run_size(
    n: int, records: list[dict], bbc: list[dict], repeat: int, with_dups: bool, size_only: bool = False
) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix=f"bench-check-{n}-"))
    try:
        names = set_up(work, records[:n], bbc)
        t_build, _ = timed([*CLEANER, "index", "build", "corpus"], work)
        index = work / ".cleaner" / "index"
        status = json.loads(sh([*CLEANER, "index", "status", "--format", "json"], work).stdout)
        size, said = index_bytes(index, status["records"])
        print(f"\n== index of {n:,} AllSides articles: {said}")
        if size_only:
            return {"bytes": size / status["records"]}
        t_check, done = median_of([*CLEANER, "check", *names], work, repeat)
        findings = len(done.stdout.splitlines())
        kinds = sorted({line.split(": ")[1] if ": " in line else repr(line) for line in done.stdout.splitlines()})
        t_floor, _ = median_of([*CLEANER, "check", "--no-index", *names], work, repeat)
        t_start, _ = median_of([*CLEANER, "--version"], work, repeat)
        t_dups = float("nan")
        if with_dups:
            t_dups, _ = timed([*CLEANER, "dups", "corpus", "new", "--format", "json", "--exit-zero"], work)
        before = index.read_bytes()
        sh(["git", "-c", "user.name=b", "-c", "user.email=b@example.org", "commit", "-qm", "new", "--no-verify"], work)
        t_update, _ = timed([*CLEANER, "index", "update", "corpus", "new"], work)
        differ, pages = changed_pages(before, index.read_bytes())
        print(
            f"  ({status['items']['paragraph']:,} paragraphs, {status['band_rows']:,} band rows, "
            f"{size / 2**20:.0f} MiB)"
        )
        print(f"  index build (once)                      {t_build:8.2f} s")
        print(f"  check 100 new articles, with the index  {t_check:8.2f} s   ({findings} findings: {', '.join(kinds)})")
        print(
            f"  the same check without the index        {t_floor:8.2f} s   -> the index adds {t_check - t_floor:+.2f} s"
        )
        print(f"  start-up alone (cleaner --version)      {t_start:8.2f} s")
        if with_dups:
            print(
                f"  cleaner dups over corpus + new (once)   {t_dups:8.2f} s   "
                f"-> check is {t_dups / t_check:.0f}x faster"
            )
        print(
            f"  index update with the 100 committed     {t_update:8.2f} s   "
            f"({differ:,} of {pages:,} pages changed, {differ / pages:.1%})"
        )
        return {"check": t_check, "floor": t_floor, "update": t_update, "changed": differ / pages}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,37554")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--limit", type=int, help="use only the first N AllSides articles (caps --sizes)")
    ap.add_argument("--size-only", action="store_true", help="build the index and print its size, no timings")
    ap.add_argument("--no-dups", action="store_true", help="skip the full `cleaner dups` comparison")
    args = ap.parse_args()
    if not ALLSIDES.exists() or not BBC.exists():
        raise SystemExit(f"needs {ALLSIDES} and {BBC}")
    print(f"{cpu_model()}, {usable_cores()} cores, Python {platform.python_version()}; {code_version()}")
    print(f"median of {args.repeat} runs, each a fresh process, wall time including start-up")
    with gzip.open(ALLSIDES, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for _, line in zip(range(args.limit or sys.maxsize), fh, strict=False)]
    with open(BBC, encoding="utf-8") as fh:
        bbc = [json.loads(line) for line in fh]
    results = {}
    for n in sorted({min(int(s), len(records)) for s in args.sizes.split(",")}):
        results[n] = run_size(n, records, bbc, args.repeat, not args.no_dups, args.size_only)
    if len(results) > 1 and not args.size_only:
        small, large = min(results), max(results)
        print(
            f"\ncheck time at {large:,} / at {small:,}: {results[large]['check'] / results[small]['check']:.2f}x "
            f"(index {large / small:.1f}x larger)"
        )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
