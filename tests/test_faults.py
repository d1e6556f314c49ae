"""Faults of the machine, real ones where the OS gives them without root: a full /dev/full, a
process's file-size limit (RLIMIT_FSIZE), fifos, sockets and symlink loops, files that change
while read, an index two runs update at once; read-only and full tmpfs mounts only as root.
Each is one line on stderr naming the path and the reason, exit 2, the previous output intact,
and nothing left in the output folder or the temp dir."""

from __future__ import annotations

import json
import os
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cleaner.cli import app
from cleaner.errors import InputError
from cleaner.io.readers import ReadOptions
from cleaner.jobs.clean import CleanJob, run_clean
from cleaner.normalize import select_rules
from tests.conftest import FIXTURES, ROOT

BODY = "The council voted on Monday to delay the plan.  It was late .\n\nThe the mayor left the hall. " * 10
PLANTED = FIXTURES / "dups" / "planted.jsonl"


def corpus(path: Path, n: int = 600) -> bytes:
    rows = [json.dumps({"id": str(i), "title": f"Story {i}", "text": BODY}) for i in range(n)]
    data = ("\n".join(rows) + "\n").encode()
    path.write_bytes(data)
    return data


def run(tmp: Path, *args: str, fsize: int | None = None, **kw) -> subprocess.CompletedProcess:
    """`cleaner ARGS` in a real process, its temp dir `tmp/tmpdir` (checked empty afterwards),
    with a file-size limit of `fsize` bytes if given (Python ignores SIGXFSZ: writes fail EFBIG)."""
    tmpdir = tmp / "tmpdir"
    tmpdir.mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmpdir), "PYTHONDONTWRITEBYTECODE": "1"}

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    kw.setdefault("stdout", subprocess.PIPE)
    return subprocess.run(
        [sys.executable, "-m", "cleaner.cli", *args],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        timeout=120,
        preexec_fn=limit if fsize else None,
        **kw,
    )


def one_error(proc: subprocess.CompletedProcess, *parts: str) -> str:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for part in parts:
        assert part in lines[0]
    return lines[0]


def leftovers(*folders: Path) -> list[str]:
    """Temporary files (ours or anyone's) under the folders."""
    found = []
    for folder in folders:
        if folder.exists():
            found += [str(p) for p in folder.rglob("*") if p.name.endswith(".tmp") or "cleaner-" in p.name]
    return found


# --- stdout and a closed pipe --------------------------------------------------------------------

STDOUT_RUNS = [
    ("dups", str(PLANTED), "--format", "json"),
    ("dups", str(PLANTED)),
    ("clean", str(PLANTED), "--format", "json"),
    ("clean", str(PLANTED), "--diff"),
    ("check", "--no-index", "--format", "json", str(PLANTED)),
]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
@pytest.mark.parametrize("args", STDOUT_RUNS, ids=lambda a: " ".join(x for x in a if not x.startswith("/")))
def test_stdout_on_a_full_device_is_one_line_and_exit_2(tmp_path, args):
    with open("/dev/full", "w") as full:
        proc = run(tmp_path, *args, stdout=full)
    one_error(proc, "stdout: no space left on device")
    assert leftovers(tmp_path) == []


