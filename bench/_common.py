"""What every benchmark prints first: the machine and the code it measured."""

from __future__ import annotations

import gzip
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The checkout this script is in is the code it measures: first on the path, before an editable
# install of another checkout (which `code_version` would otherwise misname).
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))
# And for the commands a benchmark starts (`python -m cleaner.cli` run in a scratch folder).
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
ALLSIDES = ROOT.parent / "shared" / "corpora" / "allsides_news_37k.jsonl.gz"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown cpu"


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def code_version(root: Path = ROOT) -> str:
    """The commit the benchmark ran against, and whether cleaner/ had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "cleaner"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "code: not a git checkout"
    return f"code: {head}" + (" + uncommitted changes in cleaner/" if dirty else " (cleaner/ clean)")


def median_time(fn, repeat: int = 3):  # type: ignore[no-untyped-def]
    """The median wall time of `repeat` calls of fn, and the last call's result."""
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def allsides_documents(limit: int) -> list:  # type: ignore[type-arg]
    """The first `limit` AllSides articles as documents (record numbers 1-based, as read)."""
    sys.path.insert(0, str(ROOT))
    from cleaner.model import Document, Origin

    docs = []
    with gzip.open(ALLSIDES, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= limit:
                break
            r = json.loads(line)
            docs.append(Document(r["id"], r["title"], r["text"], Origin(str(ALLSIDES), i + 1)))
    return docs


def write_allsides_head(path: Path, limit: int) -> Path:
    """The first `limit` AllSides records, as they are, in a JSONL file (input for `run_clean`)."""
    with gzip.open(ALLSIDES, "rt", encoding="utf-8") as fh, path.open("w", encoding="utf-8") as out:
        for i, line in enumerate(fh):
            if i >= limit:
                break
            out.write(line)
    return path


def load_jsonl(path: Path, limit: int | None = None) -> list[dict]:
    """The records of a JSONL file (gzipped or not), blank lines skipped, at most `limit`."""
    opener = gzip.open if path.name.endswith(".gz") else open
    out = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                out.append(json.loads(line))
                if limit is not None and len(out) >= limit:
                    break
    return out


def machine() -> str:
    """The CPU, the cores this process may use and the memory installed."""
    total = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                total = f"{int(line.split()[1]) / 2**20:.0f} GiB"
    except OSError:
        pass
    return f"{cpu_model()}, {usable_cores()} cores, {total}"


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pss(root: int) -> int:
    """PSS (bytes) summed over a process and all its descendants: pages shared between a forked
    worker and its parent count once in the sum, not once per process as RSS would."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _pss_kib(pid)
        todo += _children(pid)
    return total * 1024


def run_sampled(cmd: list[str], env: dict[str, str], stdout, interval: float = 0.1) -> tuple[int, float, int]:  # type: ignore[no-untyped-def]
    """Run `cmd`, sampling the summed PSS of its process tree every `interval` seconds; returns
    its exit code, wall time and peak PSS in bytes."""
    import tempfile

    with tempfile.TemporaryFile() as err:  # a file, not a pipe: a full pipe would stall the run
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=stdout, stderr=err)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, tree_pss(proc.pid))
            time.sleep(interval)
        wall = time.perf_counter() - started
        if proc.returncode not in (0, 1) or os.environ.get("CLEANER_BENCH_STDERR"):
            err.seek(0)
            sys.stderr.write(err.read().decode(errors="replace"))
    return proc.returncode, wall, peak
