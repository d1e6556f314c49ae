"""Engines: the Ray engine gives the local engine's clusters and cleaned output, byte for byte;
the shuffled LSH grouping gives `candidate_pairs`' pairs; a missing Ray is a one-line error.

The Ray tests share one local Ray instance with 2 CPUs (`ray_cluster`) and skip only where Ray
is not installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from typer.testing import CliRunner

from cleaner.cli import app
from cleaner.dedup import DupOptions, find_duplicates
from cleaner.dedup.lsh import band_rows, bucket_pairs, candidate_pairs
from cleaner.dedup.pairs import MAX_ALL_PAIRS
from cleaner.dedup.stages import Signed
from cleaner.io import ReadOptions, read_documents, strict
from tests.conftest import FIXTURES, ROOT, planted_copies, shared_corpus

PLANTED = FIXTURES / "dups" / "planted.jsonl"
# Ray Data's own deprecated settings, warned about inside Ray when its context is copied.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data.context")


@pytest.fixture(scope="session")
def ray_cluster():
    ray = pytest.importorskip("ray")
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    context = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield context.address_info["gcs_address"]
    finally:
        ray.shutdown()


def _without_seconds(report: dict) -> dict:
    report["stats"].pop("seconds")
    return report


def _report(result) -> dict:
    stats = dict(result.stats)
    stats.pop("seconds")
    return {"clusters": [c.to_dict() for c in result.clusters], "stats": stats}


# --- the grouping stage, without Ray -----------------------------------------------------------


@pytest.mark.parametrize("partitions", [1, 3])
def test_shuffled_band_groups_give_the_candidate_pairs(partitions):
    rng = np.random.default_rng(7)
    sigs = rng.integers(0, 50, size=(300, 32), dtype=np.uint32)  # small values: many equal bands
    sigs[100 : 100 + MAX_ALL_PAIRS + 20] = sigs[99]  # a bucket paired as a star and a chain
    threshold = 0.5
    # Two blocks, as two workers would produce them; each row goes to its partition.
    rows = [
        band_rows("paragraph", sigs[:170], 0, threshold, partitions),
        band_rows("paragraph", sigs[170:], 170, threshold, partitions),
    ]
    found: set[tuple[int, int]] = set()
    for p in range(partitions):
        part = {k: np.concatenate([r[k][r["part"] == p] for r in rows]) for k in rows[0]}
        pairs = bucket_pairs(part)
        assert set(pairs["level"].tolist()) <= {1}
        found.update(zip(pairs["a"].tolist(), pairs["b"].tolist(), strict=False))
    assert found == candidate_pairs(sigs, threshold) and len(found) > 100


def test_levels_never_pair_with_each_other():
    sigs = np.zeros((2, 16), dtype=np.uint32)
    rows = [band_rows("title", sigs, 0, 0.5, 1), band_rows("document", sigs, 0, 0.5, 1)]
    pairs = bucket_pairs({k: np.concatenate([r[k] for r in rows]) for k in rows[0]})
    found = zip(pairs["level"].tolist(), pairs["a"].tolist(), pairs["b"].tolist(), strict=True)
    assert sorted(found) == [(0, 0, 1), (2, 0, 1)]


def test_a_hash_collision_never_makes_a_pair():
    rows = band_rows("paragraph", np.array([[1] * 16, [2] * 16, [1] * 16], dtype=np.uint32), 0, 0.5, 1)
    rows["key"][:] = 7  # every row's hash collides
    pairs = bucket_pairs(rows)
    assert sorted(zip(pairs["a"].tolist(), pairs["b"].tolist(), strict=False)) == [(0, 2)]


def test_band_keys_give_the_candidate_pairs():
    from cleaner.dedup.lsh import band_keys, key_pairs

    rng = np.random.default_rng(11)
    sigs = rng.integers(0, 50, size=(400, 32), dtype=np.uint32)  # small values: many equal bands
    sigs[100 : 100 + MAX_ALL_PAIRS + 20] = sigs[99]  # a bucket paired as a star and a chain
    pairs = candidate_pairs(sigs, 0.5)
    assert key_pairs(np.ascontiguousarray(band_keys(sigs, 0.5).T)) == pairs and len(pairs) > 100


def test_band_keys_equal_only_in_their_packed_bits_make_no_pair():
    from cleaner.dedup.lsh import key_pairs

    # Four items need two bits for their number, so keys differing below bit 2 sort as equal.
    keys = np.array([[8, 9, 8, 13], [4, 5, 6, 7], [4, 5, 16, 20]], dtype=np.uint64)
    assert key_pairs(keys) == {(0, 2)}


def test_a_run_of_packed_keys_that_falls_apart_beside_a_real_bucket():
    from cleaner.dedup.lsh import key_pairs

    # 8 and 9 agree above bit 2 and split into single items; 4 and 4 are a bucket. The split
    # run once left a start without a size (IndexError), seen at 100k synthetic articles.
    assert key_pairs(np.array([[8, 9, 4, 4]], dtype=np.uint64)) == {(2, 3)}
    assert key_pairs(np.array([[8, 9, 4, 4], [1, 3, 2, 2]], dtype=np.uint64)) == {(2, 3)}


def test_jobs_fork_workers_for_signing_and_verifying_with_the_same_clusters(monkeypatch):
    from cleaner.engines import local

    docs = list(strict(read_documents([PLANTED], ReadOptions())))
    one = _report(find_duplicates(docs, DupOptions(jobs=1)))
    forked: list[object] = []
    original = local.LocalEngine._fork

    def counted(self, shared, workers, queue):
        forked.append(shared)
        return original(self, shared, workers, queue)

    monkeypatch.setattr(local, "BLOCK", 40)
    monkeypatch.setattr(local, "PARALLEL_PAIRS", 1)
    monkeypatch.setattr(local.LocalEngine, "_fork", counted)
    assert _report(find_duplicates(docs, DupOptions(jobs=2))) == one
    # One pool to sign (given the texts), one to verify (given the signed corpus) the titles and
    # paragraphs, and one the articles, whose candidates include those of the verified paragraphs.
    assert one["clusters"] and len(forked) == 3 and all(isinstance(f[0], Signed) for f in forked[1:])


def _fail(x: int) -> tuple[int, int]:
    raise ValueError(f"task {x}")


def _slow_square(x: int) -> tuple[int, int]:
    time.sleep(0.05)  # so that neither process can take all the tasks before the other starts
    return x * x, os.getpid()


@pytest.mark.skipif(sys.platform != "linux", reason="the local engine forks workers on Linux only")
def test_alongside_runs_every_task_once_in_order_in_both_processes():
    from cleaner.engines.local import LocalEngine

    here: list[int] = []

    def local(x: int) -> tuple[int, int]:
        here.append(x)
        time.sleep(0.05)
        return x * x, os.getpid()

    results = LocalEngine(2)._alongside(None, _slow_square, local, [(x,) for x in range(40)])
    assert [r for r, _ in results] == [x * x for x in range(40)]
    pids = [pid for _, pid in results]
    # This process took tasks from the back, the worker from the front, until they met.
    assert here == list(range(39, min(here) - 1, -1)) and 0 < min(here) < 39
    assert os.getpid() not in pids[: min(here)] and set(pids[min(here) :]) == {os.getpid()}


@pytest.mark.skipif(sys.platform != "linux", reason="the local engine forks workers on Linux only")
def test_alongside_raises_what_a_task_raised_and_leaves_no_worker():
    import multiprocessing

    from cleaner.engines.local import LocalEngine

    for jobs, remote, here in ((2, _fail, _slow_square), (2, _slow_square, _fail), (3, _fail, _slow_square)):
        with pytest.raises(ValueError, match="task"):
            LocalEngine(jobs)._alongside(None, remote, here, [(x,) for x in range(40)])
        assert not multiprocessing.active_children()


def _open_memory_files() -> int:
    return sum(1 for fd in os.listdir("/proc/self/fd") if "memfd:" in os.path.realpath(f"/proc/self/fd/{fd}"))


def _planted_block(n: int | None = None):
    from cleaner.engines.local import _sign

    docs = list(strict(read_documents([PLANTED], ReadOptions())))[:n]
    return _sign(0, len(docs), [d.title for d in docs], [d.text for d in docs], DupOptions())


@pytest.mark.skipif(sys.platform != "linux", reason="memory files are Linux's")
def test_a_parked_block_comes_back_equal_from_a_forked_worker_and_leaves_no_memory_file():
    import multiprocessing
    import pickle

    from cleaner.engines.parking import Mailbox, Parked, park

    block = _planted_block()
    before = _open_memory_files()
    with Mailbox() as mailbox:
        with ProcessPoolExecutor(1, multiprocessing.get_context("fork")) as pool:
            parked = pool.submit(park, block, mailbox.sender).result()
        assert isinstance(parked, Parked) and len(pickle.dumps(parked)) < len(pickle.dumps(block)) // 10
        back = mailbox.unpark(parked)
        assert pickle.dumps(back) == pickle.dumps(block)
        # The arrays are this process's to change (copy-on-write), as any other array would be.
        assert back.parts["paragraph"].batch.hashes.flags.writeable
        del back
    assert _open_memory_files() == before


@pytest.mark.skipif(sys.platform != "linux", reason="the local engine forks workers on Linux only")
def test_many_parked_blocks_need_one_descriptor_per_worker(tmp_path):
    # Every block a worker signs is mapped until the blocks are put together; a descriptor per
    # block ran out of them (EMFILE) on big corpora. Here: ~150 blocks of 2 articles under a
    # limit of 48 descriptors.
    docs = [json.loads(line) for line in PLANTED.read_text().splitlines()] * 5
    corpus = tmp_path / "many.jsonl"
    corpus.write_text("".join(json.dumps({**d, "id": f"{d['id']}-{k}"}) + "\n" for k, d in enumerate(docs)))
    code = (
        "import json, resource, sys; from cleaner.engines import local; local.BLOCK = 2;"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (48, 48));"
        "from cleaner.dedup import DupOptions, find_duplicates;"
        "from cleaner.io import ReadOptions, read_documents, strict;"
        f"docs = list(strict(read_documents([{str(corpus)!r}], ReadOptions())));"
        "r = [find_duplicates(docs, DupOptions(jobs=j)) for j in (1, 2)];"
        "print(json.dumps([[c.to_dict() for c in x.clusters] for x in r]))"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr[-2000:]
    one, two = json.loads(p.stdout)
    assert one and one == two


def test_a_block_that_cannot_be_parked_comes_through_the_pipe(monkeypatch):
    from cleaner.engines import parking

    block = _planted_block(5)

    def no_memory_file(*args, **kwargs):
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(parking.os, "memfd_create", no_memory_file)
    with parking.Mailbox() as mailbox:
        assert parking.park(block, mailbox.sender) is block
        assert mailbox.unpark(block) is block


def _die(*args: object) -> None:
    os._exit(9)  # as a worker the system kills for memory


@pytest.mark.skipif(sys.platform != "linux", reason="the local engine forks workers on Linux only")
def test_a_worker_that_dies_is_one_line_exit_2(monkeypatch):
    from cleaner.engines import local

    # Sent to the workers by name: it must look like the function it replaces (`dups` signs a
    # stream of blocks sent to the workers).
    _die.__module__, _die.__qualname__ = local.__name__, "_sign_sent"
    monkeypatch.setattr(local, "_sign_sent", _die)
    monkeypatch.setattr(local, "BLOCK", 5)
    r = CliRunner().invoke(app, ["dups", str(PLANTED), "--jobs", "2"])
    assert r.exit_code == 2 and "a worker process died" in r.output and "Traceback" not in r.output


def test_dups_through_the_ray_client_is_one_line_exit_2():
    # Ray Data's executor fails inside Ray when the driver is a Ray Client (Ray 2.60): refused
    # up front, with what to do instead, whether or not Ray is installed.
    r = CliRunner().invoke(app, ["dups", str(PLANTED), "--engine", "ray", "--address", "ray://127.0.0.1:1"])
    assert r.exit_code == 2 and "cannot run through the Ray Client" in r.output and "--address auto" in r.output
    assert "Traceback" not in r.output


def test_engine_ray_without_ray_is_one_line_exit_2():
    code = "import sys; sys.modules['ray'] = None; from cleaner.cli import main; main()"
    for args in (["dups", str(PLANTED)], ["clean", str(PLANTED), "--check"]):
        p = subprocess.run([sys.executable, "-c", code, *args, "--engine", "ray"], capture_output=True, text=True)
        assert p.returncode == 2, p.stderr
        assert (
            p.stderr.strip().count("\n") == 0
            and "pip install 'cleaner[ray]'" in p.stderr
            and "Traceback" not in p.stderr
        )


# --- the Ray engine against the local engine ---------------------------------------------------


def test_ray_cli_gives_the_local_json_on_the_planted_fixture(ray_cluster):
    """The real command, as a driver connecting to a running cluster by its address."""
    reports = []
    for extra in ([], ["--engine", "ray", "--address", ray_cluster]):
        p = subprocess.run(
            [sys.executable, "-m", "cleaner.cli", "dups", str(PLANTED), "--format", "json", *extra],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert p.returncode == 1, p.stderr
        reports.append(_without_seconds(json.loads(p.stdout)))
    assert reports[0] == reports[1]
    assert {k for c in reports[0]["clusters"] for k in [c["kind"]]} == {"title", "paragraph", "document"}


def test_ray_engine_gives_the_local_clusters_on_allsides(ray_cluster):
    from cleaner.engines.ray import RayEngine, RaySession

    path = shared_corpus("allsides_news_37k.jsonl.gz")
    docs = []
    for doc in strict(read_documents([path], ReadOptions())):
        docs.append(doc)
        if len(docs) == 3000:
            break
    local = [_report(find_duplicates(docs, DupOptions(jobs=jobs))) for jobs in (1, 2)]
    with RaySession():
        ray = _report(find_duplicates(docs, DupOptions(), RayEngine()))
        empty = _report(find_duplicates([], DupOptions(), RayEngine()))
    assert local[0] == local[1] == ray
    assert {c["kind"] for c in ray["clusters"]} == {"paragraph", "document"} and ray["stats"]["title_candidates"] > 0
    assert empty == _report(find_duplicates([], DupOptions()))


@pytest.mark.parametrize(
    "options", [DupOptions(verify=False, keep="longest"), DupOptions(levels=("title", "document"), noisy=True)]
)
def test_ray_engine_gives_the_local_clusters_with_other_settings(ray_cluster, options):
    from cleaner.engines.ray import RayEngine, RaySession

    docs = list(strict(read_documents([PLANTED], ReadOptions())))
    with RaySession():
        assert _report(find_duplicates(docs, options, RayEngine())) == _report(find_duplicates(docs, options))


@pytest.mark.parametrize("extra", [[], ["--source-field", "source"]], ids=["corpus", "by-source"])
def test_ray_clean_gives_the_local_output_and_edits(ray_cluster, tmp_path, monkeypatch, extra):
    from cleaner.engines import ray as ray_engine

    src = planted_copies(tmp_path / "in.jsonl", 6)  # 348 records: more than one chunk, so Ray tasks really run
    submitted = []
    real_submit = ray_engine.RayPool.submit
    monkeypatch.setattr(ray_engine.RayPool, "submit", lambda self, *a: submitted.append(1) or real_submit(self, *a))
    outputs = []
    for engine in ("local", "ray"):
        out, log = tmp_path / f"out-{engine}.jsonl", tmp_path / f"edits-{engine}.jsonl"
        r = CliRunner().invoke(
            app, ["clean", str(src), "-o", str(out), "--edits", str(log), "--engine", engine, "--jobs", "1", *extra]
        )
        assert r.exit_code == 0, r.output
        outputs.append((out.read_bytes(), log.read_bytes()))
    assert outputs[0] == outputs[1] and outputs[0][1]
    # The two chunks ran as Ray tasks twice, the evidence pass and the cleaning (the local run made none).
    assert len(submitted) == 4


def test_ray_engine_keeps_lone_surrogates_as_the_local_engine_does(ray_cluster, tmp_path):
    from cleaner.engines.ray import RayEngine, RaySession

    docs = list(strict(read_documents([PLANTED], ReadOptions())))
    odd = tmp_path / "odd.jsonl"
    odd.write_text(
        '{"id": "s1", "title": "Bad \\ud800 title", '
        '"text": "A body with a lone \\udc00 surrogate in it, as scraped JSON has."}\n'
    )
    docs += list(strict(read_documents([odd], ReadOptions())))
    assert "\ud800" in docs[-1].title
    with RaySession():
        assert _report(find_duplicates(docs, DupOptions(), RayEngine())) == _report(find_duplicates(docs, DupOptions()))


def test_an_unreachable_address_is_one_line_at_once():
    pytest.importorskip("ray")
    import time

    for args in (["dups", str(PLANTED)], ["clean", str(PLANTED), "--check"]):
        started = time.perf_counter()
        p = subprocess.run(
            [sys.executable, "-m", "cleaner.cli", *args, "--engine", "ray", "--address", "127.0.0.1:1"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
        assert p.returncode == 2 and "cannot reach 127.0.0.1:1" in p.stderr and p.stderr.strip().count("\n") == 0
        assert time.perf_counter() - started < 30


def test_dups_through_the_ray_client_by_ray_address_is_refused_too(monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", "RAY://head:10001")
    r = CliRunner().invoke(app, ["dups", str(PLANTED), "--engine", "ray"])
    assert r.exit_code == 2 and "cannot run through the Ray Client" in r.output
