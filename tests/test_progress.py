"""Progress a person can follow: the stages the jobs report on the fixture corpora (in order,
`done` growing to `total`, byte totals from the files' sizes), that reporting changes no result,
and that the CLI draws the stages on a terminal and nothing on anything else."""

from __future__ import annotations

import gzip
import importlib
import json

import pytest
from typer.testing import CliRunner

from cleaner import progress
from cleaner.cli import app
from cleaner.corpus.scope import Scope
from cleaner.dedup import DupOptions
from cleaner.engines import local
from cleaner.io.readers import InputFile, ReadOptions, iter_input_files, read_file
from cleaner.jobs.clean import CleanJob, run_clean
from cleaner.jobs.dups import DupsJob, run_dups
from cleaner.jobs.index import build_index
from cleaner.normalize import select_rules
from cleaner.normalize.options import NormalizeOptions
from cleaner.progress import Progress
from tests.conftest import FIXTURES, SEEDS

CORPUS = [FIXTURES / "corpora", SEEDS]
DUP_STAGES = [
    "reading and signing",
    "candidates",
    "verification",
    "clusters",
    "article verification",  # after the paragraphs: their verified pairs' articles are candidates
    "reading members",
]


def _size(paths) -> int:
    return sum(f.path.stat().st_size for f in iter_input_files(paths))


def _stages(events: list[Progress]) -> list[str]:
    return list(dict.fromkeys(e.stage for e in events))


def _check_each_stage(events: list[Progress], one_at_a_time: bool = True) -> dict[str, list[Progress]]:
    """Per stage: its `done` never falls, never passes `total`, and reaches it at the last
    event; `one_at_a_time`, no stage reports once a later one has begun (but verification and
    clustering may take turns, level by level)."""
    order = _stages(events)
    by_stage: dict[str, list[Progress]] = {s: [e for e in events if e.stage == s] for s in order}
    last_seen = {s: max(i for i, e in enumerate(events) if e.stage == s) for s in order}
    first_seen = {s: min(i for i, e in enumerate(events) if e.stage == s) for s in order}
    for earlier, later in zip(order, order[1:], strict=False):
        turns = {earlier, later} <= {"verification", "clusters", "article verification"}
        assert last_seen[earlier] < first_seen[later] or turns or not one_at_a_time, (earlier, later)
    for stage, seen in by_stage.items():
        dones = [e.done for e in seen]
        assert dones == sorted(dones), stage
        assert len({(e.total, e.unit) for e in seen}) == 1, stage
        total = seen[0].total
        if total is not None:
            assert all(0 <= d <= total for d in dones), stage
            assert dones[-1] == total, stage
    return by_stage


def _clusters(run) -> list:
    return [(c.kind, [(m.path, m.record, m.paragraph, m.text) for m in c.members]) for c in run.clusters]


@pytest.mark.parametrize("jobs", [1, 2])
def test_dups_reports_its_stages_in_order_and_finds_the_same_clusters(jobs, monkeypatch):
    monkeypatch.setattr(progress, "EVERY", 16)  # the fixtures are a few hundred records
    monkeypatch.setattr(local, "VERIFY_STEP", 100)
    monkeypatch.setattr(local, "PARALLEL_PAIRS", 50)  # with 2 jobs: the forked verification
    job = DupsJob(CORPUS, DupOptions(jobs=jobs))
    events: list[Progress] = []
    run = run_dups(job, events.append)
    assert _stages(events) == DUP_STAGES
    by_stage = _check_each_stage(events)
    reading = by_stage["reading and signing"]
    assert {e.unit for e in reading} == {"bytes"} and reading[-1].total == _size(CORPUS)
    assert reading[-1].records == run.stats["read"] > 100
    records = [e.records for e in reading]
    assert records == sorted(records) and len(reading) >= run.stats["read"] // 16  # every 16, not each
    assert len({e.done for e in reading}) > 3  # the bytes move as the files are read
    assert by_stage["candidates"][-1].unit == "bands" and by_stage["candidates"][-1].done > 0
    verified = by_stage["verification"]
    assert verified[-1].unit == "pairs" and len(verified) > 3
    assert by_stage["clusters"][-1].total == 3  # title, paragraph, document
    # The members' texts are read again up to the last member: the stage is closed at the end.
    assert by_stage["reading members"][-1].done == _size(CORPUS)
    assert _clusters(run) == _clusters(run_dups(job))


def test_dups_in_memory_reports_reading_then_the_finder_stages():
    events: list[Progress] = []
    run = run_dups(DupsJob(CORPUS, DupOptions(jobs=1, verify=False)), events.append)
    assert _stages(events) == ["reading", "signing", "candidates", "verification", "clusters", "article verification"]
    by_stage = _check_each_stage(events)
    assert by_stage["reading"][-1].records == run.stats["read"]
    assert _clusters(run) == _clusters(run_dups(DupsJob(CORPUS, DupOptions(jobs=1, verify=False))))


def test_dups_drop_reports_the_records_written(tmp_path):
    events: list[Progress] = []
    run = run_dups(DupsJob(CORPUS, DupOptions(jobs=1), drop_to=tmp_path / "out"), events.append)
    assert _stages(events) == [*DUP_STAGES, "writing"]
    writing = _check_each_stage(events)["writing"]
    assert writing[-1].unit == "records" and writing[-1].total == run.stats["read"]


