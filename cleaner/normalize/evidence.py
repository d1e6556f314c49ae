"""Evidence from the corpus: statistics gathered over all documents before any is edited, which
the destructive rules consult instead of deciding from one document alone.

- Recurring lines: a short line that stands in many articles, each time beside different text, is
  a site line (boilerplate) whatever its language. Copies of one article repeat their lines
  beside the same neighbours, so recurrence is counted in distinct contexts, not documents; and,
  where the records say which site or publisher they are from, in each source's pages too (a
  template line stands in most of its own site's pages, however few).
- How sentences end: how often a word ends a complete sentence against how often it stands in
  running text; a body that stops on a word that seldom ends a sentence was cut.
- Doubling: how often a word stands doubled (`die die`) against how often it stands at all.
- How often this corpus was cut: every body that stops without its final punctuation is counted
  by what it stops on; a mixture fit over them (a cut stops on a word of running text, a sentence
  short of its period on a word that ends sentences) gives the share that were cut, the prior
  odds the truncation rule starts from.

Counts are per language and add up over chunks in any order, so the evidence (and every edit made
from it) is the same for any `--jobs` and either engine. For a lone document, stdin or a small
corpus, the counts shipped with the package (`cleaner/lang/stats/`, built by
`bench/build_language_stats.py` from public text) are added as a prior.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import sys
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import regex

from cleaner.lang.languages import known_language
from cleaner.model import Document
from cleaner.normalize.cuts import ending, inner_paragraphs, lowercase_opening, unfinished_tail
from cleaner.normalize.encoding import fix_mojibake_line, remove_control_chars, unescape_all
from cleaner.text import split_paragraphs

# A word: letters, inner apostrophes and hyphens (`re`, scanned in C). Case is kept: `Bill` and
# `bill` end sentences at different rates.
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
NUMBER = re.compile(r"\d[\d.,]*%?")
# The lowercase word after a sentence's subject when that is a name: two or more capitalised
# words opening a sentence (`Graham Henry was`, `Sir Alex Ferguson has`, `The BBC said`), as a
# dropped linked name leaves a paragraph opening (`was on record-breaking form`). Two at least,
# so that `He said` and `The government` do not count; and a lowercase word after it, so that a
# headline in title case (`Trump Signs Bill after Senate Vote`) and a list of names (`Ann Lee and
# Bo Tan`) do not. A name inside a sentence was tried first: it is mostly a preposition's object
# (`in Paris in`, `Smith when`), and so gave the words a cut opens with (`when`, `after`, `to`)
# as often as running text does.
AFTER_SUBJECT = regex.compile(
    r"(?:^|(?<=[.!?…][\"”’»)]?\s))\p{Lu}[\p{L}'’.-]*(?: \p{Lu}[\p{L}'’-]*)+ (\p{Ll}+)\b(?= \p{Ll})", regex.MULTILINE
)
# Where one sentence ends and the next begins: after its terminator and closing quotes.
SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’»)\]]*\s+")
_TERMINATORS = ".!?…"
_CLOSERS = '"”’»)]'
_OPENERS = "\"“‘'(«[„¿¡"
MAX_LENGTH = 80
# The same word twice on one line, found on the lowercased text where lowering keeps every offset
# (nearly always) with a plain `\b(\w+) \1` that `re` scans fast; the candidates are then held
# to the rule's stricter edges in Python (letters only; no apostrophe, ampersand or hyphen
# joined on either side), which is far cheaper than the same edges in the pattern. The
# possessive `\w++` and `[ \t]++` only say what is true anyway (a copy is a whole run of word
# characters) and spare `re` the backtracking: 1.6x faster, the same doubles on 19,623 texts
# of every shared corpus. The `\b` stays inside the repetition so that `the the theory` still
# finds `the the`.
# (Possessive quantifiers came with Python 3.11; 3.10 gets the same doubles, slower.)
_DOUBLE = r"\b(\w++)(?:[ \t]++\1\b)+" if sys.version_info >= (3, 11) else r"\b(\w+)(?:[ \t]+\1\b)+"
_DOUBLE_FAST = re.compile(_DOUBLE)
_DOUBLE_ANY_CASE = re.compile(_DOUBLE, re.IGNORECASE)
_JOINERS = "'’&-"


def doubles(text: str) -> list[tuple[int, int, int]]:
    """(start, end of the first copy, end of the last copy) of each run of a word repeated on one
    line, in any case: `the the`, `The the`; not numbers (`10 10`), not `rock-and-roll roll`."""
    lowered = text.lower()
    rx, scanned = (
        (_DOUBLE_FAST, lowered) if len(lowered) == len(text) else (_DOUBLE_ANY_CASE, text)
    )  # `İ` lowers to two
    out = []
    pos = 0
    while m := rx.search(scanned, pos):
        a, first_end, b = m.start(), m.end(1), m.end()
        joined = (a and text[a - 1] in _JOINERS) or (b < len(text) and text[b] in _JOINERS)
        if not m.group(1).isalpha() or joined:
            pos = first_end  # the next copy may still start a double of its own
            continue
        out.append((a, first_end, b))
        pos = b
    return out


def name_after(first: str, second: str) -> bool:
    """`van Van Dijk`, `the The Hague`: a lowercase word, then a name that starts with it; not a
    doubling of the word."""
    return first[:1].islower() and second[:1].isupper()


def _sentence_ends(text: str) -> tuple[list[str], int, list[int], list[tuple[str, int]]]:
    """The words that end sentences, the count of numbers that do, each sentence's length, and
    each sentence's first word with the bin of its length (`LENGTH_BIN`)."""
    words: list[str] = []
    numbers = 0
    lengths: list[int] = []
    openers: list[tuple[str, int]] = []
    for piece in SENTENCE_END.split(text):
        if not piece or piece.isspace():
            continue
        length = min(piece.count(" ") + 1, MAX_LENGTH)
        lengths.append(length)
        first = OPENING_WORD.match(piece)
        if first:
            openers.append((first.group(1), LENGTH_BIN[length]))
        core = piece.rstrip(_CLOSERS)
        if not core.endswith(tuple(_TERMINATORS)):
            continue
        last = core.rstrip(_TERMINATORS).rsplit(None, 1)[-1:] or [""]
        token = last[0].lstrip(_OPENERS)
        if token[:1].isdigit():
            numbers += 1
        elif WORD.fullmatch(token):
            words.append(token)
    return words, numbers, lengths, openers


