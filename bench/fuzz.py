"""Fuzz the readers and the normalizer with mutated real files for a set time; report crashes.

A crash is any exception other than the clean rejections the readers are meant to give (a
`Rejected` record or an `InputError`). Mutations: flipped, inserted and deleted bytes, cut-off
files, duplicated spans, invalid UTF-8, NUL bytes, stray quotes and braces. Deterministic for a
seed; prints how many files and records were tried and every distinct crash with a reproducer.

    python bench/fuzz.py --seconds 60 --seed 1
"""

from __future__ import annotations

import argparse
import gzip
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

from cleaner.errors import CleanerError
from cleaner.io import ReadOptions, read_documents
from cleaner.model import Document
from cleaner.normalize import clean_document, select_rules

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    p for p in (ROOT / "fixtures" / "corpora").rglob("*") if p.suffix in {".jsonl", ".csv", ".txt", ".parquet", ".gz"}
)
NASTY = [
    b"\x00",
    b"\xff",
    b"\xc3",
    b'"',
    b"{",
    b"}",
    b",",
    b"\n",
    b"\r\n",
    b"\\u0000",
    b"\xe2\x80",
    b"&amp;",
    b" . ",
    b"the the ",
]


def mutate(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(5)
        pos = rng.randrange(len(data) + 1)
        if op == 0 and data:
            data[min(pos, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1:
            data[pos:pos] = rng.choice(NASTY)
        elif op == 2:
            del data[pos : pos + rng.randint(1, 64)]
        elif op == 3:
            data = data[:pos]
        else:
            span = data[pos : pos + rng.randint(1, 200)]
            data[pos:pos] = span
    return bytes(data)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    rules = select_rules()
    crashes: dict[str, str] = {}
    files = records = 0
    deadline = time.time() + args.seconds
    with tempfile.TemporaryDirectory() as tmp:
        while time.time() < deadline:
            src = rng.choice(SOURCES)
            raw = src.read_bytes()
            if src.name.endswith(".gz") and rng.random() < 0.5:
                raw = gzip.compress(mutate(gzip.decompress(raw), rng), mtime=0)
            else:
                raw = mutate(raw, rng)
            target = Path(tmp) / f"fuzz{files}{''.join(src.suffixes)}"
            target.write_bytes(raw)
            files += 1
            try:
                for item in read_documents([target], ReadOptions()):
                    records += 1
                    if isinstance(item, Document):
                        clean_document(item, rules)
            except CleanerError:
                pass
            except Exception as e:  # noqa: BLE001 - a crash is exactly what we are looking for
                key = f"{type(e).__name__}: {e}"[:200]
                if key not in crashes:
                    keep = Path(tmp).parent / f"cleaner-fuzz-crash-{len(crashes)}{''.join(src.suffixes)}"
                    keep.write_bytes(raw)
                    crashes[key] = f"{keep}\n{traceback.format_exc(limit=4)}"
            target.unlink()
    print(
        f"fuzz: seed {args.seed}, {args.seconds:.0f} s, {files} mutated "
        f"files, {records} records, {len(crashes)} distinct crashes"
    )
    for key, where in crashes.items():
        print(f"\nCRASH {key}\n  reproducer: {where}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
