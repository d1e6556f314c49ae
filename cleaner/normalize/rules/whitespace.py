"""Whitespace: odd spaces, runs of spaces, space before a comma or period, trailing spaces and
extra blank lines. Line breaks inside paragraphs and indentation at the start of a line are
layout (hard-wrapped wire copy) and are kept."""

from __future__ import annotations

import re

import regex

from cleaner.normalize.registry import Change, RuleContext, merge_removals, rule

# Cheap exact gates, scanned in C by `re`: each is a necessary condition of its rule's pattern, so
# the text that cannot match (most of it) never meets the lookbehinds.
_TWO_SPACES = re.compile(r"[ \t][ \t]")
_SPACE_THEN_MARK = re.compile(r"[ \t][,.]")
_SPACE_AT_EOL = re.compile(r"[ \t]\r?\n")

# No-break, en/em/thin/hair and other fixed-width spaces. U+3000 is left: it is the normal space
# of CJK typography.
_ODD_SPACE = regex.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f]")
# Zero-width space, word joiner, BOM inside text. Joiners U+200C/U+200D are not here: emoji and
# Indic/Persian scripts need them.
_ZERO_WIDTH = regex.compile("[\u200b\u2060\ufeff]")
# Scripts that use U+200B as a legitimate word-break hint.
_ZWSP_SCRIPTS = regex.compile(r"[\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\p{Tibetan}]")


@rule("odd-spaces", "whitespace", fields=("title", "text"))
def odd_spaces(text: str, ctx: RuleContext) -> list[Change]:
    """No-break and other odd spaces become a plain space; zero-width spaces go.

    Fixes: `10\\u00a0percent` -> `10 percent`; `Bei\\u200bjing` -> `Beijing`.
    Leaves alone: the ideographic space U+3000, zero-width joiners (emoji), U+200B between Thai,
    Lao, Khmer, Myanmar or Tibetan letters, where it marks word breaks; the no-break spaces of a
    language's typography (French `l’emporter\u202f?`, `«\u00a0opération\u00a0»`).
    """
    lang = ctx.language if ctx is not None else None
    before, after = (lang.nbsp_before, lang.nbsp_after) if lang is not None else ("", "")
    changes = [
        Change(m.start(), m.end(), " ", "fixed")
        for m in _ODD_SPACE.finditer(text)
        if not _typographic(text, m.start(), before, after)
    ]
    for m in _ZERO_WIDTH.finditer(text):
        before = text[m.start() - 1] if m.start() else ""
        after = text[m.end()] if m.end() < len(text) else ""
        if m.group() == "\u200b" and _ZWSP_SCRIPTS.match(before) and _ZWSP_SCRIPTS.match(after):
            continue
        changes.append(Change(m.start(), m.end(), "", "removed"))
    return changes


def _typographic(text: str, i: int, before: str, after: str) -> bool:
    """Whether the no-break space at `i` is one the language's typography asks for."""
    if text[i] not in "\u00a0\u202f":
        return False
    return (i + 1 < len(text) and text[i + 1] in before) or (i > 0 and text[i - 1] in after)


# A run of two or more spaces or tabs after a word (with any closing punctuation) and before a
# word; possessive, so a long run that ends in a line break is given up at once.
# Runs before digits are left: they align columns in tables of figures.
_SPACE_RUN = regex.compile(r"(?<=[\p{L}\p{N}]\p{P}{0,3})[ \t]{2,}+(?=[\p{L}\"“‘(])")


@rule("space-runs", "whitespace", fields=("title", "text"))
def space_runs(text: str, ctx: RuleContext) -> list[Change]:
    """A run of spaces between words becomes one space.

    Fixes: `the  vote` -> `the vote`; `said.   The` -> `said. The`.
    Leaves alone: indentation at the start of a line, single tabs, runs that align columns of
    figures (`Revs    12.3    11.1`).
    """
    if not _TWO_SPACES.search(text):
        return []
    return [Change(m.start(), m.end(), " ", "fixed") for m in _SPACE_RUN.finditer(text)]


