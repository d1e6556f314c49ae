"""The local engine's speed-up from 1 to N worker processes, with identical results.

    python bench/bench_jobs.py [--limit 20000] [--clean-limit 5000] [--jobs 2]

Duplicate finder (all levels, and `--levels document`) on the first --limit AllSides articles,
and the normalizer (`run_clean`, all rules, no output) on the first --clean-limit; medians of 3,
each configuration checked to give the same clusters / edits as with one process.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _common import ROOT, allsides_documents, code_version, cpu_model, median_time, usable_cores, write_allsides_head

sys.path.insert(0, str(ROOT))

from cleaner.dedup import DupOptions, find_duplicates  # noqa: E402
from cleaner.jobs.clean import CleanJob, run_clean  # noqa: E402
from cleaner.normalize import select_rules  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=20000)
    ap.add_argument("--clean-limit", type=int, default=5000)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    print(f"machine: {cpu_model()}, {usable_cores()} usable cores; {code_version()}")
    docs = allsides_documents(args.limit)
    print(f"duplicate finder, {len(docs):,} AllSides articles, median of 3")
    for levels in (("document",), ("title", "paragraph", "document")):
        t1, r1 = median_time(lambda levels=levels: find_duplicates(docs, DupOptions(levels=levels, jobs=1)))
        tn, rn = median_time(lambda levels=levels: find_duplicates(docs, DupOptions(levels=levels, jobs=args.jobs)))
        same = [c.to_dict() for c in r1.clusters] == [c.to_dict() for c in rn.clusters]
        print(
            f"  {','.join(levels):28s} jobs=1 {t1:6.2f} s   jobs={args.jobs} "
            f"{tn:6.2f} s   speed-up {t1 / tn:.2f}x   identical clusters: {same}"
        )
    tmp = write_allsides_head(Path("/tmp/cleaner-bench-jobs.jsonl"), args.clean_limit)
    print(f"normalizer (run_clean, all rules, nothing written), {args.clean_limit:,} articles, median of 3")

    def clean(jobs: int):
        edits = []
        run_clean(CleanJob(paths=[tmp], rules=select_rules(), jobs=jobs), on_result=lambda r: edits.append(r.edits))
        return edits

    t1, e1 = median_time(lambda: clean(1))
    tn, en = median_time(lambda: clean(args.jobs))
    print(
        f"  {'clean':28s} jobs=1 {t1:6.2f} s   jobs={args.jobs} {tn:6.2f} s   "
        f"speed-up {t1 / tn:.2f}x   identical edits: {e1 == en}"
    )
    tmp.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
