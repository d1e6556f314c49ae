"""Sentences cut at either end: a body or paragraph that starts mid-sentence, the dangling tail of
a sentence whose start was cut (`Ltd., where he watched ...`), a fragment glued before a dateline,
and a body that stops mid-sentence.

All of them read letter case and sentence punctuation, so they only edit in a language with data
(`cleaner/lang/data/`); elsewhere the engine turns their removals into flags.
"""

from __future__ import annotations

from functools import cache

import regex

from cleaner.lang.languages import Language
from cleaner.normalize.cuts import Tail, ending, lowercase_opening, starts_mid_sentence, unfinished_tail
from cleaner.normalize.evidence import OPENING_WORD, Figure
from cleaner.normalize.registry import Change, RuleContext, rule
from cleaner.text import ends_sentence, remove_paragraphs_spans, sentence_spans, split_paragraphs

# Scrapers cut at any point of a sentence, so the fragment before the first sentence end is short
# more often than not: such a fragment goes. A longer lowercase first sentence may instead be a
# sentence that lost its subject (BBC's dropped linked names: `was on record-breaking form as she
# stormed to ...`) or its capital (`s doleiros acusados ...` for `Os doleiros`), the way a corpus
# writes: at a body's start, how often the corpus's bodies and other paragraphs open so decides
# (`Evidence.cut_start`); elsewhere it is flagged.
MAX_LEAD_FRAGMENT_WORDS = 8


def _lead(p: str, first: bool, ctx: RuleContext) -> tuple[list[tuple[int, int]], Figure] | None:
    """The paragraph's sentences and how sure its lowercase opening is a cut sentence, or None
    when the opening is not a candidate at all. `first`: the body's first paragraph, where the
    corpus's evidence on cut body starts applies."""
    lang = ctx.language
    spans = lowercase_opening(p, lang)
    if spans is None:
        return None
    fragment = p[: spans[0][1]].split()
    words = len(fragment)
    # A closed-class word is no label (`in Chile, the minister said.` was cut), and before names
    # alone it is what a cut leaves (`at Heinz Field.`, `with Grant Leadbitter.`) unless it is the
    # language's byline word (`by Benny G. Powell Jr.`).
    closed = lang.slip_doubles | lang.prepositions | lang.dangling if lang is not None else frozenset()
    capital = len(fragment) > 1 and fragment[1][:1].isupper()
    # Where every noun has a capital (German), a capital after the lowercase word says nothing of
    # a label or a name: `primäre Bezugsperson verloren.` is a cut like any other.
    label = capital and not (lang is not None and lang.nouns_capitalised)
    byline = lang is None or fragment[0].casefold() in lang.bylines or fragment[0].casefold() not in closed and label
    if capital and byline and all(w[:1].isupper() for w in fragment[1:]):
        return spans, Figure(0.5, f"only names after a lowercase word (`{fragment[0]} {fragment[1]}`): a byline")
    if label and fragment[0].casefold() not in closed:
        if first and len(fragment[0]) > 1:  # `x With that ...`: an icon's letter, no cut word
            return spans, ctx.evidence.cut_start(ctx.code, fragment[0], label=True)
        return spans, Figure(
            0.5, f"a lowercase word before a capitalised one (`{fragment[0]} {fragment[1]}`): a label or a name"
        )
    if words > MAX_LEAD_FRAGMENT_WORDS:
        if first:
            return spans, ctx.evidence.cut_start(ctx.code, fragment[0])
        return spans, Figure(
            0.6,
            f"opens in lowercase, but its first sentence has {words} words: as likely a sentence that lost its subject",
        )
    return spans, Figure(0.95, f"opens mid-sentence: a {words}-word fragment before the first sentence end")


