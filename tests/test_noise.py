"""OCR-noisy documents: the noise estimate on real text, the sampled character grams, and the
default mode linking an OCR-like copy of a fixture article to its original (and nothing else)."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from typer.testing import CliRunner

from cleaner.cli import app
from cleaner.dedup import DupOptions, find_duplicates
from cleaner.dedup.chargrams import SAMPLE, char_samples
from cleaner.dedup.finder import find_duplicates_streamed
from cleaner.dedup.matchform import folded
from cleaner.dedup.members import fill_members
from cleaner.dedup.noise import NOISY_MAX, NOISY_MIN, VOCABULARY, build_vocabulary, is_noisy, noise_estimate
from cleaner.io import read_documents, strict
from cleaner.model import Document, Origin
from tests.conftest import FIXTURES, ROOT

ALLSIDES = FIXTURES / "corpora" / "allsides_sample.jsonl"
BBC = FIXTURES / "corpora" / "bbc_sample.csv"
LANG = FIXTURES / "lang" / "samples.jsonl"
MOJIBAKE = ("Ã", "â€", "Â")  # scraped text decoded twice: unknown words, and rightly counted as noise


def ocr_copy(text: str, rate: float, seed: int) -> str:
    """`text` as a poor OCR reads it: a share `rate` of its words each get one of the confusions
    rn->m, m->rn, e->c, l->1, a dropped letter, a line-end hyphen break, or run into the next."""
    rng = random.Random(seed)
    out = []
    for paragraph in text.split("\n\n"):
        words: list[str] = []
        join = False
        for w in paragraph.split(" "):
            new, joins = w, False
            if w and rng.random() < rate:
                ops = [op for op, c in (("rn", "rn"), ("m", "m"), ("e", "e"), ("l", "l")) if c in w]
                ops += ["drop", "hyphen"] if len(w) >= 4 else []
                op = rng.choice([*ops, "join"])
                if op == "join":
                    joins = True
                elif op in ("drop", "hyphen"):
                    i = rng.randrange(1, len(w) - 1)
                    new = w[:i] + w[i + 1 :] if op == "drop" else w[:i] + "-\n" + w[i:]
                else:
                    new = w.replace(op, {"rn": "m", "m": "rn", "e": "c", "l": "1"}[op], 1)
            if join and words:
                words[-1] += new
            else:
                words.append(new)
            join = joins
        out.append(" ".join(words))
    return "\n\n".join(out)


def _clean_articles() -> list[Document]:
    docs = list(strict(read_documents([ALLSIDES]))) + list(strict(read_documents([BBC])))
    return [d for d in docs if not any(m in d.text for m in MOJIBAKE)]


def _paragraph(lang: str) -> str:
    rows = [json.loads(line) for line in LANG.read_text(encoding="utf-8").splitlines()]
    return next(r["text"] for r in rows if r["lang"] == lang and r["kind"] == "paragraph")


def _german() -> str:
    """The German samples (three articles' sentences and a paragraph) as one text of >= 100 words:
    a shorter document is not judged."""
    rows = [json.loads(line) for line in LANG.read_text(encoding="utf-8").splitlines()]
    return "\n\n".join(r["text"] for r in rows if r["lang"] == "de")


# --- the noise estimate ----------------------------------------------------------------------------


def test_clean_english_and_german_prose_reads_as_clean():
    articles = _clean_articles()
    assert len(articles) >= 60
    shares = [noise_estimate(d.text) for d in articles] + [noise_estimate(_paragraph("en")), noise_estimate(_german())]
    # (A short article full of names can reach the band; its unknown words are no OCR slips.)
    assert np.mean(np.array(shares) < NOISY_MIN) >= 0.95 and np.median(shares) < NOISY_MIN / 3
    assert not any(is_noisy(d.text) for d in articles) and not is_noisy(_paragraph("en"))


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_ocr_noised_prose_reads_as_noisy(rate):
    articles = _clean_articles()[:30]
    noised = [ocr_copy(d.text, rate, seed=k) for k, d in enumerate(articles)]
    assert all(is_noisy(t) for t in noised)
    assert all(noise_estimate(t) > noise_estimate(d.text) + rate / 2 for t, d in zip(noised, articles, strict=True))
    assert len(_german().split()) >= 100 and not is_noisy(_german())
    assert is_noisy(ocr_copy(_german(), rate, seed=1))


def test_a_language_without_word_lists_is_not_taken_for_noise():
    for lang in ("fr", "it", "nl"):
        assert noise_estimate(_paragraph(lang)) > NOISY_MAX
        assert not is_noisy(_paragraph(lang))


def test_the_shipped_vocabulary_is_the_one_the_word_statistics_give():
    built = build_vocabulary(ROOT / "cleaner" / "lang" / "stats")
    with np.load(ROOT / "cleaner" / "dedup" / VOCABULARY) as shipped:
        assert sorted(shipped.files) == sorted(built)
        for code, hashes in built.items():
            assert np.array_equal(shipped[code], hashes)


# --- the sampled character grams -----------------------------------------------------------------


def test_a_gram_kept_in_one_text_is_kept_in_every_text_that_has_it():
    a, b = _clean_articles()[:2]
    batch = char_samples([folded(a.text), folded(a.text + "\n\n" + b.text), folded(b.text)])
    alone, joined, other = batch.set(0), batch.set(1), batch.set(2)
    assert np.isin(alone, joined).all() and np.isin(other, joined).all()
    # About one gram in SAMPLE is kept (spaces removed, UTF-8 bytes).
    grams = len(folded(a.text).replace(b" ", b"")) - 4
    assert 0.5 / SAMPLE < batch.size(0) / grams < 2 / SAMPLE


def test_spaces_run_in_or_out_change_no_gram():
    text = _clean_articles()[0].text
    run_together = text.replace(" of the ", " ofthe ").replace(" in a ", " ina ")
    batch = char_samples([folded(text), folded(run_together)])
    assert np.array_equal(batch.set(0), batch.set(1))


# --- the default mode links OCR-like copies, and only them ---------------------------------------


def _corpus(rate: float) -> tuple[list[Document], list[tuple[int, int]]]:
    """The clean fixture articles and OCR-like copies of the first ten, with (copy, original)."""
    articles = _clean_articles()
    copies = [
        Document(f"{d.id}~ocr", d.title, ocr_copy(d.text, rate, seed=k), Origin("ocr", k + 1))
        for k, d in enumerate(articles[:10])
    ]
    return articles + copies, [(len(articles) + k, k) for k in range(10)]


def _document_groups(clusters) -> set[frozenset[str]]:
    return {frozenset(m.doc for m in c.members) for c in clusters if c.kind == "document"}


@pytest.mark.parametrize("levels", [("title", "paragraph", "document"), ("document",)])
def test_an_ocr_like_copy_is_linked_to_its_original_by_default(levels):
    docs, copies = _corpus(0.2)
    found = _document_groups(find_duplicates(docs, DupOptions(levels=levels)).clusters)
    # (The BBC sample has natural duplicates of its own, found by words.)
    by_words = _document_groups(find_duplicates(docs, DupOptions(levels=levels, noisy=False)).clusters)
    assert not any(doc.endswith("~ocr") for group in by_words for doc in group)
    assert found == by_words | {frozenset({docs[c].id, docs[o].id}) for c, o in copies}


def test_clean_pairs_are_judged_as_before():
    docs = list(strict(read_documents([FIXTURES / "dups" / "planted.jsonl"])))
    default, words_only = find_duplicates(docs), find_duplicates(docs, DupOptions(noisy=False))
    assert [c.to_dict() for c in default.clusters] == [c.to_dict() for c in words_only.clusters]
    assert any(c.kind == "document" for c in default.clusters)
    assert "noisy_candidates" in default.stats  # (the character index ran: one scraped record looks noisy)


def test_the_streamed_finder_links_the_copies_as_in_memory(tmp_path):
    docs, _ = _corpus(0.5)
    options = DupOptions(jobs=2)
    expected = find_duplicates(docs, options)
    found = find_duplicates_streamed(iter(docs), options, tmp_path, memory=64 << 20)
    clusters = fill_members(found.clusters, lambda wanted: ((i, docs[i]) for i in sorted(wanted)))
    assert [c.to_dict() for c in clusters] == [c.to_dict() for c in expected.clusters]
    assert found.stats["noisy_candidates"] == expected.stats["noisy_candidates"] > 0
    assert len(_document_groups(clusters)) >= 9


def test_the_report_is_the_same_for_any_number_of_jobs(tmp_path, write_jsonl):
    docs, _ = _corpus(0.3)
    path = write_jsonl([{"id": d.id, "title": d.title, "text": d.text} for d in docs])
    runs = [CliRunner().invoke(app, ["dups", str(path), "--format", "json", "-j", j]) for j in ("1", "2")]
    assert all(r.exit_code == 1 for r in runs), runs[0].output
    one, two = (json.loads(r.stdout) for r in runs)
    for report in (one, two):
        report.pop("stats", None)
    assert one == two and sum(c["kind"] == "document" for c in one["clusters"]) >= 9
