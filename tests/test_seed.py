"""The seed article, read and cleaned: the behaviour the normalizer issue pins down."""

from __future__ import annotations

from cleaner import clean_document, read_documents, replay, strict
from tests.conftest import SEEDS

SEED = next(SEEDS.glob("*.txt"))
TITLE = "Kim Jong-un leaves China with 'backing for second Trump summit'"


def _seed():
    return next(strict(read_documents([SEED])))


def test_seed_reads_as_label_title_and_paragraphs():
    doc = _seed()
    assert doc.record == {"source": "World Media"}
    assert doc.title == TITLE
    paragraphs = doc.paragraphs()
    assert paragraphs[0] == TITLE  # the scraper's repeat, still there before cleaning
    assert paragraphs[1].startswith("China is North Korea's only major ally")
    assert paragraphs[-1].endswith("Lu said.")
    assert len(paragraphs) == 19


def test_seed_cleaned():
    doc = _seed()
    result = clean_document(doc)
    before = doc.paragraphs()
    after = result.document.paragraphs()
    assert result.document.title == TITLE
    assert TITLE not in after  # the title once: the repeated first paragraph is gone
    assert "process, but also said" in after[1]
    assert "Xi told Kim that China supports the U.S." in after
    plant = [p for p in after if p.startswith("The massive plant")][0]
    assert plant.endswith("more than three centuries.")
    assert "Ltd., where he watched production processes." not in result.document.text
    # Every other paragraph is byte-identical.
    changed = {1, 3, 13}  # the stray period, the doubled "that", the dangling "Ltd." tail
    kept_before = [p for i, p in enumerate(before[1:]) if i not in changed]
    kept_after = [p for i, p in enumerate(after) if i not in changed]
    assert kept_before == kept_after
    assert sorted(e.rule for e in result.edits) == ["dangling-tail", "doubled-word", "headline-repeat", "stray-period"]
    assert replay(doc.text, result.edits) == result.document.text


def test_seed_cleaning_is_idempotent():
    once = clean_document(_seed()).document
    twice = clean_document(once)
    assert twice.edits == ()
    assert twice.document.text == once.text