@rule("truncated-start", "truncation", languages=True)
def truncated_start(text: str, ctx: RuleContext) -> list[Change]:
    """A paragraph that starts mid-sentence (with a lowercase word) loses the words up to its
    first sentence end; a paragraph that is only such a fragment goes.

    Fixes: `in the city, officials said. The mayor left.` -> `The mayor left.` when the paragraph
    before ends a sentence (or there is none); when the paragraph before is unfinished too
    (`debt above 90 percent\\n\\nare associated with`), the two are joined instead.
    Leaves alone: `iPhone sales rose.`, `eBay said.`, `de Blasio said.`, `von der Leyen said`,
    `bell hooks wrote`, `e-mail`, paragraphs that start with a digit, quote, bullet or capital,
    lowercase lines without a sentence end (list items, headings), items after a colon, stanzas,
    a label before a dash (`klok - Een ...`), Dutch `'s Avonds`; caseless scripts. Flagged
    instead: the only paragraph of a body; `by Benny G. Powell Jr.` (names after the lowercase
    word: a byline); and, unless the corpus says otherwise, a first sentence over 8 words or a
    lowercase word before a capitalised one (`voetbal Lucas`; not after a closed-class word, which
    no label is: `in Chile, the minister said.` goes; not in German, where nouns have capitals:
    `primäre Bezugsperson verloren.` goes). At a body's start those two go when the
    corpus has more lowercase body openings than the way it writes its other paragraphs explains
    (`Evidence.cut_start`), the word no recurring section label; inside a body they are flagged.
    """
    paragraphs = split_paragraphs(text)
    whole: set[int] = set()
    changes = []
    in_list = False  # after a paragraph that ends in a colon, lowercase paragraphs are its items
    for i, (start, _, p) in enumerate(paragraphs):
        mid = starts_mid_sentence(p, ctx.language)
        in_list = (in_list and mid) or (i > 0 and paragraphs[i - 1][2].rstrip().endswith(":"))
        if not mid or in_list:
            continue
        lead = _lead(p, i == 0, ctx)
        if lead is None:
            continue
        spans, figure = lead
        if i > 0:
            before = paragraphs[i - 1][2].rstrip()
            if not ends_sentence(before):
                # The paragraph before is unfinished too: the scraper broke one sentence in two (or
                # dropped a linked name between them). Join them and lose nothing.
                changes.append(
                    Change(paragraphs[i - 1][1], start, " ", "fixed", "the paragraph before stops mid-sentence")
                )
                continue
        if len(spans) > 1:
            changes.append(Change(start, start + spans[1][0], evidence=figure.reason, confidence=figure.confidence))
        elif len(paragraphs) > 1:
            whole.add(i)
            if figure.confidence < ctx.min_confidence:
                return [Change(start, start + len(p), p, "flagged", figure.reason)]
        else:
            changes.append(Change(start, start + len(p), p, "flagged", "the only paragraph"))
    if whole and len(whole) == len(paragraphs):
        return changes
    why = "a paragraph that is only the end of a cut sentence"
    changes += [
        Change(a, b, evidence=why, confidence=0.95) for a, b in remove_paragraphs_spans(paragraphs, whole).values()
    ]
    return sorted(changes, key=lambda c: c.start)


@cache
def _dangling_re(lang: Language) -> regex.Pattern[str]:
    """A company or name suffix left over from a sentence whose start was cut, then a relative
    word: `Ltd., where he watched`, `Inc., which makes`, `Jr., who said`."""
    suffixes = "|".join(regex.escape(s) for s in lang.suffixes)
    relatives = "|".join(regex.escape(r).replace(r"\ ", r"\s+") for r in lang.relatives)
    return regex.compile(rf"(?:{suffixes})\.?,\s+(?:{relatives})\b")


@cache
def _suffix_start_re(lang: Language) -> regex.Pattern[str]:
    """A paragraph that opens with a company or name suffix and a comma: `Ltd., plowed ...`."""
    return regex.compile(rf"(?:{'|'.join(regex.escape(s) for s in lang.suffixes)})\.?,\s")


# A dateline: a city in capitals (and a country or state, and a wire's name in brackets), then a
# dash: `BERLIN — It was`, `WASHINGTON, D.C. –`, `SAN JUAN, Puerto Rico —`, `LONDON (Reuters) -`.
_DATELINE = regex.compile(
    r"(?<=\s)\p{Lu}{2,}(?:[ -]\p{Lu}{2,})*(?:,\s+[\p{Lu}][\p{L}.]*(?:\s+[\p{Lu}][\p{L}.]*)?)?"
    r"(?:\s+\(\p{Lu}[\p{L}.]*(?:\s+\p{Lu}[\p{L}.]*)?\))?\s+[—–-]\s+(?=\p{Lu})"
)
MAX_GLUED_CHARS = 300


