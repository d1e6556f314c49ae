"""Duplicate-finder speed benchmark on the same AllSides articles, against plain datasketch.

Parts (each measured run in its own fresh subprocess, so caches start cold and its peak RSS is its own):
  (a) baseline   a plain datasketch script: lowercased whitespace words, 5-gram shingles encoded
                 to UTF-8, MinHash(num_perm=128).update_batch per document, MinHashLSH(threshold=0.7)
                 insert + query, union-find (no verification, documents only)
  (b) document   find_duplicates(docs, DupOptions(levels=("document",)))  (paragraph candidates too)
  (c) all        find_duplicates(docs) with title, paragraph and document levels
  (d) kernel     cleaner.dedup.minhash.signatures over precomputed shingle-hash sets, against
                 datasketch MinHash.bulk over the same shingles with hashfunc=shingle_hash (as a user
                 would get identical values), and MinHash.bulk over the precomputed 32-bit hashes
                 with an identity hashfunc (datasketch's permutation kernel alone); values compared.
Then (b) and (c) once on all 37,554 articles, and per-stage profiles of (c) and (b).

    python bench/bench_dups_speed.py --command       # the whole command instead (_dups_command.py)

--command: `cleaner dups FILE.jsonl --format json` in a fresh process per run (start-up, reading,
finding, writing the report) for all levels, --levels document, --noisy and --noisy --levels
document, against the whole datasketch script (datasketch_dups.py, reading the same JSONL), in
turns, medians; then a phase breakdown of each variant with --jobs 1. Last measured (quiet,
load 0.9, median of 3, commit 71f27d2): datasketch 14.30 s; all levels 4.42 s (3.24x), document
2.94 s (4.87x), --noisy 8.35 s (1.71x), --noisy --levels document 6.51 s (2.20x).

Times exclude reading the corpus; loading is the first --limit records of
allsides_news_37k.jsonl.gz as Documents. Peak memory is VmHWM from /proc/self/status at the end of
the part; "above load" is the peak after resetting it (/proc/self/clear_refs 5) once the documents
were loaded, minus the RSS at that moment.

    python bench/bench_dups_speed.py                 # --limit 10000 --repeat 3, 40k growth, profile
    python bench/bench_dups_speed.py --repeat 1 --no-full --no-profile
    python bench/bench_dups_speed.py --jobs 2        # also (b) and (c) with 2 worker processes

The full default run takes about 3 minutes on 2 cores (each part's subprocess loads the corpus
first, ~5 s); --repeat 1 --no-full under 2.

Last measured (AMD EPYC, 2 cores, quiet; `python bench/bench_dups_speed.py --jobs 2`, medians of 3,
commit 3794e61): (a) 14.70 s; (b) 2.58 s, 5.70x; (c) 3.83 s, 3.84x; with --jobs 2 (the CLI's
default here), (b) 1.85 s, 7.94x and (c) 2.59 s, 5.68x. Profile of (c): MinHash 0.83 s of 3.73,
match form 0.61, word hashes 0.48, character samples 0.29, paragraph split 0.22, shingling 0.22.
Peak memory is the main process's; "worker MB" is the largest worker's peak (a forked worker's
pages shared with the main process count in both).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gzip
import io
import json
import math
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
ALLSIDES = ROOT / ".." / "shared" / "corpora" / "allsides_news_37k.jsonl.gz"
FULL = 37554
AIM_DOC, AIM_ALL, AIM_KERNEL = 5.0, 2.0, 5.0
LEVELS_ALL = ("title", "paragraph", "document")


# --- worker side ----------------------------------------------------------------------------------


def status(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def load(limit: int):
    from cleaner.model import Document, Origin

    docs = []
    with gzip.open(ALLSIDES, "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if len(docs) >= limit:
                break
            r = json.loads(line)
            docs.append(
                Document(str(r["id"]), r.get("title"), r.get("text") or "", Origin(str(ALLSIDES.name), n), record=r)
            )
    return docs


def baseline(texts: list[str]) -> int:
    from datasketch_dups import groups

    return len(groups(texts))


def worker(part: str, limit: int) -> dict:
    docs = load(limit)
    rss_loaded = status("VmRSS")
    res: dict = {"part": part, "n": len(docs)}
    if part == "kernel":
        return kernel(docs, res, rss_loaded)
    if part.startswith("profile"):  # "profile" (all levels) or "profile:document"
        return profile(docs, res, ("document",) if part.endswith(":document") else LEVELS_ALL)
    reset_ok = reset_peak()
    t0 = time.perf_counter()
    if part == "baseline":
        res["groups"] = baseline([d.text for d in docs])
    else:
        from cleaner.dedup import DupOptions, find_duplicates

        kind, _, jobs = part.partition(":")  # "document:2": with 2 worker processes
        opts = DupOptions(levels=("document",) if kind == "document" else LEVELS_ALL, jobs=int(jobs or 1))
        r = find_duplicates(docs, opts)
        res["clusters"] = r.stats["clusters"]
    res["seconds"] = time.perf_counter() - t0
    res["hwm_kb"] = status("VmHWM")
    res["above_load_kb"] = res["hwm_kb"] - rss_loaded if reset_ok else None
    # The largest worker process's peak (Linux: KB), pages it shares with this process included.
    res["worker_kb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return res


def kernel(docs, res: dict, rss_loaded: int) -> dict:
    import numpy as np
    from datasketch import MinHash

    from cleaner.dedup.matchform import tokens as words
    from cleaner.dedup.minhash import permutations, signatures
    from cleaner.dedup.reference import shingle_hash, shingle_tokens
    from cleaner.dedup.shingle import shingle_batch

    batch = shingle_batch([words(d.text) for d in docs], 5)
    tokens = [shingle_tokens(d.text, 5) for d in docs]
    hashes = [batch.hashes[batch.offsets[i] : batch.offsets[i + 1]].tolist() for i in range(len(batch))]
    perms = permutations(128, 1)
    res["shingles"] = int(len(batch.hashes))
    runs = {
        "ours": lambda: signatures(batch, perms),
        "ds_identity": lambda: MinHash.bulk(hashes, num_perm=128, seed=1, hashfunc=lambda h: h),
        "ds_hashfunc": lambda: MinHash.bulk(tokens, num_perm=128, seed=1, hashfunc=shingle_hash),
    }
    times: dict[str, list[float]] = {}
    peaks: dict[str, int | None] = {}
    outs = {}
    for name, fn in runs.items():
        rss0 = status("VmRSS")
        ok = reset_peak()
        times[name] = []
        for _ in range(3):
            outs[name] = None
            t0 = time.perf_counter()
            outs[name] = fn()
            times[name].append(time.perf_counter() - t0)
        peaks[name] = status("VmHWM") - rss0 if ok else None
    ours = outs["ours"]
    res["times"] = times
    res["peaks_kb"] = peaks
    res["equal_hashfunc"] = sum(bool(np.array_equal(ours[i], m.hashvalues)) for i, m in enumerate(outs["ds_hashfunc"]))
    res["equal_identity"] = sum(bool(np.array_equal(ours[i], m.hashvalues)) for i, m in enumerate(outs["ds_identity"]))
    res["hwm_kb"] = status("VmHWM")
    res["rss_loaded_kb"] = rss_loaded
    return res


STAGE_FUNCS = {
    "split_paragraphs": "paragraph split",
    "tokens": "tokens (match form)",
    "match_form": "title match form",
    "strip_site_suffix": "title match form",
    "shingle_batch": "shingling",
    "hash_paragraphs": "match form + word hashes (paragraphs, articles)",
    "hash_articles": "match form + word hashes (paragraphs, articles)",
    "folded": "match form (folded bytes)",
    "_hash_words": "word hashes",
    "noisy_flags": "noise estimate",
    "char_samples": "character samples (noise index)",
    "shingle_runs": "shingling",
    "_evidence": "identical-paragraph evidence (document level alone)",
    "with_band_keys": "LSH band keys",
    "signatures": "minhash signatures",
    "candidate_pairs": "LSH candidates",
    "candidate_codes": "LSH candidates",
    "key_pair_codes": "LSH candidates",
    "jaccard": "verify (jaccard/containment)",
    "containment": "verify (jaccard/containment)",
    "overlap": "verify (jaccard/containment)",
    "estimate_jaccard": "verify (jaccard/containment)",
    "cluster_table": "clustering (components, rep check)",
    "clusters_of": "Member objects",
}


@contextlib.contextmanager
def wrapped_steps():
    """While inside, the finder's steps (STAGE_FUNCS, as the modules that call them hold them)
    are wrapped; yields ({stage: exclusive seconds}, {stage: calls}), filled as they run."""
    import cleaner.dedup.finder as finder
    import cleaner.dedup.shingle as shingle
    import cleaner.dedup.stages as stages
    import cleaner.dedup.verify as verify
    import cleaner.engines.local as local

    totals: dict[str, float] = {}
    calls: dict[str, int] = {}
    stack: list[list[float]] = []  # [child time] per active wrapped call
    modules = (finder, stages, local, verify, shingle)
    originals = {(m, name): getattr(m, name) for m in modules for name in STAGE_FUNCS if hasattr(m, name)}

    def wrap(name, fn):
        stage = STAGE_FUNCS[name]

        def inner(*a, **k):
            stack.append([0.0])
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                el = time.perf_counter() - t0
                child = stack.pop()[0]
                totals[stage] = totals.get(stage, 0.0) + el - child
                calls[stage] = calls.get(stage, 0) + 1
                if stack:
                    stack[-1][0] += el

        return inner

    for (m, name), fn in originals.items():
        setattr(m, name, wrap(name, fn))
    try:
        yield totals, calls
    finally:
        for (m, name), fn in originals.items():
            setattr(m, name, fn)


def profile(docs, res: dict, levels: tuple[str, ...]) -> dict:
    """Per-stage exclusive times of find_duplicates (all levels) by wrapping the functions the
    finder calls, per-level times, and cProfile's top functions."""
    from cleaner.dedup import DupOptions, find_duplicates

    with wrapped_steps() as (totals, calls):
        t0 = time.perf_counter()
        r = find_duplicates(docs, DupOptions(levels=levels))
        res["wrapped_total"] = time.perf_counter() - t0
    res["stages"] = totals
    res["calls"] = calls
    res["stats"] = {k: v for k, v in r.stats.items() if k != "clusters"}

    if levels != LEVELS_ALL:  # cProfile tables for (c) only
        return res
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    find_duplicates(docs, DupOptions(levels=levels))
    prof.disable()
    res["profiled_total"] = time.perf_counter() - t0
    out = {}
    for key in ("tottime", "cumulative"):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key).print_stats(22)
        text = buf.getvalue()
        out[key] = text[text.find("   ncalls") :].rstrip()
    res["cprofile"] = out
    return res


