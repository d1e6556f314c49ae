"""The local engine's speed-up from 1 to N processes and the Ray engine's overhead against it,
on the same articles, in one run, with identical results checked.

    python bench/bench_ray.py [--limit 20000] [--clean-limit 2000] [--jobs 2] [--repeat 3] [--no-ray]
    python bench/bench_ray.py --driver-only --driver-sizes 50000 150000      # the driver's memory

Duplicate finder (all levels) on the first --limit AllSides articles (a plain JSONL file, the
whole job from reading to the report): local --jobs 1 against
local --jobs N with no Ray running; then local --jobs N against the Ray engine as a driver
connected to a running local Ray instance with N CPUs (as on a cluster, `--address`; its times
include connecting); then the normalizer (all rules, nothing written) on the first
--clean-limit articles, local --jobs N against Ray tasks. Every run is a fresh process, as a
command is (in one process, the word-hash cache left warm by one configuration would speed up
the next), the configurations run in turns so that load from other processes on a shared
machine falls on all alike, and times include reading the input. Ray's start-up is timed
apart: `cleaner ... --engine ray` without --address pays it once per command. With
--driver-sizes, `cleaner dups --engine ray --address A` on synthetic corpora of those sizes
(`bench_scale.py`'s generator): the driver's peak PSS, apart from the cluster's processes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from _common import ROOT, code_version, cpu_model, run_sampled, tree_pss, usable_cores, write_allsides_head

sys.path.insert(0, str(ROOT))

TMP = Path("/tmp/cleaner-bench-ray.jsonl")


def dups_input(limit: int) -> Path:
    """The first `limit` AllSides articles as a plain JSONL file (kept for the next runs)."""
    path = Path(f"/tmp/cleaner-bench-ray-dups-{limit}.jsonl")
    if not path.exists():
        write_allsides_head(path.with_suffix(".part"), limit).rename(path)
    return path


class _TreePeak(threading.Thread):
    """The peak PSS of this process's whole tree while in use: the local cluster this script
    started (raylet, object store, workers) and the command's own process."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak, self._done = 0, threading.Event()

    def run(self) -> None:
        while not self._done.wait(2.0):  # reading the smaps of big workers costs CPU: seldom
            self.peak = max(self.peak, tree_pss(os.getpid()))

    def __enter__(self) -> _TreePeak:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self.join()


