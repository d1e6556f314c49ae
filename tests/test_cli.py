"""The command line: exit codes, one-line errors, reports, and what lands on disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cleaner import __version__
from cleaner.cli import app
from tests.conftest import FIXTURES, SEEDS, planted_copies

SEED = next(SEEDS.glob("*.txt"))


def run(*args: str, cwd: Path | None = None):
    runner = CliRunner()
    if cwd is not None:
        import os

        old = os.getcwd()
        os.chdir(cwd)
        try:
            return runner.invoke(app, list(args))
        finally:
            os.chdir(old)
    return runner.invoke(app, list(args))


def test_version():
    r = run("--version")
    assert r.exit_code == 0 and r.stdout.strip() == f"cleaner {__version__}"


def test_clean_seed_to_output(tmp_path):
    out = tmp_path / "out.txt"
    r = run("clean", str(SEED), "-o", str(out))
    assert r.exit_code == 0, r.output
    text = out.read_text("utf-8")
    assert text.startswith("World Media\n\nKim Jong-un leaves China")
    assert text.count("Kim Jong-un leaves China with 'backing for second Trump summit'") == 1
    assert "1 records read, 1 written, 0 rejected; 1 changed" in r.stderr


def test_check_exits_1_when_something_would_change_and_writes_nothing(tmp_path):
    r = run("clean", str(SEED), "--check")
    assert r.exit_code == 1
    clean = tmp_path / "clean.txt"
    clean.write_text("Source\n\nA title\n\nA clean paragraph.\n", encoding="utf-8")
    assert run("clean", str(clean), "--check").exit_code == 0


def test_diff_and_json_report():
    r = run("clean", str(SEED), "--diff")
    assert "-Xi told Kim that that China supports the U.S." in r.stdout
    assert "+Xi told Kim that China supports the U.S." in r.stdout
    r = run("clean", str(SEED), "--format", "json")
    report = json.loads(r.stdout)
    assert report["version"] == 1 and report["stats"]["read"] == 1
    assert sorted(e["rule"] for e in report["documents"][0]["edits"]) == [
        "dangling-tail",
        "doubled-word",
        "headline-repeat",
        "stray-period",
    ]


def test_edit_log_file(tmp_path):
    log = tmp_path / "edits.jsonl"
    r = run("clean", str(SEED), "--edits", str(log))
    assert r.exit_code == 0
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert {row["rule"] for row in rows} == {"dangling-tail", "doubled-word", "headline-repeat", "stray-period"}
    assert all({"doc", "path", "record", "start", "end", "before", "after"} <= set(row) for row in rows)


def test_select_and_ignore(tmp_path):
    r = run("clean", str(SEED), "--format", "json", "--select", "doubled,fragments")
    assert sorted(e["rule"] for e in json.loads(r.stdout)["documents"][0]["edits"]) == ["doubled-word", "stray-period"]
    r = run("clean", str(SEED), "--format", "json", "--ignore", "doubled-word", "--ignore", "headline")
    assert sorted(e["rule"] for e in json.loads(r.stdout)["documents"][0]["edits"]) == ["dangling-tail", "stray-period"]


def test_unknown_rule_lists_the_known_ones():
    r = run("clean", str(SEED), "--check", "--select", "nope")
    assert r.exit_code == 2
    assert "unknown rule 'nope'; known rules: mojibake," in r.stderr


def test_config_from_pyproject_and_command_line_first(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.cleaner]\nselect = ["doubled-word"]\n')
    r = run("clean", str(SEED), "--format", "json", cwd=tmp_path)
    assert [e["rule"] for e in json.loads(r.stdout)["documents"][0]["edits"]] == ["doubled-word"]
    r = run("clean", str(SEED), "--format", "json", "--select", "stray-period", cwd=tmp_path)
    assert [e["rule"] for e in json.loads(r.stdout)["documents"][0]["edits"]] == ["stray-period"]
    (tmp_path / "pyproject.toml").write_text('[tool.cleaner]\nselekt = ["x"]\n')
    r = run("clean", str(SEED), "--check", cwd=tmp_path)
    assert r.exit_code == 2 and "unknown key 'selekt' in [tool.cleaner]; known: select, ignore" in r.stderr


def test_bad_record_is_one_line_exit_2(write_jsonl, tmp_path):
    src = write_jsonl(['{"text": "ok"}', '{"body": "x"}'])
    r = run("clean", str(src), "-o", str(tmp_path / "o.jsonl"))
    assert r.exit_code == 2
    assert r.stderr.strip() == f"error: {src}:2: no field 'text' (fields: body); choose one with --text-field"
    assert not (tmp_path / "o.jsonl").exists()


def test_skip_invalid_writes_rejects_and_counts_add_up(write_jsonl, tmp_path):
    src = write_jsonl(['{"text": "ok"}', "{bad", '{"text": null}', '{"text": "fine"}'])
    rejects = tmp_path / "rejects.jsonl"
    r = run("clean", str(src), "-o", str(tmp_path / "o.jsonl"), "--skip-invalid", "--rejects", str(rejects))
    assert r.exit_code == 0
    assert "4 records read, 2 written, 2 rejected" in r.stderr
    rows = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [(row["line"], row["raw"]) for row in rows] == [(2, "{bad"), (3, '{"text": null}')]
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 2


def test_empty_input_is_an_empty_corpus(tmp_path):
    (tmp_path / "e.jsonl").write_text("")
    r = run("clean", str(tmp_path / "e.jsonl"), "-o", str(tmp_path / "o.jsonl"))
    assert r.exit_code == 0 and (tmp_path / "o.jsonl").read_text() == ""
    assert "warning: the input holds no records" in r.stderr


def test_in_place_rewrites_inputs(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("Label\n\nA title\n\nThe the vote passed.\n", encoding="utf-8")
    assert run("clean", str(f), "--in-place").exit_code == 0
    assert f.read_text() == "Label\n\nA title\n\nThe vote passed.\n"


def test_usage_errors_exit_2(tmp_path):
    assert run("clean", str(SEED)).exit_code == 2  # nowhere to write
    assert run("clean", str(SEED), "-o", str(tmp_path / "x"), "--in-place").exit_code == 2
    assert run("clean", str(tmp_path / "missing.txt"), "--check").exit_code == 2
    r = run("clean", str(SEED), "-o", str(SEED))
    assert r.exit_code == 2 and "would overwrite its input" in r.stderr


def test_rules_command_lists_every_rule():
    r = run("rules")
    for name in ["mojibake", "headline-repeat", "doubled-word", "truncated-end"]:
        assert name in r.stdout


def test_console_script_has_no_traceback(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n")
    p = subprocess.run(
        [sys.executable, "-m", "cleaner.cli", "clean", str(bad), "--check"], capture_output=True, text=True
    )
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and f"{bad}:1: invalid JSON" in p.stderr


@pytest.mark.parametrize("fixture", ["allsides_sample.jsonl", "bbc_sample.csv", "reuters_sample.parquet", "txt"])
def test_clean_every_fixture_format_is_deterministic(fixture, tmp_path):
    src = FIXTURES / "corpora" / fixture
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        out.mkdir()
        r = run("clean", str(src), "-o", str(out / src.name))
        assert r.exit_code == 0, r.output
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files_a and files_a == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes()


def _bad_files(tmp: Path) -> dict[str, Path]:
    import gzip as gz

    import pyarrow as pa
    import pyarrow.parquet as pq

    files = {}
    data = gz.compress(b"".join(json.dumps({"text": f"record {i} " * 40}).encode() + b"\n" for i in range(300)))
    (
        files.__setitem__("truncated gzip", tmp / "cut.jsonl.gz"),
        files["truncated gzip"].write_bytes(data[: len(data) // 2]),
    )
    (
        files.__setitem__("invalid utf-8", tmp / "latin1.jsonl"),
        files["invalid utf-8"].write_bytes('{"text": "café"}\n'.encode("latin-1")),
    )
    (
        files.__setitem__("mixed encodings", tmp / "mixed.txt"),
        files["mixed encodings"].write_bytes("Title\n\nCafé ".encode() + "crème".encode("cp1252")),
    )
    (files.__setitem__("nul bytes", tmp / "nul.txt"), files["nul bytes"].write_bytes(b"Title\n\nBody\x00"))
    for name, line in [
        ("not an object", "[1, 2]"),
        ("text null", '{"text": null}'),
        ("text number", '{"text": 3}'),
        ("text list", '{"text": ["a"]}'),
    ]:
        files[name] = tmp / f"{name.replace(' ', '_')}.jsonl"
        files[name].write_text(line + "\n")
    files["broken csv quote"] = tmp / "quote.csv"
    files["broken csv quote"].write_text('id,text\n1,"never closed\n')
    files["parquet without text"] = tmp / "notext.parquet"
    pq.write_table(pa.table({"id": ["a"], "body": ["x"]}), files["parquet without text"])
    files["missing path"] = tmp / "does-not-exist.jsonl"
    return files


@pytest.mark.parametrize(
    "kind",
    [
        "truncated gzip",
        "invalid utf-8",
        "mixed encodings",
        "nul bytes",
        "not an object",
        "text null",
        "text number",
        "text list",
        "broken csv quote",
        "parquet without text",
        "missing path",
    ],
)
@pytest.mark.parametrize("command", ["clean", "dups"])
def test_bad_files_exit_2_with_one_line_naming_the_file(tmp_path, kind, command):
    path = _bad_files(tmp_path)[kind]
    args = [command, str(path)] + (["--check"] if command == "clean" else [])
    p = subprocess.run([sys.executable, "-m", "cleaner.cli", *args], capture_output=True, text=True)
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}") and "Traceback" not in p.stderr


def test_diff_and_json_together_are_refused():
    r = run("clean", str(SEED), "--diff", "--format", "json")
    assert r.exit_code == 2


@pytest.mark.parametrize("extra", [[], ["--source-field", "source"]], ids=["corpus", "by-source"])
def test_jobs_give_byte_identical_output(tmp_path, extra):
    src = planted_copies(tmp_path / "many.jsonl", 12)  # 696 records: several chunks of work, so the pool really runs
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}.jsonl"
        log = tmp_path / f"edits-{jobs}.jsonl"
        p = subprocess.run(
            [
                sys.executable,
                "-m",
                "cleaner.cli",
                "clean",
                str(src),
                "-o",
                str(out),
                "--edits",
                str(log),
                "--jobs",
                jobs,
                *extra,
            ],
            capture_output=True,
            text=True,
        )
        assert p.returncode == 0, p.stderr
        outs.append((out.read_bytes(), log.read_bytes()))
    assert outs[0] == outs[1]


def test_an_error_in_a_worker_process_is_one_line_exit_2(tmp_path, monkeypatch):
    # Worker processes are forked after the patch, so they raise it; the error must survive
    # pickling back to this process and print as `path:line: reason`, not a traceback.
    import pickle

    import cleaner.jobs.clean as clean_job
    from cleaner.errors import InputError
    from cleaner.normalize.engine import NotConverging
    from tests.conftest import planted_copies

    assert str(pickle.loads(pickle.dumps(InputError("a.jsonl:3", "why")))) == "a.jsonl:3: why"
    src = planted_copies(tmp_path / "in.jsonl", 6)
    real = clean_job.clean_document

    def flaky(doc, rules, *args):
        if doc.origin.record == 300:
            raise NotConverging("rules did not reach a fixed point in 10 passes")
        return real(doc, rules, *args)

    monkeypatch.setattr(clean_job, "clean_document", flaky)
    r = run("clean", str(src), "-o", str(tmp_path / "out.jsonl"), "--jobs", "2")
    assert r.exit_code == 2, r.output
    assert r.stderr.strip() == f"error: {src}:300: rules did not reach a fixed point in 10 passes"
    assert not (tmp_path / "out.jsonl").exists()


SITE_LINE = "Get the USA TODAY app for the latest news"


def _usatoday_with_site_line(path: Path) -> Path:
    """The AllSides sample with a site line of USA TODAY's in each of its five USA TODAY articles
    (before their last paragraph): five contexts in the corpus, five of the source's five pages."""
    rows = [json.loads(line) for line in (FIXTURES / "corpora" / "allsides_sample.jsonl").read_text().splitlines()]
    with path.open("w") as fh:
        for r in rows:
            if r["source"] == "USA TODAY":
                ps = r["text"].split("\n\n")
                r = {**r, "text": "\n\n".join([*ps[:-1], SITE_LINE, ps[-1]])}
            fh.write(json.dumps(r) + "\n")
    return path