# A sentence's first word, after any opening quote or bracket.
OPENING_WORD = re.compile(r"\s*[\"“‘'(«\[„¿¡]*([^\W\d_]+(?:['’-][^\W\d_]+)*)")
# How long the sentences that open on a word are, counted in bins of words (1-3, 4-6, 7-10, 11-15,
# 16-20, 21-30, 31-40, 41+): `Despite ...` seldom makes a whole sentence of 7 words, `He ...`
# often does, so a cut's length is weighed against the sentences that open as it does.
LENGTH_BIN_EDGES = (1, 4, 7, 11, 16, 21, 31, 41, MAX_LENGTH + 1)
LENGTH_BINS = len(LENGTH_BIN_EDGES) - 1
LENGTH_BIN = [0] + [b for b in range(LENGTH_BINS) for _ in range(LENGTH_BIN_EDGES[b], LENGTH_BIN_EDGES[b + 1])]
# The pseudo-sentences, of the corpus's length distribution, that an opener's own count is mixed
# with: an opener seen in 20 sentences moves the model half way to its own lengths.
OPENER_PSEUDO = 20
# How far the lengths of an opener's sentences can move a cut's likelihood from the corpus's, either way.
OPENER_BOUND = 10
# Openers shipped: the frequent words that open at least this many sentences.
MIN_SHIPPED_OPENER = 5


# A line counts as a candidate site line up to this length; longer lines are prose.
MAX_LINE_CHARS = 100
MAX_LINE_WORDS = 14
# Distinct contexts kept per line (the smallest context hashes: a bottom-k sample, the same
# whatever order the chunks are merged in). More than any threshold needs.
MAX_CONTEXTS = 64
_CONTEXT_CHARS = 200


def line_key(line: str) -> str:
    """What makes two short lines the same line for the recurrence count: their words, in any case
    and spacing, as the unicode and whitespace rules leave them (mojibake repaired, entities
    unescaped, control characters and spaces before punctuation dropped). The evidence is counted
    on the text as it comes and the rules look lines up after those rules ran, so a line such as
    `Weâ€™re sorry` or `Your weather is set to . You can ...` must have one key either way (else
    it is found only when the output is cleaned again: not idempotent)."""
    if not line.isascii():
        line = fix_mojibake_line(line)
    if "&" in line and ";" in line:
        line = unescape_all(line)
    key = " ".join(remove_control_chars(line).split()).casefold()
    return _KEY_SPACE.sub("", key) if " " in key or "\u200b" in key else key


# Spaces before punctuation and zero-width spaces, which `space-before-punct` and `odd-spaces` drop.
_KEY_SPACE = re.compile(r" (?=[,.;:!?])|[\u200b\u2060\ufeff]")
# What `line_key` makes of a line changed (2: spaces before punctuation, entities; 3: mojibake,
# control characters): an index's line rows are of one version.
LINES_VERSION = 3