def test_a_reader_that_closes_the_pipe_ends_the_run_quietly(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    src = tmp_path / "many.jsonl"
    src.write_bytes(PLANTED.read_bytes() * 8)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cleaner.cli", "dups", str(src), "--format", "jsonl", "--jobs", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout.read(100)
    proc.stdout.close()  # as `| head -c 100` does
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert proc.returncode == 1 and "Traceback" not in stderr and "error" not in stderr


# --- output files over a size limit (a full disk, without root) ----------------------------------

LIMIT = 64 * 1024


def _limited_runs(tmp: Path) -> list[tuple[list[str], Path]]:
    src, out = tmp / "in.jsonl", tmp / "out"
    distinct = str(FIXTURES / "corpora" / "allsides_sample.jsonl")  # 158 KB, no duplicates to drop
    return [
        (["clean", str(src), "-o", str(out / "in.jsonl"), "--select", "doubled-word", "-j", "1"], out / "in.jsonl"),
        (["clean", str(src), "--edits", str(out / "edits.jsonl"), "--select", "doubled-word"], out / "edits.jsonl"),
        (["dups", str(src), "--levels", "document", "--clusters", str(out / "c.jsonl"), "-j", "1"], out / "c.jsonl"),
        (["dups", distinct, "--levels", "document", "--drop", "-o", str(out / "d.jsonl"), "-j", "1"], out / "d.jsonl"),
    ]


# `dups` keeps its arrays in a working directory, under the same limit: each case's limit lets
# those arrays through (the document level's shingle hashes: 456 KB of the 600 copies, 91 KB of
# the AllSides sample) and stops the output (about 600 KB, 156 KB).
LIMITS = [LIMIT, LIMIT, 512 * 1024, 128 * 1024]


@pytest.mark.parametrize("case", range(4), ids=["clean -o", "clean --edits", "dups --clusters", "dups --drop"])
def test_an_output_over_the_file_size_limit_is_one_line_and_the_old_output_stays(tmp_path, case):
    corpus(tmp_path / "in.jsonl")
    args, target = _limited_runs(tmp_path)[case]
    target.parent.mkdir()
    target.write_text("old output\n")
    proc = run(tmp_path, *args, fsize=LIMITS[case])
    one_error(proc, f"{target}: file too large")
    assert target.read_text() == "old output\n"
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]
    assert leftovers(tmp_path) == []


def test_rejects_over_the_file_size_limit(tmp_path):
    src = tmp_path / "bad.jsonl"
    src.write_text("".join(f'{{"id": {i}, "text": "not closed\n' for i in range(3000)))
    rejects = tmp_path / "out" / "rejects.jsonl"
    proc = run(tmp_path, "clean", str(src), "--check", "--skip-invalid", "--rejects", str(rejects), fsize=LIMIT)
    one_error(proc, f"{rejects}: file too large")
    assert not rejects.parent.exists() or list(rejects.parent.iterdir()) == []
    assert leftovers(tmp_path) == []


def test_an_index_update_over_the_file_size_limit_leaves_the_index_as_it_was(tmp_path):
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    shutil.copy(FIXTURES / "corpora" / "allsides_sample.jsonl", corpus_dir)
    index = tmp_path / "index"
    assert run(tmp_path, "index", "build", str(corpus_dir), "--index", str(index), cwd=tmp_path).returncode == 0
    before = _index_rows(index)
    shutil.copy(FIXTURES / "corpora" / "syndication_sample.jsonl", corpus_dir)
    update = ("index", "update", str(corpus_dir), "--index", str(index))
    proc = run(tmp_path, *update, cwd=tmp_path, fsize=index.stat().st_size)
    print(one_error(proc, f"{index}: cannot write the index: "))
    assert _index_rows(index) == before
    assert leftovers(tmp_path) == []


def _index_rows(index: Path) -> tuple[str, int, list[str]]:
    with sqlite3.connect(index) as conn:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        records = conn.execute("SELECT count(*) FROM records").fetchone()[0]
        files = [p for (p,) in conn.execute("SELECT path FROM files ORDER BY path")]
    return check, records, files


# --- output folders that cannot be written -------------------------------------------------------


