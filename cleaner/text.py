"""Text geometry shared by the readers and the rules: where paragraphs are.

A paragraph separator is a line break, optional spaces, and at least one more line break: the
"blank line" of the seed format. Offsets are character offsets into the text, so rules can turn
paragraph positions into edit spans.
"""

from __future__ import annotations

import re
from functools import lru_cache

import regex

from cleaner.lang.languages import Language, known_language

# A blank line may hold stray spaces or tabs; a run of several blank lines is still one separator.
# Starts only where a run of spaces starts (else a long run before a newline is scanned once per space).
PARAGRAPH_BREAK = regex.compile(r"(?<![ \t])[ \t]*+\r?\n(?:[ \t]*+\r?\n)+")


# Most rules need the paragraphs of the same text; caching the last few texts saves re-splitting.
# Callers must not mutate the returned lists.
@lru_cache(maxsize=16)
def split_paragraphs(text: str) -> list[tuple[int, int, str]]:
    """Return (start, end, paragraph) for every non-empty paragraph, in order: the text between
    PARAGRAPH_BREAK matches (tested to be the same), without paragraphs of only whitespace."""
    parts = _BLANK_LINES.split(text)  # paragraph, separator, paragraph, ..., paragraph
    spans = []
    pos = 0
    last = len(parts) - 1
    for k in range(0, len(parts), 2):
        piece = parts[k]
        if piece and not piece.isspace():
            if k < last and piece[-1] in " \t\r":
                piece = _without_break_start(piece)
            spans.append((pos, pos + len(piece), piece))
        pos += len(parts[k]) + (len(parts[k + 1]) if k < last else 0)
    return spans


# The line break that starts a separator, and the blank lines after it: anchored on a `\n`, which
# the `re` module finds with a fast scan (PARAGRAPH_BREAK's lookbehind is tried at every
# character: 5x slower on news text). A paragraph before a separator then gives up the spaces
# and `\r` in front of its `\n` (`_without_break_start`). Split in C, one Python step a paragraph.
_BLANK_LINES = re.compile(r"(\n(?:[ \t]*\r?\n)+)")


def _without_break_start(piece: str) -> str:
    """A paragraph before a separator without the `\r` and then the spaces and tabs that
    PARAGRAPH_BREAK takes as the start of the separator."""
    end = len(piece)
    if piece[end - 1] == "\r":
        end -= 1
    while end and piece[end - 1] in " \t":
        end -= 1
    return piece[:end]


def paragraph_removal_span(paragraphs: list[tuple[int, int, str]], i: int) -> tuple[int, int]:
    """The span that removes paragraph `i` together with one separator, so that what remains is
    still paragraphs separated the way they were: the separator after it, or for the last
    paragraph the one before it."""
    start, end, _ = paragraphs[i]
    if i + 1 < len(paragraphs):
        return start, paragraphs[i + 1][0]
    if i > 0:
        return paragraphs[i - 1][1], end
    return start, end


def remove_paragraphs_spans(paragraphs: list[tuple[int, int, str]], indices: set[int]) -> dict[int, tuple[int, int]]:
    """Spans that remove the paragraphs at `indices`, each together with one separator, so what is
    left is still paragraphs separated as before. Paragraphs removed side by side get adjacent,
    non-overlapping spans: a run with a paragraph after it takes the separators after each; a run
    at the very end takes the separators before each (and leaves the text's final newline)."""
    spans: dict[int, tuple[int, int]] = {}
    n = len(paragraphs)
    for i in sorted(indices):
        later_kept = any(j not in indices for j in range(i + 1, n))
        if later_kept or i == 0 and not any(j not in indices for j in range(n)):
            end = paragraphs[i + 1][0] if i + 1 < n else paragraphs[i][1]
            spans[i] = (paragraphs[i][0], end)
        elif i > 0:  # the text's own final newline stays
            spans[i] = (paragraphs[i - 1][1], paragraphs[i][0] + len(paragraphs[i][2].rstrip()))
        else:
            spans[i] = (paragraphs[i][0], paragraphs[i][1])
    return spans