def is_candidate_line(line: str) -> bool:
    s = line.strip()
    return 0 < len(s) <= MAX_LINE_CHARS and len(s.split()) <= MAX_LINE_WORDS and WORD.search(s) is not None


@dataclass
class LanguageCounts:
    """Word statistics of one language: occurrences, sentence ends and doublings per word."""

    tokens: int = 0
    sentences: int = 0
    numbers: int = 0
    number_ends: int = 0
    words: Counter[str] = field(default_factory=Counter)
    ends: Counter[str] = field(default_factory=Counter)
    doubled: Counter[str] = field(default_factory=Counter)  # casefolded
    lengths: Counter[int] = field(default_factory=Counter)  # words per sentence, up to MAX_LENGTH
    # The lowercase words after a name that opens a sentence (`Graham Henry was`; `AFTER_SUBJECT`):
    # what a paragraph opens with when a scraper dropped a linked name before it.
    after_subject: Counter[str] = field(default_factory=Counter)
    subjects: int = 0  # such sentences in all
    # (first word, length bin) -> sentences: how long the sentences that open on a word are
    openers: Counter[tuple[str, int]] = field(default_factory=Counter)

    def observe(self, text: str) -> None:
        words = WORD.findall(text)
        self.tokens += len(words)
        self.words.update(words)
        ends, n_end, lengths, openers = _sentence_ends(text)
        self.ends.update(ends)
        self.number_ends += n_end
        self.sentences += len(ends) + n_end
        self.lengths.update(lengths)
        self.openers.update(openers)
        self.numbers += len(NUMBER.findall(text))
        self.doubled.update(
            text[a:first].casefold()
            for a, first, b in doubles(text)
            if not name_after(text[a:first], text[a:b].rsplit(None, 1)[-1])
        )
        after = AFTER_SUBJECT.findall(text)
        self.subjects += len(after)
        self.after_subject.update(after)

    def add(self, other: LanguageCounts) -> None:
        self.tokens += other.tokens
        self.sentences += other.sentences
        self.numbers += other.numbers
        self.number_ends += other.number_ends
        self.words.update(other.words)
        self.ends.update(other.ends)
        self.doubled.update(other.doubled)
        self.lengths.update(other.lengths)
        self.after_subject.update(other.after_subject)
        self.subjects += other.subjects
        self.openers.update(other.openers)

    def to_dict(self, top: int | None = None) -> dict[str, object]:
        keep = {w for w, _ in self.words.most_common(top)} if top else set(self.words)
        return {
            "tokens": self.tokens,
            "sentences": self.sentences,
            "numbers": self.numbers,
            "number_ends": self.number_ends,
            "words": {w: n for w, n in sorted(self.words.items()) if w in keep},
            "ends": {w: n for w, n in sorted(self.ends.items()) if w in keep},
            "doubled": dict(sorted(self.doubled.items())),
            "lengths": {str(k): v for k, v in sorted(self.lengths.items())},
            "after_subject": {w: n for w, n in sorted(self.after_subject.items()) if w in keep},
            "subjects": self.subjects,
            "openers": self._openers_dict(keep if top else None),
        }

    def _openers_dict(self, keep: set[str] | None) -> dict[str, list[int]]:
        by_word: dict[str, list[int]] = {}
        for (w, b), n in self.openers.items():
            if keep is None or w in keep:
                by_word.setdefault(w, [0] * LENGTH_BINS)[b] += n
        return {w: v for w, v in sorted(by_word.items()) if keep is None or sum(v) >= MIN_SHIPPED_OPENER}

    @classmethod
    def from_dict(cls, d: dict) -> LanguageCounts:
        lengths = Counter({int(k): v for k, v in d["lengths"].items()})
        return cls(
            d["tokens"],
            d["sentences"],
            d["numbers"],
            d["number_ends"],
            Counter(d["words"]),
            Counter(d["ends"]),
            Counter(d["doubled"]),
            lengths,
            Counter(d.get("after_subject", {})),
            d.get("subjects", 0),
            Counter({(w, b): n for w, v in d.get("openers", {}).items() for b, n in enumerate(v) if n}),
        )

    def cut_length_ratio(self, k: int, first: str | None = None) -> tuple[float, int]:
        """How much likelier a fragment of `k` words is as the start of a sentence cut at a random
        word than as a whole sentence: P(k | cut) = sum over L >= k of P(L) / L, against P(k); and
        how many sentences of the corpus open on `first`. With them, P(L) is that of the
        sentences that open on `first` (their share of each length bin, spread over the bin as
        the corpus's lengths are, mixed with the corpus's at OPENER_PSEUDO sentences), and moves
        the ratio OPENER_BOUND times at most either way: the shipped counts are another
        corpus's, where a site's own lines (`Hide Caption 8 of 10 Photos: ...`, 14,670 of
        AllSides' sentences) can make an opener's lengths as odd as they come."""
        total = sum(self.lengths.values())
        if not total:
            return 1.0, 0
        k = min(k, MAX_LENGTH)
        own = [self.openers[first, b] for b in range(LENGTH_BINS)] if first else []
        seen = sum(own)
        share = [0.0] * LENGTH_BINS  # P(bin) in the corpus
        as_cut = [0.0] * LENGTH_BINS  # sum over L >= k of P(L) / L, by bin
        for length, n in self.lengths.items():
            share[LENGTH_BIN[length]] += n / total
            if length >= k:
                as_cut[LENGTH_BIN[length]] += n / length / total
        as_whole = (self.lengths[k] + 1) / (total + MAX_LENGTH)
        ratio = sum(as_cut) / as_whole
        if not seen:
            return ratio, 0
        # P(bin | opens on `first`) / P(bin), smoothed
        w = [(o / p + OPENER_PSEUDO) / (seen + OPENER_PSEUDO) if p else 1.0 for o, p in zip(own, share, strict=True)]
        by_opener = sum(c * wb for c, wb in zip(as_cut, w, strict=True)) / (as_whole * w[LENGTH_BIN[k]])
        return ratio * min(max(by_opener / ratio, 1 / OPENER_BOUND), OPENER_BOUND), seen


