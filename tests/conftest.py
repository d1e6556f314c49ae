from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared" / "corpora"


@pytest.fixture
def write_jsonl(tmp_path: Path):
    """Write records (dicts, or raw strings for broken lines) to a JSONL file and return its path."""

    def make(records: list, name: str = "in.jsonl") -> Path:
        path = tmp_path / name
        lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return path

    return make


def shared_corpus(name: str) -> Path:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"{path} not present (../shared is optional)")
    return path


def planted_copies(path: Path, copies: int) -> Path:
    """`copies` copies of the planted fixture (58 records each, ids made unique) in one JSONL
    file: input large enough that worker processes or Ray tasks really run."""
    rows = [json.loads(line) for line in (FIXTURES / "dups" / "planted.jsonl").read_text().splitlines()]
    with path.open("w") as fh:
        for i in range(copies):
            for r in rows:
                fh.write(json.dumps({**r, "id": f"{r['id']}-{i}"}) + "\n")
    return path
