"""The duplicate finder: planted and natural duplicates, and the `dups` command."""

from __future__ import annotations

import json
import os
import random

import pytest
from typer.testing import CliRunner

from cleaner.cli import app
from cleaner.dedup import DupOptions, find_duplicates
from cleaner.dedup.matchform import match_form
from cleaner.io import ReadOptions, read_documents, strict
from tests.conftest import FIXTURES, planted_copies, shared_corpus

PLANTED = FIXTURES / "dups" / "planted.jsonl"


def _docs(path, **options):
    return list(strict(read_documents([path], ReadOptions(**options))))


# --- planted duplicates -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def planted():
    docs = _docs(PLANTED)
    return docs, find_duplicates(docs)


def _ids(cluster):
    return {m.doc for m in cluster.members}


def test_every_planted_duplicate_is_found(planted):
    docs, result = planted
    for doc in docs:
        plant = doc.record.get("planted")
        if not plant:
            continue
        kinds = [c for c in result.clusters if c.kind == plant["kind"] and {doc.id, plant["of"]} <= _ids(c)]
        assert kinds, f"{doc.id} not found as a {plant['kind']} duplicate of {plant['of']}"


def test_document_clusters_are_only_the_planted_ones_and_never_basil_rewrites(planted):
    docs, result = planted
    found = {frozenset(_ids(c)) for c in result.clusters if c.kind == "document"}
    expected = {
        frozenset({d.id, d.record["planted"]["of"]})
        for d in docs
        if d.record.get("planted", {}).get("kind") == "document"
    }
    assert found == expected
    assert not any(m.doc.startswith("basil-") for c in result.clusters if c.kind == "document" for m in c.members)


def test_wire_copy_is_contained_not_jaccard_similar(planted):
    _, result = planted
    (wire,) = [c for c in result.clusters if c.kind == "document" and "plant-wire" in _ids(c)]
    assert wire.members[wire.representative].doc != "plant-wire"  # the original, first in input order
    assert 0.8 <= wire.similarity < 1.0


def test_paragraph_cluster_points_at_the_paragraph(planted):
    docs, result = planted
    by_id = {d.id: d for d in docs}
    donor = by_id["plant-paragraph"].record["planted"]["of"]
    (c,) = [c for c in result.clusters if c.kind == "paragraph" and {"plant-paragraph", donor} <= _ids(c)]
    for m in c.members:
        assert by_id[m.doc].paragraphs()[m.paragraph] == m.text
    assert [m.paragraph for m in c.members if m.doc == "plant-paragraph"] == [2]


def test_keep_longest_and_determinism():
    docs = _docs(PLANTED)
    a = find_duplicates(docs, DupOptions(keep="longest"))
    b = find_duplicates(docs, DupOptions(keep="longest"))
    assert [c.to_dict() for c in a.clusters] == [c.to_dict() for c in b.clusters]
    for c in a.clusters:
        rep = c.members[c.representative]
        assert all(len(rep.text) >= len(m.text) for m in c.members)


def test_clusters_do_not_depend_on_input_order_beyond_the_representative():
    docs = _docs(PLANTED)
    shuffled = docs[:]
    random.Random(3).shuffle(shuffled)
    key = lambda r: sorted((c.kind, tuple(sorted(_ids(c)))) for c in r.clusters if c.kind != "paragraph")  # noqa: E731
    assert key(find_duplicates(docs)) == key(find_duplicates(shuffled))


def test_bad_options_are_config_errors():
    from cleaner.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown level 'titles'"):
        DupOptions(levels=("titles",))
    with pytest.raises(ConfigError):
        DupOptions(threshold=1.5)


# --- natural duplicates in the shared corpora (skipped without ../shared) ---------------------


def test_bbc_exact_duplicate_bodies_are_found():
    docs = _docs(shared_corpus("bbc_fulltext_2225.jsonl"))
    result = find_duplicates(docs, DupOptions(levels=("document",)))
    by_text: dict[str, list[str]] = {}
    for d in docs:
        by_text.setdefault(d.text, []).append(d.id)
    exact = [ids for ids in by_text.values() if len(ids) > 1]
    clustered = {frozenset(_ids(c)) for c in result.clusters}
    missing = [ids for ids in exact if not any(set(ids) <= c for c in clustered)]
    assert len(exact) > 100 and missing == []


def test_basil_same_event_rewrites_are_never_merged():
    docs = _docs(shared_corpus("clusters_basil_event_triplets.jsonl"))
    result = find_duplicates(docs, DupOptions(levels=("document",)))
    assert result.clusters == []


def test_syndicated_wire_copies_link_different_publishers():
    docs = _docs(shared_corpus("syndication_provenance_scrapes_680.jsonl"), paragraph_sep=" ### ")
    result = find_duplicates(docs, DupOptions(levels=("document",)))
    assert len(result.clusters) > 50
    assert all(c.similarity >= 0.7 for c in result.clusters)