@dataclass
class CorpusEvidence:
    """What the first pass saw. Built with `observe` one document at a time, merged with `add`."""

    documents: int = 0
    languages: dict[str, LanguageCounts] = field(default_factory=dict)
    # line key -> the smallest context hashes it was seen in (at most MAX_CONTEXTS)
    lines: dict[str, list[int]] = field(default_factory=dict)
    # language -> the unfinished endings of its bodies, counted by (kind, token, words, last line)
    endings: dict[str, Counter[Ending]] = field(default_factory=dict)
    # language -> bodies; paragraphs after a body's first (`inner`) and those that open in lowercase
    # as a cut sentence does (`lower`): how often this corpus writes so where no scraper cuts;
    # bodies whose first paragraph opens so (`first`), and by their first word when a capital
    # follows (`label:<word>`): section labels recur, cuts do not
    openings: dict[str, Counter[str]] = field(default_factory=dict)
    # source -> its documents, and `source_line_key(source, line key)` -> the smallest context
    # hashes the line was seen in among that source's documents, and `source_title_key(...)` ->
    # the hashes of their titles: only for documents whose source is known (`Document.source`).
    # A site's line counts in pages that differ in both (revisions of one article, each with
    # another lede, share their title)
    sources: Counter[str] = field(default_factory=Counter)
    source_lines: dict[str, list[int]] = field(default_factory=dict)

    def observe(
        self, text: str, language: str | None, words: bool = True, source: str | None = None, title: str | None = None
    ) -> None:
        """Count one document. `words=False` counts its lines and ending only: a check's hundred
        records add little to the shipped word counts and counting them is most of the cost."""
        self.documents += 1
        triples = split_paragraphs(text)
        if language:
            if words:
                self.languages.setdefault(language, LanguageCounts()).observe(text)
            e = unfinished_ending(text, language, triples)
            if e is not None:
                self.endings.setdefault(language, Counter())[e] += 1
            self._observe_openings(language, triples)
        contexts = line_contexts(text, triples)
        for key, h in contexts:
            self.add_context(key, h)
        if source is not None:
            self.sources[source] += 1
            for key, h in source_contexts(source, title, contexts):
                self.add_source_context(key, h)

    def _observe_openings(self, code: str, paragraphs: list[tuple[int, int, str]]) -> None:
        lang = known_language(code)
        if lang is None or not lang.cased or not paragraphs:
            return
        counts = self.openings.setdefault(code, Counter())
        counts["bodies"] += 1
        inner = inner_paragraphs(paragraphs)
        counts["inner"] += len(inner)
        for p in inner:
            if lowercase_opening(p, lang) is not None:
                counts["lower"] += 1
                counts["inner:" + p.split(maxsplit=1)[0].casefold()] += 1
        if lowercase_opening(paragraphs[0][2], lang) is None:
            return
        counts["first"] += 1
        words = paragraphs[0][2].split(maxsplit=2)
        if len(words) > 1 and words[1][:1].isupper():
            counts["label:" + words[0].casefold()] += 1

    def add_context(self, key: str, h: int) -> None:
        _add_hash(self.lines, key, h)

    def add_source_context(self, key: str, h: int) -> None:
        """`key`: a `source_line_key`."""
        _add_hash(self.source_lines, key, h)

    def pruned(self) -> CorpusEvidence:
        """Without the lines seen in one context only, which decide nothing (most of them): what
        is kept for the cleaning pass and sent to its workers."""
        lines = {k: v for k, v in self.lines.items() if len(v) > 1}
        by_source = {k: v for k, v in self.source_lines.items() if len(v) > 1}
        return CorpusEvidence(
            self.documents, self.languages, lines, self.endings, self.openings, self.sources, by_source
        )

    def add(self, other: CorpusEvidence) -> None:
        self.documents += other.documents
        for code, counts in other.languages.items():
            self.languages.setdefault(code, LanguageCounts()).add(counts)
        for key, hashes in other.lines.items():
            for h in hashes:
                self.add_context(key, h)
        for code, counts in other.endings.items():
            self.endings.setdefault(code, Counter()).update(counts)
        for code, counts in other.openings.items():
            self.openings.setdefault(code, Counter()).update(counts)
        self.sources.update(other.sources)
        for key, hashes in other.source_lines.items():
            for h in hashes:
                self.add_source_context(key, h)