# --- driver side ----------------------------------------------------------------------------------


def run(part: str, limit: int) -> dict:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--_worker", part, str(limit)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"worker {part} {limit} failed ({proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine() -> str:
    model = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            mem = f", {int(fh.readline().split()[1]) / 2**20:.0f} GiB RAM"
    except OSError:
        pass
    import datasketch
    import numpy

    return (
        f"machine: {model}, {os.cpu_count()} cores (affinity {len(os.sched_getaffinity(0))}){mem}; "
        f"Python {platform.python_version()}, numpy {numpy.__version__}, datasketch {datasketch.__version__}"
    )


def mb(kb) -> str:
    return "   n/a" if kb is None else f"{kb / 1024:6.0f}"


def print_profile(pr: dict, label: str, cprofile: bool) -> None:
    print()
    print(f"profile of {label} on {pr['n']} articles")
    print(f"  stages (exclusive time of the finder's calls, wrapped; run total {pr['wrapped_total']:.2f} s):")
    acc = 0.0
    for stage, secs in sorted(pr["stages"].items(), key=lambda kv: -kv[1]):
        acc += secs
        print(f"    {stage:38s} {secs:7.2f} s  {secs / pr['wrapped_total']:6.1%}  ({pr['calls'][stage]:,} calls)")
    rest = pr["wrapped_total"] - acc
    print(
        f"    {'rest of find_duplicates (pair sets, sorting, glue)':38s} {rest:7.2f} s  {rest / pr['wrapped_total']:6.1%}"
    )
    print("  stats: " + json.dumps(pr["stats"]))
    if not cprofile:
        return
    print(f"  cProfile (profiled run {pr['profiled_total']:.2f} s), top by tottime:")
    print("\n".join("    " + line for line in pr["cprofile"]["tottime"].splitlines()))
    print("  top by cumulative:")
    print("\n".join("    " + line for line in pr["cprofile"]["cumulative"].splitlines()))


def whole_command(args: argparse.Namespace) -> None:
    from _dups_command import VARIANTS, compare, phases

    started = time.perf_counter()
    print(machine())
    print(code_line())
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    compare(args.limit, args.repeat, [int(j) for j in args.command_jobs.split(",")])
    for extra in VARIANTS.values():
        print()
        phases(args.limit, extra)
    print()
    print(f"load average after: {os.getloadavg()[0]:.2f}; total {time.perf_counter() - started:.0f} s")


def code_line() -> str:
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "log", "-1", "--format=%h %s"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "cleaner"], capture_output=True, text=True).stdout.strip()
    return f"code: {head[:100]}{' (cleaner/ has uncommitted changes)' if dirty else ''}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-full", action="store_true", help="skip the 37,554-article runs")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="also run (b) and (c) with this many worker processes (the CLI's default is all cores); (b) and (c) themselves are always one process",
    )
    ap.add_argument(
        "--command",
        action="store_true",
        help="only the whole command (fresh process, JSONL in, JSON report out) against the whole datasketch"
        " script, then where its time goes",
    )
    ap.add_argument("--command-jobs", default="2", help="with --command: comma-separated --jobs values (default 2)")
    ap.add_argument("--_worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._worker:
        print(json.dumps(worker(args._worker[0], int(args._worker[1]))))
        return
    if args.command:
        whole_command(args)
        return

    started = time.perf_counter()
    print(machine())
    print(code_line())
    print(
        f"corpus: first {args.limit} records of {ALLSIDES.name}; median of {args.repeat} runs, each in a fresh subprocess; times exclude loading"
    )
    print()
    parts = ["baseline", "document", "all"] + ([f"document:{args.jobs}", f"all:{args.jobs}"] if args.jobs > 1 else [])
    runs: dict[str, list[dict]] = {p: [] for p in parts}
    for _ in range(args.repeat):
        for part in runs:
            runs[part].append(run(part, args.limit))
    med = {p: statistics.median(r["seconds"] for r in rs) for p, rs in runs.items()}
    base = med["baseline"]
    labels = {
        "baseline": "(a) datasketch baseline",
        "document": "(b) find_duplicates document",
        "all": "(c) find_duplicates all levels",
        f"document:{args.jobs}": f"(b) document, --jobs {args.jobs}",
        f"all:{args.jobs}": f"(c) all levels, --jobs {args.jobs}",
    }
    aims = {
        "baseline": None,
        "document": AIM_DOC,
        "all": AIM_ALL,
        f"document:{args.jobs}": AIM_DOC,
        f"all:{args.jobs}": AIM_ALL,
    }
    print(
        "part                              median s   runs (s)              speedup vs (a)   peak MB  above load MB  worker MB  result"
    )
    print("-" * 128)
    for p, rs in runs.items():
        speed = base / med[p]
        aim = "" if aims[p] is None else f" (aim >= {aims[p]:.0f}x {'ok' if speed >= aims[p] else 'MISS'})"
        result = f"{rs[0]['groups']} groups" if p == "baseline" else json.dumps(rs[0]["clusters"])
        hwm = max(r["hwm_kb"] for r in rs)
        above = max((r["above_load_kb"] or 0) for r in rs) if rs[0]["above_load_kb"] is not None else None
        times = ", ".join(f"{r['seconds']:.2f}" for r in rs)
        worker_peak = max(r["worker_kb"] for r in rs) or None
        print(
            f"{labels[p]:32s} {med[p]:9.2f}   {times:20s} {speed:7.2f}x{aim:18s} {mb(hwm)}  {mb(above):>10s}  {mb(worker_peak):>9s}     {result}"
        )

    k = run("kernel", args.limit)
    tk = {name: statistics.median(v) for name, v in k["times"].items()}
    print()
    pk = k["peaks_kb"]
    print(
        f"(d) signature kernel, {k['n']} documents, {k['shingles']:,} shingles, 128 permutations (median of 3, in one subprocess whose peak was {mb(k['hwm_kb']).strip()} MB with the precomputed shingles; 'peak +MB' = each method's peak above the RSS before it)"
    )
    print(
        f"    cleaner signatures(sets)                          {tk['ours']:8.3f} s   {', '.join(f'{x:.3f}' for x in k['times']['ours'])}   peak +{mb(pk['ours']).strip()} MB"
    )
    sp = tk["ds_hashfunc"] / tk["ours"]
    print(
        f"    datasketch MinHash.bulk, hashfunc=shingle_hash    {tk['ds_hashfunc']:8.3f} s   {', '.join(f'{x:.3f}' for x in k['times']['ds_hashfunc'])}   peak +{mb(pk['ds_hashfunc']).strip()} MB   ours {sp:5.2f}x faster (aim >= {AIM_KERNEL:.0f}x {'ok' if sp >= AIM_KERNEL else 'MISS'}); equal signatures {k['equal_hashfunc']}/{k['n']}"
    )
    sp = tk["ds_identity"] / tk["ours"]
    print(
        f"    datasketch MinHash.bulk, identity hashfunc        {tk['ds_identity']:8.3f} s   {', '.join(f'{x:.3f}' for x in k['times']['ds_identity'])}   peak +{mb(pk['ds_identity']).strip()} MB   ours {sp:5.2f}x faster (same 32-bit hashes: the permutation kernels alone); equal signatures {k['equal_identity']}/{k['n']}"
    )

    if not args.no_full:
        print()
        print(f"growth from {args.limit} to {FULL} articles (one run each at {FULL}):")
        for p in ("document", "all"):
            r = run(p, FULL)
            ratio = r["seconds"] / med[p]
            exp = math.log(ratio) / math.log(r["n"] / args.limit)
            print(
                f"    {labels[p]:32s} {med[p]:7.2f} s -> {r['seconds']:7.2f} s  ({ratio:.2f}x for {r['n'] / args.limit:.2f}x the articles, ~n^{exp:.2f});"
                f" peak {mb(r['hwm_kb']).strip()} MB ({mb(r['above_load_kb']).strip()} MB above load); {json.dumps(r['clusters'])}"
            )

    if not args.no_profile:
        for part, label in (("profile", "(c)"), ("profile:document", "(b)")):
            print_profile(run(part, args.limit), label, cprofile=part == "profile")
    print()
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