# Space before a comma or a period that ends a clause. Not: an ellipsis (`word ...`), a spaced
# ellipsis (`word . . .`), a period that starts a token (`.com`, `.5`), or a detached period before
# a lowercase continuation (the stray-period rule owns `said . the`).
_SPACE_BEFORE_PUNCT = regex.compile(
    r"(?<=[\p{L}\p{N}\"”’)\]])[ \t]+(?=,(?:[\s\"”’)]|$)|\.(?![.])(?:$|[\"”’)](?!\S)|\s(?!\s*\.)(?!\s*\p{Ll})))"
)


@rule("space-before-punct", "whitespace", fields=("title", "text"))
def space_before_punct(text: str, ctx: RuleContext) -> list[Change]:
    """No space before a comma, or before a period that ends a sentence.

    Fixes: `Paris , France` -> `Paris, France`; `the end .` -> `the end.`
    Leaves alone: `example .com`, `.5 percent`, `word ...`, `word . . .`, and `said . the`
    (stray-period's case); `?`, `!`, `:`, `;` (French typography spaces them).
    """
    if not _SPACE_THEN_MARK.search(text):
        return []
    return [Change(m.start(), m.end(), "", "removed") for m in _SPACE_BEFORE_PUNCT.finditer(text)]


# Starts only where a run starts: a long run of spaces is scanned once, not once per space.
_TRAILING = regex.compile(r"(?<![ \t])[ \t]+(?=\r?\n|$)")


@rule("trailing-spaces", "whitespace", fields=("title", "text"))
def trailing_spaces(text: str, ctx: RuleContext) -> list[Change]:
    """Spaces and tabs at the end of a line go.

    Fixes: `said. \\nThe` -> `said.\\nThe`; `end.  ` -> `end.`
    Leaves alone: indentation at the start of a line.
    """
    if not _SPACE_AT_EOL.search(text) and not text.endswith((" ", "\t")):
        return []
    return [Change(m.start(), m.end(), "", "removed") for m in _TRAILING.finditer(text)]


_EXTRA_BLANKS = regex.compile(r"(?<=\r?\n)(?:[ \t]*\r?\n)+(?=[ \t]*\r?\n)")
_LEADING_BLANKS = regex.compile(r"^(?:[ \t]*\r?\n)+")
_TRAILING_BLANKS = regex.compile(r"(?<=\S[ \t]*\r?\n)(?:[ \t]*\r?\n)+$")
# The two patterns above try their lookbehind at every position of a long text (most of the
# rule's time); these say cheaply where a match can be: two blank lines in a row somewhere, and
# only after the last visible character.
_TWO_BLANKS = re.compile(r"\n[ \t]*\r?\n[ \t]*\r?\n")


@rule("blank-lines", "whitespace")
def blank_lines(text: str, ctx: RuleContext) -> list[Change]:
    """At most one blank line between paragraphs; no blank lines before the first or after the last.

    Fixes: `one.\\n\\n\\n\\ntwo.` -> `one.\\n\\ntwo.`; `\\n\\nFirst` -> `First`.
    Leaves alone: a single blank line, single line breaks (hard-wrapped text), one final newline.
    """
    changes = [Change(m.start(), m.end(), "", "removed") for m in _LEADING_BLANKS.finditer(text) if m.end() > m.start()]
    if _TWO_BLANKS.search(text):
        changes += [Change(m.start(), m.end(), "", "removed") for m in _EXTRA_BLANKS.finditer(text)]
    tail = max(len(text.rstrip()) - 1, 0)  # the last visible character, which the lookbehind needs
    changes += [
        Change(tail + m.start(), tail + m.end(), "", "removed")
        for m in _TRAILING_BLANKS.finditer(text[tail:])
        if m.end() > m.start()
    ]
    return merge_removals(changes)
