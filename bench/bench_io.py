"""Round-trip benchmark for the readers and writers.

Runs `cleaner.jobs.clean.run_clean` with no rules over a JSONL.gz corpus (and over CSV and Parquet
copies of its first 5000 records), checks that what comes out parses to the same records in the
same order, and times it against a plain `json.loads`/`json.dumps` loop measured in the same run.
Every measured part runs in its own subprocess, so its peak RSS (VmHWM, or wait4's ru_maxrss without
/proc) is its own; the peak RSS for 5000 records and for the whole corpus should be close if reading
and writing stream.

    python bench/bench_io.py                      # the full AllSides corpus (a few minutes)
    python bench/bench_io.py --limit 20000 --repeat 5

Exit status: 0 when every round trip matched, 1 when any record differed.
"""

from __future__ import annotations

import argparse
import csv
import functools
import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import code_version, cpu_model  # noqa: E402  (bench/ is on sys.path when run as a script)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INPUT = ROOT / ".." / "shared" / "corpora" / "allsides_news_37k.jsonl.gz"
SMALL = 5000  # records in the small run (memory flatness) and in the CSV / Parquet copies

csv.field_size_limit(2**31 - 1)


# --- workers: each measured part runs in a fresh interpreter -------------------------------------


def _work_ours(src: str, dst: str) -> dict:
    from cleaner.jobs.clean import CleanJob, run_clean

    t0 = time.perf_counter()
    stats = run_clean(CleanJob(paths=[src], rules=[], output=Path(dst)))
    elapsed = time.perf_counter() - t0
    return {
        "elapsed": elapsed,
        "records": stats.written,
        "read": stats.read,
        "rejected": stats.rejected,
        "changed": stats.changed,
    }


def _work_baseline_jsonl(src: str, dst: str) -> dict:
    t0 = time.perf_counter()
    n = 0
    with gzip.open(src, "rb") as fin, gzip.open(dst, "wb") as fout:
        for line in fin:
            obj = json.loads(line)
            fout.write(json.dumps(obj).encode("utf-8") + b"\n")
            n += 1
    return {"elapsed": time.perf_counter() - t0, "records": n}


def _work_baseline_csv(src: str, dst: str) -> dict:
    t0 = time.perf_counter()
    n = 0
    with open(src, encoding="utf-8", newline="") as fin, open(dst, "w", encoding="utf-8", newline="") as fout:
        reader = csv.DictReader(fin)
        writer = csv.DictWriter(fout, fieldnames=reader.fieldnames or [])
        writer.writeheader()
        for row in reader:
            writer.writerow(row)
            n += 1
    return {"elapsed": time.perf_counter() - t0, "records": n}


def _work_baseline_parquet(src: str, dst: str) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    t0 = time.perf_counter()
    n = 0
    pf = pq.ParquetFile(src)
    with pq.ParquetWriter(dst, pf.schema_arrow) as writer:
        for batch in pf.iter_batches(batch_size=1024):
            rows = batch.to_pylist()
            n += len(rows)
            writer.write_table(pa.Table.from_pylist(rows, schema=pf.schema_arrow))
    return {"elapsed": time.perf_counter() - t0, "records": n}


def _work_idle(src: str, dst: str) -> dict:
    import cleaner.jobs.clean  # noqa: F401  (the interpreter plus cleaner's imports, doing nothing)

    return {"elapsed": 0.0, "records": 0}


def _work_idle_parquet(src: str, dst: str) -> dict:
    import pyarrow.parquet  # noqa: F401

    import cleaner.jobs.clean  # noqa: F401

    return {"elapsed": 0.0, "records": 0}


WORKERS = {
    "idle-parquet": _work_idle_parquet,
    "ours": _work_ours,
    "baseline-jsonl": _work_baseline_jsonl,
    "baseline-csv": _work_baseline_csv,
    "baseline-parquet": _work_baseline_parquet,
    "idle": _work_idle,
}


