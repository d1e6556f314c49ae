"""Which documents look OCR-noisy: a cheap estimate per document, from the word hashes the finder
computes anyway, that decides which documents are also matched at the character level.

The estimate is the share of a document's match-form words that are not among the most frequent
words of a language the project ships word statistics for (`cleaner/lang/stats`: English, German,
Spanish), for the language that knows most of them. OCR confusions (`rn`/`m`, `e`/`c`, `l`/`1`,
dropped letters, words run together or broken at a hyphen) make non-words; clean prose in one of
those languages has few. Measured on 300 articles each (5th-95th percentile; `tests/test_noise.py`
checks the ends on fixture text): clean BBC 0.01-0.10, Reuters 1987 0.02-0.14, AllSides 0.00-0.04;
the same BBC and German articles with 20% of their words OCR-noised 0.15-0.26, with 50% 0.37-0.48.
A language without statistics reads as mostly unknown (French 0.51-0.63, Italian, Dutch, Chinese
higher), so shares above `NOISY_MAX` are taken for another language, not noise: those documents
are matched as before.

Words are looked up in a table of 2^22 slots (4 MB) by the top bits of their hash, one bit per
language: a slot shared by accident makes an unknown word count as known for one in about 140
(30,000 words a language), which moves the estimate by well under its own spread. A word's OCR
slip (`ocr_slips`) is looked up exactly, in the set of the hashes themselves: each unknown word is
tried a score of ways, and by slot the accidents added up to a share of the slips that depended on
the hash function (a change of it moved two of thirty OCR'd articles under `MIN_SLIPS`).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from cleaner.dedup.matchform import UTF8, folded
from cleaner.dedup.shingle import hash_texts, word_hash, word_hashes_of

LANGUAGES = ("en", "de", "es")
VOCABULARY = "vocabulary.npz"  # beside this module: built by `build_vocabulary` (see its test)
# Numbers are words of every language (`rose 3%`, `1 000`), up to this many.
NUMBERS = 10_000
SLOT_BITS = 22
# A document is noisy when this share of its words is unknown, and not more than `NOISY_MAX`:
# between clean prose (95th percentiles 0.10-0.14) and 20% of words OCR-noised (5th: 0.15).
NOISY_MIN = 0.13
NOISY_MAX = 0.5
# Shorter documents are not judged: their share says too little, and short notices written to a
# template (Reuters' earnings, filings, bond issues) look alike by characters while telling of
# other companies; an OCR'd copy worth finding is an article.
MIN_JUDGED_WORDS = 100
# Unknown words are also proper names, abbreviations (Reuters' `dlrs`, `mln`) and tickers: a
# quarter of Reuters 1987's records are in the band. So a document in it is noisy only when at
# least this share of its unknown words read as OCR slips of known words (`ocr_slips`): of BBC
# articles with 20% or 50% of their words OCR-noised, the 5th percentile is 0.55; of the
# Reuters records in the band, the median 0.33.
MIN_SLIPS = 0.45
SLIPS_CHECKED = 32
# A noisy document is compared by characters only with a document whose share of unknown words is
# this much lower (its clean original, or a less noisy copy): templated texts (Reuters' earnings
# tables, rate notices) look alike by characters and are as noisy as each other.
NOISIER_BY = 0.08
# Undone one at a time: `rn` read as `m` and back, `e` as `c`, `l` as `1`, `o` as `0`, and the
# like.
CONFUSIONS = (("rn", "m"), ("m", "rn"), ("c", "e"), ("1", "l"), ("0", "o"), ("ii", "u"), ("vv", "w"), ("cl", "d"))


def build_vocabulary(stats: Path) -> dict[str, np.ndarray]:
    """Per language, the distinct top 32 bits of the word hashes of its shipped frequent words
    (in the match form: `ABC's` is `abc` and `s`) and of the numbers below `NUMBERS`."""
    numbers = " ".join([*map(str, range(NUMBERS)), "00", "000"])
    out = {}
    for code in LANGUAGES:
        words = json.loads(gzip.decompress((stats / f"{code}.json.gz").read_bytes()))["words"]
        hashes, _ = hash_texts([" ".join(sorted(words)), numbers])
        out[code] = np.unique((hashes >> np.uint64(32)).astype(np.uint32))
    return out


@cache
def _table() -> np.ndarray:
    """Slot -> a bit per language of `LANGUAGES` that has a word there."""
    with resources.files("cleaner.dedup").joinpath(VOCABULARY).open("rb") as fh, np.load(fh) as data:
        table = np.zeros(1 << SLOT_BITS, dtype=np.uint8)
        for bit, code in enumerate(LANGUAGES):
            table[data[code] >> np.uint32(32 - SLOT_BITS)] |= np.uint8(1 << bit)
    return table


def unknown_shares(word_hashes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per document (document i is the next `counts[i]` of `word_hashes`), the share of its words
    unknown to the language that knows most of them; 0 for a document without words."""
    counts = np.asarray(counts, dtype=np.int64)
    bits = _table()[(word_hashes >> np.uint64(64 - SLOT_BITS)).astype(np.int64)]
    # How many words of each document have each set of language bits: one count over all words.
    owners = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    by_bits = np.bincount(owners * 8 + bits, minlength=8 * len(counts)).reshape(len(counts), 8)
    known = by_bits @ _LANGUAGE_OF_BITS
    best = known.max(axis=1) if len(counts) else np.zeros(0, dtype=np.int64)
    return np.where(counts > 0, 1 - best / np.maximum(counts, 1), 0.0)


