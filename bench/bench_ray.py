"""The local engine's speed-up from 1 to N processes and the Ray engine's overhead against it,
on the same articles, in one run, with identical results checked.

    python bench/bench_ray.py [--limit 20000] [--clean-limit 2000] [--jobs 2] [--repeat 3]

Duplicate finder (all levels) on the first --limit AllSides articles: local --jobs 1, local
--jobs N, and the Ray engine on a local Ray instance with N CPUs that is already running (as on a
cluster); then the normalizer (all rules, nothing written) on the first --clean-limit articles,
local --jobs N against Ray tasks. The configurations run in turns, so that load from other
processes on a shared machine falls on all alike. Ray's start-up is timed apart: `cleaner ... --engine ray`
without --address pays it once per command.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from _common import ROOT, allsides_documents, code_version, cpu_model, interleaved_medians, usable_cores, write_allsides_head

sys.path.insert(0, str(ROOT))

from cleaner.dedup import DupOptions, find_duplicates  # noqa: E402
from cleaner.normalize import select_rules  # noqa: E402
from cleaner.pipeline import CleanJob, run_clean  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=20000)
    ap.add_argument("--clean-limit", type=int, default=2000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    from cleaner.engines.ray import RayEngine, RaySession

    print(f"machine: {cpu_model()}, {usable_cores()} usable cores, load average {os.getloadavg()[0]:.2f}; {code_version()}; ray {ray.__version__}")
    docs = allsides_documents(args.limit)
    n = args.jobs

    def report(result):  # type: ignore[no-untyped-def]
        stats = {k: v for k, v in result.stats.items() if k != "seconds"}
        return [c.to_dict() for c in result.clusters], stats

    started = time.perf_counter()
    ray.init(num_cpus=n, include_dashboard=False, log_to_driver=False)
    startup = time.perf_counter() - started
    try:
        with RaySession():
            print(f"duplicate finder, all levels, {len(docs):,} AllSides articles, median of {args.repeat}, the three run in turns")
            t, r = interleaved_medians(
                {
                    "local1": lambda: report(find_duplicates(docs, DupOptions(jobs=1))),
                    "localn": lambda: report(find_duplicates(docs, DupOptions(jobs=n))),
                    "ray": lambda: report(find_duplicates(docs, DupOptions(), RayEngine())),
                },
                args.repeat,
            )
            t1, tn, tr = t["local1"], t["localn"], t["ray"]
            print(f"  local jobs=1 {t1:6.2f} s   local jobs={n} {tn:6.2f} s   speed-up {t1 / tn:.2f}x   identical clusters and stats: {r['local1'] == r['localn']}")
            print(f"  ray ({n} CPUs) {tr:6.2f} s   = {tr / tn:.2f}x the time of local jobs={n}   identical clusters and stats: {r['ray'] == r['localn']}")
            print(f"  ray start-up (ray.init, {n} CPUs): {startup:.2f} s, paid once per command without --address")
            tmp = write_allsides_head(Path("/tmp/cleaner-bench-ray.jsonl"), args.clean_limit)

            def clean(engine: str):  # type: ignore[no-untyped-def]
                edits: list = []  # type: ignore[type-arg]
                run_clean(CleanJob(paths=[tmp], rules=select_rules(), jobs=n, engine=engine), on_result=lambda r: edits.append(r.edits))
                return edits

            print(f"normalizer (run_clean, all rules, nothing written), {args.clean_limit:,} articles, median of {args.repeat}, in turns")
            t, e = interleaved_medians({"local": lambda: clean("local"), "ray": lambda: clean("ray")}, args.repeat)
            tl, el, tc, ec = t["local"], e["local"], t["ray"], e["ray"]
            print(f"  local jobs={n} {tl:6.2f} s   ray ({n} CPUs) {tc:6.2f} s   = {tc / tl:.2f}x   identical edits: {el == ec}")
            tmp.unlink()
            print(f"load average at the end: {os.getloadavg()[0]:.2f} (this benchmark alone keeps it near {n}; more means other processes shared the cores)")
    finally:
        ray.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