def _vm_hwm_mib() -> float | None:
    """This process's own peak RSS since exec (VmHWM). Unlike ru_maxrss, which on Linux starts from
    the RSS the parent had when it forked, it counts only what the worker itself used."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def worker_main(argv: list[str]) -> int:
    mode, src, dst = argv
    report = WORKERS[mode](src, dst)
    report["vmhwm_mib"] = _vm_hwm_mib()
    print(json.dumps(report))
    return 0


def run_worker(mode: str, src: Path, dst: Path) -> dict:
    """Run one measured part in a subprocess; return its report plus its own peak RSS (MiB)."""
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--_worker", mode, str(src), str(dst)], stdout=subprocess.PIPE
    )
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"worker {mode} on {src} failed with exit code {proc.returncode}")
    report = json.loads(out)
    # ru_maxrss from wait4 is KiB on Linux, but includes the parent's RSS at fork time; prefer the
    # worker's own VmHWM where /proc has it.
    report["maxrss_mib"] = report["vmhwm_mib"] if report.get("vmhwm_mib") is not None else usage.ru_maxrss / 1024
    return report


# --- helpers --------------------------------------------------------------------------------------


def machine_line() -> str:
    model = cpu_model()
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f", {int(line.split()[1]) / 1024**2:.1f} GiB RAM"
    except OSError:
        pass
    return (
        f"machine: {model}, {cores} cores ({usable} usable){mem}; Python "
        f"{platform.python_version()}; {platform.system()} {platform.release()}"
    )


def write_limited(src: Path, dst: Path, limit: int) -> None:
    """The first `limit` non-blank lines of a JSONL.gz file, byte for byte, as a new JSONL.gz."""
    n = 0
    with gzip.open(src, "rb") as fin, gzip.open(dst, "wb", compresslevel=6) as fout:
        for line in fin:
            if not line.strip():
                continue
            fout.write(line if line.endswith(b"\n") else line + b"\n")
            n += 1
            if n >= limit:
                break


def jsonl_size(path: Path) -> tuple[int, int]:
    """(records, uncompressed bytes) of a JSONL.gz file."""
    n = size = 0
    with gzip.open(path, "rb") as fh:
        for line in fh:
            size += len(line)
            if line.strip():
                n += 1
    return n, size


def same_record(a: object, b: object) -> bool:
    """Equal values, and for objects the same keys in the same order."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same_record(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_record(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def describe_difference(a: object, b: object) -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f"keys {list(a)} vs {list(b)}"
        diff = [k for k in a if not same_record(a[k], b[k])]
        return "fields differ: " + ", ".join(f"{k}: {str(a[k])[:60]!r} vs {str(b[k])[:60]!r}" for k in diff[:3])
    return f"{str(a)[:80]!r} vs {str(b)[:80]!r}"


def verify_jsonl(src: Path, out: Path, label: str) -> int:
    """Compare the output's records with the input's, line by line. Return the mismatch count."""
    mismatches = 0
    identical = 0
    shown = 0
    n_in = n_out = 0
    with gzip.open(src, "rb") as fin, gzip.open(out, "rb") as fout:
        src_lines = (line for line in fin if line.strip())
        out_lines = (line for line in fout if line.strip())
        sentinel = object()
        while True:
            a = next(src_lines, sentinel)
            b = next(out_lines, sentinel)
            if a is sentinel and b is sentinel:
                break
            if a is not sentinel:
                n_in += 1
            if b is not sentinel:
                n_out += 1
            if a is sentinel or b is sentinel:
                mismatches += 1
                continue
            if a.rstrip(b"\r\n") == b.rstrip(b"\r\n"):
                identical += 1
                continue
            try:
                ra, rb = json.loads(a), json.loads(b)
            except json.JSONDecodeError as e:
                ra, rb = None, f"unparseable output line: {e}"
            if not same_record(ra, rb):
                mismatches += 1
                if shown < 5:
                    print(f"  MISMATCH {label} record {n_in}: {describe_difference(ra, rb)}")
                    shown += 1
    status = "OK" if mismatches == 0 and n_in == n_out else "FAILED"
    print(
        f"  verify {label}: {status}: {n_in:,} records in, {n_out:,} out, "
        f"{mismatches:,} mismatched, {identical:,} byte-identical lines"
    )
    return mismatches


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def fmt_times(xs: list[float]) -> str:
    return "[" + ", ".join(f"{x:.2f}" for x in xs) + "]"