def driver_peaks(sizes: list[int], address: str, data: Path) -> None:
    """`cleaner dups --engine ray --address A` on bench_scale's synthetic corpora: the driver's
    peak PSS (the command's own process tree; the cluster's processes are not its children),
    its wall time and the planted copies found."""
    import bench_scale

    pools = None
    data.mkdir(parents=True, exist_ok=True)
    first = None
    for n in sorted(sizes):
        path, copies, pools = bench_scale.corpus(n, 1, data, pools)
        out = data / f"ray-report-{n}.json"
        cmd = [sys.executable, "-m", "cleaner.cli", "dups", str(path), "--format", "json", "--exit-zero"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with out.open("wb") as fh, _TreePeak() as everything:
            code, wall, peak = run_sampled([*cmd, "--engine", "ray", "--address", address], env, fh)
        text = out.read_text()
        if code not in (0, 1) or not text.strip():
            print(f"  {n:>9,} articles: exit {code} after {wall:.1f} s, no report (its stderr is above)")
            out.unlink()
            continue
        found, wrong = bench_scale.score(json.loads(text), copies)
        out.unlink()
        first = first or (n, peak)
        print(
            f"  {n:>9,} articles ({path.stat().st_size / 1e6:,.0f} MB): exit {code}, {wall:7.1f} s, driver peak "
            f"{peak / 2**20:7.1f} MiB (x{peak / first[1]:.2f} for x{n / first[0]:.1f} articles), "
            f"cluster and driver together {everything.peak / 2**30:.2f} GiB, "
            f"copies found {found:,}/{len(copies):,}, wrong links {wrong}"
        )
        sys.stdout.flush()


def run_one(kind: str, engine: str, jobs: int, limit: int, address: str | None) -> dict:  # type: ignore[type-arg]
    """One timed run in this (fresh) process: its seconds and a digest of its result."""
    if kind == "dups":
        from cleaner.dedup import DupOptions
        from cleaner.jobs.dups import DupsJob, run_dups
        from cleaner.report import dups as report

        # The whole job, reading included: the Ray engine's workers read the file themselves.
        t = time.perf_counter()
        run = run_dups(DupsJob([dups_input(limit)], DupOptions(jobs=jobs), engine=engine, address=address))
        seconds = time.perf_counter() - t
        run.stats.pop("seconds")
        payload = "".join(report.json_chunks(run.clusters, run.stats, run.removals))
    else:
        from cleaner.jobs.clean import CleanJob, run_clean
        from cleaner.normalize import select_rules

        edits: list = []  # type: ignore[type-arg]
        t = time.perf_counter()
        run_clean(
            CleanJob(paths=[TMP], rules=select_rules(), jobs=jobs, engine=engine, address=address),
            on_result=lambda r: edits.append([e.to_dict() for e in r.edits]),
        )
        seconds = time.perf_counter() - t
        payload = json.dumps(edits, sort_keys=True)
    return {"seconds": seconds, "digest": hashlib.sha256(payload.encode()).hexdigest()[:16]}


def in_turns(configs: dict, repeat: int) -> dict:  # type: ignore[type-arg]
    """Median seconds and the set of result digests of each configuration, each run a fresh
    process, the configurations in turns."""
    runs: dict = {name: [] for name in configs}  # type: ignore[type-arg]
    for _ in range(repeat):
        for name, argv in configs.items():
            p = subprocess.run(
                [sys.executable, __file__, "--_run", *argv],
                capture_output=True,
                text=True,
                env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"},
            )
            if p.returncode != 0:
                raise SystemExit(
                    f"{name} failed: {p.stderr.strip().splitlines()[-1] if p.stderr.strip() else p.returncode}"
                )
            runs[name].append(json.loads(p.stdout.strip().splitlines()[-1]))
    return {
        name: (statistics.median(r["seconds"] for r in rs), {r["digest"] for r in rs}, sorted(r["seconds"] for r in rs))
        for name, rs in runs.items()
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=20000)
    ap.add_argument("--clean-limit", type=int, default=2000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-ray", action="store_true", help="the local speed-up only (Ray need not be installed)")
    ap.add_argument(
        "--driver-sizes", type=int, nargs="*", default=[], help="synthetic corpus sizes for the driver's peak"
    )
    ap.add_argument("--driver-only", action="store_true", help="only the driver's peak memory at --driver-sizes")
    ap.add_argument("--data", type=Path, default=Path("/tmp/bench-scale"), help="where bench_scale keeps its corpora")
    ap.add_argument("--_run", nargs=5, metavar=("KIND", "ENGINE", "JOBS", "LIMIT", "ADDRESS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._run:
        kind, engine, jobs, limit, address = args._run
        print(json.dumps(run_one(kind, engine, int(jobs), int(limit), None if address == "-" else address)))
        return 0
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    n = args.jobs
    print(
        f"machine: {cpu_model()}, {usable_cores()} usable cores, "
        f"load average {os.getloadavg()[0]:.2f}; {code_version()}"
    )
    if args.driver_only:
        import ray

        context = ray.init(num_cpus=n, include_dashboard=False, log_to_driver=False)
        try:
            print(f"ray {ray.__version__}; Ray engine's driver, all levels, synthetic articles (bench_scale)")
            driver_peaks(args.driver_sizes, context.address_info["gcs_address"], args.data)
        finally:
            ray.shutdown()
        return 0
    lim = str(args.limit)
    # The local speed-up before Ray starts: an idle Ray instance still wakes up (GCS, raylet)
    # and takes a few percent of the cores, more of a run that uses both.
    print(
        f"duplicate finder, all levels, {args.limit:,} AllSides articles; "
        f"median of {args.repeat}, each run a fresh process, in turns"
    )
    m = in_turns(
        {"local1": ["dups", "local", "1", lim, "-"], "localn": ["dups", "local", str(n), lim, "-"]}, args.repeat
    )
    (t1, d1, r1), (tn, dn, rn) = m["local1"], m["localn"]
    print(
        f"  no Ray running:  local jobs=1 {t1:6.2f} s   local jobs={n} {tn:6.2f} s   "
        f"speed-up {t1 / tn:.2f}x   identical clusters and stats: {len(d1 | dn) == 1}"
    )
    print(
        f"    runs: jobs=1 {', '.join(f'{x:.2f}' for x in r1)}; jobs={n} "
        f"{', '.join(f'{x:.2f}' for x in rn)}; speed-up of the slowest jobs=1 over the "
        f"slowest jobs={n}: {r1[-1] / rn[-1]:.2f}x, fastest over fastest {r1[0] / rn[0]:.2f}x"
    )
    if args.no_ray:
        return 0
    import ray

    print(f"ray {ray.__version__}")
    started = time.perf_counter()
    context = ray.init(num_cpus=n, include_dashboard=False, log_to_driver=False)
    startup = time.perf_counter() - started
    address = context.address_info["gcs_address"]
    try:
        m = in_turns(
            {"localn": ["dups", "local", str(n), lim, "-"], "ray": ["dups", "ray", str(n), lim, address]}, args.repeat
        )
        (tn, dn2, _), (tr, dr, _) = m["localn"], m["ray"]
        print(
            f"  Ray running:     local jobs={n} {tn:6.2f} s   ray ({n} CPUs) {tr:6.2f} s = {tr / tn:.2f}x "
            f"the time of local jobs={n}   identical clusters and stats: {len(dr | dn | dn2) == 1}"
        )
        print(f"  ray start-up (ray.init, {n} CPUs): {startup:.2f} s, paid once per command without --address")
        if args.driver_sizes:
            print("Ray engine's driver, all levels, synthetic articles (bench_scale)")
            driver_peaks(args.driver_sizes, address, args.data)
        write_allsides_head(TMP, args.clean_limit)
        print(
            f"normalizer (run_clean, all rules, nothing written), {args.clean_limit:,} "
            f"articles; median of {args.repeat}, fresh processes, in turns"
        )
        m = in_turns(
            {"local": ["clean", "local", str(n), "0", "-"], "ray": ["clean", "ray", str(n), "0", address]}, args.repeat
        )
        (tl, el, _), (tc, ec, _) = m["local"], m["ray"]
        print(
            f"  local jobs={n} {tl:6.2f} s   ray ({n} CPUs) {tc:6.2f} s   "
            f"= {tc / tl:.2f}x   identical edits: {len(el | ec) == 1}"
        )
        TMP.unlink()
        print(
            f"load average at the end: {os.getloadavg()[0]:.2f} (this benchmark "
            f"alone keeps it near {n}; more means other processes shared the cores)"
        )
    finally:
        ray.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
