"""`cleaner check`: findings on real articles, at their lines, naming the earlier copy; and the
failures found by review (the index itself: `test_index.py`)."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from dataclasses import replace

from cleaner.check import CheckJob, run_check
from cleaner.dedup.store import IndexStore
from cleaner.io.readers import read_documents, strict
from cleaner.normalize import select_rules
from tests.conftest import FIXTURES
from tests.corpus_repo import SEED, TXT, article, cli, copy_with_new_headline, corpus_repo, git

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
    assert r.stdout.splitlines() == [
        'copy.txt:1: duplicate-article: 1.00 similar "An entirely different headline about it" '
        f"(duplicate of {TXT[4].name}:1)"
    ]
    # The index was built on the way, from what git tracks, without the checked file.
    assert "built the index" in r.stderr and f"from {len(TXT)} git-tracked files" in r.stderr


def test_cut_copy_is_found_by_containment(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, TXT)
    paragraphs = article(TXT[1]).paragraphs()
    (repo / "cut.txt").write_text(
        "Wire copy\n\n" + "\n\n".join(paragraphs[: len(paragraphs) * 2 // 3]) + "\n", encoding="utf-8"
    )
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
    assert line.startswith('b.txt:1: duplicate-article: 1.00 similar "Democratic Senate Candidate') and line.endswith(
        "(duplicate of a.txt:1)"
    )


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
    assert by_kind["duplicate-title"].startswith("new.txt:1:") and by_kind["duplicate-title"].endswith(
        f"(duplicate of {TXT[2].name}:{title_line})"
    )
    assert by_kind["duplicate-paragraph"].startswith("new.txt:5: duplicate-paragraph: paragraph 2 ")
    assert by_kind["duplicate-paragraph"].endswith(f"(duplicate of {TXT[2].name}:{original_line})")


def test_unreadable_record_is_a_finding_naming_it(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, [])
    (repo / "bad.jsonl").write_text(
        '{"id": "1", "title": "t", "text": "fine text here"}\n{"id": 2, "title": \n', encoding="utf-8"
    )
    r = cli(repo, monkeypatch, "check", "bad.jsonl")
    assert r.exit_code == 1
    assert r.stdout.startswith("bad.jsonl:2: unreadable: ")


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
        top = conn.execute("SELECT max(rid + items) - 1 FROM records").fetchone()[0]
    last = sorted(p.name for p in TXT)[-1]
    for k in range(3):  # edit the last-indexed file, commit, update: its items get new ids
        (repo / last).write_text(
            (repo / last).read_text(encoding="utf-8")
            + f"\nAn added closing paragraph, number {k}, long enough to count.\n"
        )
        git(repo, "commit", "-qam", f"edit {k}")
        assert cli(repo, monkeypatch, "index", "update").exit_code == 0
    with sqlite3.connect(path) as conn:
        lowest_new = conn.execute("SELECT min(rid) FROM records WHERE path = ?", (last,)).fetchone()[0]
        assert lowest_new > top


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
    import cleaner.check_duplicates as check_module

    footer = (
        "Sign up for our daily newsletter to get the latest news from our newsroom "
        "delivered to your inbox every morning."
    )
    docs = [
        json.loads(line)
        for line in (FIXTURES / "corpora" / "allsides_sample.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    rows = [{**d, "id": f"{k}", "text": d["text"] + "\n\n" + footer} for k, d in enumerate(docs * 5)]
    repo = corpus_repo(tmp_path, [])
    (repo / "corpus.jsonl").write_text(
        "".join(
            json.dumps({**r, "title": f"{r['title']} {k}", "text": f"Edition {k}.\n\n{r['text']}"}) + "\n"
            for k, r in enumerate(rows)
        )
    )
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


SITE_LINE = "Our journalism depends on readers like you"


def test_a_site_line_recurring_through_the_indexed_corpus_is_found_and_fixed(tmp_path, monkeypatch):
    """A check reads only the new article, but the index knows where the corpus has its short
    lines: a site line in 12 committed articles is boilerplate in a 13th, as `cleaner clean` over
    the whole corpus would find it; `--fix` removes it with the same evidence. Compared with the
    checked files only (`--no-index`) it stands once and is content; when the corpus loses the
    articles that had it, the index forgets their lines."""
    rows = (FIXTURES / "corpora" / "allsides_sample.jsonl").read_text("utf-8").splitlines()
    arts = [r for r in map(json.loads, rows) if r.get("text") and r["text"].count("\n\n") >= 3][:13]
    assert len(arts) == 13
    repo = corpus_repo(tmp_path, [])
    for k, a in enumerate(arts):
        ps = a["text"].split("\n\n")
        ps.insert(2, SITE_LINE)
        (repo / f"a{k:02}.txt").write_text(a["title"] + "\n\n" + "\n\n".join(ps) + "\n", encoding="utf-8")
    git(repo, "add", *[f"a{k:02}.txt" for k in range(12)])
    git(repo, "commit", "-qm", "corpus")
    found = [line for line in cli(repo, monkeypatch, "check", "a12.txt").stdout.splitlines() if SITE_LINE in line]
    assert found and all(": boilerplate-lines: removes" in line for line in found), found
    alone = cli(repo, monkeypatch, "check", "--no-index", "a12.txt").stdout
    assert SITE_LINE not in alone
    r = cli(repo, monkeypatch, "check", "--fix", "a12.txt")
    assert r.exit_code == 1 and SITE_LINE not in (repo / "a12.txt").read_text("utf-8")
    (repo / "a12.txt").write_text((repo / "a11.txt").read_text("utf-8").replace("\n\n", "\n\nNew paragraph.\n\n", 1))
    git(repo, "rm", "-q", *[f"a{k:02}.txt" for k in range(1, 11)])
    git(repo, "commit", "-qm", "most of the corpus goes")
    left = cli(repo, monkeypatch, "check", "--no-duplicates", "a12.txt").stdout
    assert not [line for line in left.splitlines() if SITE_LINE in line and "boilerplate-lines: removes" in line], left


def test_a_check_fits_the_cut_prior_over_the_indexed_corpus(tmp_path, monkeypatch):
    """The odds that an unfinished body was cut come from every indexed body that stops without
    its period (as `cleaner clean` fits them over the corpus), not from the checked file alone;
    files that go take their endings with them."""
    rows = (FIXTURES / "corpora" / "allsides_sample.jsonl").read_text("utf-8").splitlines()
    arts = [r for r in map(json.loads, rows) if r.get("text") and r["text"].count("\n\n") >= 3][:13]
    repo = corpus_repo(tmp_path, [])
    for k, a in enumerate(arts):
        donor = arts[(k + 1) % len(arts)]["text"].split("\n\n")[1]
        cut = a["text"].rstrip() + " " + " ".join(donor.split()[:6]).rstrip(".,;:!?")
        (repo / f"a{k:02}.txt").write_text(a["title"] + "\n\n" + cut + "\n", encoding="utf-8")
    git(repo, "add", *[f"a{k:02}.txt" for k in range(12)])
    git(repo, "commit", "-qm", "corpus")
    monkeypatch.chdir(repo)
    job = CheckJob(paths=["a12.txt"], rules=select_rules(["truncated-end"]))
    indexed = run_check(job).result.evidence.cut_prior("en")
    alone = run_check(replace(job, use_index=False)).result.evidence.cut_prior("en")
    # Not all 13: a cut that ends on a quote or in a title-case phrase is no candidate.
    assert alone.endings == 1 and indexed.endings >= 8 and indexed.share > 0.6 > alone.share
    git(repo, "rm", "-q", *[f"a{k:02}.txt" for k in range(1, 12)])
    git(repo, "commit", "-qm", "most of the corpus goes")
    assert run_check(job).result.evidence.cut_prior("en").endings <= 2


def test_a_site_line_on_most_of_its_source_s_indexed_pages_is_found_with_source_field(tmp_path, monkeypatch):
    """Four of USA TODAY's five pages in the committed corpus have the site's line, and a new one
    has it too: five contexts in a corpus of forty articles are too few (0.8, no finding), five of
    the source's five pages are a template (0.94), as `cleaner clean --source-field url` over the
    whole corpus would find. The index keeps the sources (its setting: asking otherwise later is
    refused with the rebuild hint)."""
    rows = [json.loads(r) for r in (FIXTURES / "corpora" / "allsides_sample.jsonl").read_text("utf-8").splitlines()]
    usa = [i for i, r in enumerate(rows) if r["source"] == "USA TODAY"]
    assert len(usa) == 5
    for i in usa:
        ps = rows[i]["text"].split("\n\n")
        rows[i] = {**rows[i], "text": "\n\n".join([*ps[:-1], SITE_LINE, ps[-1]])}
    new = rows.pop(usa[-1])
    findings = {}
    for by_source in (True, False):
        (tmp_path / str(by_source)).mkdir()
        repo = corpus_repo(tmp_path / str(by_source), [])
        (repo / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        git(repo, "add", "corpus.jsonl")
        git(repo, "commit", "-qm", "corpus")
        (repo / "new.jsonl").write_text(json.dumps(new) + "\n", encoding="utf-8")
        extra = ["--source-field", "url"] if by_source else []
        r = cli(repo, monkeypatch, "check", "--no-duplicates", *extra, "new.jsonl")
        findings[by_source] = [line for line in r.stdout.splitlines() if SITE_LINE in line]
        if by_source:
            r = cli(repo, monkeypatch, "check", "--no-duplicates", "new.jsonl")
            assert r.exit_code == 2 and "source-field=url" in r.stderr and "--rebuild" in r.stderr
    assert findings[True] and all(": boilerplate-lines: removes" in line for line in findings[True])
    assert findings[False] == []


def test_an_index_from_before_sources_were_kept_still_updates(tmp_path, monkeypatch):
    """An index built before the `sources` table came has none: the first update after a file
    changes forgets that file's rows in it, so the table is made first (it was `no such table`)."""
    rows = (FIXTURES / "corpora" / "allsides_sample.jsonl").read_text("utf-8").splitlines()
    repo = corpus_repo(tmp_path, [])
    (repo / "a.jsonl").write_text("\n".join(rows[:20]) + "\n", encoding="utf-8")
    git(repo, "add", "a.jsonl")
    git(repo, "commit", "-qm", "corpus")
    assert cli(repo, monkeypatch, "index", "build").exit_code == 0
    with sqlite3.connect(repo / ".cleaner" / "index") as conn:
        conn.execute("DROP TABLE sources")
    (repo / "a.jsonl").write_text("\n".join(rows[:19]) + "\n", encoding="utf-8")
    git(repo, "commit", "-qam", "one article goes")
    (repo / "new.jsonl").write_text(rows[25] + "\n", encoding="utf-8")
    r = cli(repo, monkeypatch, "check", "--no-duplicates", "new.jsonl")
    assert r.exit_code in (0, 1), r.stderr
    assert cli(repo, monkeypatch, "index", "update").exit_code == 0