def timed_round_trip(
    label: str,
    src: Path,
    tmp: Path,
    ours_out_name: str,
    baseline_mode: str,
    repeat: int,
    n_records: int,
    mbytes: float,
    verify,
) -> tuple[int, float]:
    """Time ours against the baseline, interleaved, `repeat` times each; verify the first output
    of ours and that later runs wrote the same bytes. Return (mismatches, peak RSS of ours)."""
    ours_t, base_t, ours_rss, base_rss = [], [], [], []
    first_out = None
    mismatches = 0
    for rep in range(repeat):
        out = tmp / f"rep{rep}" / ours_out_name
        out.parent.mkdir(exist_ok=True)
        r = run_worker("ours", src, out)
        if r["records"] != n_records or r.get("rejected"):
            print(
                f"  MISMATCH {label}: run_clean wrote {r['records']} "
                f"records, rejected {r.get('rejected')}, expected {n_records}"
            )
            mismatches += 1
        ours_t.append(r["elapsed"])
        ours_rss.append(r["maxrss_mib"])
        if rep == 0:
            mismatches += verify(out)
            first_out = out
        else:
            if out.read_bytes() != first_out.read_bytes():
                print(f"  MISMATCH {label}: repetition {rep + 1} wrote different bytes than repetition 1")
                mismatches += 1
            out.unlink()
        b_out = tmp / f"baseline{rep}{''.join(Path(ours_out_name).suffixes)}"
        b = run_worker(baseline_mode, src, b_out)
        base_t.append(b["elapsed"])
        base_rss.append(b["maxrss_mib"])
        b_out.unlink()
    if first_out is not None:
        first_out.unlink()
    mo, mb = median(ours_t), median(base_t)
    print(
        f"  ours     ({label}): median {mo:7.2f} s  {n_records / mo:9,.0f} records/s  "
        f"{mbytes / mo:6.1f} MB/s   runs {fmt_times(ours_t)}  peak RSS {max(ours_rss):6.1f} MiB"
    )
    print(
        f"  baseline ({label}): median {mb:7.2f} s  {n_records / mb:9,.0f} records/s  "
        f"{mbytes / mb:6.1f} MB/s   runs {fmt_times(base_t)}  peak RSS {max(base_rss):6.1f} MiB"
    )
    print(f"  ratio ours/baseline ({label}): {mo / mb:.2f}x time")
    return mismatches, max(ours_rss)


# --- CSV and Parquet copies -------------------------------------------------------------------------


def load_records(path: Path, limit: int) -> list[dict]:
    records = []
    with gzip.open(path, "rb") as fh:
        for line in fh:
            if not line.strip():
                continue
            records.append(json.loads(line))
            if len(records) >= limit:
                break
    return records


def csv_rows(records: list[dict]) -> tuple[list[str], list[dict[str, str]]]:
    header: list[str] = []
    for r in records:
        for k in r:
            if k not in header:
                header.append(k)

    def cell(v: object) -> str:
        return "" if v is None else v if isinstance(v, str) else json.dumps(v)

    return header, [{k: cell(r.get(k)) for k in header} for r in records]