# Which languages (columns) a word with each set of language bits (rows) is known to.
_LANGUAGE_OF_BITS = np.array([[(b >> k) & 1 for k in range(len(LANGUAGES))] for b in range(8)], dtype=np.int64)


def noisy_flags(word_hashes: np.ndarray, counts: np.ndarray, texts: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Which documents look OCR-noisy (see the module's notes): those with a share of unknown
    words in the noisy band whose unknown words read as OCR slips (`ocr_slips`); and every
    document's share (float32). `texts` are the documents' folded forms (`matchform.folded`),
    read only for those in the band."""
    counts = np.asarray(counts)
    shares = unknown_shares(word_hashes, counts)
    flags = (counts >= MIN_JUDGED_WORDS) & (shares >= NOISY_MIN) & (shares <= NOISY_MAX)
    for i in np.flatnonzero(flags).tolist():
        flags[i] = ocr_slips(texts[i].decode(*UTF8).replace("\0", " ").split()) >= MIN_SLIPS
    return flags, shares.astype(np.float32)


@cache
def _vocabulary() -> frozenset[int]:
    """The top 32 bits of the hash of every word a language of `LANGUAGES` knows."""
    with resources.files("cleaner.dedup").joinpath(VOCABULARY).open("rb") as fh, np.load(fh) as data:
        return frozenset(v for code in LANGUAGES for v in data[code].tolist())


def _known(word: str) -> bool:
    # Exact, not by slot: a slip is tried a score of ways, and a slot shared by accident each time
    # would make a third of the unknown words read as slips.
    return word_hash(word) >> 32 in _vocabulary()


def _slip(words: list[str], i: int) -> bool:
    """Whether unknown word i becomes a known word by undoing one OCR confusion: a confused
    letter, two words run together, or one broken at a line end."""
    w = words[i]
    for wrong, right in CONFUSIONS:
        at = w.find(wrong)
        while at >= 0:
            if _known(w[:at] + right + w[at + len(wrong) :]):
                return True
            at = w.find(wrong, at + 1)
    if any(_known(w[:k]) and _known(w[k:]) for k in range(2, len(w) - 1)):
        return True
    return (i + 1 < len(words) and _known(w + words[i + 1])) or (i > 0 and _known(words[i - 1] + w))


def ocr_slips(words: list[str]) -> float:
    """The share of a document's unknown words (at most `SLIPS_CHECKED` of them, spread over
    the text) that read as OCR slips of known words (`_slip`); 0 without unknown words."""
    unknown = [i for i, w in enumerate(words) if not w.isdigit() and not _known(w)]
    if not unknown:
        return 0.0
    step = max(1, len(unknown) // SLIPS_CHECKED)
    checked = unknown[::step][:SLIPS_CHECKED]
    return sum(_slip(words, i) for i in checked) / len(checked)


def noise_estimate(text: str) -> float:
    """`unknown_shares` of one text."""
    hashes = word_hashes_of(folded(text))
    return float(unknown_shares(hashes, np.array([len(hashes)]))[0])


def is_noisy(text: str) -> bool:
    form = folded(text)
    hashes = word_hashes_of(form)
    return bool(noisy_flags(hashes, np.array([len(hashes)]), [form])[0][0])