def _add_hash(table: dict[str, list[int]], key: str, h: int) -> None:
    """Count context `h` for `key`, keeping the MAX_CONTEXTS smallest: the same sample whatever
    order the chunks are merged in."""
    have = table.get(key)
    if have is None:
        table[key] = [h]
    elif h not in have:
        have.append(h)
        if len(have) > MAX_CONTEXTS:
            have.sort()
            del have[MAX_CONTEXTS:]


def source_line_key(source: str, key: str) -> str:
    """The key of a line among one source's documents (a unit separator cannot stand in a line key)."""
    return f"{source}\x1f{key}"


def source_title_key(source: str, key: str) -> str:
    """The key of the titles of the pages of one source that have a line."""
    return f"{source}\x1f{key}\x1ftitles"


def source_contexts(source: str, title: str | None, contexts: list[tuple[str, int]]) -> Iterator[tuple[str, int]]:
    """A document's lines as its source counts them: each line's context under its key within the
    source, and the title's hash under the line's title key (a page without a title: its context)."""
    titled = zlib.crc32(line_key(title).encode("utf-8", "surrogatepass")) if title else None
    for key, h in contexts:
        yield source_line_key(source, key), h
        yield source_title_key(source, key), h if titled is None else titled


# An unfinished ending as the evidence pass counts it: `sure` (a comma, dash or a word no sentence
# ends on) or `word`, either with `ALONE` after it when the ending is a line or paragraph of its
# own (`Tail.alone`; the prior of each shape is fitted apart), the last word, the sentence's
# length in words, and the key of the body's last line when that is short enough to be a site
# line (`Reuter`): such endings are decided after the boilerplate rule has run, so the prior
# leaves out those whose last line recurs.
Ending = tuple[str, str, int, str]
ALONE = "-alone"
# What `unfinished_ending` counts changed (1: shapes apart): an index's endings are from one version.
ENDINGS_VERSION = 1


def unfinished_ending(text: str, code: str, paragraphs: list[tuple[int, int, str]] | None = None) -> Ending | None:
    """How the body ends when it stops without its final punctuation, as the prior counts it."""
    lang = known_language(code)
    if lang is None:
        return None  # the truncation rules only flag there
    tail = unfinished_tail(text, lang, paragraphs)
    if tail is None:
        return None
    e = ending(tail.text)
    if e.kind == "punct" or e.kind == "word" and e.token.casefold() in lang.dangling:
        kind = "sure"
    elif e.kind == "word":
        kind = "word"
    else:
        return None
    last = text.rstrip().rsplit("\n", 1)[-1]
    token = e.token if kind == "word" else ""
    return (kind + (ALONE if tail.alone else ""), token, e.words, line_key(last) if is_candidate_line(last) else "")


def gather(documents: Iterable[Document], words: bool = True) -> CorpusEvidence:
    """The evidence of `documents`, each in its `language` (`words`: as for `observe`)."""
    corpus = CorpusEvidence()
    for doc in documents:
        corpus.observe(doc.text, doc.language, words, doc.source, doc.title)
    return corpus


def line_contexts(text: str, paragraphs: list[tuple[int, int, str]] | None = None) -> list[tuple[str, int]]:
    """The document's candidate site lines, each once, as (line key, context hash). `paragraphs`:
    the text's, when already split."""
    texts = [p for _, _, p in (split_paragraphs(text) if paragraphs is None else paragraphs)]
    seen: set[str] = set()
    out = []
    for i, p in enumerate(texts):
        for line in p.splitlines():
            if not is_candidate_line(line):
                continue
            key = line_key(line)
            if key not in seen:
                seen.add(key)
                out.append((key, _context(texts, i)))
    return out


