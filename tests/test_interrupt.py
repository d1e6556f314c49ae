"""Interrupted runs leave the input intact and the output either as it was or absent."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

BODY = "The council voted on Monday to delay the plan.  It was late .\n\nThe the mayor left. " * 20


def _big_corpus(path: Path, n: int = 40_000) -> bytes:
    lines = [json.dumps({"id": str(i), "title": f"Story {i}", "text": BODY}) for i in range(n)]
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(data)
    return data


def _start(*args: str) -> subprocess.Popen:
    # `--evidence shipped`: writing starts at once (no first pass over the 68 MB input), so the
    # signal lands while the output is being written, however busy the machine.
    cmd = [sys.executable, "-m", "cleaner.cli", "clean", "--evidence", "shipped", *args]
    # Ctrl-C's default action restored in the child: a shell that starts the suite in the
    # background (`cmd &`, nohup) leaves SIGINT ignored, and the child would inherit that.
    return subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_until_running(proc: subprocess.Popen, folder: Path) -> None:
    # The run has started writing once its temporary file exists.
    deadline = time.time() + 180
    while time.time() < deadline and proc.poll() is None:
        if any(p.name.endswith(".tmp") for p in folder.iterdir()):
            # At once: on an idle machine the whole 68 MB can be written in well under a second,
            # and a signal that lands after the run is over tests nothing.
            return
        time.sleep(0.05)
    pytest.fail("the run finished or never started writing before it could be interrupted")


# Ctrl-C, then what `timeout`, systemd and CI cancellation send, and a closed terminal.
STOPS = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}


@pytest.mark.parametrize("sig", [*STOPS, signal.SIGKILL], ids=lambda s: signal.Signals(s).name)
def test_interrupted_output_run(tmp_path, sig):
    src = tmp_path / "in.jsonl"
    data = _big_corpus(src)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "in.jsonl"
    out.write_text("old output\n")
    proc = _start(str(src), "-o", str(out))
    _wait_until_running(proc, out_dir)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    assert src.read_bytes() == data
    assert out.read_text() == "old output\n"
    if sig in STOPS:
        assert proc.returncode == STOPS[sig]
        assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
        assert not [p for p in out_dir.iterdir() if p.name.endswith(".tmp")]
    else:
        # SIGKILL cannot be caught: the temporary file stays, named for its target and its
        # process, and the next run writing that target removes it.
        [left] = [p.name for p in out_dir.iterdir() if p.name.endswith(".tmp")]
        assert left.startswith(f".in.jsonl.cleaner-{proc.pid}.")
        small = tmp_path / "small.jsonl"
        _big_corpus(small, n=3)
        again = _start(str(small), "-o", str(out))
        again.communicate(timeout=60)
        assert again.returncode == 0
        assert sorted(p.name for p in out_dir.iterdir()) == ["in.jsonl"]
        assert len(out.read_text().splitlines()) == 3


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see the workers")
def test_sigterm_stops_the_workers_too(tmp_path):
    src = tmp_path / "in.jsonl"
    _big_corpus(src, n=20_000)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = _start(str(src), "-o", str(out_dir / "in.jsonl"), "--jobs", "2")
    _wait_until_running(proc, out_dir)
    deadline = time.time() + 30
    while not (workers := _children(proc.pid)) and time.time() < deadline:
        time.sleep(0.05)
    assert workers, "the pool never started"
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143 and stderr.strip().splitlines() == [
        "stopped by SIGTERM: nothing half-written was left behind"
    ]
    deadline = time.time() + 10
    while any(_running(w) for w in workers) and time.time() < deadline:
        time.sleep(0.05)
    assert not any(_running(w) for w in workers)
    assert list(out_dir.iterdir()) == []


def test_interrupted_in_place_run_keeps_the_input_whole(tmp_path):
    src = tmp_path / "in.jsonl"
    data = _big_corpus(src)
    proc = _start(str(src), "--in-place")
    _wait_until_running(proc, tmp_path)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert src.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_a_finished_run_replaces_the_output_whole(tmp_path):
    src = tmp_path / "in.jsonl"
    _big_corpus(src, n=200)
    out = tmp_path / "out.jsonl"
    out.write_text("old output\n")
    proc = _start(str(src), "-o", str(out))
    proc.communicate(timeout=60)
    assert proc.returncode == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 200 and "The the" not in rows[0]["text"]