def test_a_record_that_moves_to_another_source_is_checked_in_its_new_one(tmp_path, monkeypatch):
    """The index knows a record by its title, text and (with a source field) source: three
    indexed pages relabelled from one site to another count in the new one, as `clean` counts
    them, so a fourth page of that site with the site's line has it on 4 of its 4 pages."""
    rows = [json.loads(r) for r in (FIXTURES / "corpora" / "allsides_sample.jsonl").read_text("utf-8").splitlines()]
    pages = [r for r in rows if r.get("text") and r["text"].count("\n\n") >= 3][:4]
    for r in pages:
        ps = r["text"].split("\n\n")
        r["text"] = "\n\n".join([*ps[:-1], SITE_LINE, ps[-1]])
        r["site"] = "b.example"
    others = [{**r, "site": f"s{i}.example"} for i, r in enumerate(rows) if r not in pages]
    repo = corpus_repo(tmp_path, [])
    (repo / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in pages[:3] + others), encoding="utf-8")
    git(repo, "add", "a.jsonl")
    git(repo, "commit", "-qm", "corpus")
    assert cli(repo, monkeypatch, "index", "build", "--source-field", "site").exit_code == 0
    moved = [{**r, "site": "a.example"} for r in pages[:3]]
    (repo / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in moved + others), encoding="utf-8")
    (repo / "new.jsonl").write_text(json.dumps({**pages[3], "site": "a.example"}) + "\n", encoding="utf-8")
    r = cli(repo, monkeypatch, "check", "--no-duplicates", "--source-field", "site", "a.jsonl", "new.jsonl")
    found = [line for line in r.stdout.splitlines() if SITE_LINE in line and line.startswith("new.jsonl")]
    assert found and all(": boilerplate-lines: removes" in line for line in found), r.stdout