@pytest.mark.parametrize("evidence", ["corpus", "shipped"])
def test_clean_reports_reading_normalizing_and_writing(evidence, tmp_path, monkeypatch):
    monkeypatch.setattr(progress, "EVERY", 16)
    job = CleanJob(CORPUS, select_rules(), output=tmp_path / "out", normalize=NormalizeOptions(evidence=evidence))
    events: list[Progress] = []
    stats = run_clean(job, report=events.append)
    first = ["evidence"] if evidence == "corpus" else []
    assert _stages(events) == [*first, "reading", "normalizing", "writing"]
    # The first pass is over before the second begins, whose reading, normalizing and writing
    # go on together, record by record and file by file.
    assert (
        max(i for i, e in enumerate(events) if e.stage == "evidence")
        < events.index(next(e for e in events if e.stage == "reading"))
        if first
        else True
    )
    by_stage = _check_each_stage(events, one_at_a_time=False)
    assert by_stage["reading"][-1].total == _size(CORPUS)
    assert by_stage["reading"][-1].records == stats.read
    normalized = by_stage["normalizing"]
    assert normalized[-1].done == stats.written and len(normalized) > 3
    # Only a first pass knows how many records there are before they are cleaned.
    assert normalized[-1].total == (stats.read if first else None)
    assert by_stage["writing"][-1].total == stats.files == len(iter_input_files(CORPUS))
    if first:
        assert by_stage["evidence"][-1].records == stats.read


def test_clean_check_run_writes_nothing_and_says_so():
    events: list[Progress] = []
    run_clean(CleanJob(CORPUS, select_rules()), report=events.append)
    assert "writing" not in _stages(events)


def test_index_build_reports_reading_and_indexing(tmp_path):
    root = FIXTURES / "corpora"
    events: list[Progress] = []
    stats = build_index(
        tmp_path / "index", Scope(root, False, paths=("txt",)), ReadOptions(), DupOptions(jobs=1), report=events.append
    )
    assert _stages(events) == ["reading", "indexing"]
    by_stage = _check_each_stage(events)
    assert by_stage["reading"][-1].total == _size([root / "txt"])
    assert by_stage["reading"][-1].records == stats.records == by_stage["indexing"][-1].done


def test_a_gzipped_file_is_metered_in_its_compressed_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(progress, "EVERY", 50)
    lines = (FIXTURES / "corpora" / "allsides_sample.jsonl").read_text("utf-8").splitlines()
    src = tmp_path / "many.jsonl.gz"
    with gzip.open(src, "wt", encoding="utf-8") as fh:
        for k in range(10):  # distinct records, so the stream does not compress to nothing
            fh.writelines(json.dumps({**json.loads(line), "id": f"{k}-{i}"}) + "\n" for i, line in enumerate(lines))
    events: list[Progress] = []
    read = progress.reading(events.append, "reading", [src])
    assert read.total == src.stat().st_size
    records = list(read.count(read_file(InputFile(src, src, "jsonl"), ReadOptions(), read.meter)))
    assert len(records) == 400 and [e.records for e in events] == [*range(50, 401, 50), 400]
    dones = [e.done for e in events]
    assert dones == sorted(dones) and 0 < dones[0] < read.total and dones[-1] == read.total


# --- the command line ---------------------------------------------------------------------------


def _cli(monkeypatch, terminal: bool, *args: str):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    if terminal:
        monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich's own switch: stderr counts as a terminal
        monkeypatch.setenv("COLUMNS", "160")
        # Whether it may redraw, rich decided when the console was made, before this test.
        monkeypatch.setattr(importlib.import_module("cleaner.cli.app").err, "is_interactive", True)
    else:
        monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    return CliRunner().invoke(app, list(args))


def test_dups_on_a_terminal_shows_each_stage_and_keeps_stdout_clean(monkeypatch):
    args = ("dups", *map(str, CORPUS), "--format", "json", "--jobs", "1")
    shown = _cli(monkeypatch, True, *args)
    assert shown.exit_code == 1
    for stage in DUP_STAGES:
        assert stage in shown.stderr
    assert f"179 records  {_size(CORPUS) / 1e6:.1f} of {_size(CORPUS) / 1e6:.1f} MB" in shown.stderr
    quiet = _cli(monkeypatch, False, *args)
    # Off a terminal, stderr holds the summary line alone, as before; stdout is the same report.
    assert quiet.exit_code == 1 and len(quiet.stderr.splitlines()) == 1
    assert quiet.stderr.startswith("179 articles, ") and "\x1b" not in quiet.stderr
    strip = lambda s: {k: v for k, v in json.loads(s)["stats"].items() if k != "seconds"}  # noqa: E731
    assert strip(shown.stdout) == strip(quiet.stdout)


def test_clean_on_a_terminal_shows_its_stages_and_its_diff_stays_on_stdout(tmp_path, monkeypatch):
    args = ("clean", str(FIXTURES / "corpora" / "allsides_sample.jsonl"), "--diff")
    shown = _cli(monkeypatch, True, *args)
    for stage in ("evidence", "reading", "normalizing"):
        assert stage in shown.stderr
    quiet = _cli(monkeypatch, False, *args)
    assert "normalizing" not in quiet.stderr and "reading" not in quiet.stderr
    assert shown.stdout == quiet.stdout and shown.stdout.startswith("---")


def test_index_build_on_a_terminal_shows_reading_and_indexing(tmp_path, monkeypatch):
    def build(terminal: bool, name: str):
        index = tmp_path / name
        return _cli(monkeypatch, terminal, "index", "build", str(FIXTURES / "corpora" / "txt"), "--index", str(index))

    shown, quiet = build(True, "a"), build(False, "b")
    assert shown.exit_code == quiet.exit_code == 0
    assert "reading" in shown.stderr and "indexing" in shown.stderr
    assert "reading" not in quiet.stderr and "indexing" not in quiet.stderr
