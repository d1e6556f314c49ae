"""The persistent index: only new records checked, settings guarded, incremental updates,
interrupted writes harmless, and agreement with the corpus-wide finder."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess

import pytest

from cleaner.check import CheckJob, run_check
from cleaner.corpus.scope import Scope
from cleaner.dedup import DupOptions, find_duplicates
from cleaner.dedup.store import IndexStore
from cleaner.errors import ConfigError
from cleaner.io.readers import ReadOptions, read_documents, strict
from cleaner.jobs.index import build_index, update_index
from cleaner.normalize import select_rules
from cleaner.normalize.evidence import LINES_VERSION
from tests.conftest import FIXTURES
from tests.corpus_repo import SEED, TXT, cli, copy_with_new_headline, corpus_repo, git

# --- the index -----------------------------------------------------------------------------------


def options() -> DupOptions:
    return DupOptions(jobs=1)


def test_jsonl_corpus_only_new_records_are_checked_and_stale_ones_never_matched(tmp_path, monkeypatch):
    src = FIXTURES / "corpora" / "allsides_sample.jsonl"
    repo = corpus_repo(tmp_path, [src])
    name = src.name
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    rows = src.read_text(encoding="utf-8").splitlines()
    # Unchanged file: nothing is new.
    r = cli(repo, monkeypatch, "check", "--select", "headline", name)
    assert (r.exit_code, r.stdout) == (0, "") and "(0 new)" in r.stderr
    # Record 3 rewritten with a new body: its old version in the index must not match it.
    edited = json.loads(rows[2])
    edited["text"] = edited["text"] + "\n\nA new closing paragraph was added by the editors of this corpus today."
    rows[2] = json.dumps(edited, ensure_ascii=False)
    # And a copy of record 1 appended at the end, under a new headline.
    copy = json.loads(rows[0])
    copy.update(id="copy-of-1", title="Completely new headline for old news")
    rows.append(json.dumps(copy, ensure_ascii=False))
    (repo / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
    r = cli(repo, monkeypatch, "check", "--select", "headline", name)
    assert "(2 new)" in r.stderr
    assert r.stdout.splitlines() == [
        f'{name}:{len(rows)}: duplicate-article: 1.00 similar "Completely new headline for old news" '
        f"(duplicate of {name}:1)"
    ]


def test_settings_mismatch_is_an_error_suggesting_rebuild(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, TXT)
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    (repo / "cleaner.toml").write_text("[dups]\nnum-perm = 64\n")
    r = cli(repo, monkeypatch, "check", TXT[0].name)
    assert r.exit_code == 2
    assert "num-perm=128" in r.stderr and "num-perm=64" in r.stderr and "--rebuild" in r.stderr
    r = cli(repo, monkeypatch, "index", "build", "--rebuild")
    assert r.exit_code == 0
    assert cli(repo, monkeypatch, "check", "--select", "headline", TXT[0].name).exit_code == 0


def test_an_index_of_an_older_word_hash_asks_for_a_rebuild(tmp_path, monkeypatch):
    """Band keys follow from the word hashes: an index whose words were hashed another way would
    find nothing, silently, so it is refused (an index from before the setting has none)."""
    repo = corpus_repo(tmp_path, TXT)
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    with sqlite3.connect(repo / ".cleaner" / "index") as conn:
        conn.execute("DELETE FROM meta WHERE key = 'word-hash'")
    r = cli(repo, monkeypatch, "check", TXT[0].name)
    assert r.exit_code == 2 and "word-hash=?" in r.stderr and "--rebuild" in r.stderr


def test_an_index_of_the_first_line_keys_asks_for_a_rebuild(tmp_path, monkeypatch):
    """Line keys changed (spaces before punctuation, entities; then mojibake): an index from before has no
    `lines` setting, read as its first version, and is refused with the rebuild hint rather than
    counting its lines under keys a check no longer makes."""
    repo = corpus_repo(tmp_path, TXT)
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    with sqlite3.connect(repo / ".cleaner" / "index") as conn:
        conn.execute("DELETE FROM meta WHERE key = 'lines'")
    r = cli(repo, monkeypatch, "check", TXT[0].name)
    assert (
        r.exit_code == 2 and "lines=1" in r.stderr and f"lines={LINES_VERSION}" in r.stderr and "--rebuild" in r.stderr
    )


def test_read_options_are_settings_of_the_index(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, TXT)
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    r = cli(repo, monkeypatch, "check", "--paragraph-sep", " ### ", TXT[0].name)
    assert r.exit_code == 2 and "paragraph-sep=" in r.stderr and "--rebuild" in r.stderr


def test_not_an_index_is_a_clear_error(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, TXT)
    (repo / ".cleaner").mkdir()
    (repo / ".cleaner" / "index").write_text("not sqlite at all, just text" * 50)
    r = cli(repo, monkeypatch, "check", TXT[0].name)
    assert r.exit_code == 2 and "not a cleaner index" in r.stderr and "Traceback" not in r.output


def test_update_reindexes_only_what_changed(tmp_path):
    repo = corpus_repo(tmp_path, TXT)
    path = repo / ".cleaner" / "index"
    scope = Scope(repo, True)
    stats = build_index(path, scope, ReadOptions(), options())
    assert (stats.files_read, stats.records) == (len(TXT), len(TXT))
    store = IndexStore.open(path, options())
    try:
        before = store.status()
        # touch: same content, new mtime -> hashed, not re-read
        (repo / TXT[0].name).write_bytes((repo / TXT[0].name).read_bytes())
        s = update_index(store, scope, ReadOptions(), options())
        assert (s.files_read, s.files_unchanged) == (0, len(TXT))
        # an edit, a deletion and a new file
        (repo / TXT[1].name).write_text(
            "A new title\n\nAnd a completely new body, long enough to be a paragraph of its own.\n"
        )
        git(repo, "rm", "-q", TXT[2].name)
        copy_with_new_headline(TXT[3], repo / "new.txt", "New headline")
        git(repo, "add", "-A")
        # Staged, not committed: in flux, so the index keeps what it had and reads nothing.
        s = update_index(store, scope, ReadOptions(), options())
        assert (s.files_read, s.files_removed) == (0, 0)
        git(repo, "commit", "-qm", "edits")
        s = update_index(store, scope, ReadOptions(), options())
        assert (s.files_read, s.files_removed) == (2, 1)
        after = store.status()
        assert after["files"] == before["files"] and after["records"] == before["records"]
        paths = {p for (p,) in store.conn.execute("SELECT DISTINCT path FROM records")}
        assert paths == {p.name for p in TXT} - {TXT[2].name} | {"new.txt"}
        # A third of the index changed: the update compacted it (no dangling band rows left).
        assert s.compacted
        assert orphans(store) == 0
        assert store.conn.execute("SELECT count(*) FROM bands_new").fetchone()[0] == 0
    finally:
        store.close()


def orphans(store: IndexStore) -> int:
    """Band rows, in the band file or the new rows, of items the index no longer holds."""
    held = store.conn.execute("SELECT rid, items FROM records").fetchall()
    live = {rid + k for rid, n in held for k in range(n)}
    rows = [int(i) for _, items in store.band_file().chunks() for i in items]
    rows += [iid for (iid,) in store.conn.execute("SELECT iid FROM bands_new")]
    return sum(iid not in live for iid in rows)


def main_band_rows(path) -> int:
    store = IndexStore.open(path, None)
    try:
        return len(store.band_file())
    finally:
        store.close()


def test_small_update_leaves_the_main_band_table_alone_and_still_answers_right(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, [*TXT, FIXTURES / "corpora" / "allsides_sample.jsonl"])
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    path = repo / ".cleaner" / "index"
    main_before = main_band_rows(path)
    # One article replaced by another one's copy (a new file), then committed and indexed.
    git(repo, "rm", "-q", TXT[0].name)
    copy_with_new_headline(TXT[0], repo / "moved.txt", "A new headline")
    git(repo, "add", "moved.txt")
    git(repo, "commit", "-qm", "moved")
    r = cli(repo, monkeypatch, "index", "update")
    assert r.exit_code == 0 and "1 files read" in r.stderr and "1 removed" in r.stderr
    assert main_band_rows(path) == main_before
    store = IndexStore.open(path, None)
    try:
        assert store.conn.execute("SELECT count(*) FROM bands_new").fetchone()[0] > 0
        assert orphans(store) > 0  # the removed file's rows, skipped by lookups
    finally:
        store.close()
    # A copy of the removed article is a copy of the new file, never of the removed one.
    copy_with_new_headline(TXT[0], repo / "again.txt", "Yet another headline")
    r = cli(repo, monkeypatch, "check", "again.txt")
    assert r.exit_code == 1 and r.stdout.count("duplicate-article") == 1 and "(duplicate of moved.txt:1)" in r.stdout


def test_interrupted_update_leaves_the_previous_index(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, TXT[:3])
    path = repo / ".cleaner" / "index"
    scope = Scope(repo, True)
    build_index(path, scope, ReadOptions(), options())
    store = IndexStore.open(path, options())
    before = store.status()
    for p in TXT[3:]:
        shutil.copy(p, repo / p.name)
        git(repo, "add", p.name)
    git(repo, "commit", "-qm", "more")
    import cleaner.jobs.index as indexer

    calls = []

    def failing_add(self, *args, **kwargs):
        calls.append(1)
        raise KeyboardInterrupt

    monkeypatch.setattr(IndexStore, "add", failing_add)
    with pytest.raises(KeyboardInterrupt):
        update_index(store, scope, ReadOptions(), options())
    assert calls
    store.close()
    monkeypatch.undo()
    store = IndexStore.open(path, options())
    assert store.status() == before
    assert indexer.update_index(store, scope, ReadOptions(), options()).files_read == len(TXT) - 3
    store.close()


def test_interrupted_build_leaves_no_index_and_no_temporary_file(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, TXT)
    path = repo / ".cleaner" / "index"

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(IndexStore, "add", boom)
    with pytest.raises(KeyboardInterrupt):
        build_index(path, Scope(repo, True), ReadOptions(), options())
    assert not path.exists() and list((repo / ".cleaner").iterdir()) == []


def test_fix_rewrites_and_update_index_adds_after_a_clean_pass(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, TXT)
    shutil.copy(SEED, repo / SEED.name)
    git(repo, "add", SEED.name)  # staged, as pre-commit sees it: a git-built index follows git
    r = cli(repo, monkeypatch, "check", "--fix", SEED.name)
    assert r.exit_code == 1 and f"fixed {SEED.name}" in r.stderr
    assert (repo / SEED.name).read_text(encoding="utf-8").count("Kim Jong-un leaves China with") == 1
    r = cli(repo, monkeypatch, "check", "--update-index", SEED.name)
    assert r.exit_code == 0 and "added 1 files to the index" in r.stderr
    # Now known: a re-check finds nothing new, and a copy of it is a duplicate of it.
    assert "(0 new)" in cli(repo, monkeypatch, "check", SEED.name).stderr
    copy_with_new_headline(repo / SEED.name, repo / "copy.txt", "Kim goes home")
    r = cli(repo, monkeypatch, "check", "copy.txt")
    assert f"(duplicate of {SEED.name}:" in r.stdout


def test_check_agrees_with_the_corpus_wide_finder_on_planted_duplicates(tmp_path, monkeypatch):
    planted = FIXTURES / "dups" / "planted.jsonl"
    docs = list(strict(read_documents([planted])))
    result = find_duplicates(docs, options())
    later_copies = {
        (c.kind, m.record)
        for c in result.clusters
        if c.kind == "document"
        for k, m in enumerate(c.members)
        if k != c.representative
    }
    run = run_check(CheckJob([planted], select_rules(["headline"]), options(), use_index=False))
    flagged = {("document", f.record) for f in run.result.findings if f.kind == "duplicate-article"}
    assert later_copies and flagged == later_copies


def test_index_status_reports_counts_and_settings(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, TXT)
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    (repo / "new.txt").write_text("A title\n\nA body.\n")
    git(repo, "add", "new.txt")
    git(repo, "commit", "-qm", "new")
    r = cli(repo, monkeypatch, "index", "status", "--format", "json")
    status = json.loads(r.stdout)
    assert status["files"] == len(TXT) and status["records"] == len(TXT) and status["new_files"] == 1
    assert status["settings"]["num-perm"] == "128" and status["settings"]["scheme"] == "affine32"
    assert status["items"]["document"] == len(TXT) and status["band_rows"] > 0
    with sqlite3.connect(repo / ".cleaner" / "index") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_build_refuses_to_replace_without_rebuild(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, TXT)
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    r = cli(repo, monkeypatch, "index", "build")
    assert r.exit_code == 2 and "--rebuild" in r.stderr


def test_open_with_other_settings_raises(tmp_path):
    repo = corpus_repo(tmp_path, TXT[:2])
    path = repo / ".cleaner" / "index"
    build_index(path, Scope(repo, True), ReadOptions(), options())
    with pytest.raises(ConfigError, match="seed=1.*seed=7"):
        IndexStore.open(path, DupOptions(seed=7))


def test_check_against_an_index_does_not_import_datasketch(tmp_path, monkeypatch):
    # datasketch imports scipy (a third of a second of start-up on every commit); the check
    # needs neither (the index stores the permutations and the banding it was built with).
    import sys

    repo = corpus_repo(tmp_path, TXT)
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    copy_with_new_headline(TXT[4], repo / "copy.txt", "A headline")
    code = (
        "import sys\nfrom cleaner.cli import main\nsys.argv = ['cleaner', 'check', 'copy.txt']\ntry:\n    main()\n"
        "except SystemExit as e:\n    print(e.code, 'datasketch' in sys.modules, 'scipy' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True)
    assert "duplicate-article" in done.stdout
    assert done.stdout.splitlines()[-1] == "1 False False"
