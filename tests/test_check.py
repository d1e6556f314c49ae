"""`cleaner check` and the persistent index: findings on real articles, incremental updates,
settings guarded, interrupted writes harmless, and agreement with the corpus-wide finder."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cleaner.check import CheckJob, run_check
from cleaner.cli import app
from cleaner.dedup import DupOptions, find_duplicates
from cleaner.dedup.store import IndexStore
from cleaner.errors import ConfigError
from cleaner.indexer import Scope, build_index, update_index
from cleaner.io.readers import ReadOptions, read_documents, strict
from cleaner.normalize import select_rules
from tests.conftest import FIXTURES, SEEDS

TXT = sorted((FIXTURES / "corpora" / "txt").glob("*.txt"))
SEED = next(SEEDS.glob("*.txt"))


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def corpus_repo(tmp_path: Path, files: list[Path]) -> Path:
    repo = tmp_path / "corpus"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "t@example.org")
    git(repo, "config", "user.name", "t")
    for f in files:
        shutil.copy(f, repo / f.name)
    (repo / ".gitignore").write_text(".cleaner/\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "corpus")
    return repo


def cli(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str):
    monkeypatch.chdir(repo)
    return CliRunner().invoke(app, list(args))


def article(path: Path):
    [doc] = strict(read_documents([path]))
    return doc


def copy_with_new_headline(src: Path, dest: Path, headline: str) -> None:
    dest.write_text(f"{headline}\n\n{article(src).text}\n", encoding="utf-8")


# --- findings ------------------------------------------------------------------------------------


def test_seed_artifacts_are_reported_at_their_lines(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, TXT)
    shutil.copy(SEED, repo / SEED.name)
    r = cli(repo, monkeypatch, "check", SEED.name)
    assert r.exit_code == 1, r.output
    lines = SEED.read_text(encoding="utf-8").splitlines()
    found = {line.split(": ")[1]: int(line.split(":")[1]) for line in r.stdout.splitlines()}
    assert "Kim Jong-un leaves China" in lines[found["headline-repeat"] - 1]
    assert "that that" in lines[found["doubled-word"] - 1]
    assert "process, . but" in lines[found["stray-period"] - 1]
    assert all(line.startswith(f"{SEED.name}:") for line in r.stdout.splitlines())


def test_copy_under_a_new_headline_names_the_original(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, TXT)
    copy_with_new_headline(TXT[4], repo / "copy.txt", "An entirely different headline about it")
    r = cli(repo, monkeypatch, "check", "copy.txt")
    assert r.exit_code == 1
    assert r.stdout.splitlines() == [f"copy.txt:1: duplicate-article: 1.00 similar \"An entirely different headline about it\" (duplicate of {TXT[4].name}:1)"]
    # The index was built on the way, from what git tracks, without the checked file.
    assert "built the index" in r.stderr and f"from {len(TXT)} git-tracked files" in r.stderr


def test_cut_copy_is_found_by_containment(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, TXT)
    paragraphs = article(TXT[1]).paragraphs()
    (repo / "cut.txt").write_text("Wire copy\n\n" + "\n\n".join(paragraphs[: len(paragraphs) * 2 // 3]) + "\n", encoding="utf-8")
    r = cli(repo, monkeypatch, "check", "cut.txt")
    assert r.exit_code == 1
    assert "duplicate-article" in r.stdout and "contained" in r.stdout and f"(duplicate of {TXT[1].name}:1)" in r.stdout


def test_clean_new_article_passes_and_same_event_rewrites_are_not_copies(tmp_path, monkeypatch):
    # BASIL triplets: the same event written by three outlets; one is indexed, the others checked.
    basil = [p for p in TXT if p.name.startswith("basil-22b6")]
    repo = corpus_repo(tmp_path, basil[:1])
    for p in basil[1:]:
        shutil.copy(p, repo / p.name)
    r = cli(repo, monkeypatch, "check", "--select", "headline", *[p.name for p in basil[1:]])
    assert not [line for line in r.stdout.splitlines() if "duplicate-article" in line], r.stdout
    r = cli(repo, monkeypatch, "check", basil[1].name, "--select", "headline")
    assert r.exit_code == 0, r.stdout
    assert r.stdout == ""


def test_duplicates_among_the_checked_files_name_the_earlier_one(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, [])
    shutil.copy(TXT[0], repo / "a.txt")
    shutil.copy(TXT[0], repo / "b.txt")
    r = cli(repo, monkeypatch, "check", "--select", "headline", "a.txt", "b.txt")
    assert r.exit_code == 1
    [line] = r.stdout.splitlines()
    assert line.startswith("b.txt:1: duplicate-article: 1.00 similar \"Democratic Senate Candidate") and line.endswith("(duplicate of a.txt:1)")


def test_repeated_paragraph_and_title_are_reported_with_their_lines(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, TXT[:5])  # TXT[5] gives the new article's other paragraphs
    original = article(TXT[2])
    lifted = original.paragraphs()[1]
    other = article(TXT[5]).paragraphs()
    new = f"{original.title} | Reuters\n\n" + "\n\n".join([other[0], lifted, *other[1:3]]) + "\n"
    (repo / "new.txt").write_text(new, encoding="utf-8")
    r = cli(repo, monkeypatch, "check", "--select", "headline", "new.txt")
    assert r.exit_code == 1
    by_kind = {line.split(": ")[1]: line for line in r.stdout.splitlines()}
    assert set(by_kind) == {"duplicate-title", "duplicate-paragraph"}
    file_lines = TXT[2].read_text(encoding="utf-8").splitlines()
    title_line, original_line = file_lines.index(original.title) + 1, file_lines.index(lifted) + 1
    assert by_kind["duplicate-title"].startswith("new.txt:1:") and by_kind["duplicate-title"].endswith(f"(duplicate of {TXT[2].name}:{title_line})")
    assert by_kind["duplicate-paragraph"].startswith("new.txt:5: duplicate-paragraph: paragraph 2 ")
    assert by_kind["duplicate-paragraph"].endswith(f"(duplicate of {TXT[2].name}:{original_line})")


def test_unreadable_record_is_a_finding_naming_it(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, [])
    (repo / "bad.jsonl").write_text('{"id": "1", "title": "t", "text": "fine text here"}\n{"id": 2, "title": \n', encoding="utf-8")
    r = cli(repo, monkeypatch, "check", "bad.jsonl")
    assert r.exit_code == 1
    assert r.stdout.startswith("bad.jsonl:2: unreadable: ")


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
    assert r.stdout.splitlines() == [f"{name}:{len(rows)}: duplicate-article: 1.00 similar \"Completely new headline for old news\" (duplicate of {name}:1)"]


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
        (repo / TXT[1].name).write_text("A new title\n\nAnd a completely new body, long enough to be a paragraph of its own.\n")
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
        assert store.conn.execute(ORPHANS).fetchone()[0] == 0
        assert store.conn.execute("SELECT count(*) FROM bands_new").fetchone()[0] == 0
    finally:
        store.close()


ORPHANS = "SELECT count(*) FROM (SELECT iid FROM bands UNION ALL SELECT iid FROM bands_new) WHERE iid NOT IN (SELECT iid FROM items)"


def test_small_update_leaves_the_main_band_table_alone_and_still_answers_right(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, [*TXT, FIXTURES / "corpora" / "allsides_sample.jsonl"])
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    path = repo / ".cleaner" / "index"
    with sqlite3.connect(path) as conn:
        main_before = conn.execute("SELECT count(*) FROM bands").fetchone()[0]
    # One article replaced by another one's copy (a new file), then committed and indexed.
    git(repo, "rm", "-q", TXT[0].name)
    copy_with_new_headline(TXT[0], repo / "moved.txt", "A new headline")
    git(repo, "add", "moved.txt")
    git(repo, "commit", "-qm", "moved")
    r = cli(repo, monkeypatch, "index", "update")
    assert r.exit_code == 0 and "1 files read" in r.stderr and "1 removed" in r.stderr
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM bands").fetchone()[0] == main_before
        assert conn.execute("SELECT count(*) FROM bands_new").fetchone()[0] > 0
        assert conn.execute(ORPHANS).fetchone()[0] > 0  # the removed file's rows, skipped by lookups
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
    import cleaner.indexer as indexer

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
    later_copies = {(c.kind, m.record) for c in result.clusters if c.kind == "document" for k, m in enumerate(c.members) if k != c.representative}
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
    code = "import sys\nfrom cleaner.cli import main\nsys.argv = ['cleaner', 'check', 'copy.txt']\ntry:\n    main()\nexcept SystemExit as e:\n    print(e.code, 'datasketch' in sys.modules, 'scipy' in sys.modules)\n"
    done = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True)
    assert "duplicate-article" in done.stdout
    assert done.stdout.splitlines()[-1] == "1 False False"


# --- found by review: each was a real failure ----------------------------------------------------


def test_a_staged_duplicate_is_never_indexed_by_another_check(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, TXT)
    copy_with_new_headline(TXT[4], repo / "dup.txt", "Staged copy")
    git(repo, "add", "dup.txt")
    assert cli(repo, monkeypatch, "check", "dup.txt").exit_code == 1
    # Another check (and its sync) must not take the refused, uncommitted file in.
    shutil.copy(SEED, repo / "other.txt")
    cli(repo, monkeypatch, "check", "other.txt")
    assert cli(repo, monkeypatch, "index", "update").exit_code == 0
    r = cli(repo, monkeypatch, "check", "dup.txt")
    assert r.exit_code == 1 and "(1 new)" in r.stderr and "duplicate-article" in r.stdout


def test_a_second_copy_of_an_indexed_record_in_the_same_file_is_new(tmp_path, monkeypatch):
    src = FIXTURES / "corpora" / "basil_sample.jsonl"
    repo = corpus_repo(tmp_path, [src])
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    rows = src.read_text(encoding="utf-8").splitlines()
    (repo / src.name).write_text("\n".join([*rows, rows[0]]) + "\n", encoding="utf-8")
    r = cli(repo, monkeypatch, "check", "--select", "headline", src.name)
    assert "(1 new)" in r.stderr
    [line] = r.stdout.splitlines()
    assert line.startswith(f"{src.name}:{len(rows) + 1}: duplicate-article: 1.00 similar ")
    assert line.endswith(f"(duplicate of {src.name}:1)")


def test_ids_are_never_reused_after_removing_the_last_file(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, TXT)
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    path = repo / ".cleaner" / "index"
    with sqlite3.connect(path) as conn:
        top = conn.execute("SELECT max(iid) FROM items").fetchone()[0]
    last = sorted(p.name for p in TXT)[-1]
    for k in range(3):  # edit the last-indexed file, commit, update: its items get new ids
        (repo / last).write_text((repo / last).read_text(encoding="utf-8") + f"\nAn added closing paragraph, number {k}, long enough to count.\n")
        git(repo, "commit", "-qam", f"edit {k}")
        assert cli(repo, monkeypatch, "index", "update").exit_code == 0
    with sqlite3.connect(path) as conn:
        lowest_new = conn.execute("SELECT min(iid) FROM items WHERE rid IN (SELECT rid FROM records WHERE path = ?)", (last,)).fetchone()[0]
        assert lowest_new > top
        # A band row either finds no item (dangling) or an item of its own level.
        levels = conn.execute("SELECT DISTINCT level FROM items").fetchall()
        assert len(levels) == 3


def test_an_absolute_path_through_a_symlink_names_the_same_file(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, TXT)
    link = tmp_path / "link"
    link.symlink_to(repo)
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    r = cli(link, monkeypatch, "check", "--select", "headline", str(link / TXT[0].name))
    assert (r.exit_code, r.stdout) == (0, "") and "(0 new)" in r.stderr


def test_outside_git_the_index_keeps_its_root(tmp_path, monkeypatch):
    base = tmp_path / "plain"
    (base / "data").mkdir(parents=True)
    for p in TXT:
        shutil.copy(p, base / "data" / p.name)
    assert cli(base, monkeypatch, "index", "build", "data").exit_code == 0
    index = str(base / ".cleaner" / "index")
    r = cli(base / "data", monkeypatch, "index", "update", "--index", index)
    assert r.exit_code == 0 and not re.search(r"[1-9][0-9]* removed", r.stderr), r.stderr
    r = cli(base / "data", monkeypatch, "check", "--select", "headline", "--index", index, TXT[0].name)
    assert (r.exit_code, r.stdout) == (0, ""), r.stdout
    status = json.loads(cli(base / "data", monkeypatch, "index", "status", "--index", index, "--format", "json").stdout)
    assert status["records"] == len(TXT)


def test_boilerplate_shared_by_every_article_keeps_the_check_bounded(tmp_path, monkeypatch):
    import cleaner.check as check_module

    footer = "Sign up for our daily newsletter to get the latest news from our newsroom delivered to your inbox every morning."
    docs = [json.loads(line) for line in (FIXTURES / "corpora" / "allsides_sample.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = [{**d, "id": f"{k}", "text": d["text"] + "\n\n" + footer} for k, d in enumerate(docs * 5)]
    repo = corpus_repo(tmp_path, [])
    (repo / "corpus.jsonl").write_text("".join(json.dumps({**r, "title": f"{r['title']} {k}", "text": f"Edition {k}.\n\n{r['text']}"}) + "\n" for k, r in enumerate(rows)))
    git(repo, "add", "corpus.jsonl")
    git(repo, "commit", "-qm", "corpus")
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    bbc = list(strict(read_documents([FIXTURES / "corpora" / "bbc_sample.csv"])))[:30]
    new = [{"id": f"n{k}", "title": d.title, "text": f"{d.text}\n\n{footer}"} for k, d in enumerate(bbc)]
    (repo / "new.jsonl").write_text("".join(json.dumps(r) + "\n" for r in new))
    calls = []
    real = check_module.same_document
    monkeypatch.setattr(check_module, "same_document", lambda *a: calls.append(1) or real(*a))
    r = cli(repo, monkeypatch, "check", "--select", "headline", "new.jsonl")
    # BBC holds real exact duplicates (they are reported as such, within new.jsonl); no new
    # article is a copy of an indexed one for sharing its footer.
    assert len(new) == 30 and "duplicate-article" in r.stdout and "(duplicate of new.jsonl:" in r.stdout
    assert not [line for line in r.stdout.splitlines() if "duplicate-article" in line and "corpus.jsonl" in line]
    # Without the caps: 30 new x 200 indexed articles sharing the footer = 6,000 verifications.
    assert len(calls) < 600
    assert r.stdout.count("duplicate-paragraph") + r.stdout.count("duplicate-article") == 30  # one per record


def test_index_errors_are_one_line(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, TXT)
    (repo / "folder").mkdir()
    r = cli(repo, monkeypatch, "check", "--index", "folder", TXT[0].name)
    assert r.exit_code == 2 and "is a folder" in r.stderr
    (repo / "notes.txt").write_text("not an index")
    r = cli(repo, monkeypatch, "index", "build", "--rebuild", "--index", "notes.txt")
    assert r.exit_code == 2 and "not a cleaner index" in r.stderr and (repo / "notes.txt").read_text() == "not an index"
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0

    def locked(self):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(IndexStore, "transaction", locked)
    (repo / TXT[0].name).write_text("Changed title\n\nChanged body of the article, long enough to be indexed again.\n")
    git(repo, "commit", "-qam", "change")
    r = cli(repo, monkeypatch, "check", TXT[1].name)
    assert r.exit_code == 2 and "error: the index: database is locked" in r.stderr and "Traceback" not in r.output


def test_a_copied_article_is_one_finding(tmp_path, monkeypatch):
    src = FIXTURES / "corpora" / "reuters_sample.parquet"
    repo = corpus_repo(tmp_path, [src])
    shutil.copy(src, repo / "copy.parquet")
    r = cli(repo, monkeypatch, "check", "--select", "headline", "copy.parquet")
    kinds = [line.split(": ")[1] for line in r.stdout.splitlines()]
    records = [line.split(":")[1] for line in r.stdout.splitlines()]
    assert kinds and set(kinds) == {"duplicate-article"} and len(records) == len(set(records))
