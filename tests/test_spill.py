"""The finder's working directory on real fixture text: what the spilled corpus answers equals
what the corpus in memory answers (candidates, exact titles, evidence, shingle sets), the
streamed finder reports the in-memory finder's clusters, and the directory goes however the
run ends (an error, Ctrl-C, SIGTERM, a full disk: one line, exit 2)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from cleaner.dedup import DupOptions, find_duplicates
from cleaner.dedup.finder import find_duplicates_streamed
from cleaner.dedup.members import fill_members
from cleaner.dedup.spill import SpilledSigned, spill_block, spilled_candidates
from cleaner.dedup.stages import assemble, sign_block, with_band_keys
from cleaner.dedup.verify import overlap, pair_overlaps
from cleaner.dedup.workdir import WorkDir
from cleaner.engines.local import LocalEngine
from cleaner.io import ReadOptions, read_documents, strict
from cleaner.text import split_paragraphs
from tests.conftest import FIXTURES, ROOT
from tests.test_faults import one_error, run

PLANTED = FIXTURES / "dups" / "planted.jsonl"
SYNDICATION = FIXTURES / "corpora" / "syndication_sample.jsonl"


def _docs(path: Path) -> list:
    return list(strict(read_documents([path], ReadOptions())))


def _both(docs: list, options: DupOptions, work: WorkDir, block: int = 7):
    """The corpus signed in blocks, once in memory and once spilled to `work`."""
    blocks = []
    for first in range(0, len(docs), block):
        part = docs[first : first + block]
        titles, texts = [d.title for d in part], [d.text for d in part]
        signed_block = with_band_keys(sign_block(first, titles, texts, options), options)
        spill_block(work, signed_block, titles, texts)
        blocks.append(signed_block)
    work.finish()
    return assemble(blocks, len(docs), options), SpilledSigned(work, len(docs), options, 1 << 20)


@pytest.mark.parametrize("path", [PLANTED, SYNDICATION], ids=["planted", "syndication"])
@pytest.mark.parametrize("levels", [("title", "paragraph", "document"), ("document",)], ids=["all", "document"])
def test_the_spilled_corpus_answers_as_the_corpus_in_memory(tmp_path, path, levels):
    options = DupOptions(levels=levels)
    with WorkDir(tmp_path) as work:
        memory, spilled = _both(_docs(path), options, work)
        expected = LocalEngine(1).candidates(memory, options)
        found = spilled_candidates(spilled, threads=2)
        assert sorted(found) == sorted(expected) and any(len(p) for p in found.values())
        for name in found:
            assert np.array_equal(found[name], expected[name]), name
            batch, on_disk = memory.parts[name].batch, spilled.parts[name].batch
            assert len(on_disk) == len(batch)
            for i in range(0, len(batch), 5):
                assert np.array_equal(on_disk.set(i), batch.set(i))
            pairs = [tuple(p) for p in expected[name][:200].tolist()]
            assert on_disk.identical(pairs).tolist() == batch.identical(pairs).tolist()
            if pairs:  # all pairs at once, read from the map of the file, as pair by pair
                ij = np.array(pairs, dtype=np.int64)
                one_by_one = [
                    (overlap(batch.set(a), batch.set(b)), len(batch.set(a)), len(batch.set(b))) for a, b in pairs
                ]
                at_once = [
                    list(zip(*(c.tolist() for c in pair_overlaps(b, ij)), strict=True)) for b in (on_disk, batch)
                ]
                assert at_once[0] == at_once[1] == one_by_one
        if "title" in levels:
            assert np.array_equal(spilled.exact_title_pairs(), memory.exact_title_pairs())
            assert list(spilled.title_keys()) == memory.title_keys()
            assert np.array_equal(spilled.paragraph_owners(), memory.paragraph_owners())
        else:
            (n1, e1), (n2, e2) = spilled.evidence_pairs(), memory.evidence_pairs()
            assert n1 == n2 and len(e1) > 0
            assert sorted(map(tuple, e1.tolist())) == sorted(map(tuple, e2.tolist()))


def _report(clusters, stats) -> dict:
    stats = {k: v for k, v in stats.items() if k != "seconds"}
    return {"clusters": [c.to_dict() for c in clusters], "stats": stats}


@pytest.mark.parametrize(
    "options",
    [DupOptions(), DupOptions(keep="longest", jobs=2), DupOptions(noisy=True), DupOptions(levels=("document",))],
    ids=["all", "longest-jobs-2", "noisy", "document"],
)
def test_the_streamed_finder_reports_the_clusters_in_memory(tmp_path, options):
    docs = _docs(SYNDICATION)
    expected = find_duplicates(docs, options)
    found = find_duplicates_streamed(iter(docs), options, tmp_path, memory=64 << 20)
    clusters = fill_members(found.clusters, lambda wanted: ((i, docs[i]) for i in sorted(wanted)))
    assert _report(clusters, found.stats) == _report(expected.clusters, expected.stats)
    assert expected.clusters and list(tmp_path.iterdir()) == []


def test_members_are_given_their_places_texts_in_any_read_order_and_a_missing_article_is_named(tmp_path):
    docs = _docs(SYNDICATION)
    found = find_duplicates_streamed(iter(docs), DupOptions(), tmp_path, memory=64 << 20)
    shapes = [(c.id, c.kind, c.representative, [(m.index, m.paragraph) for m in c.members]) for c in found.clusters]
    placeholders = list(found.clusters)
    clusters = fill_members(found.clusters, lambda wanted: ((i, docs[i]) for i in sorted(wanted, reverse=True)))
    assert len(found.clusters) == 0  # the placeholders are let go
    assert [(c.id, c.kind, c.representative, [(m.index, m.paragraph) for m in c.members]) for c in clusters] == shapes
    assert len(clusters) == len(shapes) and clusters[-1] == list(clusters)[-1] and clusters[1:3] == list(clusters)[1:3]
    for c in clusters:
        for m in c.members:
            doc = docs[m.index]
            assert (m.doc, m.record) == (doc.id, doc.origin.record)
            if c.kind == "paragraph":
                a, b, _ = split_paragraphs(doc.text)[m.paragraph]
                assert m.text == doc.text[a:b]
            else:
                assert m.text == (doc.title if c.kind == "title" else doc.text)
    first = min(m.index for c in placeholders for m in c.members)
    with pytest.raises(RuntimeError, match=f"article {first} was not found"):
        fill_members(placeholders, lambda wanted: ((i, docs[i]) for i in sorted(wanted) if i != first))


class _Stop(Exception):
    pass


@pytest.mark.parametrize("raised", [_Stop, KeyboardInterrupt])
def test_the_work_dir_goes_when_the_run_fails_midway(tmp_path, monkeypatch, raised):
    from cleaner.engines import local

    monkeypatch.setattr(local, "BLOCK", 50)
    docs = _docs(SYNDICATION) * 10
    seen: list[Path] = []

    def failing():
        for k, d in enumerate(docs):
            if k == 120:
                # Blocks of 50: two are on disk by now.
                seen.extend(tmp_path.glob("cleaner-dups-*/*"))
                raise raised()
            yield d

    with pytest.raises(raised):
        find_duplicates_streamed(failing(), DupOptions(jobs=1), tmp_path, memory=64 << 20)
    assert any(p.name == "document.hashes" for p in seen)
    assert list(tmp_path.iterdir()) == []


def test_a_full_work_dir_is_one_line_exit_2_and_nothing_is_left(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    # The file-size limit stands in for a full disk: the shingle hashes pass 16 KB at once.
    proc = run(tmp_path, "dups", str(SYNDICATION), "--work-dir", str(work), "-j", "1", fsize=16 * 1024)
    one_error(proc, f"--work-dir {work}: cannot write the finder's arrays: file too large")
    assert list(work.iterdir()) == []


def test_sigterm_removes_the_work_dir(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    big = tmp_path / "big.jsonl"
    rows = SYNDICATION.read_text(encoding="utf-8").splitlines()
    with big.open("w", encoding="utf-8") as fh:
        for k in range(1000):  # 20,000 records: long enough to stop midway
            fh.writelines(json.dumps({**json.loads(r), "id": f"{k}-{j}"}) + "\n" for j, r in enumerate(rows))
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "cleaner.cli", "dups", str(big), "--work-dir", str(work), "--format", "json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.time() + 120
    while not list(work.glob("*/document.hashes")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be stopped"
    proc.send_signal(signal.SIGTERM)
    stderr = proc.communicate(timeout=60)[1].decode()
    assert proc.returncode == 143 and "stopped by SIGTERM" in stderr and "Traceback" not in stderr
    assert list(work.iterdir()) == []


# --- the members' texts ---------------------------------------------------------------------------


def test_member_texts_put_aside_read_back_as_they_were_and_pickle_as_texts(tmp_path):
    import pickle

    from cleaner.dedup.texts import TextRef, TextSpill
    from cleaner.model import Member

    texts = ["", "Gewählt wurde am Sonntag.", "a lone \udc80 surrogate", "東京で会議", "x" * 100_000]
    spill = TextSpill(tmp_path, keep=len(texts[1].encode()))
    put = [spill.put(t) for t in texts[:2]]
    # Within `keep` bytes, texts stay in memory (the empty one too): no file is made.
    assert spill._fh is None and len(spill._memory) == len(texts[1].encode())
    # Past it, a text goes to the file, and so does every later one (the short one too).
    put += [spill.put(t) for t in texts[2:]] + [spill.put("a")]
    assert spill._fh is not None and len(spill._memory) == len(texts[1].encode())
    assert all(isinstance(p, TextRef) for p in put) and [p.read() for p in put] == [*texts, "a"]
    member = Member("d", "in.jsonl", 3, 3, None, put[2], 2)
    assert member.text == texts[2] and member == Member("d", "in.jsonl", 3, 3, None, texts[2], 2)
    assert pickle.loads(pickle.dumps(member)).stored == texts[2]  # a pickle holds the text itself
    assert list(tmp_path.iterdir()) == []  # the file has no name: nothing to leave behind
    spill.close()


def test_a_run_whose_member_texts_go_to_disk_reports_what_one_that_keeps_them_does(tmp_path, monkeypatch):
    from cleaner.dedup.texts import TextRef
    from cleaner.jobs import dups
    from cleaner.report.dups import to_json

    job = dups.DupsJob([SYNDICATION], DupOptions(jobs=1), work_dir=tmp_path)
    kept = dups.run_dups(job)
    monkeypatch.setattr(dups, "TEXTS_SHARE", 1 << 62)  # a budget of nothing: every text to disk
    spilled = dups.run_dups(job)
    stored = [m.stored for c in kept.clusters for m in c.members]
    assert all(isinstance(t, TextRef) and t.spill._fh is None for t in stored)  # all in memory: no file
    assert all(isinstance(m.stored, TextRef) for c in spilled.clusters for m in c.members)
    assert all(m.stored.spill._fh is not None for c in spilled.clusters for m in c.members)
    stats = {k: v for k, v in kept.stats.items() if k != "seconds"}
    assert to_json(spilled.clusters, stats) == to_json(kept.clusters, stats) and kept.clusters
    assert list(tmp_path.iterdir()) == []


def test_member_texts_longer_than_one_read_come_back_whole(tmp_path, monkeypatch):
    from cleaner.dedup import texts

    monkeypatch.setattr(texts, "READ_CHUNK", 7)  # stands for pread's 2 GiB
    spill = texts.TextSpill(tmp_path)
    text = "Zürich, 東京 and a long tail " * 40
    assert spill.put(text).read() == text


def test_a_full_disk_when_the_member_texts_are_written_out_stops_before_any_output(tmp_path):
    """The texts are buffered: the last of them reach the disk in `finish`, which `fill_members`
    calls, so a full disk is an error there, not at the first read in the middle of a report."""
    import errno

    from cleaner.dedup.texts import TextSpill
    from cleaner.errors import OutputError

    class Full:
        def __init__(self, fh):
            self.fh = fh

        def write(self, data):
            return self.fh.write(data)

        def flush(self):
            raise OSError(errno.ENOSPC, "No space left on device")

    class FullSpill(TextSpill):
        def put(self, text):
            ref = super().put(text)
            if self._fh is not None and not isinstance(self._fh, Full):
                self._fh = Full(self._fh)
            return ref

    docs = _docs(SYNDICATION)
    found = find_duplicates_streamed(iter(docs), DupOptions(jobs=1), tmp_path, memory=64 << 20)
    with pytest.raises(OutputError, match="cannot put the members' texts aside: .*free space there"):
        fill_members(found.clusters, lambda wanted: ((i, docs[i]) for i in sorted(wanted)), FullSpill(tmp_path))


def test_member_texts_put_aside_are_closed_with_their_last_member(tmp_path):
    import gc

    from cleaner.dedup.texts import TextSpill

    spill = TextSpill(tmp_path)
    ref = spill.put("A text put aside.")
    fh = spill._fh
    assert ref.read() == "A text put aside." and not fh.closed
    del spill
    gc.collect()
    assert not fh.closed  # a member still reads it
    del ref
    gc.collect()
    assert fh.closed  # closed with the last one, not left to a ResourceWarning


def test_the_clusters_are_numbered_in_the_list_the_engine_gave_so_no_unnumbered_copy_outlives_it(tmp_path):
    # The Ray job keeps the engine's result while the members are filled: had `ordered_result`
    # numbered a new list, the engine's list would keep every placeholder member alive (memray
    # at 1M articles: some 300 MB of the driver's peak).
    from cleaner.dedup.finder import ordered_result

    docs = _docs(SYNDICATION)
    found = find_duplicates_streamed(iter(docs), DupOptions(), tmp_path, memory=64 << 20)
    given = [replace(c, id=0) for c in found.clusters]
    result = ordered_result(given, dict(found.stats), DupOptions(), 0.0)
    assert result.clusters is given and [c.id for c in given] == list(range(1, len(given) + 1))
    fill_members(result.clusters, lambda wanted: ((i, docs[i]) for i in sorted(wanted)))
    assert given == []


def test_an_article_read_again_that_was_not_asked_for_is_named(tmp_path):
    from cleaner.dedup.members import PlaceTexts, fill_places
    from cleaner.model import Origin

    docs = _docs(SYNDICATION)
    found = find_duplicates_streamed(iter(docs), DupOptions(jobs=1), tmp_path, memory=64 << 20)
    past = len(docs) + 5  # past the last article asked for
    with pytest.raises(RuntimeError, match=f"article {past} was read again with other places than were asked for"):
        fill_places(found.clusters, lambda wanted: [PlaceTexts(past, "x", Origin("in.jsonl", 1), ("a",))])
