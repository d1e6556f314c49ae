"""`dups --engine ray` as a sharded job (`cleaner.engines.ray_dups`): the workers read their own
shards, and the report (JSON without `stats.seconds`), the rejected records, their messages and
`--drop`'s output are the local engine's byte for byte, on one node and on two nodes simulated
on this machine (`ray.cluster_utils.Cluster`), with the input cut into many shards.

Skips only where Ray is not installed."""

from __future__ import annotations

import gzip
import json
import os

import numpy as np
import pytest

from cleaner.dedup import DupOptions
from cleaner.errors import InputError
from cleaner.io import ReadOptions
from cleaner.io.readers import InputFile
from cleaner.io.shards import plan_shards, scan_lines
from cleaner.jobs.dups import DupsJob, run_dups
from cleaner.report import dups as report
from tests.conftest import FIXTURES, planted_copies, shared_corpus

PLANTED = FIXTURES / "dups" / "planted.jsonl"
DEFAULTS = DupOptions()
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data.context")


def _start(ray, **kwargs):
    if ray.is_initialized():
        ray.shutdown()  # (another module's Ray, done with)
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    return ray.init(include_dashboard=False, log_to_driver=False, **kwargs)


@pytest.fixture(scope="module")
def one_node():
    ray = pytest.importorskip("ray")
    _start(ray, num_cpus=2)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def two_nodes():
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    if ray.is_initialized():
        ray.shutdown()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    _start(ray, address=cluster.address)
    assert len([n for n in ray.nodes() if n["Alive"]]) == 2
    yield
    ray.shutdown()
    cluster.shutdown()


@pytest.fixture
def small_shards(monkeypatch):
    """Shards of at most 1 MB: a few thousand articles make a dozen or more byte ranges; and a
    partition of the band rows per 1 MB of input, more than the two per CPU of a small input."""
    from cleaner.engines import ray_dups

    monkeypatch.setattr(ray_dups, "MIN_SHARD", 1)
    monkeypatch.setattr(ray_dups, "MAX_SHARD", 1_000_000)
    monkeypatch.setattr(ray_dups, "PARTITION_BYTES", 1_000_000)


def _allsides(tmp_path, n: int):
    path = tmp_path / "allsides.jsonl"
    with gzip.open(shared_corpus("allsides_news_37k.jsonl.gz"), "rt", encoding="utf-8") as fh, path.open("w") as out:
        for i, line in enumerate(fh):
            if i >= n:
                break
            out.write(line)
    return path


def _both(paths, options=DEFAULTS, skip_invalid=False, drop_to=None):
    """(JSON report, rejections) of the local engine and of Ray."""
    out = []
    for engine in ("local", "ray"):
        target = None if drop_to is None else drop_to / engine
        run = run_dups(DupsJob(paths, options, ReadOptions(), skip_invalid, engine, drop_to=target))
        run.stats.pop("seconds")
        out.append(("".join(report.json_chunks(run.clusters, run.stats, run.removals)), run.rejected))
    return out


def _parity(paths, options=DEFAULTS, **kwargs):
    (local, local_rejected), (ray, ray_rejected) = _both(paths, options, **kwargs)
    assert ray == local and ray_rejected == local_rejected
    return json.loads(local)


def test_shards_are_cut_at_line_starts_and_count_as_the_reader(tmp_path):
    path = planted_copies(tmp_path / "in.jsonl", 3)
    with path.open("a") as fh:
        fh.write("\n  \n")  # blank lines: no records, but lines
    shards = plan_shards([InputFile(path, path, "jsonl")], 20_000)
    data = path.read_bytes()
    assert len(shards) > 5 and shards[0].span.start == 0 and shards[-1].span.end == len(data)
    assert all(a.span.end == b.span.start for a, b in zip(shards, shards[1:], strict=False))
    assert all(data[s.span.start - 1 : s.span.start] == b"\n" for s in shards[1:])
    counted = [scan_lines(s) for s in shards]
    assert sum(r for r, _ in counted) == 3 * 58 and sum(len(n) - 1 for _, n in counted) == data.count(b"\n")
    starts = np.concatenate([n[:-1] for _, n in counted])
    assert starts.tolist() == [0] + [k + 1 for k, c in enumerate(data) if c == 10][:-1]


def test_ray_report_is_local_on_allsides_cut_into_byte_ranges(one_node, small_shards, tmp_path):
    path = _allsides(tmp_path, 3000)
    for options in (DupOptions(), DupOptions(levels=("document",))):
        found = _parity([path], options)
        assert found["clusters"] and found["stats"]["documents"] == 3000