def test_a_site_line_on_most_of_its_source_s_pages_goes_with_source_field(tmp_path):
    src = _usatoday_with_site_line(tmp_path / "in.jsonl")
    out, log = tmp_path / "out.jsonl", tmp_path / "edits.jsonl"
    r = run("clean", str(src), "-o", str(out), "--edits", str(log), "--source-field", "url")
    assert r.exit_code == 0, r.output
    assert SITE_LINE not in out.read_text("utf-8")
    reasons = {json.loads(line)["evidence"] for line in log.read_text().splitlines() if SITE_LINE in line}
    # the URL's host is the source, whatever its scheme and `www.`
    assert reasons == {"recurs in 5 of the 5 articles of usatoday.com, each time beside different text"}
    # Without it, five articles of a corpus of forty are too few: flagged, kept.
    r = run("clean", str(src), "-o", str(out), "--edits", str(log))
    assert r.exit_code == 0, r.output
    assert out.read_text("utf-8").count(SITE_LINE) == 5
    # The setting from [tool.cleaner], as the option.
    (tmp_path / "cleaner.toml").write_text('[tool.cleaner]\nsource-field = "url"\n', encoding="utf-8")
    r = run("clean", str(src), "-o", str(out), "--config", str(tmp_path / "cleaner.toml"))
    assert r.exit_code == 0, r.output
    assert SITE_LINE not in out.read_text("utf-8")


