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


def code_version() -> str:
    """The commit the benchmark ran against, and whether cleaner/ had uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "cleaner"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
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