def test_an_output_folder_that_is_a_file_is_one_line(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(PLANTED, folder)
    not_a_folder = tmp_path / "out"
    not_a_folder.write_text("a file\n")
    proc = run(tmp_path, "clean", str(folder), "-o", str(not_a_folder))
    one_error(proc, f"{not_a_folder} is not a folder")
    assert not_a_folder.read_text() == "a file\n" and leftovers(tmp_path) == []


def test_an_output_that_is_a_fifo_is_never_replaced(tmp_path):
    fifo = tmp_path / "out.jsonl"
    os.mkfifo(fifo)
    proc = run(tmp_path, "clean", str(PLANTED), "-o", str(fifo))
    one_error(proc, f"{fifo}: not a regular file")
    assert fifo.is_fifo() and leftovers(tmp_path) == []


@pytest.fixture
def readonly_folder(tmp_path):
    """A folder writes into fail: chmod 555, or where root writes anyway, a read-only tmpfs."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder, "permission denied"
        folder.chmod(0o755)
        return
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"root, and no read-only tmpfs to be had: {done.stderr.decode().strip()}")
    yield folder, "read-only file system"
    subprocess.run(["umount", str(folder)], check=True)


def test_a_read_only_output_folder_is_one_line(tmp_path, readonly_folder):
    folder, reason = readonly_folder
    target = folder / "out.jsonl"
    proc = run(tmp_path, "clean", str(PLANTED), "-o", str(target))
    one_error(proc, f"{target}: cannot write here: {reason}")
    assert list(folder.iterdir()) == [] and leftovers(tmp_path) == []


@pytest.fixture
def small_tmpfs(tmp_path):
    folder = tmp_path / "small"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs needs root: {done.stderr.decode().strip()}")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_a_full_disk_is_one_line_and_leaves_the_old_output(tmp_path, small_tmpfs):
    src = tmp_path / "in.jsonl"
    corpus(src)
    target = small_tmpfs / "in.jsonl"
    target.write_text("old output\n")
    proc = run(tmp_path, "clean", str(src), "-o", str(target), "--select", "doubled-word", "-j", "1")
    one_error(proc, f"{target}: no space left on device")
    assert target.read_text() == "old output\n"
    assert [p.name for p in small_tmpfs.iterdir()] == ["in.jsonl"] and leftovers(tmp_path) == []


# --- inputs that are not files, or change while read ---------------------------------------------


def _socket(path: Path) -> None:
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    s.close()


ODD_ENTRIES = {
    "fifo": (os.mkfifo, "a fifo, not an article file"),
    "socket": (_socket, "a socket, not an article file"),
    "symlink loop": (lambda p: p.symlink_to(p.name), "too many levels of symbolic links"),
}


@pytest.mark.parametrize("kind", ODD_ENTRIES)
def test_a_folder_holding_a_fifo_socket_or_symlink_loop_is_one_line(tmp_path, kind):
    make, reason = ODD_ENTRIES[kind]
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(PLANTED, folder / "b.jsonl")
    make(folder / "a.jsonl")
    out = tmp_path / "out"
    proc = run(tmp_path, "clean", str(folder), "-o", str(out))  # a fifo opened would wait forever
    one_error(proc, f"{folder / 'a.jsonl'}", reason)
    assert not out.exists() or list(out.rglob("*")) == []
    assert leftovers(tmp_path) == []


def _shrink(p: Path) -> None:
    with p.open("r+b") as fh:
        fh.truncate(p.stat().st_size // 2)


def _replace(p: Path) -> None:
    tmp = p.with_name("new")
    tmp.write_bytes(p.read_bytes())
    os.replace(tmp, p)


CHANGES = {
    "shrinks": (_shrink, "changed ("),
    "vanishes": (Path.unlink, "removed while it was read"),
    "is replaced": (_replace, "replaced while it was read"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_an_input_that_changes_while_read_stops_the_run_with_nothing_written(tmp_path, change):
    act, reason = CHANGES[change]
    src = tmp_path / "in.jsonl"
    corpus(src, n=400)
    out = tmp_path / "out"
    out.mkdir()
    (out / "in.jsonl").write_text("old output\n")
    done: list[int] = []

    def meddle(result) -> None:  # after the first record is cleaned, while the rest is being read
        if not done:
            done.append(1)
            act(src)

    job = CleanJob(paths=[src], rules=select_rules(["doubled-word"]), read_options=ReadOptions(), output=out)
    with pytest.raises(InputError) as e:
        run_clean(job, on_result=meddle)
    assert str(src) in str(e.value) and reason in str(e.value)
    assert [p.name for p in out.iterdir()] == ["in.jsonl"] and (out / "in.jsonl").read_text() == "old output\n"


def test_a_file_that_changes_while_read_is_an_error_even_with_skip_invalid(tmp_path):
    src = tmp_path / "in.jsonl"
    corpus(src, n=400)
    job = CleanJob(paths=[src], rules=select_rules(["doubled-word"]), skip_invalid=True)
    with pytest.raises(InputError, match="changed"):
        run_clean(job, on_result=lambda r: _shrink(src) if r.original.origin.record == 1 else None)


# --- the index, updated by two runs at once ------------------------------------------------------


def _two_corpora(tmp_path: Path) -> tuple[Path, Path]:
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    shutil.copy(FIXTURES / "corpora" / "basil_sample.jsonl", corpus_dir)
    index = tmp_path / "index"
    assert run(tmp_path, "index", "build", str(corpus_dir), "--index", str(index), cwd=tmp_path).returncode == 0
    shutil.copy(FIXTURES / "corpora" / "allsides_sample.jsonl", corpus_dir)
    shutil.copy(FIXTURES / "corpora" / "syndication_sample.jsonl", corpus_dir)
    return corpus_dir, index


def test_two_index_updates_at_once_take_turns_and_the_index_holds_each_record_once(tmp_path):
    corpus_dir, index = _two_corpora(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "cleaner.cli", "index", "update", str(corpus_dir), "--index", str(index)]
    # A third run holds the index while both start, so that both find the same two new files
    # and then wait for it: they run in turn, and the second has nothing left to do.
    holder = sqlite3.connect(index, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    procs = [subprocess.Popen(cmd, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    time.sleep(3)
    holder.execute("ROLLBACK")
    holder.close()
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    read = sorted(stderr.split(": ", 1)[1].split(" files read")[0] for _, stderr in results)
    assert read == ["0", "2"], results  # the two new files, indexed once
    records = sum(len(p.read_text().splitlines()) for p in corpus_dir.iterdir())
    assert _index_rows(index) == ("ok", records, sorted(f"corpus/{p.name}" for p in corpus_dir.iterdir()))


def test_an_update_that_waited_too_long_says_the_index_is_busy(tmp_path, monkeypatch):
    corpus_dir, index = _two_corpora(tmp_path)
    before = _index_rows(index)
    holder = sqlite3.connect(index, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another run, mid-update
    try:
        monkeypatch.setattr("cleaner.dedup.store.BUSY_SECONDS", 0.2)
        monkeypatch.chdir(tmp_path)
        r = CliRunner().invoke(app, ["index", "update", str(corpus_dir), "--index", str(index)])
        assert r.exit_code == 2
        assert r.stderr.strip() == f"error: {index}: the index is busy: another cleaner is updating it; try again"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _index_rows(index) == before


# --- what a run killed outright leaves, and who removes it ---------------------------------------


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_temporary_files_of_killed_runs_are_removed_by_the_next_run_and_no_others(tmp_path):
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    shutil.copy(FIXTURES / "corpora" / "basil_sample.jsonl", corpus_dir)
    out, index = tmp_path / "out.jsonl", tmp_path / "index"
    dead, alive = _dead_pid(), os.getppid()  # (pytest's parent lives on while this test runs)
    stale = [tmp_path / f".out.jsonl.cleaner-{dead}.k2j4_x.tmp", tmp_path / f".index.cleaner-{dead}.build.tmp"]
    kept = [tmp_path / f".out.jsonl.cleaner-{alive}.a1b2c3.tmp", tmp_path / f".other.jsonl.cleaner-{dead}.zz.tmp"]
    for p in stale + kept:
        p.write_text("half\n")
    assert run(tmp_path, "clean", str(corpus_dir / "basil_sample.jsonl"), "-o", str(out)).returncode == 0
    assert run(tmp_path, "index", "build", str(corpus_dir), "--index", str(index), cwd=tmp_path).returncode == 0
    assert not any(p.exists() for p in stale) and all(p.exists() for p in kept)