def _context(paragraphs: list[str], i: int) -> int:
    """A hash of the nearest longer paragraph before (or else after) paragraph `i`: copies of one
    article share it, different articles do not."""
    order = [*range(i - 1, -1, -1), *range(i + 1, len(paragraphs))]
    for j in order:
        if len(paragraphs[j]) > MAX_LINE_CHARS:
            return zlib.crc32(paragraphs[j][:_CONTEXT_CHARS].encode("utf-8"))
    return zlib.crc32(b"\0".join(p[:_CONTEXT_CHARS].encode("utf-8") for p in paragraphs if p is not paragraphs[i]))


@cache
def shipped_counts(code: str) -> LanguageCounts | None:
    """The statistics shipped for language `code`, or None."""
    path = resources.files("cleaner.lang.stats").joinpath(f"{code}.json.gz")
    if not path.is_file():
        return None
    with path.open("rb") as fh:
        return LanguageCounts.from_dict(json.loads(gzip.decompress(fh.read())))


def _any_case(c: LanguageCounts, w: str) -> int:
    """Occurrences of the casefolded word `w` as written in lower case, capitalised or in capitals
    (words are counted as written; doublings casefolded)."""
    return c.words[w] + c.words[w.capitalize()] + c.words[w.upper()] if w else 0


@dataclass(frozen=True)
class Figure:
    """A decision's confidence and the figure behind it, for the edit log."""

    confidence: float
    reason: str