@pytest.mark.parametrize("level", ["title", "paragraph", "document"])
def test_ray_report_is_local_for_one_level_of_a_one_shard_input(one_node, level):
    # One shard, one level: a partition with pairs for a single batch (a traceback until 2026-12-08).
    found = _parity([PLANTED], DupOptions(levels=(level,)))
    assert found["clusters"] and {c["kind"] for c in found["clusters"]} == {level}


def test_a_file_changed_before_the_members_are_read_again_is_named_not_read(tmp_path):
    """The members' texts are read again by their lines: a file changed since it was planned (the
    same size, a new time) would give other records there, so it is the one-line error of a
    changed shard, as a shard read through is."""
    from cleaner.dedup.members import Wanted
    from cleaner.engines.ray_shards import _read, read_places

    path = tmp_path / "in.jsonl"
    path.write_bytes(PLANTED.read_bytes())
    (shard,) = plan_shards([InputFile(path, path, "jsonl")], 1 << 30)
    _, _, locations = _read(shard, ReadOptions(), False)
    data = path.read_bytes()
    path.write_bytes(data.replace(b" the ", b" THE ", 1))
    os.utime(path, ns=(shard.stamp[1] + 10**9, shard.stamp[1] + 10**9))
    wanted = Wanted(np.array([1]), np.array([0, 1]), np.array([2]))
    with pytest.raises(InputError, match="the file changed while its duplicates were found"):
        list(read_places(shard, locations, ReadOptions(), wanted))


def test_ray_report_is_local_with_noisy_matching(one_node, small_shards, tmp_path):
    path = _allsides(tmp_path, 1500)
    found = _parity([path], DupOptions(noisy=True))
    assert found["clusters"]
    found = _parity([path], DupOptions(keep="longest", levels=("title", "document")))
    assert "noisy_documents" in found["stats"]


def test_ray_rejections_and_errors_are_local_across_shards(one_node, small_shards, tmp_path):
    rows = [json.loads(line) for line in PLANTED.read_text().splitlines()]
    path = tmp_path / "bad.jsonl"
    with path.open("w") as fh:
        for k in range(4):
            for i, r in enumerate(rows):
                # Every other copy without ids: their ids are then `path:record`, numbered across shards.
                fh.write(json.dumps({**r, "id": f"{r['id']}-{k}"} if k % 2 else {**r, "id": None}) + "\n")
                if i == 20:
                    fh.write("\n{not json\n")  # a blank line, then a bad record, in every copy
                if i == 40:
                    fh.write(json.dumps({"title": "no text"}) + "\n")
    found = _parity([path], skip_invalid=True)
    assert found["stats"]["rejected"] == 8 and found["clusters"]
    messages = []
    for engine in ("local", "ray"):
        with pytest.raises(InputError) as e:
            run_dups(DupsJob([path], DupOptions(), ReadOptions(), False, engine))
        messages.append(str(e.value))
    assert messages[0] == messages[1] and ":23:" in messages[0]


