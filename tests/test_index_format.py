"""The index's on-disk format (schema 7): what a check finds through it is what it finds from the
articles themselves, though it keeps only the texts it could not read again from their files,
it stays small per article, and an index of another format or a missing band file is one line
asking for a rebuild."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from cleaner.corpus import reread, scope
from cleaner.corpus.reread import CorpusTexts
from cleaner.corpus.scope import read_corpus_file
from cleaner.dedup import DupOptions, bandfile
from cleaner.dedup.items import items_of
from cleaner.dedup.lsh import first_members, members_per_item
from cleaner.dedup.schema import salted
from cleaner.dedup.store import IndexStore
from cleaner.errors import ConfigError
from cleaner.io.readers import ReadOptions
from tests.conftest import FIXTURES
from tests.corpus_repo import TXT, article, cli, copy_with_new_headline, corpus_repo, git

CORPUS = [FIXTURES / "corpora" / n for n in ("allsides_sample.jsonl", "basil_sample.jsonl", "syndication_sample.jsonl")]
# Every fixture corpus once (the .jsonl.gz repeats allsides_sample.jsonl).
ALL_FIXTURES = [*CORPUS, FIXTURES / "corpora" / "bbc_sample.csv", FIXTURES / "corpora" / "reuters_sample.parquet", *TXT]


def plant(repo: Path) -> list[str]:
    """New articles that repeat the corpus: an AllSides article under a new headline, a new
    article lifting one paragraph of another, and one under an indexed headline."""
    records = [json.loads(line) for line in CORPUS[0].read_text(encoding="utf-8").splitlines()]
    (repo / "copy.txt").write_text(f"A headline of our own\n\n{records[7]['text']}\n", encoding="utf-8")
    own = article(TXT[5]).paragraphs()
    lifted = article(TXT[2]).paragraphs()[1]
    (repo / "lift.txt").write_text("Our own title here\n\n" + "\n\n".join([own[0], lifted, *own[1:3]]) + "\n")
    (repo / "title.txt").write_text(f"{records[3]['title']}\n\n" + "\n\n".join(article(TXT[4]).paragraphs()[:2]) + "\n")
    return ["copy.txt", "lift.txt", "title.txt"]


def duplicate_lines(stdout: str, names: list[str]) -> list[str]:
    return [line for line in stdout.splitlines() if ": duplicate-" in line and line.split(":")[0] in names]


def test_check_through_the_index_finds_what_it_finds_from_the_articles_themselves(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, [*CORPUS, *TXT])
    new = plant(repo)
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    indexed = cli(repo, monkeypatch, "check", *new)
    # Without the index, the corpus's files, named first, are the earlier copies: compared from
    # shingles computed now, not from what the index stored.
    corpus = sorted(p.name for p in [*CORPUS, *TXT])
    direct = cli(repo, monkeypatch, "check", "--no-index", *corpus, *new)
    found = duplicate_lines(indexed.stdout, new)
    assert found == duplicate_lines(direct.stdout, new)
    kinds = {(line.split(":")[0], line.split(": ")[1]) for line in found}
    assert {("copy.txt", "duplicate-article"), ("lift.txt", "duplicate-paragraph")} <= kinds
    assert ("title.txt", "duplicate-title") in kinds
    [copy] = [line for line in found if line.startswith("copy.txt")]
    assert copy.endswith(f"(duplicate of {CORPUS[0].name}:8)")  # record 8 is on line 8
    # (The lifting article's other paragraphs are TXT[5]'s, indexed too.)
    lifted_line = TXT[2].read_text(encoding="utf-8").splitlines().index(article(TXT[2]).paragraphs()[1]) + 1
    assert any(
        line.startswith("lift.txt:5: duplicate-paragraph")
        and line.endswith(f"(duplicate of {TXT[2].name}:{lifted_line})")
        for line in found
    )


def index_bytes(index: Path) -> int:
    return sum(p.stat().st_size for p in index.parent.iterdir() if p.name.startswith(index.name))


def test_the_index_takes_far_less_per_article_than_schema_3(tmp_path, monkeypatch):
    # Schema 3 (shingle sets, and band rows in SQLite) took 8.0 KB per article of these 138
    # fixture articles; schema 4 (texts kept) 4.5 KB; schema 5 3.7 KB; schema 7 2.75 KB, with the
    # compressed texts of the CSV, Parquet and gzip articles, and pages SQLite has not filled yet.
    repo = corpus_repo(tmp_path, ALL_FIXTURES)
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    status = json.loads(cli(repo, monkeypatch, "index", "status", "--format", "json").stdout)
    assert status["records"] > 100
    assert index_bytes(repo / ".cleaner" / "index") / status["records"] < 3000


def test_an_index_of_schema_3_is_one_line_asking_for_a_rebuild(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, TXT)
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    index = repo / ".cleaner" / "index"
    with sqlite3.connect(index) as conn:
        conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema'")
    copy_with_new_headline(TXT[0], repo / "new.txt", "Another headline")
    for args in (["check", "new.txt"], ["index", "update"], ["index", "status"]):
        r = cli(repo, monkeypatch, *args)
        assert r.exit_code == 2, (args, r.output)
        [line] = r.stderr.strip().splitlines()
        assert "older format (schema 3" in line and "cleaner index build --rebuild" in line
        assert "Traceback" not in r.output
    assert cli(repo, monkeypatch, "index", "build", "--rebuild").exit_code == 0
    r = cli(repo, monkeypatch, "check", "new.txt")
    assert r.exit_code == 1 and f"(duplicate of {TXT[0].name}:1)" in r.stdout
    # The replaced index's band file went with it: one index, one band file.
    assert sorted(p.name for p in index.parent.iterdir()) == ["index", "index.bands2"]


def test_a_missing_band_file_is_one_line_asking_for_a_rebuild(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, TXT)
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    (repo / ".cleaner" / "index.bands1").unlink()
    copy_with_new_headline(TXT[0], repo / "new.txt", "Another headline")
    r = cli(repo, monkeypatch, "check", "new.txt")
    assert r.exit_code == 2 and "Traceback" not in r.output
    [line] = r.stderr.strip().splitlines()
    assert "index.bands1" in line and "cannot read the band file" in line and "--rebuild" in line


@pytest.mark.parametrize(("rows", "largest_item"), [(3000, 2999), (40, 2999), (200, (1 << 32) - 1)])
def test_the_band_file_answers_as_a_table_of_its_kept_keys_would(tmp_path, rows, largest_item):
    # Keys as the index makes them (48 bits), some shared by several items, some equal once the
    # file drops their low bits, and some sharing their top or low part with others, so every way
    # two keys can nearly match is there; a directory of 7 bits, of none, and one widened for
    # item numbers of 32 bits.
    rng = np.random.default_rng(rows)
    keys = rng.integers(0, 1 << 48, rows, dtype=np.int64)
    tenth = rows // 10
    keys[:tenth] = keys[tenth : 2 * tenth]  # the same key, other items
    keys[2 * tenth : 3 * tenth] = keys[3 * tenth : 4 * tenth] ^ 0x5A  # the same key once kept
    keys[4 * tenth : 5 * tenth] = (keys[5 * tenth : 6 * tenth] & ~np.int64(0xFFFFFFFF)) | 7  # the same top part
    keys[6 * tenth : 7 * tenth] = keys[7 * tenth : 8 * tenth] & np.int64(0xFFFFFFFF)  # the same low part
    items = rng.choice(largest_item + 1, rows, replace=False).astype(np.int64)
    items[0] = largest_item
    table: dict[int, set[int]] = {}
    for k, i in zip(bandfile.kept(keys).tolist(), items.tolist(), strict=True):
        table.setdefault(k, set()).add(i)
    expect_rows = sorted((k, i) for k, its in table.items() for i in its)
    path = tmp_path / "bands"
    chunks = [
        (np.array([k for k, _ in expect_rows[a : a + 700]]), np.array([i for _, i in expect_rows[a : a + 700]]))
        for a in range(0, len(expect_rows), 700)
    ]
    bandfile.write_band_file(path, len(expect_rows), largest_item + 1, chunks)
    f = bandfile.BandFile(path)
    asked = np.concatenate([keys[::7], rng.integers(0, 1 << 48, 500, dtype=np.int64), keys[::11] ^ 1, keys[::13] ^ 256])
    found_keys, found_items = f.lookup(asked)
    expect = [(k, i) for k in sorted(set(asked.tolist())) for i in sorted(table.get(int(bandfile.kept(k)), ()))]
    assert list(zip(found_keys.tolist(), found_items.tolist(), strict=True)) == expect
    back = [(int(k), int(i)) for ks, its in f.chunks(1000) for k, i in zip(ks, its, strict=True)]
    assert back == expect_rows


UNIT = 1 << (48 - bandfile.KEY_BITS)  # the lowest key bit the band file keeps


def test_band_rows_out_of_order_are_refused(tmp_path):
    for keys, items in (([2, 1], [1, 2]), ([1, 1], [2, 1]), ([1, 1.5], [1, 1])):
        rows = np.array([int(k * UNIT) for k in keys]), np.array(items)
        with pytest.raises(ValueError, match="not sorted"):
            bandfile.write_band_file(tmp_path / "bands", 2, 3, [rows])


def test_a_truncated_band_file_is_refused(tmp_path):
    path = tmp_path / "bands"
    bandfile.write_band_file(path, 2, 3, [(np.array([UNIT, 3 * UNIT]), np.array([1, 2]))])
    found_keys, found_items = bandfile.BandFile(path).lookup(np.array([3 * UNIT, 4 * UNIT]))
    assert (found_keys.tolist(), found_items.tolist()) == ([3 * UNIT], [2])
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(bandfile.BandFileError, match="truncated"):
        bandfile.BandFile(path)


def test_the_index_keeps_the_texts_only_of_records_that_cannot_be_read_alone(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, ALL_FIXTURES)
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    with sqlite3.connect(repo / ".cleaner" / "index") as conn:
        kept = dict(conn.execute("SELECT path, min(body IS NOT NULL) FROM records GROUP BY path"))
    assert kept == {p.name: int(p.suffix in (".csv", ".parquet", ".gz")) for p in ALL_FIXTURES}
    # A copy of an article of each kind of file is found: texts read again and texts kept.
    with open(ALL_FIXTURES[3], encoding="utf-8", newline="") as fh:
        bbc = next(csv.DictReader(fh))
    (repo / "from_csv.txt").write_text(f"Our headline\n\n{bbc['text']}\n", encoding="utf-8")
    copy_with_new_headline(TXT[1], repo / "from_txt.txt", "Another headline")
    r = cli(repo, monkeypatch, "check", "from_csv.txt", "from_txt.txt")
    assert r.exit_code == 1, r.output
    assert f"(duplicate of {ALL_FIXTURES[3].name}:2)" in r.stdout  # record 1, after the header line
    assert f"(duplicate of {TXT[1].name}:1)" in r.stdout
    assert "not compared" not in r.stderr


def test_an_indexed_record_that_moved_in_its_file_is_still_found(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, CORPUS)
    new = plant(repo)
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    before = duplicate_lines(cli(repo, monkeypatch, "check", *new).stdout, new)
    # An article added above the copied one, not committed: the index keeps the committed file
    # (in flux, it is not indexed again), whose record 8 is now on line 9.
    shard = repo / CORPUS[0].name
    lines = shard.read_text(encoding="utf-8").splitlines(keepends=True)
    first = json.loads(lines[0])
    added = json.dumps({**first, "id": "added", "text": "Another text."}) + "\n"
    shard.write_text(added + "".join(lines), encoding="utf-8")
    r = cli(repo, monkeypatch, "check", *new)
    assert duplicate_lines(r.stdout, new) == before
    assert any(line.startswith("copy.txt") and line.endswith(f"{CORPUS[0].name}:8)") for line in before)
    assert "not compared" not in r.stderr


def test_an_indexed_record_its_file_no_longer_holds_is_not_compared_and_the_check_says_so(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, CORPUS)
    plant(repo)
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    shard = repo / CORPUS[0].name
    lines = shard.read_text(encoding="utf-8").splitlines(keepends=True)
    edited = json.loads(lines[7])
    lines[7] = json.dumps({**edited, "text": "The article was replaced by a correction."}) + "\n"
    shard.write_text("".join(lines), encoding="utf-8")
    r = cli(repo, monkeypatch, "check", "copy.txt")
    # Record 8 as indexed is in no file now, so nothing names it, and the check says why.
    assert f"{CORPUS[0].name}:8)" not in r.stdout
    [note] = [line for line in r.stderr.splitlines() if "not compared" in line]
    assert note.startswith("1 indexed record was not compared") and f"{CORPUS[0].name}:8" in note
    assert "cleaner index update" in note and "Traceback" not in r.output


def test_each_indexed_item_is_found_again_by_its_id_with_the_band_rows_it_was_indexed_with(tmp_path, monkeypatch):
    # Schema 7 keeps no table of items: a record's items take the ids from its own on, and a check
    # learns which item an id is by recomputing its record's items. Every format, every level:
    # the item an id names now must be the one whose band keys the band file holds for that id.
    repo = corpus_repo(tmp_path, ALL_FIXTURES)
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    store = IndexStore.open(repo / ".cleaner" / "index", DupOptions(jobs=1), ReadOptions())
    try:
        rows: dict[int, set[int]] = {}
        for keys, items in store.band_file().chunks():
            for key, iid in zip(keys.tolist(), items.tolist(), strict=True):
                rows.setdefault(iid, set()).add(key)
        stored = store.items(rows, CorpusTexts(repo, ReadOptions()))
        records = store.records({it.rid for it in stored.values()})
        assert len(stored) == len(rows)  # no band row of a build dangles
        found: dict[tuple[str, int, str, int | None], tuple[int, bytes]] = {}
        for it in stored.values():
            rec = records[it.rid]
            found[(rec.path, rec.record, it.level, it.paragraph)] = (it.iid, it.shingles.tobytes())
        expected = 0
        for path in sorted({p.name for p in ALL_FIXTURES}):
            docs, _ = read_corpus_file(repo, path, ReadOptions())
            for level, li in items_of(docs, DupOptions(jobs=1)).items():
                keys = bandfile.kept(salted(level, li.bands))
                for k, owner in enumerate(li.owners):
                    iid, shingles = found[(path, docs[owner].origin.record, level, li.paragraphs[k])]
                    assert shingles == li.batch.set(k).tobytes()
                    assert rows[iid] == set(keys[k].tolist())
                    expected += 1
        assert expected == len(stored)
        levels = {it.level for it in stored.values()}
        assert levels == {"title", "paragraph", "document"}

        # Asked for one level, a check recomputes only what that level's places depend on.
        def seen(items):
            return {iid: (it.level, it.paragraph, it.line, it.shingles.tobytes()) for iid, it in items.items()}

        for level in levels:
            alone = store.items(rows, CorpusTexts(repo, ReadOptions()), level)
            assert seen(alone) == seen({iid: it for iid, it in stored.items() if it.level == level})
    finally:
        store.close()


def test_a_check_reads_the_first_members_of_a_bucket_and_still_knows_its_size():
    # A bucket of three cut to its first two: a check compares with those two only, and the size
    # still says how common the key is (a paragraph in thousands of articles is boilerplate).
    keys, items = np.array([7, 7, 7, 9, 12, 12]), np.array([3, 4, 11, 1, 2, 8])
    buckets, sizes = first_members(keys, items, 2)
    assert (buckets, sizes) == ({7: [3, 4], 9: [1], 12: [2, 8]}, {7: 3, 9: 1, 12: 2})
    members, largest = members_per_item(buckets, sizes, np.array([[7, 9], [12, 5]]), 2)
    assert (members, largest) == ([[1, 3, 4], [2, 8]], [3, 2])
    assert first_members(np.zeros(0, np.int64), np.zeros(0, np.int64), 2) == ({}, {})


def test_checking_an_edited_file_does_not_read_its_old_records_again_nor_call_them_not_compared(tmp_path, monkeypatch):
    # The committed version of an edited record is in the index and is usually a candidate of the
    # record as it is now; it is stale, never matched, so it is neither looked for in the file
    # nor reported as "not compared".
    reads: list[str] = []
    whole = scope.read_corpus_file
    monkeypatch.setattr(reread, "read_corpus_file", lambda root, p, *a: reads.append(p) or whole(root, p, *a))
    repo = corpus_repo(tmp_path, CORPUS)
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    shard = repo / CORPUS[0].name
    lines = shard.read_text(encoding="utf-8").splitlines(keepends=True)
    edited = json.loads(lines[7])
    lines[7] = json.dumps({**edited, "text": edited["text"] + "\n\nA correction was added at the end."}) + "\n"
    shard.write_text("".join(lines), encoding="utf-8")
    r = cli(repo, monkeypatch, "check", CORPUS[0].name)
    assert r.exit_code in (0, 1) and "not compared" not in r.stderr
    assert CORPUS[0].name not in reads


def test_a_file_read_again_by_digest_is_read_once_per_check(tmp_path, monkeypatch):
    reads: list[str] = []
    whole = scope.read_corpus_file
    monkeypatch.setattr(reread, "read_corpus_file", lambda root, p, *a: reads.append(p) or whole(root, p, *a))
    repo = corpus_repo(tmp_path, CORPUS)
    new = plant(repo)
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    before = duplicate_lines(cli(repo, monkeypatch, "check", *new).stdout, new)
    # A line added above every record: each indexed record of the shard has moved.
    shard = repo / CORPUS[0].name
    first = json.loads(shard.read_text(encoding="utf-8").splitlines()[0])
    shard.write_text(json.dumps({**first, "id": "added"}) + "\n" + shard.read_text(encoding="utf-8"), encoding="utf-8")
    reads.clear()
    assert duplicate_lines(cli(repo, monkeypatch, "check", *new).stdout, new) == before
    assert reads.count(CORPUS[0].name) == 1


def test_records_without_items_count_as_no_items(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, [])
    (repo / "cleaner.toml").write_text('[dups]\nlevels = ["title", "paragraph"]\n')
    (repo / "a.jsonl").write_text("".join(json.dumps({"id": str(k), "text": "Short."}) + "\n" for k in range(5)))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "five short records")
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    status = json.loads(cli(repo, monkeypatch, "index", "status", "--format", "json").stdout)
    assert (status["records"], status["items"]) == (5, {"title": 0, "paragraph": 0, "document": 0})


def test_an_index_of_more_items_than_the_band_file_numbers_is_a_one_line_error(tmp_path):
    spill = bandfile.SortedSpill(tmp_path / "index")
    try:
        with pytest.raises(ConfigError, match=r"more than 2\*\*32 items.*--index"):
            spill.add(np.array([UNIT]), np.array([1 << 32]))
    finally:
        spill.close()
    assert list(tmp_path.iterdir()) == []  # the spill's temporary file went with it


def test_the_spill_writes_the_rows_of_all_its_batches_sorted_and_each_once(tmp_path):
    # Batches in any order, rows repeated within and across them, and repeated once the file drops
    # the keys' low bits: the band file written is the sorted set of rows as kept.
    rng = np.random.default_rng(7)
    keys = rng.integers(0, 1 << 48, 5000, dtype=np.int64)
    items = rng.integers(0, 1 << 32, 5000, dtype=np.int64)
    keys[:500], items[:500] = keys[500:1000], items[500:1000]  # the same rows again
    keys[1000:1500], items[1000:1500] = keys[1500:2000] ^ 7, items[1500:2000]  # the same once kept
    spill = bandfile.SortedSpill(tmp_path / "index")
    try:
        for a, b in ((3000, 5000), (0, 1200), (1200, 3000)):
            spill.add(keys[a:b], items[a:b])
        spill.write(tmp_path / "bands")
    finally:
        spill.close()
    expect = sorted(set(zip(bandfile.kept(keys).tolist(), items.tolist(), strict=True)))
    f = bandfile.BandFile(tmp_path / "bands")
    assert [(int(k), int(i)) for ks, its in f.chunks(999) for k, i in zip(ks, its, strict=True)] == expect
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bands"]


def test_a_band_key_beyond_48_bits_is_refused_not_lost(tmp_path):
    spill = bandfile.SortedSpill(tmp_path / "index")
    try:
        for key in (-1, 1 << 48):
            with pytest.raises(ValueError, match="outside"):
                spill.add(np.array([UNIT, key]), np.array([1, 2]))
    finally:
        spill.close()