# --- the dups command -------------------------------------------------------------------------


def run(*args):
    return CliRunner().invoke(app, ["dups", *map(str, args)])


def test_dups_json_report(tmp_path):
    r = run(PLANTED, "--format", "json")
    assert r.exit_code == 1  # duplicates found
    report = json.loads(r.stdout)
    assert report["version"] == 1 and report["stats"]["documents"] == 58
    c = report["clusters"][0]
    assert set(c) == {"id", "kind", "size", "similarity", "representative", "members"}
    assert set(c["members"][0]) == {"doc", "path", "record", "paragraph", "text"}


def test_dups_exit_codes_and_clusters_file(tmp_path):
    clean = tmp_path / "clean.jsonl"
    clean.write_text(json.dumps({"id": "1", "title": "One", "text": "Nothing repeats here at all."}) + "\n")
    assert run(clean).exit_code == 0
    assert run(PLANTED, "--exit-zero").exit_code == 0
    out = tmp_path / "clusters.jsonl"
    r = run(PLANTED, "--format", "jsonl", "--clusters", out)
    assert r.stdout == out.read_text()
    assert all(json.loads(line)["version"] == 1 for line in out.read_text().splitlines())


def test_dups_drop_writes_the_corpus_without_duplicates(tmp_path):
    out = tmp_path / "deduped.jsonl"
    r = run(PLANTED, "--drop", "-o", out, "--format", "json")
    report = json.loads(r.stdout)
    kept = [json.loads(line) for line in out.read_text().splitlines()]
    ids = [k["id"] for k in kept]
    assert "plant-exact" not in ids and "plant-wire" not in ids
    assert len(kept) == 56 == report["stats"]["written"]
    host = next(k for k in kept if k["id"] == "plant-paragraph")
    dropped_paragraphs = [x for x in report["removals"] if x["doc"] == "plant-paragraph"]
    assert dropped_paragraphs and all(x["paragraph"] is not None for x in dropped_paragraphs)
    donor = next(d for d in _docs(PLANTED) if d.id == "plant-paragraph").paragraphs()[2]
    assert donor not in host["text"]


def test_dups_config_table_and_unknown_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cleaner.toml").write_text('[dups]\nlevels = ["title"]\n')
    report = json.loads(run(PLANTED, "--format", "json").stdout)
    assert {c["kind"] for c in report["clusters"]} == {"title"}
    (tmp_path / "cleaner.toml").write_text("[dups]\nthreshhold = 0.5\n")
    r = run(PLANTED)
    assert r.exit_code == 2 and "unknown key 'threshhold' in [tool.cleaner.dups]" in r.stderr


def test_dups_table_fits_80_columns():
    from rich.console import Console

    from cleaner.report import cluster_table

    docs = _docs(PLANTED)
    with open(os.devnull, "w") as sink:
        console = Console(width=80, record=True, file=sink)
        console.print(cluster_table(find_duplicates(docs).clusters))
        lines = console.export_text().splitlines()
    assert lines and max(len(line) for line in lines) <= 80


def test_reuters_repeated_titles_are_clustered():
    docs = _docs(shared_corpus("reuters21578.jsonl.gz"))[:6000]
    result = find_duplicates(docs, DupOptions(levels=("title",)))
    by_title: dict[str, set[str]] = {}
    for d in docs:
        if d.title and match_form(d.title):
            by_title.setdefault(match_form(d.title), set()).add(d.id)
    repeated = [ids for ids in by_title.values() if len(ids) > 1]
    clustered = [set(_ids(c)) for c in result.clusters]
    missing = [ids for ids in repeated if not any(ids <= c for c in clustered)]
    assert len(repeated) > 100 and missing == []


def test_output_is_byte_identical_across_hash_seeds(tmp_path):
    import os
    import subprocess
    import sys

    outputs = []
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        p = subprocess.run(
            [sys.executable, "-m", "cleaner.cli", "dups", str(PLANTED), "--format", "json"],
            capture_output=True,
            env=env,
        )
        assert p.returncode == 1
        report = json.loads(p.stdout)
        report["stats"].pop("seconds")
        outputs.append(json.dumps(report, sort_keys=True))
        clean = tmp_path / f"clean-{seed}.jsonl"
        subprocess.run(
            [sys.executable, "-m", "cleaner.cli", "clean", str(PLANTED), "-o", str(clean)],
            check=True,
            capture_output=True,
            env=env,
        )
    assert outputs[0] == outputs[1]
    assert (tmp_path / "clean-0.jsonl").read_bytes() == (tmp_path / "clean-12345.jsonl").read_bytes()