@rule("dangling-tail", "truncation", languages=True)
def dangling_tail(text: str, ctx: RuleContext) -> list[Change]:
    """A sentence that is only the tail of a cut one, opening with a company or name suffix and a
    relative clause, goes with the space before it; so does such a fragment glued before a
    dateline.

    Fixes: `...more than three centuries. Ltd., where he watched production processes.` ->
    `...more than three centuries.`; `Ltd., plowed toward us, they said. BERLIN — It was ...` ->
    `BERLIN — It was ...`.
    Leaves alone: `Ltd. said on Monday`, `Acme Co., which makes tools, said` (the suffix inside
    a sentence), `Inc. magazine`, a dateline after a whole sentence.
    """
    if ctx.language is None or not ctx.language.suffixes:
        return []
    pattern, suffix_start = _dangling_re(ctx.language), _suffix_start_re(ctx.language)
    changes = []
    for start, _, p in split_paragraphs(text):
        spans = sentence_spans(p, ctx.language)
        if suffix_start.match(p):
            m = _DATELINE.search(p, 0, MAX_GLUED_CHARS)
            if m:
                changes.append(
                    Change(start, start + m.start(), evidence="a cut sentence's tail glued before a dateline")
                )
                continue
        for j, (a, b) in enumerate(spans):
            if not pattern.match(p, a):
                continue
            why = "a sentence that opens with a company suffix and a relative word: the tail of a cut one"
            if j > 0:
                changes.append(Change(start + spans[j - 1][1], start + b, evidence=why))
            elif len(spans) > 1:
                changes.append(Change(start + a, start + spans[1][0], evidence=why))
    return changes


ALONE_CONFIDENCE = 0.95


def cut_figure(tail: Tail, ctx: RuleContext) -> Figure:
    """How sure that `tail`, a sentence without its final punctuation, was cut."""
    e = ending(tail.text)
    if e.kind == "separator":
        return Figure(0.0, "a dash after a finished sentence: a separator")
    if e.kind == "punct":
        return Figure(0.99, f"stops on `{e.token}`")
    if e.kind == "none":
        return Figure(0.0, "no last word")
    if e.kind == "mark":
        return Figure(0.0, "ends on a mark (`■`, `●`)")
    lang = ctx.language
    if lang is not None and e.token.casefold() in lang.dangling:
        return Figure(0.99, f"stops on `{e.token}`, a word no {lang.name} sentence ends on")
    first = OPENING_WORD.match(tail.text)
    return ctx.evidence.cut(ctx.code, e.token, e.words, tail.alone, first.group(1) if first else None)


@rule("truncated-end", "truncation", languages=True)
def truncated_end(text: str, ctx: RuleContext) -> list[Change]:
    """A body that stops mid-sentence loses the unfinished sentence.

    Fixes: `He left. The company said it would` -> `He left.`: an unfinished last sentence, or a
    last paragraph of 8 or more words with no sentence end, that stops on a comma, a dash, a word
    no sentence ends on (`the`, `of`), or a word that seldom ends a sentence in this corpus and
    language (`... her meeting with Bill`, `... would even`): the likelihood of the word in running
    text against at a sentence end, and of the fragment's length as a cut against as a whole
    sentence among those that open on its first word (`Despite ...` is seldom whole at 7 words),
    times the corpus's own odds that an unfinished ending of its shape was cut, must
    give 0.9 or more when it is glued after a finished sentence, 0.95 on a line or paragraph of
    its own.
    Leaves alone: endings in `.`, `!`, `?`, `…`, `."` or `.”`; endings in `:` or a closing
    bracket; short last lines (`Reuter`, a sign-off, a heading, a list item); a tail of fewer
    than 4 words, a title-case phrase, one with a colon, `@`, a URL or an address at its end
    (`... at bloomberg.com`); a last sentence that only lacks its period, on a word sentences
    often end on (`..., the club said`, `... by 1.3%`); an embedded tweet's link or hashtag; a
    body of one unfinished paragraph (flagged instead).
    """
    tail = unfinished_tail(text, ctx.language)
    if tail is None:
        return []
    figure = cut_figure(tail, ctx)
    if tail.shape == "glued":
        return [Change(tail.start, tail.end, evidence=figure.reason, confidence=figure.confidence)]
    paragraphs = split_paragraphs(text)
    if tail.shape == "paragraph" and len(paragraphs) == 1:
        return [Change(tail.start, tail.end, tail.text, "flagged", figure.reason)]
    if figure.confidence < max(ctx.min_confidence, ALONE_CONFIDENCE):
        # A line or paragraph of its own short of its period is as often a bio, credit or
        # teaser: only a near-certain cut (a comma, a word no sentence ends on) takes it.
        return []
    if tail.shape == "line":
        return [Change(tail.start, tail.end, evidence=figure.reason, confidence=figure.confidence)]
    a, b = remove_paragraphs_spans(paragraphs, {len(paragraphs) - 1})[len(paragraphs) - 1]
    return [Change(a, b, evidence=figure.reason, confidence=figure.confidence)]