def test_a_source_field_that_is_no_name_is_one_line_exit_2(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"id": "a", "text": "One paragraph.", "url": "https://a.example/1"})
        + "\n"
        + json.dumps({"id": "b", "text": "Another paragraph.", "url": ["https://a.example/2"]})
        + "\n",
        encoding="utf-8",
    )
    r = run("clean", str(src), "-o", str(tmp_path / "out.jsonl"), "--source-field", "url")
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {src}:2:")
    assert "source field 'url' is list, expected a string" in lines[0]
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("fmt", ["json", "jsonl", "table", "github", "sarif"])
def test_a_lone_surrogate_in_a_duplicate_goes_to_stdout_as_its_escape(tmp_path, fmt):
    """Records are read as they are, lone surrogates included (`\\ud800` in the JSON): a report
    that shows them must not stop with a traceback; on UTF-8 the character goes out escaped,
    which keeps the JSON reports valid and gives the character back when read."""
    rows = [json.loads(line) for line in (FIXTURES / "corpora" / "allsides_sample.jsonl").read_text().splitlines()]
    text = rows[0]["text"].replace(" ", " \ud800 ", 1)
    src = tmp_path / "in.jsonl"
    records = [{"id": f"c{i}", "title": rows[0]["title"], "text": text} for i in range(2)]
    src.write_text("".join(json.dumps(r) + "\n" for r in records))
    p = subprocess.run(
        [sys.executable, "-m", "cleaner.cli", "dups", str(src), "--format", fmt, "--exit-zero", "--jobs", "1"],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert p.returncode == 0 and b"Traceback" not in p.stderr, p.stderr.decode()
    out = p.stdout.decode("utf-8")
    assert "\\ud800" in out
    if fmt in ("json", "sarif"):
        json.loads(out)
    if fmt == "json":
        members = [m for c in json.loads(out)["clusters"] for m in c["members"]]
        assert any("\ud800" in m["text"] for m in members)