def test_ray_reads_parquet_row_groups_csv_and_gzip_as_local(one_node, small_shards, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    rows = [json.loads(line) for line in planted_copies(tmp_path / "p.jsonl", 4).read_text().splitlines()]
    table = pa.Table.from_pylist([{"id": r["id"], "title": r["title"], "text": r["text"]} for r in rows])
    pq.write_table(table, tmp_path / "in.parquet", row_group_size=20)
    gz = tmp_path / "in.jsonl.gz"
    gz.write_bytes(gzip.compress(PLANTED.read_bytes()))
    found = _parity([tmp_path / "in.parquet", gz, FIXTURES / "corpora"])
    assert found["stats"]["read"] > 4 * 58 + 58


def test_ray_drop_writes_what_local_writes(one_node, small_shards, tmp_path):
    path = planted_copies(tmp_path / "in.jsonl", 3)
    _parity([path], drop_to=tmp_path)
    assert (tmp_path / "ray").read_bytes() == (tmp_path / "local").read_bytes()


def test_ray_report_is_local_on_two_nodes(two_nodes, small_shards, tmp_path):
    path = _allsides(tmp_path, 2000)
    found = _parity([path])
    assert found["clusters"] and found["stats"]["documents"] == 2000
    _parity([PLANTED], DupOptions(noisy=True))
    _parity([planted_copies(tmp_path / "in.jsonl", 3)], skip_invalid=True)


def test_the_shards_arrays_go_to_the_work_dir_and_the_object_store_mode_gives_the_same_report(
    one_node, small_shards, tmp_path, monkeypatch
):
    """On one machine the shards' arrays are files in the run's private working directory (removed
    at the end); on a cluster of several machines without a shared --work-dir they stay in the
    object store. Both give the local engine's report."""
    from cleaner.engines import ray_dups

    path = _allsides(tmp_path, 1500)
    (local, _), _ = _both([path])
    work = tmp_path / "work"
    work.mkdir()
    reports = []
    for several_machines in (False, True):
        monkeypatch.setattr(ray_dups, "_one_host", lambda several=several_machines: not several)
        job = DupsJob([path], DEFAULTS, ReadOptions(), False, "ray", work_dir=None if several_machines else work)
        run = run_dups(job)
        run.stats.pop("seconds")
        reports.append("".join(report.json_chunks(run.clusters, run.stats, run.removals)))
        assert list(work.iterdir()) == []  # the private directory went with the run
    assert reports == [local, local]


def test_a_stored_level_maps_its_arrays_and_names_the_work_dir_when_it_cannot(tmp_path):
    from cleaner.dedup.shingle import ShingleBatch
    from cleaner.engines.ray_levels import LevelShard, StoredLevel, load_level, store_level
    from cleaner.errors import OutputError

    batch = ShingleBatch(np.arange(10, dtype=np.uint32), np.array([0, 4, 10], dtype=np.int64))
    shard = LevelShard(batch, np.array([0, 1]), np.array([30, 55]), keys=["a title", "another"])
    handle = store_level(shard, str(tmp_path / "0-title"))
    assert isinstance(handle, StoredLevel) and len(__import__("pickle").dumps(handle)) < 500
    back = load_level(handle)
    assert isinstance(back.batch.hashes, np.memmap) and back.batch.hashes.tolist() == list(range(10))
    assert back.owner.tolist() == [0, 1] and back.length.tolist() == [30, 55] and back.keys == shard.keys
    assert back.number is None and back.robust is None
    with pytest.raises(OutputError, match="--work-dir must be storage that every node shares"):
        load_level(StoredLevel(str(tmp_path / "elsewhere" / "0-title"), handle.arrays))


def test_the_cluster_s_messages_go_to_stderr_not_into_a_report_on_stdout(one_node, capfd):
    """Ray's driver prints what the cluster tells it (a task retried after an out-of-memory kill)
    to stdout, through the function its error listener calls; at 1M articles 20 such lines opened
    the JSON report. In a session they go to stderr, and Ray's own printer is back after it."""
    from ray._private import worker

    from cleaner.engines.ray import RaySession

    message = {"lines": ["Task reduce_partition failed due to oom"], "pid": "raylet", "is_err": False}
    before = worker.print_to_stdstream
    with RaySession():
        worker.print_to_stdstream(message, ignore_prefix=False)
    out, err = capfd.readouterr()
    assert "failed due to oom" in err and "failed due to oom" not in out
    assert worker.print_to_stdstream is before


@pytest.mark.parametrize(
    ("tasks_per_cpu", "several_machines", "batched"),
    [(1, False, True), (1000, False, False), (1, True, False)],
    ids=["blocks-of-shards", "a-task-a-group", "object-store-mode"],
)
def test_groups_verified_in_batches_of_shard_blocks_give_the_local_report(
    one_node, tmp_path, monkeypatch, tasks_per_cpu, several_machines, batched
):
    """The groups (a level's pairs between two shards) are verified a batch a task: every group
    between two blocks of shards (`ray_batches`). Blocks of several shards, blocks of one (a
    task a group), and the object-store mode of several machines (a block is one shard: a task
    would fetch whole shards) give the local engine's report, with the planted copies split
    over a dozen shards."""
    from cleaner.engines import ray_batches, ray_dups

    monkeypatch.setattr(ray_dups, "MIN_SHARD", 1)
    monkeypatch.setattr(ray_dups, "MAX_SHARD", 20_000)
    monkeypatch.setattr(ray_batches, "TASKS_PER_CPU", tasks_per_cpu)
    monkeypatch.setattr(ray_dups, "_one_host", lambda: not several_machines)
    blocks: list[int] = []
    real = ray_dups.block_size
    monkeypatch.setattr(ray_dups, "block_size", lambda *a, **k: blocks.append(real(*a, **k)) or blocks[-1])
    found = _parity([planted_copies(tmp_path / "in.jsonl", 3)])
    assert found["clusters"] and {c["kind"] for c in found["clusters"]} == {"title", "paragraph", "document"}
    assert len(blocks) == 1 and (blocks[0] > 1) == batched


def test_a_batch_holds_the_groups_of_its_two_blocks_and_joins_their_edges():
    from cleaner.engines.ray_batches import batch_shards, join_edges, split_batches
    from cleaner.engines.ray_pairs import batch_of
    from cleaner.engines.ray_shards import Edges

    assert batch_of(("paragraph", 4, 7), 3) == ("paragraph", 1, 2)
    assert batch_shards(("paragraph", 1, 3), 3, 10) == [3, 4, 5, 9]
    assert batch_shards(("title", 0, 0), 4, 10) == [0, 1, 2, 3]
    grouped = {("title", 0, 1): {"lsh": 1}, ("title", 1, 2): {"lsh": 2}, ("title", 3, 3): {"lsh": 3}}
    assert split_batches(grouped, [("title", 0, 0), ("title", 0, 1), ("title", 1, 1)], 2) == (
        {("title", 0, 1): {"lsh": 1}},
        {("title", 1, 2): {"lsh": 2}},
        {("title", 3, 3): {"lsh": 3}},
    )
    # One batch's pairs are its dict, not a 1-tuple: a task of one return value gives back its value whole.
    assert split_batches(grouped, [("title", 0, 0)], 4) == grouped

    def edges(a, b, items):
        places = {"item": np.array(items), "article": np.array(items) // 2, "number": -np.ones(len(items), int)}
        places["length"] = np.array(items) * 10
        return Edges(np.array(a), np.array(b), np.full(len(a), 0.9), places, 5, 1)

    joined = join_edges([edges([1], [4], [1, 4]), edges([4, 6], [9, 8], [4, 6, 8, 9])])
    assert joined.a.tolist() == [1, 4, 6] and joined.b.tolist() == [4, 9, 8]
    assert joined.places["item"].tolist() == [1, 4, 6, 8, 9]
    assert joined.places["length"].tolist() == [10, 40, 60, 80, 90]
    assert (joined.candidates, joined.noisy) == (10, 2)
    assert len(join_edges([]).a) == 0


@pytest.mark.parametrize("name", ["planted.jsonl", "planted.jsonl.gz"])
def test_a_worker_sends_back_the_texts_of_the_places_asked_for_not_whole_articles(tmp_path, name, monkeypatch):
    """`read_places` (what `dups --engine ray` runs to fill the report's members): from a line
    it seeks to, or from a gzipped shard read through, each asked article's id, origin and the
    texts of its asked places, in the order asked; the paragraph counts only when asked."""
    from cleaner.dedup.members import Wanted
    from cleaner.engines import ray_shards
    from cleaner.engines.ray_shards import _read, read_places
    from cleaner.text import split_paragraphs

    path = tmp_path / name
    data = PLANTED.read_bytes()
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    (shard,) = plan_shards([InputFile(path, path, "jsonl")], 1 << 30)
    docs, _, locations = _read(shard, ReadOptions(), False)
    assert (locations is None) == name.endswith(".gz")
    # Article 1: its third and first paragraphs; article 4: its title and its whole text.
    wanted = Wanted(np.array([1, 4]), np.array([0, 2, 4]), np.array([3 * 3 + 1, 1 * 3 + 1, 0, 2]))
    got = [p for part in read_places(shard, locations, ReadOptions(), wanted) for p in part]
    paragraphs = [docs[1].text[a:b] for a, b, _ in split_paragraphs(docs[1].text)]
    assert [(p.index, p.doc, p.origin) for p in got] == [(k, docs[k].id, docs[k].origin) for k in (1, 4)]
    assert got[0].texts == (paragraphs[2], paragraphs[0]) and got[1].texts == (docs[4].title, docs[4].text)
    assert got[0].paragraphs is None
    counted = [p for part in read_places(shard, locations, ReadOptions(), wanted, count=True) for p in part]
    assert counted[0].paragraphs == len(paragraphs) and counted[1].paragraphs == len(split_paragraphs(docs[4].text))
    # Sent in parts of PLACES_AT_ONCE articles, so that the driver holds one part at a time.
    monkeypatch.setattr(ray_shards, "PLACES_AT_ONCE", 1)
    assert [len(part) for part in read_places(shard, locations, ReadOptions(), wanted)] == [1, 1]
    # A part of the wanted places, numbered from its first article, as each shard is sent its own.
    part = wanted.part(2, 10, 2)
    assert part.articles.tolist() == [2] and part.bounds.tolist() == [0, 2] and part.codes.tolist() == [0, 2]