# --- sentences ---------------------------------------------------------------------------------

# A terminator run, closing quotes/brackets, whitespace, then something that can start a sentence
# (after an opening quote, bracket or the Spanish `¿ ¡`). The lookbehind makes a match start only
# at the start of a run of terminators, so a run of 200,000 dots is scanned once, not once per dot.
# A letter of a caseless script (`\p{Lo}`: CJK, Arabic, Hebrew, Devanagari) starts a sentence
# as a capital does: `... on Wednesday. 先日、...` is two sentences.
_BOUNDARY = regex.compile(r"(?<![.!?…])[.!?…]+[\"”’'»)\]]*(\s+)(?=[\"“‘'(\[¿¡«„]?[\p{Lu}\p{Lo}\p{N}])")
_DOTTED = regex.compile(r"\p{L}(?:\.\p{L})+")  # U.S, e.g, p.m, a.m (the last dot is the boundary's)


def _is_abbreviation(p: str, dot: int, abbreviations: frozenset[str], ordinal_dot: bool) -> bool:
    """Whether the period at `dot` ends an abbreviation (`Mr.`, `U.S.`, an initial, a German
    ordinal `7.`) rather than a sentence."""
    start = dot
    while start > 0 and not p[start - 1].isspace() and p[start - 1] not in '"“‘([«„':
        start -= 1
    token = p[start:dot]
    if not token:
        return False
    if token.casefold() in abbreviations:
        return True
    if len(token) == 1 and token.isalpha() and token.isupper():
        return True  # an initial: John F. Kennedy
    if ordinal_dot and token.isdigit() and len(token) <= 2:
        return True  # `am 7. Juli`
    return bool(_DOTTED.fullmatch(token))


def _rules_of(language: Language | None) -> tuple[frozenset[str], bool]:
    lang = language or known_language("en")
    assert lang is not None  # the English data ships with the package
    return lang.abbreviations, lang.ordinal_dot


@lru_cache(maxsize=4096)
def sentence_spans(p: str, language: Language | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence of paragraph `p`; the whitespace between sentences belongs to
    neither. Knows the language's abbreviations (English's where the language has no data),
    initials and decimals (`2.5`), which never end a sentence here."""
    abbreviations, ordinal_dot = _rules_of(language)
    spans = []
    start = 0
    for m in _BOUNDARY.finditer(p):
        term_end = m.start(1)
        first_dot = m.start()
        if (
            p[first_dot] == "."
            and p[first_dot : first_dot + 2] != ".."
            and _is_abbreviation(p, first_dot, abbreviations, ordinal_dot)
        ):
            continue
        spans.append((start, term_end))
        start = m.end(1)
    if start < len(p):
        spans.append((start, len(p.rstrip()) if p[start:].strip() else len(p)))
    return spans


# Sentence-final punctuation of the scripts the project meets: Latin, CJK `。！？`, Arabic `؟`,
# Devanagari `।`.
_TERMINATED = regex.compile(r"(?:[.!?…。！？؟।]|\.\.\.)[\"”’'»)\]」』]*\s*$")


def ends_sentence(s: str) -> bool:
    """Whether `s` ends with sentence-final punctuation (closing quotes and brackets allowed)."""
    return bool(_TERMINATED.search(s))


# ` | Reuters`, ` - The Hill`, ` — WSJ`: a short site name after a separator, at the end of a title.
SITE_SUFFIX = regex.compile(r"\s+[|\-–—·:]\s+[^|\-–—·:]{1,40}$")
MAX_SUFFIX_WORDS = 5


def strip_site_suffix(title: str) -> str:
    """`Kim leaves China | Reuters` -> `Kim leaves China`; a title without such a suffix is returned
    as it is."""
    m = SITE_SUFFIX.search(title.strip())
    if m and len(m.group().split()) <= MAX_SUFFIX_WORDS + 1:
        return title.strip()[: m.start()]
    return title
