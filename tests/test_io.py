"""Readers and writers: every format round-trips, bad input is rejected with its location."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cleaner.errors import InputError, OutputError
from cleaner.io import ReadOptions, check_output, iter_input_files, read_documents, strict
from cleaner.jobs.clean import CleanJob, run_clean
from cleaner.model import Document, Rejected
from cleaner.normalize import select_rules
from tests.conftest import FIXTURES, SEEDS

CORPORA = FIXTURES / "corpora"


def _roundtrip(src: Path, tmp_path: Path, **options) -> Path:
    out = tmp_path / ("out" + "".join(src.suffixes))
    stats = run_clean(CleanJob(paths=[src], rules=[], read_options=ReadOptions(**options), output=out))
    assert stats.read == stats.written > 0 and stats.rejected == 0
    return out


@pytest.mark.parametrize("name", ["allsides_sample.jsonl", "allsides_sample.jsonl.gz", "syndication_sample.jsonl"])
def test_jsonl_roundtrip_is_byte_identical(name, tmp_path):
    src = CORPORA / name
    out = _roundtrip(src, tmp_path)
    opener = gzip.open if name.endswith(".gz") else open
    with opener(src, "rb") as a, opener(out, "rb") as b:
        assert a.read() == b.read()


def test_csv_roundtrip_keeps_records_and_bom(tmp_path):
    src = CORPORA / "bbc_sample.csv"
    out = _roundtrip(src, tmp_path)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf") == src.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(src, encoding="utf-8-sig", newline="") as a, open(out, encoding="utf-8-sig", newline="") as b:
        assert list(csv.DictReader(a)) == list(csv.DictReader(b))


def test_parquet_roundtrip_keeps_schema_and_rows(tmp_path):
    src = CORPORA / "reuters_sample.parquet"
    out = _roundtrip(src, tmp_path)
    a, b = pq.read_table(src), pq.read_table(out)
    assert a.schema == b.schema
    assert a.to_pylist() == b.to_pylist()


def test_txt_folder_roundtrip_is_byte_identical(tmp_path):
    out = tmp_path / "out"
    run_clean(CleanJob(paths=[CORPORA / "txt"], rules=[], output=out))
    for src in sorted((CORPORA / "txt").glob("*.txt")):
        assert (out / src.name).read_bytes() == src.read_bytes()


def test_seed_roundtrip_is_byte_identical(tmp_path):
    out = tmp_path / "seed.txt"
    run_clean(CleanJob(paths=[next(SEEDS.glob("*.txt"))], rules=[], output=out))
    assert out.read_bytes() == next(SEEDS.glob("*.txt")).read_bytes()


def test_changed_records_keep_every_other_field(tmp_path, write_jsonl):
    from cleaner.normalize import select_rules
    from cleaner.normalize.options import NormalizeOptions

    src = write_jsonl(
        [
            {"id": "a", "title": "T", "text": "the the cat", "meta": {"k": [1, 2]}, "n": 3},
            {"id": "b", "title": "U", "text": "Clean."},
        ]
    )
    out = tmp_path / "out.jsonl"
    # The texts are too short to detect a language in: it is given.
    job = CleanJob(paths=[src], rules=select_rules(["doubled-word"]), output=out, normalize=NormalizeOptions(lang="en"))
    run_clean(job)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows == [
        {"id": "a", "title": "T", "text": "the cat", "meta": {"k": [1, 2]}, "n": 3},
        {"id": "b", "title": "U", "text": "Clean."},
    ]


def test_fields_nested_paths_and_default_id(write_jsonl):
    src = write_jsonl([{"article": {"body": "Hello.", "headline": "H"}}])
    doc = next(strict(read_documents([src], ReadOptions(text_field="article.body", title_field="article.headline"))))
    assert (doc.text, doc.title, doc.id) == ("Hello.", "H", f"{src}:1")


def test_paragraph_sep_is_translated_both_ways(tmp_path, write_jsonl):
    from cleaner.normalize import select_rules

    src = write_jsonl([{"id": "x", "title": "Big news", "text": "Big news ### The vote passed. ### The mayor left."}])
    doc = next(strict(read_documents([src], ReadOptions(paragraph_sep=" ### "))))
    assert doc.paragraphs() == ["Big news", "The vote passed.", "The mayor left."]
    out = tmp_path / "out.jsonl"
    run_clean(
        CleanJob(
            paths=[src],
            rules=select_rules(["headline-repeat"]),
            read_options=ReadOptions(paragraph_sep=" ### "),
            output=out,
        )
    )
    assert json.loads(out.read_text())["text"] == "The vote passed. ### The mayor left."


def test_folders_are_read_recursively_in_sorted_order_skipping_hidden(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    for rel in ["b/2.txt", "a.txt", "c.txt", ".git/x.txt", "notes.md"]:
        (tmp_path / rel).write_text("Title\n\nBody.\n")
    assert [f.path.relative_to(tmp_path).as_posix() for f in iter_input_files([tmp_path])] == [
        "a.txt",
        "b/2.txt",
        "c.txt",
    ]


# --- bad input -----------------------------------------------------------------------------


def _rejections(path: Path, **options) -> list[Rejected]:
    return [r for r in read_documents([path], ReadOptions(**options)) if isinstance(r, Rejected)]


def test_bad_jsonl_lines_are_rejected_with_line_and_reason(write_jsonl):
    src = write_jsonl(
        [
            '{"text": "ok"}',
            "{not json",
            "[1, 2]",
            '{"text": null}',
            '{"text": 5}',
            '{"body": "x", "id": 1}',
            '{"text": "fine"}',
        ]
    )
    items = list(read_documents([src]))
    assert [type(i).__name__ for i in items] == [
        "Document",
        "Rejected",
        "Rejected",
        "Rejected",
        "Rejected",
        "Rejected",
        "Document",
    ]
    reasons = [(str(i.origin), i.reason) for i in items if isinstance(i, Rejected)]
    assert reasons[0][0] == f"{src}:2" and reasons[0][1].startswith("invalid JSON")
    assert reasons[1][1] == "expected a JSON object, got list"
    assert reasons[2][1] == "field 'text' is null, expected a string"
    assert reasons[3][1] == "field 'text' is int, expected a string"
    assert "no field 'text' (fields: body, id)" in reasons[4][1]


def test_strict_stops_at_the_first_bad_record(write_jsonl):
    src = write_jsonl(['{"text": "ok"}', "{oops"])
    with pytest.raises(InputError, match=rf"{src}:2: invalid JSON"):
        list(strict(read_documents([src])))


def test_invalid_utf8_is_rejected(tmp_path):
    src = tmp_path / "bad.jsonl"
    src.write_bytes(b'{"text": "caf\xe9"}\n{"text": "ok"}\n')
    (r,) = _rejections(src)
    assert str(r.origin) == f"{src}:1" and r.reason.startswith("invalid UTF-8 at byte")
    txt = tmp_path / "bad.txt"
    txt.write_bytes(b"Title\n\nCaf\xe9 au lait.")
    assert _rejections(txt)[0].reason.startswith("invalid UTF-8")


def test_truncated_gzip_keeps_what_came_before(tmp_path):
    data = gzip.compress(b"".join(json.dumps({"text": f"record {i} " * 50}).encode() + b"\n" for i in range(200)))
    src = tmp_path / "cut.jsonl.gz"
    src.write_bytes(data[: len(data) // 2])
    items = list(read_documents([src]))
    assert isinstance(items[-1], Rejected) and "truncated or corrupt gzip" in items[-1].reason
    assert all(isinstance(i, Document) for i in items[:-1]) and len(items) > 1


def test_csv_with_broken_quote_and_wrong_field_count(tmp_path):
    src = tmp_path / "bad.csv"
    src.write_text('id,text\n1,"fine"\n2,a,b\n3,"never closed\n')
    items = list(read_documents([src]))
    assert isinstance(items[0], Document)
    assert items[1].reason == "expected 2 fields as in the header, found 3"
    assert "malformed CSV" in items[2].reason and items[2].origin.line == 4


def test_parquet_missing_text_column(tmp_path):
    import pyarrow as pa

    src = tmp_path / "t.parquet"
    pq.write_table(pa.table({"id": ["a"], "body": ["x"]}), src)
    (r,) = _rejections(src)
    assert r.reason.startswith("no column 'text' (columns: id, body)")


def test_nul_bytes_in_txt(tmp_path):
    src = tmp_path / "bin.txt"
    src.write_bytes(b"Title\n\nBody\x00more")
    assert "NUL byte" in _rejections(src)[0].reason


def test_missing_path_and_unknown_type(tmp_path):
    with pytest.raises(InputError, match="no such file or directory"):
        iter_input_files([tmp_path / "nope"])
    (tmp_path / "x.docx").write_text("x")
    with pytest.raises(InputError, match="unknown file type"):
        iter_input_files([tmp_path / "x.docx"])


def test_empty_files_are_empty_corpora(tmp_path):
    for name in ["e.jsonl", "e.txt", "e.csv"]:
        (tmp_path / name).write_text("")
        assert list(read_documents([tmp_path / name])) == []


def test_skip_invalid_accounts_for_every_record(tmp_path, write_jsonl):
    src = write_jsonl(['{"text": "a"}', "{bad", '{"text": "b"}', "[]"])
    seen = []
    stats = run_clean(
        CleanJob(paths=[src], rules=[], output=tmp_path / "o.jsonl", skip_invalid=True), on_reject=seen.append
    )
    assert (stats.read, stats.written, stats.rejected) == (4, 2, 2)
    assert [r.origin.line for r in seen] == [2, 4]


def test_strict_run_leaves_no_partial_output(tmp_path, write_jsonl):
    src = write_jsonl(['{"text": "a"}', "{bad"])
    out = tmp_path / "o.jsonl"
    with pytest.raises(InputError):
        run_clean(CleanJob(paths=[src], rules=[], output=out))
    assert not out.exists()
    assert list(tmp_path.glob(".o.jsonl.*")) == []


def test_output_must_not_overwrite_or_nest_in_input(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("T\n\nB.")
    files = iter_input_files([tmp_path / "in"])
    with pytest.raises(OutputError, match="inside the input folder"):
        check_output(files, tmp_path / "in" / "out", in_place=False)
    single = iter_input_files([tmp_path / "in" / "a.txt"])
    with pytest.raises(OutputError, match="overwrite its input"):
        check_output(single, tmp_path / "in" / "a.txt", in_place=False)


def test_more_bad_files(tmp_path):
    nul = tmp_path / "nul.jsonl"
    nul.write_bytes(b'{"text": "a\x00b"}\n')
    assert "invalid JSON" in _rejections(nul)[0].reason
    nul_csv = tmp_path / "nul.csv"
    nul_csv.write_bytes(b"id,text\n1,a\x00b\n")
    assert "NUL byte" in _rejections(nul_csv)[0].reason
    broken_link = tmp_path / "gone.jsonl"
    broken_link.symlink_to(tmp_path / "missing-target.jsonl")
    items = list(read_documents([tmp_path], ReadOptions()))
    gone = [i for i in items if isinstance(i, Rejected) and i.origin.path == str(broken_link)]
    assert gone and gone[0].reason.startswith("cannot read file")


def test_a_50_mb_record_is_read(tmp_path):
    src = tmp_path / "big.jsonl"
    src.write_text(json.dumps({"text": "word " * 10_000_000}) + "\n")
    (doc,) = list(strict(read_documents([src])))
    assert len(doc.text) == 50_000_000


# --- found in review: outputs that would lose data -------------------------------------------


def test_in_place_never_rewrites_a_file_with_a_rejected_record(tmp_path):
    bad_txt = tmp_path / "x.txt"
    bad_txt.write_bytes(b"Title\n\nBody caf\xe9 text here.\n")
    jsonl = tmp_path / "y.jsonl"
    jsonl.write_bytes(b'{"text": "the the cat"}\n{oops\n')
    before = {p: p.read_bytes() for p in (bad_txt, jsonl)}
    rejected = []
    stats = run_clean(
        CleanJob(paths=[tmp_path], rules=select_rules(), in_place=True, skip_invalid=True), on_reject=rejected.append
    )
    assert {p: p.read_bytes() for p in before} == before
    assert sorted(stats.kept_unchanged) == sorted([str(bad_txt), str(jsonl)])
    assert isinstance(rejected[-1].raw, str) and rejected[0].raw == bad_txt.read_bytes()


def test_rejects_file_keeps_invalid_bytes_exactly(tmp_path):
    import base64

    from cleaner.report.rejects import write_rejects

    raw = b'{"text": "caf\xe9"}'
    src = tmp_path / "bad.jsonl"
    src.write_bytes(raw + b"\n")
    (r,) = _rejections(src)
    out = tmp_path / "rejects.jsonl"
    write_rejects(out, [r])
    row = json.loads(out.read_text())
    assert base64.b64decode(row["raw_base64"]) == raw


def test_output_that_would_overwrite_an_input_or_collide_is_refused(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    (d / "x.jsonl").write_text('{"text": "a"}\n')
    with pytest.raises(OutputError, match="overwrite the input"):
        run_clean(CleanJob(paths=[d / "x.jsonl"], rules=[], output=d))
    for name in ("f1", "f2"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.jsonl").write_text('{"text": "a"}\n')
    with pytest.raises(OutputError, match="would be written here"):
        run_clean(
            CleanJob(
                paths=[tmp_path / "f1" / "x.jsonl", tmp_path / "f2" / "x.jsonl"], rules=[], output=tmp_path / "out"
            )
        )
    assert not (tmp_path / "out").exists()


def test_paragraph_sep_leaves_unedited_records_alone(tmp_path):
    src = tmp_path / "s.csv"
    src.write_text('id,text\n1,"First para. ### Second para.\n\nThird line."\n')
    out = tmp_path / "o.csv"
    run_clean(CleanJob(paths=[src], rules=select_rules(), read_options=ReadOptions(paragraph_sep=" ### "), output=out))
    assert out.read_bytes() == src.read_bytes()


def test_unreadable_parquet_is_a_rejection_not_a_crash(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    out = tmp_path / "out"
    stats = run_clean(CleanJob(paths=[bad], rules=[], output=out / "bad.parquet", skip_invalid=True))
    assert (stats.read, stats.rejected) == (1, 1)
    assert not out.exists() or list(out.iterdir()) == []
