"""The rejects file: one JSON object a line with where, why, and the record as it was read."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from pathlib import Path

from cleaner.io.writers import atomic_output
from cleaner.model import Rejected


def write_rejects(path: Path, rejects: Sequence[Rejected]) -> None:
    with atomic_output(path) as fh:
        for r in rejects:
            row: dict[str, object] = {
                "path": r.origin.path,
                "record": r.origin.record,
                "line": r.origin.line,
                "reason": r.reason,
                "raw": r.raw,
            }
            if isinstance(r.raw, bytes):  # not valid UTF-8: kept exactly, as base64
                row.update(raw=None, raw_base64=base64.b64encode(r.raw).decode("ascii"))
            fh.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
