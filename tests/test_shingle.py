"""The match form, shingles and signatures: the fast forms equal their definitions
(`cleaner.dedup.reference`) and datasketch's signatures and LSH candidates."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.dedup.lsh import bands_rows, candidate_pairs
from cleaner.dedup.matchform import match_form, tokens
from cleaner.dedup.minhash import permutations, signatures, to_lean
from cleaner.dedup.reference import reference_tokens, shingle_hash, shingle_tokens, shingles_for
from cleaner.dedup.shingle import ShingleBatch, shingle_batch
from cleaner.dedup.verify import overlap, pair_overlaps
from cleaner.io import ReadOptions, read_documents, strict
from tests.conftest import FIXTURES

PLANTED = FIXTURES / "dups" / "planted.jsonl"


def _docs(path, **options):
    return list(strict(read_documents([path], ReadOptions(**options))))


# --- match form, shingles, signatures ---------------------------------------------------------


def test_match_form_folds_case_quotes_dashes_and_keeps_digits():
    assert match_form("“Trump’s  Plan” — ROSE 3%!") == "trump s plan rose 3"
    assert match_form("rose 3%") != match_form("rose 5%")
    assert match_form("Ｔｅｓｔ") == "test"  # NFKC


def test_short_texts_fall_back_to_one_shingle():
    assert shingle_tokens("Breaking news", 5) == [("breaking", "news")]
    assert len(shingles_for("Breaking news", 5)) == 1
    assert len(shingles_for("", 5)) == 0


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from("abcde fgh ,.'’ 123\n"), max_size=400),
    seed=st.integers(0, 2**31 - 1),
    num_perm=st.sampled_from([16, 64, 128]),
)
def test_signatures_equal_datasketch(text, seed, num_perm):
    ours = signatures(shingle_batch([tokens(text)], 5), permutations(num_perm, seed))[0]
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash)
    m.update_batch(shingle_tokens(text, 5))
    assert np.array_equal(ours, m.hashvalues)


def test_batched_signatures_equal_one_at_a_time():
    docs = _docs(PLANTED)
    token_lists = [tokens(d.text) for d in docs] + [[]]
    perms = permutations(128, 7)
    together = signatures(shingle_batch(token_lists, 5), perms)
    for i, t in enumerate(token_lists):
        assert np.array_equal(together[i], signatures(shingle_batch([t], 5), perms)[0])
    assert (together[-1] == np.uint32(0xFFFFFFFF)).all()  # empty text: datasketch's empty MinHash
    lean = to_lean(together[0], 7)
    assert lean.jaccard(to_lean(together[0], 7)) == 1.0


def test_permutations_are_datasketchs():
    for num_perm, seed in ((128, 1), (16, 7), (256, 12345)):
        a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
        perms = permutations(num_perm, seed)
        assert perms.a.tolist() == a.tolist() and perms.b.tolist() == b.tolist()


def test_bands_and_rows_are_datasketchs_choice():
    from datasketch.lsh import _optimal_param

    from cleaner.dedup import lsh

    for num_perm in (2, 16, 64, 128, 256):
        for threshold in [round(0.05 * k, 2) for k in range(1, 21)] + [0.55, 0.85, 0.33]:
            lsh._BANDS.pop((threshold, num_perm), None)
            assert bands_rows(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5), (
                threshold,
                num_perm,
            )


def test_lsh_candidates_equal_datasketch_minhashlsh():
    docs = _docs(PLANTED)
    perms = permutations(128, 1)
    sigs = signatures(shingle_batch([tokens(d.text) for d in docs], 5), perms)
    ours = candidate_pairs(sigs, 0.5)
    b, r = bands_rows(0.5, 128)
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    assert (lsh.b, lsh.r) == (b, r)
    leans = [to_lean(s, 1) for s in sigs]
    for i, m in enumerate(leans):
        lsh.insert(i, m)
    theirs = {(min(i, j), max(i, j)) for i, m in enumerate(leans) for j in lsh.query(m) if j != i}
    assert ours == theirs and ours


# --- fast paths equal their definitions -----------------------------------------------------------

_AWKWARD = "aAßẞİıΣσς ﬁ\u00a0\u2019\u201c—–-.,!?\x00\t\n\r\x1c\x85\u3000日本語\u0301eé Ｔ½\ud800😀KkÅ"


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(_AWKWARD), max_size=80) | st.text(max_size=80))
def test_tokens_equal_their_definition(text):
    assert tokens(text) == reference_tokens(text)


def test_tokens_of_many_distinct_characters_take_the_str_path():
    from cleaner.dedup.matchform import MAX_REPLACED

    text = " ".join(chr(0x410 + k) + "’" for k in range(MAX_REPLACED + 10))  # Cyrillic
    assert tokens(text) == reference_tokens(text)


def test_word_hashes_and_text_runs_equal_one_word_at_a_time():
    from cleaner.dedup import shingle
    from cleaner.dedup.shingle import hash_texts, word_hash

    texts = [d.text for d in _docs(PLANTED)][:40] + ["", "a\x00b c", "x" * 40 + " y", "“Quoted” — text’s end", "\x00"]
    texts.append("abcdefghijklmno abcdefghijklmnop " + "ü" * 7 + " " + "ü" * 8 + " zürich")  # 15/16-byte edges
    expected = [tokens(t) for t in texts]
    flat = [w for ws in expected for w in ws]
    hashes, counts = hash_texts(texts)
    assert counts.tolist() == [len(ws) for ws in expected]
    assert hashes.tolist() == [word_hash(w) for w in flat]
    batch = shingle.shingle_runs(hashes, counts, 5)
    reference = shingle_batch(expected, 5)
    assert np.array_equal(batch.hashes, reference.hashes) and np.array_equal(batch.offsets, reference.offsets)


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.binary(min_size=1, max_size=20).map(lambda b: b.replace(b" ", b"_")), max_size=30))
def test_numpy_word_hash_is_bytes_hash_and_tells_words_apart(words):
    """The bulk hash of any bytes (NULs, 15/16-byte edges, trailing zero bytes) is `bytes_hash` of
    each word, and distinct words get distinct hashes (the length is part of a short word's key:
    b'a' and b'a\\0' differ)."""
    from cleaner.dedup.shingle import _hash_words, bytes_hash

    got, _ = _hash_words(b" ".join(words))
    assert got.tolist() == [bytes_hash(w) for w in words]
    assert len(set(got.tolist())) == len(set(words))


def test_shingle_batch_keeps_empty_tokens():
    batch = shingle_batch([[""], ["a", ""], []], 1)
    assert batch.hashes.tolist() == [shingle_hash([""]), shingle_hash(["a"]), shingle_hash([""])]


@settings(max_examples=1000, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(" \t\r\nab\x0b\u00a0"), max_size=60))
def test_paragraphs_are_the_text_between_paragraph_breaks(text):
    from cleaner.text import PARAGRAPH_BREAK, split_paragraphs

    bounds = [0] + [x for m in PARAGRAPH_BREAK.finditer(text) for x in m.span()] + [len(text)]
    expected = [(a, b, text[a:b]) for a, b in zip(bounds[::2], bounds[1::2], strict=False) if text[a:b].strip()]
    assert split_paragraphs.__wrapped__(text) == expected


def _paragraph_lists(texts):
    from cleaner.text import split_paragraphs

    return [[p for _, _, p in split_paragraphs(t)] for t in texts]


EDGE_TEXTS = [
    "",
    "A  b\n\n\n a B",
    "ẞtraße\u00a0x\u2028y\n\nSSTRASSE x y",
    "x" * 30 + " y\n\n" + "X" * 30 + " Y",
    "\n\n  \n\n—\n\n“Quoted”",
]
EDGE_TEXTS.append(" ".join(chr(0x410 + k) + "\u00a0" for k in range(60)) + "\n\n" + "Б\u2028" * 9)  # the str path


def test_hash_paragraphs_is_hash_texts_of_each_paragraph():
    from cleaner.dedup.shingle import hash_paragraphs, hash_texts

    planted = [d.text for d in _docs(PLANTED)]
    # With a NUL in a text (a word character, not the marker) too.
    for texts in (planted + EDGE_TEXTS, planted + EDGE_TEXTS + ["a\x00b c\n\nd"]):
        paragraphs = _paragraph_lists(texts)
        got, counts = hash_paragraphs(paragraphs)
        expected, expected_counts = hash_texts([p for ps in paragraphs for p in ps])
        assert counts.tolist() == expected_counts.tolist() and len(counts) == sum(map(len, paragraphs))
        assert got.tolist() == expected.tolist()


@pytest.mark.parametrize("levels", [("paragraph", "document"), ("document",)])
def test_noisy_shingles_of_paragraphs_and_articles_are_their_definition(levels):
    """`--noisy` hashes characters in bulk and shares the 5-gram windows between the levels:
    each paragraph's and article's shingles must still be `shingles_for(text, noisy=True)`."""
    from cleaner.dedup.options import DupOptions
    from cleaner.dedup.stages import sign_block
    from cleaner.text import split_paragraphs

    texts = [d.text for d in _docs(PLANTED)] + EDGE_TEXTS + ["a\x00b c d e f g h i\n\nd \x00 e", "ab\n\ncd"]
    options = DupOptions(levels=levels, noisy=True, min_words=3)
    block = sign_block(0, [None] * len(texts), texts, options, sign=False)
    documents = block.parts["document"].batch
    for k, text in enumerate(texts):
        article = " ".join(p for _, _, p in split_paragraphs(text))
        assert documents.set(k).tolist() == shingles_for(article, 5, noisy=True).tolist(), text
    if "paragraph" not in levels:
        return
    expected = [
        (k, j) for k, t in enumerate(texts) for j, (_, _, p) in enumerate(split_paragraphs(t)) if len(tokens(p)) >= 3
    ]
    assert [(a, j) for a, j, _, _ in block.paragraphs] == expected
    paragraphs = block.parts["paragraph"].batch
    for i, (a, _, start, end) in enumerate(block.paragraphs):
        assert paragraphs.set(i).tolist() == shingles_for(texts[a][start:end], 5, noisy=True).tolist()


def test_segment_keys_are_equal_exactly_for_the_same_words():
    from cleaner.dedup.shingle import hash_paragraphs, segment_keys

    texts = [d.text for d in _docs(PLANTED)] + EDGE_TEXTS
    flat = [p for ps in _paragraph_lists(texts) for p in ps]
    keys = segment_keys(*hash_paragraphs([flat])).tolist()
    words = [tuple(tokens(p)) for p in flat]
    assert len(keys) == len(flat) and len(set(words)) > 100
    by_words: dict[tuple[str, ...], set[int]] = {}
    for w, k in zip(words, keys, strict=False):
        by_words.setdefault(w, set()).add(k)
    assert all(len(ks) == 1 for ks in by_words.values())
    assert len({k for ks in by_words.values() for k in ks}) == len(by_words)
    # The same words in another order, or one word more, are another paragraph.
    assert len(set(segment_keys(*hash_paragraphs([["a b c", "b a c", "a b c c"]])).tolist())) == 3


@pytest.mark.parametrize("chunk", [1 << 22, 2, 4])  # a few pairs at a time, too
def test_identical_shingles_are_found_for_all_pairs_at_once(monkeypatch, chunk):
    from cleaner.dedup import shingle

    monkeypatch.setattr(shingle, "_IDENTICAL_CHUNK", chunk)
    batch = shingle_batch([["a", "b", "c"], ["a", "b", "c"], ["a", "b", "d"], ["a", "b"], [], [], ["c", "b", "a"]], 1)
    pairs = [(0, 1), (0, 2), (0, 3), (4, 5), (0, 6), (1, 0), (2, 2)]
    assert batch.identical(pairs).tolist() == [True, False, False, False, False, True, True]
    assert batch.identical([]).tolist() == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 40), max_size=30), min_size=2, max_size=12),
    st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), min_size=1, max_size=40),
    st.integers(1, 64),
)
def test_pair_overlaps_are_those_of_the_sets(sets, pairs, chunk):
    """All pairs at once, whatever the chunking, give each pair's overlap and set sizes as its
    two sets do: repeats within a text, empty texts, a text paired with itself or with many."""
    import cleaner.dedup.verify as verify

    hashes = np.array([h * 2654435761 % 2**32 for s in sets for h in s], dtype=np.uint32)
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in sets])]).astype(np.int64)
    batch = ShingleBatch(hashes, offsets)
    ij = np.array([(a % len(sets), b % len(sets)) for a, b in pairs], dtype=np.int64)
    before, verify.OVERLAP_CHUNK = verify.OVERLAP_CHUNK, chunk
    try:
        found = list(zip(*(c.tolist() for c in pair_overlaps(batch, ij)), strict=True))
    finally:
        verify.OVERLAP_CHUNK = before
    sets_of = [batch.set(i) for i in range(len(sets))]
    assert found == [(overlap(sets_of[a], sets_of[b]), len(sets_of[a]), len(sets_of[b])) for a, b in ij.tolist()]