class Evidence:
    """The evidence the rules consult: the corpus's counts plus the shipped prior."""

    def __init__(self, corpus: CorpusEvidence | None = None, prior: bool = True) -> None:
        self.corpus = corpus or CorpusEvidence()
        self.prior = prior
        self._merged: dict[str, LanguageCounts | None] = {}
        self._priors: dict[str | None, CutPrior] = {}

    def counts(self, code: str | None) -> LanguageCounts | None:
        if not code:
            return None
        if code not in self._merged:
            own = self.corpus.languages.get(code)
            shipped = shipped_counts(code) if self.prior else None
            if own is None or shipped is None:
                merged = own or shipped
            else:
                merged = LanguageCounts()
                merged.add(shipped)
                merged.add(own)
            self._merged[code] = merged
        return self._merged[code]

    def recurrence(self, line: str) -> int:
        """In how many distinct contexts the corpus had this line."""
        return len(self.corpus.lines.get(line_key(line), ()))

    def source_recurrence(self, source: str, line: str) -> tuple[int, int]:
        """In how many of the documents of `source` that differ in context and title alike the
        line stands (the fewer of its distinct contexts and titles), and how many documents of
        `source` the corpus has."""
        key = line_key(line)
        lines = self.corpus.source_lines
        seen = min(len(lines.get(source_line_key(source, key), ())), len(lines.get(source_title_key(source, key), ())))
        return seen, self.corpus.sources[source]

    def doubling(self, code: str | None, word: str, slip_rate: float, legit_rate: float, legit_prior: float) -> Figure:
        """How sure that `word word` is a slip: the posterior that `word` is doubled only by slips
        (at `slip_rate` of its occurrences) rather than on purpose (at `legit_rate`, a share
        `legit_prior` of words), given the doublings the corpus has of its occurrences (this one
        included; Poisson counts)."""
        c = self.counts(code)
        w = word.casefold()
        if c is None:
            return Figure(0.0, "no word statistics for this language")
        n = _any_case(c, w)
        d = max(c.doubled[w], 1)
        log_odds = d * math.log(slip_rate / legit_rate) + (legit_rate - slip_rate) * n
        log_odds += math.log((1 - legit_prior) / legit_prior)
        p = 1 / (1 + math.exp(-log_odds)) if log_odds > -700 else 0.0
        return Figure(p, f"`{w} {w}` {d:,} times in {n:,} `{w}`")

    def doubled_often(self, code: str | None, word: str, slip_rate: float) -> bool:
        """Whether the corpus doubles `word` far more often than slips would (10x the rate, and
        at least 3 times): then it is doubled on purpose in this language."""
        c = self.counts(code)
        if c is None:
            return False
        w = word.casefold()
        n = _any_case(c, w)
        return c.doubled[w] >= 3 and c.doubled[w] >= 10 * slip_rate * n

    def cut(self, code: str | None, word: str, words: int, alone: bool = False, first: str | None = None) -> Figure:
        """How sure that a sentence of `words` words stopping on `word` (no final punctuation) was
        cut rather than short of its period: the word's share of running text against its share of
        sentence ends, times the length's likelihood as a cut start against as a whole sentence,
        as a likelihood ratio against the corpus's prior odds for endings of its shape (`alone`:
        a line or paragraph of its own; else glued after a finished sentence; `cut_prior`).
        `first`: the sentence's first word, whose sentences' lengths the length is weighed
        against (`LanguageCounts.cut_length_ratio`)."""
        c = self.counts(code)
        if c is None or not c.sentences:
            return Figure(0.0, "no sentence statistics for this language")
        ratio, inside, ends, label, by_length, seen = _cut_ratio(c, word, words, first)
        opened = f" opening on `{first}` ({seen:,} sentences do)" if seen else ""
        prior = self.cut_prior(code, alone)
        odds = ratio * prior.odds
        return Figure(
            odds / (1 + odds),
            f"ends on {label}: {ends / c.sentences:.3%} of {c.sentences:,} sentences end so,"
            f" {inside / max(c.tokens, 1):.3%} of words are it;"
            f" {words} words{opened}: {by_length:.1f}x likelier cut than whole; {prior.describe()}",
        )

    def cut_start(self, code: str | None, word: str, label: bool = False) -> Figure:
        """How sure that a body opening in lowercase on `word`, with a first sentence too long to
        be read as a fragment by its length (or, `label`, with `word` a lowercase word before a
        capitalised one: `voetbal Lucas`, `latest Brexit`), lost its start: the share of this
        corpus's lowercase body openings that the way it writes does not explain, weighed by the
        word (`_opening_word`). The rate at which its inner paragraphs, where no scraper cuts,
        open in lowercase (dropped names: `was on record-breaking form ...`) explains that many
        first paragraphs; a lowercase word that opens other bodies before a capital is a section
        label, and explains those."""
        counts = self.corpus.openings.get(code or "", Counter())
        labels = {k: n for k, n in counts.items() if k.startswith("label:") and n > 1}
        if label and labels.get("label:" + word.casefold()):
            n = labels["label:" + word.casefold()]
            return Figure(0.1, f"`{word}` opens {n:,} of this corpus's {counts['bodies']:,} bodies so: a label")
        bodies, first = counts["bodies"], counts["first"] - sum(labels.values())
        rate = (counts["lower"] + OPENING_PSEUDO / 50) / (counts["inner"] + OPENING_PSEUDO)
        explained = bodies * rate
        share = max(0.0, first - explained) / (first + CUT_START_PSEUDO)
        figure = Figure(
            share,
            f"{first:,} of this corpus's {bodies:,} bodies open in lowercase, {explained:.1f} of them"
            f" as its inner paragraphs do ({counts['lower']:,} of {counts['inner']:,})",
        )
        return self._opening_word(code, word, figure)

    def _opening_word(self, code: str | None, word: str, figure: Figure) -> Figure:
        """`figure`, how sure a lowercase opening lost its start, weighed by its first word: a
        paragraph that lost a linked name opens with what follows a name that opens a sentence
        (`was`, `said`, `has`: `AFTER_SUBJECT`), a cut one with any word of running text (`the`,
        `when`, `after`). The likelihood ratio is the word's share of running text against its
        share of the words after such names (counted, with one pseudo-count each way, at most
        20). It only ever raises the figure: a word seen after names often (`and`, `of`: `Smith
        and Jones said`) is no evidence either way, one that seldom is (`the`, `to`) is evidence
        of a cut."""
        c = self.counts(code)
        if c is None or not c.subjects or not c.tokens or figure.confidence <= 0.0:
            return figure
        expected = c.subjects * c.words[word] / c.tokens
        seen = c.after_subject[word]
        after_name = (expected + 1) / (seen + 1)
        # The corpus's own inner paragraphs that open in lowercase are openings no scraper cut:
        # where there are many, their first words (BBC's `was`, `won`, `took`) say how this
        # corpus's uncut openings begin better than the words after names do.
        openings = self.corpus.openings.get(code or "", Counter())
        inner, lower = openings["inner:" + word.casefold()], openings["lower"]
        uncut = (inner + INNER_OPENING_PSEUDO / after_name * c.words[word] / c.tokens) / (lower + INNER_OPENING_PSEUDO)
        ratio = min(c.words[word] / c.tokens / uncut if c.words[word] else after_name, OPENING_WORD_BOUND)
        if ratio <= 1:
            return figure
        p = min(figure.confidence, 1 - 1e-9)
        odds = p / (1 - p) * ratio
        return Figure(
            odds / (1 + odds),
            f"{figure.reason}; `{word}` follows a name opening a sentence {seen:,} times where running"
            f" text would give {expected:,.0f} and opens {inner:,} of the {lower:,} inner paragraphs that open in"
            f" lowercase: {ratio:.2g}x likelier a cut",
        )

    def cut_prior(self, code: str | None, alone: bool = False) -> CutPrior:
        """The share of this corpus's unfinished endings of one shape (`alone` or glued, as
        `ending_kind` counts them) that were cut, fitted by EM over all of them: each ending's
        likelihood ratio (as in `cut`, but with the corpus's lengths: the endings counted, and
        kept in a check's index, do not say how their sentence opened) is fixed, the mixing
        share is what is fitted; a Beta(6, 6) prior on the share keeps a corpus with few endings
        near even odds (the figure on human gold text, where such endings were as often one as
        the other). The shapes are fitted apart: credits, captions and bios stand alone short of
        their period, and so many of them would otherwise talk the prior of glued endings, where
        a cut leaves its fragment, down."""
        if (code, alone) not in self._priors:
            c = self.counts(code)
            sure, weighted = 0, []
            for (kind, token, words, last_line), n in sorted(self.corpus.endings.get(code or "", {}).items()):
                kind, shape_alone = kind.removesuffix(ALONE), kind.endswith(ALONE)
                if shape_alone != alone:
                    continue
                if last_line and len(self.corpus.lines.get(last_line, ())) > 1:
                    continue  # a recurring last line (a sign-off): what ends the body is not known yet
                if kind == "sure":
                    sure += n
                elif c is not None and c.sentences:
                    weighted.append((_cut_ratio(c, token, words)[0], n))
            total = sure + sum(n for _, n in weighted)
            share = 0.5
            for _ in range(200):
                cut = sure + sum(n * share * r / (share * r + 1 - share) for r, n in weighted)
                new = (cut + PRIOR_PSEUDO) / (total + 2 * PRIOR_PSEUDO)
                if abs(new - share) < 1e-9:
                    break
                share = new
            self._priors[code, alone] = CutPrior(share, total, alone)
        return self._priors[code, alone]


