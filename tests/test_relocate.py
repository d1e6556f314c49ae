"""Members read again from their own lines: a plain JSONL file's clusters get the same texts,
numbers and lines as when the file is read through again (gzipped, the same records), whatever
blank lines, CRLF endings and rejected records come before them; a file changed between the two
reads is one error, not a wrong text."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cleaner.cli import app
from cleaner.dedup import DupOptions
from cleaner.errors import InputError
from cleaner.io import relocate
from cleaner.io.readers import InputFile
from cleaner.io.relocate import line_spans
from cleaner.jobs.dups import DupsJob, run_dups
from cleaner.progress import Progress
from tests.conftest import FIXTURES

PLANTED = FIXTURES / "dups" / "planted.jsonl"


def _messy_copy(tmp_path: Path) -> Path:
    """The planted corpus with blank lines, CRLF endings and two records that are rejected."""
    lines = PLANTED.read_bytes().splitlines()
    out = []
    for k, line in enumerate(lines):
        if k % 9 == 3:
            out.append(b"   ")
        if k % 13 == 5:
            out.append(b'{"id": "no-text-here"}')
        out.append(line + (b"\r" if k % 2 else b""))
    path = tmp_path / "messy.jsonl"
    path.write_bytes(b"\n".join(out) + b"\n")
    return path


def _report(path: Path) -> dict:
    r = CliRunner().invoke(app, ["dups", str(path), "--format", "json", "--skip-invalid", "--jobs", "1"])
    assert r.exit_code == 1, r.output  # findings
    report = json.loads(r.stdout)
    report["stats"].pop("seconds")
    return report


def test_members_read_from_their_lines_are_those_read_through(tmp_path, monkeypatch):
    import cleaner.jobs.dups as dups

    monkeypatch.chdir(tmp_path)  # --skip-invalid writes its rejects beside the run
    read = []
    monkeypatch.setattr(dups, "read_again", lambda f, o, located: read.append(f) or relocate.read_again(f, o, located))
    plain = _messy_copy(tmp_path)
    zipped = tmp_path / "zipped" / plain.name
    zipped.parent.mkdir()
    zipped = zipped.with_suffix(".jsonl.gz")
    zipped.write_bytes(gzip.compress(plain.read_bytes(), mtime=0))
    by_line, through = _report(plain), _report(zipped)
    assert [f.path for f in read] == [plain]  # the plain file by its lines, the gzipped one through
    assert by_line["clusters"] and by_line["stats"]["rejected"] >= 2
    text = json.dumps(by_line).replace("messy.jsonl", "X")
    assert text == json.dumps(through).replace("zipped/messy.jsonl.gz", "X").replace("messy.jsonl.gz", "X")


def test_line_spans_are_the_lines_bytes(tmp_path):
    path = _messy_copy(tmp_path)
    data = path.read_bytes()
    lines = data.splitlines(keepends=True)
    wanted = [1, 2, 7, len(lines)]
    spans = line_spans(InputFile(path, path, "jsonl"), wanted)
    assert [data[a:b] for a, b in spans] == [lines[n - 1] for n in wanted]


def test_a_file_changed_before_its_members_are_read_is_an_error(tmp_path):
    path = _messy_copy(tmp_path)
    original = path.read_bytes()

    def report(event: object) -> None:
        if isinstance(event, Progress) and event.stage == "candidates":
            path.write_bytes(original.replace(b"the", b"THE", 1))  # same size, another time

    job = DupsJob([path], DupOptions(jobs=1), skip_invalid=True)
    with pytest.raises(InputError, match="changed while its duplicates were found"):
        run_dups(job, report)
