"""The shapes of a cut sentence: where a body's last sentence is unfinished and what it stops on.

Shared by the truncation rules (which decide) and the evidence pass (which counts, over the whole
corpus, how its unfinished endings look, so that the rule knows how often this corpus was cut).
Pure functions of the text and the language's data; no evidence here.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from cleaner.lang.languages import Language
from cleaner.text import ends_sentence, sentence_spans, split_paragraphs

_FIRST_WORD = regex.compile(r"\S+")
_LIST_MARKER = regex.compile(r"(?:[ivxlc]+|[a-z])[.)]")
_TAIL_OK_END = tuple(":)]}>»\"”’'")
MIN_TAIL_WORDS = 4
# An unfinished sentence longer than this is two sentences run together (`statement.Architects`).
MAX_TAIL_WORDS = 60
MIN_FRAGMENT_WORDS = 8
_LINKISH = regex.compile(r"@|https?://|www\.|:|\.com/|#\w")
# A last word with a dot inside it (`bloomberg.com`, `report.pdf`): an address or file name, which
# ends a site line or a credit, not a sentence cut short.
_ADDRESS_END = regex.compile(r"\w\.\p{Ll}{2,}\W*$")
_LAST_WORD = regex.compile(r"([\p{L}\p{M}](?:[\p{L}\p{M}'’-]*[\p{L}\p{M}])?|\p{N}[\p{N}.,]*%?)\W*$")
_ATTRIBUTION = regex.compile(r"[”\"’]\s*[—–-]\s+\p{Lu}")
_MARK = regex.compile(r"[\p{S}\p{Po}]")


def starts_mid_sentence(p: str, lang: Language | None) -> bool:
    """Whether paragraph `p` opens with a lowercase word that is not a name, brand, handle or
    list marker: the shape of a sentence whose start was cut."""
    m = _FIRST_WORD.match(p)
    if not m:
        return False
    word = m.group()
    if not word[0].islower() or not word[0].isalpha():
        return False  # capitals, digits, quotes, bullets, dashes: a sentence, list item or heading
    if lang is not None and not lang.cased:
        return False
    if any(ch.isupper() or ch.isdigit() for ch in word[1:]):
        return False  # iPhone, eBay, al-Assad, my6sense
    if any(ch in word for ch in "./@:_#") and not word.endswith((".", ":")):
        return False  # example.com, @handle, e-mail addresses
    if _LIST_MARKER.fullmatch(word):
        return False  # `iv.`, `b)`: a list item
    if lang is not None and word.casefold() in lang.lowercase_words:
        return False  # Dutch `'s Avonds`
    if lang is not None and any(p.startswith(name) for name in lang.lowercase_names):
        return False  # `bell hooks wrote`: a name styled in lowercase
    particles = lang.name_particles if lang is not None else frozenset()
    inner = particles | lang.name_particles_inner if lang is not None else frozenset()
    rest = p
    while (w := _FIRST_WORD.match(rest)) and w.group().casefold() in (inner if rest is not p else particles):
        rest = rest[w.end() :].lstrip()
    # de Blasio, van Gogh, bin Laden, von der Leyen, de la Rosa
    return not (rest is not p and rest[:1].isupper())


# A label before a dash or colon (`klok - Een parlementaire commissie`, `illustrazione: Gli`).
_LABEL = regex.compile(r"\S+(?:\s+\S+){0,2}\s*(?:[-–—|:]\s)")


# Prose wrapped at a fixed column (wire copy, e-mail, plain-text archives) breaks its lines at
# about that column: two lines in three within a fifth of the longest, itself this long (the
# others end a paragraph indented on the next line, as Reuters writes, or the text).
WRAP_MIN_COLUMN = 55
WRAPPED_SHARE = 2 / 3


def _hard_wrapped(lines: list[str]) -> bool:
    widths = [len(line.rstrip()) for line in lines]
    width = max(widths)
    full = sum(w >= 0.8 * width for w in widths[:-1])
    return width >= WRAP_MIN_COLUMN and full >= WRAPPED_SHARE * (len(widths) - 1)


# Lines this long on average are paragraphs written one a line (L3S, many extractors), not the
# lines of a stanza or a list.
MAX_VERSE_LINE_CHARS = 100


def _verse(p: str) -> bool:
    """Lines of a stanza or a list: several lines, some opening in lowercase, that are not prose
    wrapped at a fixed column (the first line may be longer: a cut fragment or a dateline before
    the wrapped text) nor paragraphs one a line."""
    lines = [line for line in p.splitlines() if line.strip()]
    if len(lines) < 2 or _hard_wrapped(lines) or len(lines) > 2 and _hard_wrapped(lines[1:]):
        return False
    if sum(len(line) for line in lines) / len(lines) > MAX_VERSE_LINE_CHARS:
        return False
    return sum(line.lstrip()[:1].islower() for line in lines[1:]) >= 1


def inner_paragraphs(paragraphs: list[tuple[int, int, str]]) -> list[str]:
    """The paragraphs after a body's first, where no scraper cuts: for a body written one
    paragraph a line (one paragraph of long lines: L3S, many extractors), its lines after the
    first."""
    if len(paragraphs) == 1:
        lines = [line for line in paragraphs[0][2].splitlines() if line.strip()]
        if len(lines) > 1 and sum(len(line) for line in lines) / len(lines) > MAX_VERSE_LINE_CHARS:
            return lines[1:]
    return [p for _, _, p in paragraphs[1:]]


def lowercase_opening(p: str, lang: Language | None) -> list[tuple[int, int]] | None:
    """The sentences of paragraph `p` when it opens like a sentence whose start was cut, with a
    sentence end to cut to; None for a label line, a stanza or list, or a heading."""
    if not starts_mid_sentence(p, lang):
        return None
    first_line = p.split("\n", 1)[0]
    if "\n" in p and len(first_line.split()) <= 3 and not ends_sentence(first_line):
        return None  # a lowercase label line (`immunology`) above the text, not a cut sentence
    if _verse(p) or _LABEL.match(p):
        return None
    spans = sentence_spans(p, lang)
    if not ends_sentence(p[: spans[0][1]]):
        return None  # no sentence end: a list item or heading, not a cut sentence
    return spans


def stops_mid_sentence(s: str) -> bool:
    """A cut sentence is running text: it has lowercase words after its first. A title-case
    phrase (`Politics Without Bannisters`), a label with a colon or an address is a sign-off or a
    heading, not a cut."""
    words = s.split()
    if len(words) < 2 or _LINKISH.search(s) or _ADDRESS_END.search(s):
        return False
    return any(w[:1].islower() for w in words[1:])


@dataclass(frozen=True)
class Tail:
    """A body's unfinished last sentence (`text`) and its `shape`: `glued` after a finished
    sentence on the same line (where a scraper's cut leaves it), a `line` of its own below one
    (a credit, caption or heading as often: paragraphs written one a line), or the whole last
    `paragraph`. `start` and `end`: the span that removes it with the space or line break before
    it (for a paragraph, the paragraph)."""

    text: str
    shape: str
    start: int
    end: int

    @property
    def alone(self) -> bool:
        """Set apart from the sentence before it: what stands so is a sentence short of its period
        (a bio, credit, teaser) far more often than one glued on is."""
        return self.shape != "glued"


def may_be_unfinished(text: str) -> bool:
    """Whether the body's end lacks a sentence end: the cheap, language-free test before
    `unfinished_tail` (most bodies fail it)."""
    body = text.rstrip()
    return bool(body) and not (ends_sentence(body) or body.endswith(_TAIL_OK_END))


def unfinished_tail(
    text: str, lang: Language | None, paragraphs: list[tuple[int, int, str]] | None = None
) -> Tail | None:
    """The body's last sentence when it stops without its final punctuation and has the shape of
    running text (4 to 60 words, opening in capitals, lowercase words after the first; not an
    address, a title-case phrase or a quote's attribution), else None. A last paragraph with no
    sentence end at all qualifies from 8 words. `paragraphs`: the text's, when already split."""
    paragraphs = split_paragraphs(text) if paragraphs is None else paragraphs
    if not paragraphs:
        return None
    start, _, p = paragraphs[-1]
    body = p.rstrip()
    if ends_sentence(body) or body.endswith(_TAIL_OK_END):
        return None
    spans = sentence_spans(body, lang)
    if len(spans) > 1:
        a, b = spans[-1]
        tail = body[a:b]
        n = len(tail.split())
        if n < MIN_TAIL_WORDS or n > MAX_TAIL_WORDS or not tail[:1].isupper():
            return None
        # A title-case phrase is a heading or a sign-off, unless a comma says that the sentence
        # ran on (`... the Ukrainian government. The American Medical Association,`).
        ran_on = tail.endswith((",", ";")) and not _LINKISH.search(tail)
        if not stops_mid_sentence(tail) and not ran_on:
            return None
        if _ATTRIBUTION.search(tail):
            return None  # `... anew.” — Amanda Mull, Atlantic`: a quote's attribution
        shape = "line" if "\n" in body[spans[-2][1] : a] else "glued"
        return Tail(tail, shape, start + spans[-2][1], start + b)
    if len(body.split()) < MIN_FRAGMENT_WORDS or not body[:1].isupper() and not starts_mid_sentence(body, lang):
        return None
    if not stops_mid_sentence(body):
        return None
    return Tail(body, "paragraph", start, start + len(body))


@dataclass(frozen=True)
class Ending:
    """What an unfinished sentence stops on. `kind`: `punct` (a comma, dash or semicolon: cut for
    sure), `separator` (a dash after a finished sentence), `mark` (`■`), `none` (no last word) or
    `word` (`token` is the last word or number)."""

    kind: str
    token: str
    words: int


def ending(tail: str) -> Ending:
    last = tail.rstrip()
    words = len(tail.split())
    if last.endswith(("-", "–", "—")) and ends_sentence(last[:-1]):
        return Ending("separator", last[-1], words)
    if last.endswith((",", "-", "–", "—", ";")):
        return Ending("punct", last[-1], words)
    m = _LAST_WORD.search(last)
    if not m:
        return Ending("none", "", words)
    if m.end(1) < len(last) and _MARK.search(last[m.end(1) :]):
        return Ending("mark", last[m.end(1) :].strip(), words)
    return Ending("word", m.group(1), words)