# How far one word's evidence can raise a cut start's odds.
OPENING_WORD_BOUND = 20
# The weight, in openings, of the words after sentence-opening names as the model of an uncut
# lowercase opening against the corpus's own inner openings (see `_opening_word`).
INNER_OPENING_PSEUDO = 20

# Beta(6, 6) on the share of unfinished endings that were cut, as pseudo-counts either way.
PRIOR_PSEUDO = 5


@dataclass(frozen=True)
class CutPrior:
    share: float  # of the corpus's unfinished endings of a shape, the share fitted as cut
    endings: int
    alone: bool = False

    @property
    def odds(self) -> float:
        return self.share / (1 - self.share)

    def describe(self) -> str:
        shape = "standing alone" if self.alone else "after a finished sentence"
        return (
            f"{self.share:.0%} of this corpus's {self.endings:,} unfinished endings {shape} cut"
            f" (prior odds {self.odds:.2f})"
        )


# The pseudo-paragraphs of the prior on how often a corpus's inner paragraphs open in lowercase
# (at 1 in 50), and the pseudo-bodies that keep a few lowercase body openings below the line (see
# `Evidence.cut_start`): one body of one document is a third sure, twenty cut bodies of twenty 0.9.
OPENING_PSEUDO = 50
CUT_START_PSEUDO = 2
# Sentence ends added to every word's count (see `_cut_ratio`).
END_PSEUDO = 0.5


def _cut_ratio(
    c: LanguageCounts, word: str, words: int, first: str | None = None
) -> tuple[float, int, int, str, float, int]:
    """The likelihood ratio cut : whole of a sentence of `words` words stopping on `word` (and
    opening on `first`), and the figures behind it (occurrences inside, at sentence ends, a label,
    the length's ratio, the sentences that open on `first`)."""
    if NUMBER.fullmatch(word):
        inside, ends, label = c.numbers, c.number_ends, "a number"
    else:
        inside, ends, label = c.words[word], c.ends[word], f"`{word}`"
    # The ratio is the corpus's share of words that end a sentence over this word's share. The
    # word's share is shrunk towards the corpus's by half a sentence end (and the occurrences that
    # many ends would take), so that a word seen seldom or never is neutral (ratio 1) instead of
    # read as one that ends sentences: rare words (names, the long tail the shipped counts leave
    # out) are where most cuts fall.
    base = c.sentences / max(c.tokens, 1)
    share = (ends + END_PSEUDO) / (inside + END_PSEUDO / base)
    by_length, seen = c.cut_length_ratio(words, first)
    return base / share * by_length, inside, ends, label, by_length, seen
