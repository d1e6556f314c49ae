"""Do two checkouts of cleaner give the same outputs? For refactors that promise no behaviour change.

    python bench/compare_refactor.py REF_CHECKOUT NEW_CHECKOUT [--allsides N] [--only SUBSTRING]

Each checkout runs as `python -m cleaner.cli` with itself first on PYTHONPATH, in a scratch folder
with no config file, so nothing but the code differs. Compared, byte for byte:
- `dups --format json` (without `stats.seconds`, the one field that may differ) on the fixture
  corpora and on the first N AllSides articles, at all levels, `--levels document` and `--noisy`,
  at `--jobs 1` and `--jobs 2`;
- `index build` then `check --format json` in a git corpus of the txt fixtures with planted copies
  (a copy under a new headline, a cut copy, a lifted paragraph and title), and the index itself:
  every table dumped with sqlite3 (band rows included), the files table without mtimes.
Prints one line a case and exits 1 if any differ.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from itertools import islice
from pathlib import Path

ALLSIDES = Path("/work/shared/corpora/allsides_news_37k.jsonl.gz")
VARIANTS = {"all": [], "document": ["--levels", "document"], "noisy": ["--noisy"]}


def cleaner(checkout: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    env.pop("RAY_ADDRESS", None)
    return subprocess.run(
        [sys.executable, "-m", "cleaner.cli", *args], cwd=cwd, env=env, capture_output=True, timeout=3600
    )


def dups_json(checkout: Path, corpus: Path, extra: list[str], cwd: Path) -> bytes:
    done = cleaner(checkout, ["dups", str(corpus), "--format", "json", "--exit-zero", *extra], cwd)
    if done.returncode != 0:
        return b"exit %d\n" % done.returncode + done.stderr
    report = json.loads(done.stdout)
    report.get("stats", {}).pop("seconds", None)
    return json.dumps(report, sort_keys=True, ensure_ascii=False).encode()


def dump_index(path: Path) -> bytes:
    """Every table of an index, rows sorted, as text (mtimes left out: the copies differ)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    out: list[str] = []
    try:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for table in tables:
            columns = [c[1] for c in conn.execute(f"PRAGMA table_info({table})") if c[1] != "mtime_ns"]
            rows = conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {', '.join(columns)}").fetchall()
            out.append(f"== {table} ({', '.join(columns)}): {len(rows)} rows")
            out += [repr(r) for r in rows]
    finally:
        conn.close()
    return "\n".join(out).encode()