def test_drop_keeps_a_paragraph_whose_representative_article_was_dropped(tmp_path):
    paras = [f"Paragraph number {i} of the original story has enough words to be compared here." for i in range(6)]
    unique = "This unique closing paragraph appears in the second and third articles only, nowhere else."
    rows = [
        {"id": "d0", "text": "\n\n".join(paras)},
        {"id": "d1", "text": "\n\n".join(paras + [unique])},
        {
            "id": "d2",
            "text": "A different opening paragraph about something else entirely happened today.\n\n" + unique,
        },
    ]
    src = tmp_path / "c.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out.jsonl"
    r = run(src, "--drop", "-o", out, "--format", "json")
    report = json.loads(r.stdout)
    kept = {json.loads(line)["id"]: json.loads(line)["text"] for line in out.read_text().splitlines()}
    assert "d1" not in kept
    assert unique in kept["d2"]  # the only surviving copy stays
    assert not [x for x in report["removals"] if x["doc"] == "d2"]


def test_long_runs_of_doubled_words_converge(tmp_path):
    from cleaner.normalize import clean_fields, select_rules

    _, text, _ = clean_fields(None, "the " * 600 + "end", select_rules(), "en")
    assert text == "the end"


def test_jobs_give_identical_clusters(tmp_path):
    src = planted_copies(tmp_path / "many.jsonl", 40)  # 2,320 articles: more than one batch, so the pool really runs
    reports = []
    for jobs in ("1", "2"):
        r = run(src, "--format", "json", "--jobs", jobs)
        report = json.loads(r.stdout)
        report["stats"].pop("seconds")
        reports.append(report)
    assert reports[0] == reports[1] and reports[0]["clusters"]


def test_judging_pairs_at_once_gives_each_pairs_own_answer():
    from cleaner.dedup.stages import assemble, level_of, sign_block

    docs = _docs(PLANTED)
    options = DupOptions()
    signed = assemble([sign_block(0, [d.title for d in docs], [d.text for d in docs], options)], len(docs), options)
    rng = random.Random(5)
    for kind, count in (("title", len(signed.titles)), ("paragraph", len(signed.paragraphs)), ("document", len(docs))):
        level = level_of(signed, kind, options)
        by_shingles: dict[bytes, list[int]] = {}
        for i in range(count):
            by_shingles.setdefault(
                level.batch.hashes[level.batch.offsets[i] : level.batch.offsets[i + 1]].tobytes(), []
            ).append(i)
        pairs = [(g[0], g[-1]) for g in by_shingles.values() if len(g) > 1][:50]
        pairs += [(rng.randrange(count), rng.randrange(count)) for _ in range(300)]
        judged = level.judge(pairs)
        fresh = level_of(signed, kind, options)  # nothing known: each pair computed on its own
        assert judged == [fresh.similarity(a, b) if fresh.accept(a, b) else None for a, b in pairs]
        assert any(s == 1.0 for s in judged) and None in judged


def test_document_level_alone_finds_a_cut_copy_whatever_the_paragraph_separator():
    # Its candidates are articles sharing a paragraph of the same words; paragraphs are split as
    # everywhere else (blank lines, \r\n too), not only on "\n\n".
    rng = random.Random(3)
    words = [f"w{rng.randrange(5000)}" for _ in range(600)]
    paragraphs = [" ".join(words[k : k + 80]) for k in range(0, 560, 80)]
    whole, cut = "\r\n\r\n".join(paragraphs), paragraphs[0] + "\r\n\r\n" + " ".join(words[590:600])
    from cleaner.model import Document, Origin

    docs = [Document("a", None, whole, Origin("x", 1)), Document("b", None, cut, Origin("x", 2))]
    result = find_duplicates(docs, DupOptions(levels=("document",)))
    assert [[m.doc for m in c.members] for c in result.clusters] == [["a", "b"]]
    assert result.stats["paragraphs"] == 9  # 7 + 2, each of at least 8 words


def test_titles_that_differ_only_in_a_number_or_ordinal_are_not_linked_though_as_alike_as_linked_ones(tmp_path):
    # Each pair differs in one word of the same place, so their shingle sets are equally alike;
    # only the pairs whose differing word is a number or an ordinal are different stories.
    base = "takeaways from the Senate hearing on the border security deal and the spending bill this week"
    pairs = {
        "number": ("5 " + base, "7 " + base),
        "ordinal": ("The first " + base, "The second " + base),
        "word": ("Five " + base, "Eight " + base),
    }
    rows = [
        {"id": f"{name}-{k}", "title": title, "text": f"Body {name} {k} about something else entirely, unrelated."}
        for name, titles in pairs.items()
        for k, title in enumerate(titles)
    ]
    path = tmp_path / "titles.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = find_duplicates(_docs(path), DupOptions(levels=("title",)))
    linked = {frozenset(_ids(c)) for c in result.clusters}
    assert linked == {frozenset({"word-0", "word-1"})}
