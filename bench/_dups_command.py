"""bench_dups_speed.py --command: the whole `cleaner dups` command against the whole datasketch
script, each run a fresh process (start-up, reading the JSONL, finding, writing the JSON report),
and where the command's time goes.

Runs go in turns (baseline, then each variant, repeated), so a change in the machine's load
falls on all of them alike; medians are quoted. The phase breakdown runs the command once more
in a fresh process with `--jobs 1` (so that every stage is this process's own time): start-up
(interpreter and imports up to the command), each stage the library reports (`cleaner.progress`:
from its first event to its last), and the report written after them; inside `reading and
signing`, the exclusive time of the finder's steps (wrapped as `--profile` wraps them).
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, run_sampled, write_allsides_head

VARIANTS = {
    "all levels": [],
    "--levels document": ["--levels", "document"],
    "--noisy": ["--noisy"],
    "--noisy --levels document": ["--noisy", "--levels", "document"],
}
AIMS = {"all levels": 5.0, "--levels document": 8.0, "--noisy": 3.0, "--noisy --levels document": 3.0}
BASELINE = Path(__file__).resolve().parent / "datasketch_dups.py"


def write_input(limit: int, folder: Path) -> Path:
    """The first `limit` AllSides records, as they are, in a plain JSONL file."""
    return write_allsides_head(folder / f"allsides_{limit}.jsonl", limit)


def _env(checkout: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    env.pop("RAY_ADDRESS", None)
    return env


def command(path: Path, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "cleaner.cli", "dups", str(path), "--format", "json", "--exit-zero", *extra]


def timed(cmd: list[str], env: dict[str, str], out: Path) -> tuple[float, int]:
    with out.open("wb") as fh:
        code, wall, peak = run_sampled(cmd, env, fh)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({code})")
    return wall, peak


def compare(limit: int, repeat: int, jobs: list[int], checkout: Path = ROOT) -> None:
    env = _env(checkout)
    with tempfile.TemporaryDirectory(prefix="bench_dups_cmd_") as tmp:
        folder = Path(tmp)
        path = write_input(limit, folder)
        parts = {"datasketch script": [sys.executable, str(BASELINE), str(path)]}
        for j in jobs:
            for name, extra in VARIANTS.items():
                parts[f"{name}, --jobs {j}"] = command(path, [*extra, "--jobs", str(j)])
        runs: dict[str, list[tuple[float, int]]] = {p: [] for p in parts}
        for _ in range(repeat):
            for p, cmd in parts.items():
                runs[p].append(timed(cmd, env, folder / "out.json"))
        clusters = {p: _summary(checkout, path, cmd, env, folder) for p, cmd in parts.items() if "cleaner" in cmd}
    base = statistics.median(w for w, _ in runs["datasketch script"])
    print(f"whole command, {limit} AllSides articles from a JSONL file, JSON report to a file; median of {repeat},")
    print("each run a fresh process, in turns; peak = PSS summed over the process tree, sampled every 0.1 s")
    print(f"{'part':40s} {'median s':>9s}  {'runs (s)':24s} {'speed-up':>9s}  {'aim':>10s} {'peak MB':>8s}  clusters")
    for p, rs in runs.items():
        med = statistics.median(w for w, _ in rs)
        name = p.split(",")[0]
        aim = AIMS.get(name)
        speed = base / med
        verdict = "" if aim is None or "--jobs 1" in p else f">={aim:.0f}x {'ok' if speed >= aim else 'MISS'}"
        times = ", ".join(f"{w:.2f}" for w, _ in rs)
        peak = max(pk for _, pk in rs) / 2**20
        print(f"{p:40s} {med:9.2f}  {times:24s} {speed:8.2f}x  {verdict:>10s} {peak:8.0f}  {clusters.get(p, '')}")


def _summary(checkout: Path, path: Path, cmd: list[str], env: dict[str, str], folder: Path) -> str:
    """The cluster counts of one variant's report (its last run's)."""
    subprocess.run(cmd, env=env, stdout=(folder / "out.json").open("wb"), stderr=subprocess.DEVNULL, check=False)
    stats = json.loads((folder / "out.json").read_text(encoding="utf-8"))["stats"]
    return json.dumps(stats.get("clusters"))


# --- phases -----------------------------------------------------------------------------------


def phases(limit: int, extra: list[str], checkout: Path = ROOT) -> None:
    """Run the phase worker in a fresh process and print its breakdown."""
    with tempfile.TemporaryDirectory(prefix="bench_dups_cmd_") as tmp:
        path = write_input(limit, Path(tmp))
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), str(path), *extra, "--jobs", "1"],
            env=_env(checkout),
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit("phase worker failed")
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"where the time goes: `cleaner dups {' '.join(extra) or '(all levels)'} --jobs 1`, {limit} articles,")
    print(f"one fresh process, wall {wall:.2f} s (stage times from the library's progress events):")
    rows = [("start-up (interpreter, imports, options)", found["startup"])]
    rows += [(stage, secs) for stage, secs in found["stages"]]
    rows.append(("writing the JSON report", found["write"]))
    for name, secs in rows:
        print(f"    {name:44s} {secs:6.2f} s  {secs / wall:6.1%}")
    print("  inside `reading and signing`, the finder's steps (exclusive time):")
    for name, secs in sorted(found["steps"].items(), key=lambda kv: -kv[1]):
        print(f"    {name:44s} {secs:6.2f} s")


class _Recorder:
    """Stands in for the CLI's progress display: the time of each stage's first and last event."""

    def __init__(self) -> None:
        self.spans: dict[str, list[float]] = {}

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self.event

    def __exit__(self, *exc: object) -> None:
        self.end = time.perf_counter()

    def event(self, e) -> None:  # type: ignore[no-untyped-def]
        now = time.perf_counter()
        self.spans.setdefault(e.stage, [now, now])[1] = now


def _phase_worker(argv: list[str]) -> None:
    started = time.perf_counter()  # the interpreter's own start-up is added from a bare `python -c pass`
    from bench_dups_speed import wrapped_steps

    import cleaner.cli  # noqa: F401  (the command's imports)
    import cleaner.cli.dups as dups_cli
    import cleaner.jobs.dups as dups_job

    recorder = _Recorder()
    dups_cli.progress = lambda: recorder  # type: ignore[assignment]
    marks: dict[str, float] = {}
    run_dups = dups_job.run_dups

    def timed_run(*a, **k):  # type: ignore[no-untyped-def]
        marks["begin"] = time.perf_counter()
        return run_dups(*a, **k)

    dups_job.run_dups = timed_run  # the command imports it when it runs
    sys.argv = ["cleaner", "dups", *argv, "--format", "json", "--exit-zero"]
    real_stdout, sys.stdout = sys.stdout, open(os.devnull, "w")  # noqa: SIM115
    with wrapped_steps() as (steps, _), contextlib.suppress(SystemExit):
        cleaner.cli.main()
    finished = time.perf_counter()
    sys.stdout = real_stdout
    bare = _bare_interpreter()
    spans = sorted(recorder.spans.items(), key=lambda kv: kv[1][0])
    stages, previous = [], marks["begin"]
    for stage, (_, last) in spans:  # each stage from where the one before it ended
        stages.append((stage, last - previous))
        previous = last
    print(
        json.dumps(
            {
                "startup": bare + marks["begin"] - started,
                "stages": stages,
                "write": finished - recorder.end,
                "steps": steps,
            }
        )
    )


def _bare_interpreter() -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - t


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    _phase_worker(sys.argv[1:])