def git(repo: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.org",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.org",
    )
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def check_scenario(checkout: Path, fixtures: Path, work: Path) -> dict[str, bytes]:
    """The test_check / test_precommit scenario: a git corpus, its index, new files checked."""
    txt = sorted((fixtures / "corpora" / "txt").glob("*.txt"))
    repo = work / "corpus"
    repo.mkdir()
    git(repo, "init", "-q")
    for f in txt:
        shutil.copy(f, repo / f.name)
    shutil.copy(fixtures / "corpora" / "allsides_sample.jsonl", repo / "allsides_sample.jsonl")
    (repo / ".gitignore").write_text(".cleaner/\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "corpus")
    out = {"index build": _result(cleaner(checkout, ["index", "build"], repo))}
    # Planted copies, made from the texts only (split on blank lines, as the txt reader does).
    first, second, third = (t.read_text(encoding="utf-8").strip().split("\n\n") for t in txt[:3])
    (repo / "copy.txt").write_text(
        "An entirely different headline about it\n\n" + "\n\n".join(first[1:]) + "\n", encoding="utf-8"
    )
    (repo / "cut.txt").write_text(
        "Wire copy\n\n" + "\n\n".join(second[1 : max(2, len(second) * 2 // 3)]) + "\n", encoding="utf-8"
    )
    lifted = third[2] if len(third) > 2 else third[-1]
    opening = "A new opening paragraph written for this test only, long enough to count."
    (repo / "new.txt").write_text(f"{third[0]} | Reuters\n\n{opening}\n\n{lifted}\n", encoding="utf-8")
    shutil.copy(txt[0], repo / "again.txt")
    rows = (repo / "allsides_sample.jsonl").read_text(encoding="utf-8").splitlines()
    copy = json.loads(rows[0])
    copy.update(id="copy-of-1", title="Completely new headline for old news")
    (repo / "allsides_sample.jsonl").write_text(
        "\n".join([*rows, json.dumps(copy, ensure_ascii=False)]) + "\n", encoding="utf-8"
    )
    checked = ["copy.txt", "cut.txt", "new.txt", "again.txt", "allsides_sample.jsonl"]
    out["check --format json"] = _result(cleaner(checkout, ["check", "--format", "json", *checked], repo))
    out["check (text)"] = _result(cleaner(checkout, ["check", *checked], repo))
    out["index dump"] = dump_index(repo / ".cleaner" / "index")
    # An update after the check (the band rows of bands_new and a removed file's dangling ones).
    (repo / txt[1].name).unlink()
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "more")
    out["index update"] = _result(cleaner(checkout, ["index", "update"], repo))
    out["index dump after update"] = dump_index(repo / ".cleaner" / "index")
    return out


def _result(done: subprocess.CompletedProcess[bytes]) -> bytes:
    # stderr carries timings ("in 0.3 s"): the exit code and stdout are the behaviour.
    return b"exit %d\n" % done.returncode + done.stdout


def cases(fixtures: Path, allsides: Path | None, only: str) -> list[tuple[str, Path, list[str]]]:
    corpora = [
        fixtures / "corpora" / n
        for n in ("allsides_sample.jsonl", "basil_sample.jsonl", "bbc_sample.csv", "syndication_sample.jsonl", "txt")
    ]
    corpora.append(fixtures / "dups" / "planted.jsonl")
    found = [(f"{c.name} {v}", c, args) for c in corpora for v, args in VARIANTS.items()]
    if allsides is not None:
        found += [
            (f"{allsides.name} {v} jobs {j}", allsides, [*args, "--jobs", str(j)])
            for v, args in VARIANTS.items()
            for j in (1, 2)
        ]
    return [c for c in found if only in c[0]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("ref", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--allsides", type=int, default=10_000, help="AllSides articles (0: none)")
    parser.add_argument("--only", default="", help="only the cases whose name contains this")
    args = parser.parse_args()
    ref, new = args.ref.resolve(), args.new.resolve()
    fixtures = new / "fixtures"
    differ = 0
    with tempfile.TemporaryDirectory(prefix="compare-refactor-") as tmp:
        work = Path(tmp)
        allsides = None
        if args.allsides and ALLSIDES.exists():
            allsides = work / f"allsides{args.allsides // 1000}k.jsonl"
            with gzip.open(ALLSIDES, "rb") as src:
                allsides.write_bytes(b"".join(islice(src, args.allsides)))
        scratch = work / "scratch"
        scratch.mkdir()
        for name, corpus, extra in cases(fixtures, allsides, args.only):
            a, b = dups_json(ref, corpus, extra, scratch), dups_json(new, corpus, extra, scratch)
            differ += _report(f"dups {name}", a, b)
        if not args.only or args.only in "check index":
            # The same folder for both: the index stores its root.
            a_out = check_scenario(ref, fixtures, work)
            shutil.rmtree(work / "corpus")
            b_out = check_scenario(new, fixtures, work)
            for key in a_out:
                differ += _report(key, a_out[key], b_out[key])
    print(f"{'ALL SAME' if not differ else f'{differ} DIFFER'} ({ref} vs {new})")
    return 1 if differ else 0


def _report(name: str, a: bytes, b: bytes) -> int:
    digest = hashlib.sha256(a).hexdigest()[:12]
    if a == b:
        print(f"same    {name:<48} {len(a):>9} bytes  sha256 {digest}")
        return 0
    at = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    around = slice(max(0, at - 60), at + 60)
    print(f"DIFFER  {name:<48} {len(a)} vs {len(b)} bytes; first at byte {at}: {a[around]!r} vs {b[around]!r}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