def verify_csv(expected: list[dict[str, str]], header: list[str], out: Path) -> int:
    with open(out, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        got = list(reader)
        got_header = reader.fieldnames
    mismatches = 0
    if got_header != header:
        print(f"  MISMATCH csv header: {got_header} vs {header}")
        mismatches += 1
    return compare_records("csv", expected, got, mismatches)


def compare_records(kind: str, expected: list[dict], got: list[dict], mismatches: int) -> int:
    """Count (and show the first five) records that differ, print the verdict, return the count."""
    for i, (a, b) in enumerate(zip(expected, got, strict=False), 1):
        if not same_record(a, b):
            mismatches += 1
            if mismatches <= 5:
                print(f"  MISMATCH {kind} record {i}: {describe_difference(a, b)}")
    mismatches += abs(len(expected) - len(got))
    status = "OK" if mismatches == 0 else "FAILED"
    print(f"  verify {kind}: {status}: {len(expected):,} records in, {len(got):,} out, {mismatches:,} mismatched")
    return mismatches


def verify_parquet(expected: list[dict], schema, out: Path) -> int:
    import pyarrow.parquet as pq

    table = pq.read_table(out)
    got = table.to_pylist()
    mismatches = 0
    if not table.schema.equals(schema):
        print(f"  MISMATCH parquet schema: {table.schema} vs {schema}")
        mismatches += 1
    return compare_records("parquet", expected, got, mismatches)


# --- main -------------------------------------------------------------------------------------------


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--_worker":
        return worker_main(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--input",
        type=Path,
        default=DEFAULT_INPUT,
        help="JSONL.gz corpus (default: ../shared/corpora/allsides_news_37k.jsonl.gz)",
    )
    ap.add_argument("--limit", type=int, default=None, help="use only the first N records")
    ap.add_argument("--repeat", type=int, default=3, help="timed repetitions of each part (median printed)")
    ap.add_argument("--tmp", type=Path, default=None, help="folder for the temporary files (default: system temp)")
    args = ap.parse_args()

    src = Path(os.path.normpath(args.input))
    if not src.is_file():
        print(f"input not found: {src}", file=sys.stderr)
        return 2
    print(machine_line())
    print(code_version())
    print(
        f"repetitions: {args.repeat} (medians); every part runs in its own subprocess, "
        "peak RSS = its VmHWM (/proc/self/status); MB = 10^6 bytes of uncompressed JSONL"
    )
    failures = 0
    with tempfile.TemporaryDirectory(prefix="bench_io.", dir=args.tmp) as tmpname:
        tmp = Path(tmpname)
        if args.limit is not None:
            limited = tmp / f"input_{args.limit}.jsonl.gz"
            write_limited(src, limited, args.limit)
            src_used = limited
        else:
            src_used = src
        n_records, n_bytes = jsonl_size(src_used)
        print(
            f"input: {src} ({src_used.stat().st_size / 1e6:.1f} MB gz on disk)"
            + (f", first {args.limit:,} records" if args.limit is not None else "")
        )
        print(f"       {n_records:,} records, {n_bytes / 1e6:.1f} MB uncompressed")

        small_n = min(SMALL, n_records)
        small = tmp / f"small_{small_n}.jsonl.gz"
        write_limited(src_used, small, small_n)
        small_records, small_bytes = jsonl_size(small)

        idle = run_worker("idle", src_used, tmp / "unused")
        print(f"interpreter with cleaner imported, doing nothing: peak RSS {idle['maxrss_mib']:.1f} MiB")

        print(
            f"\n[1] JSONL.gz round trip, {small_records:,} records "
            "(run_clean, rules=[] vs gzip+json.loads+json.dumps loop)"
        )
        m, rss_small = timed_round_trip(
            f"jsonl {small_records}",
            small,
            tmp,
            "out.jsonl.gz",
            "baseline-jsonl",
            args.repeat,
            small_records,
            small_bytes / 1e6,
            lambda out: verify_jsonl(small, out, f"jsonl {small_records}"),
        )
        failures += m

        print(
            f"\n[2] JSONL.gz round trip, {n_records:,} records (the "
            f"{'limited' if args.limit is not None else 'full'} corpus)"
        )
        m, rss_full = timed_round_trip(
            f"jsonl {n_records}",
            src_used,
            tmp,
            "out.jsonl.gz",
            "baseline-jsonl",
            args.repeat,
            n_records,
            n_bytes / 1e6,
            lambda out: verify_jsonl(src_used, out, f"jsonl {n_records}"),
        )
        failures += m

        print("\n[3] memory: peak RSS of run_clean (streaming => flat in the number of records)")
        print(f"  {small_records:>7,} records: {rss_small:7.1f} MiB")
        print(f"  {n_records:>7,} records: {rss_full:7.1f} MiB")
        print(
            f"  ratio {rss_full / rss_small:.2f}x for {n_records / small_records:.1f}x the records; "
            f"{rss_full - rss_small:+.1f} MiB; interpreter+imports alone {idle['maxrss_mib']:.1f} MiB"
        )

        records = load_records(src_used, SMALL)
        header, rows = csv_rows(records)
        csv_path = tmp / f"copy_{len(records)}.csv"
        with open(csv_path, "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=header)
            w.writeheader()
            w.writerows(rows)
        csv_mb = csv_path.stat().st_size / 1e6
        print(
            f"\n[4] CSV round trip, {len(records):,} records "
            f"({csv_mb:.1f} MB; baseline csv.DictReader -> csv.DictWriter)"
        )
        m, _ = timed_round_trip(
            f"csv {len(records)}",
            csv_path,
            tmp,
            "out.csv",
            "baseline-csv",
            args.repeat,
            len(records),
            csv_mb,
            functools.partial(verify_csv, rows, header),
        )
        failures += m
        del rows

        import pyarrow as pa
        import pyarrow.parquet as pq

        pq_path = tmp / f"copy_{len(records)}.parquet"
        table = pa.Table.from_pylist(records)
        pq.write_table(table, pq_path)
        schema = table.schema
        del table
        pq_mb = pq_path.stat().st_size / 1e6
        row_groups = pq.ParquetFile(pq_path).num_row_groups
        idle_pq = run_worker("idle-parquet", pq_path, tmp / "unused")
        print(
            f"\n[5] Parquet round trip, {len(records):,} records ({pq_mb:.1f} MB "
            f"on disk, MB/s counts the same {small_bytes / 1e6:.1f} MB of JSONL;"
            " baseline iter_batches -> to_pylist -> from_pylist -> ParquetWriter)"
        )
        m, _ = timed_round_trip(
            f"parquet {len(records)}",
            pq_path,
            tmp,
            "out.parquet",
            "baseline-parquet",
            args.repeat,
            len(records),
            small_bytes / 1e6,
            lambda out: verify_parquet(records, schema, out),
        )
        failures += m
        print(
            f"  (the copy has {row_groups} row group(s), each read whole; interpreter with "
            f"cleaner and pyarrow imported, doing nothing: {idle_pq['maxrss_mib']:.1f} MiB)"
        )

    print(f"\nresult: {'OK, every round trip matched' if failures == 0 else f'FAILED, {failures} mismatches'}")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
