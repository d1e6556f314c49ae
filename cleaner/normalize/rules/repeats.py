"""Repeated paragraphs and sentences inside one article: the later copy goes."""

from __future__ import annotations

from dataclasses import replace

import regex

from cleaner.normalize.registry import Change, RuleContext, merge_removals, rule
from cleaner.text import remove_paragraphs_spans, sentence_spans, split_paragraphs

MIN_PARAGRAPH_WORDS = 8
# A shorter paragraph printed twice in a row is a scrape's slip too (a dateline, a subhead, a
# credit: `Advertisement - Continue Reading Below` twice; in the shared corpora every such pair of
# three words or more was one), where a short line repeated further down is as often structure.
# Under five words a pair is as often meant (a chant, `Lock her up!`; a song's line; a result
# row), so those stay.
MIN_ADJACENT_WORDS = 5
MIN_SENTENCE_WORDS = 8


def _key(s: str) -> str:
    return " ".join(s.split())


@rule("repeated-paragraph", "repeats")
def repeated_paragraph(text: str, ctx: RuleContext) -> list[Change]:
    """A paragraph that repeats an earlier paragraph of the same article, word for word.

    Fixes: the second copy of a paragraph of 8 or more words; a paragraph of 5 or more words
    (and a letter) right after itself (`July 11, 2018, 11:42 am` twice in a row, on its own:
    it does not count as one of the scattered repeats below); an article repeated whole.
    Leaves alone: short repeated lines further down (`* * *`, list items, subheads, `Winners meet
    in final match` after each group of a fixture list), a line under 5 words twice in a row
    (`Yes.`, a chant, `Lock her up!`), paragraphs that differ in any word, more
    than two repeats scattered through the article (interview questions, meal plans, spec
    lists: flagged instead; a meal plan's lines can be as long as a gallery's repeated caption,
    so no length tells them apart).
    """
    paragraphs = split_paragraphs(text)
    seen: set[str] = set()
    later: set[int] = set()
    doubled: set[int] = set()  # short paragraphs right after themselves
    before = ""
    for i, (_, _, p) in enumerate(paragraphs):
        k, last = _key(p), before
        before = k
        words = len(k.split())
        if words < MIN_PARAGRAPH_WORDS:
            if words >= MIN_ADJACENT_WORDS and k == last and regex.search(r"\p{L}", k):
                doubled.add(i)
            continue
        if k in seen:
            later.add(i)
        seen.add(k)
    if _structured(sorted(later)):
        flags = [Change(paragraphs[i][0], paragraphs[i][1], paragraphs[i][2], "flagged") for i in sorted(later)]
        return flags + _removals(paragraphs, doubled, "a copy of the paragraph right before it")
    return _removals(paragraphs, later | doubled, "a word-for-word copy of an earlier paragraph")


def _removals(paragraphs: list[tuple[int, int, str]], remove: set[int], why: str) -> list[Change]:
    return [Change(a, b, evidence=why) for a, b in remove_paragraphs_spans(paragraphs, remove).values()]


# A scraper repeats one block (a caption, a pull quote) or the whole article once more. Many
# repeats spread through an article are its structure instead: the same question put to each
# interviewee, the same line in each meal plan, the same bullet under two products. Those are
# flagged for a person, not removed.
MAX_SCATTERED_REPEATS = 2


def _structured(later: list[int]) -> bool:
    contiguous = all(b == a + 1 for a, b in zip(later, later[1:], strict=False))
    return len(later) > MAX_SCATTERED_REPEATS and not contiguous


@rule("repeated-sentence", "repeats")
def repeated_sentence(text: str, ctx: RuleContext) -> list[Change]:
    """A sentence of 8 or more words that repeats an earlier sentence of the same article.

    Fixes: `He resigned on Monday after the vote in parliament. ... He resigned on Monday after
    the vote in parliament.` loses the second copy (with the space before it); a passage printed
    twice, sentence by sentence, loses its second copy however long it is.
    Leaves alone: short repeated sentences (`It was not.`), near-repeats, sentences split at
    abbreviations or decimals (`2.5 percent`, `U.S.`, `U.K.` do not end a sentence); an article
    with more than two repeated sentences that stand alone, outside a passage printed twice (a
    question put to each interviewee, a meal plan's dishes: its structure; all its repeats are
    flagged).
    """
    units: list[tuple[int, int, int, str]] = []  # (paragraph, sentence, paragraph's start, key)
    paragraphs = split_paragraphs(text)
    spans_of: list[list[tuple[int, int]]] = []
    for i, (start, _, p) in enumerate(paragraphs):
        spans = sentence_spans(p, ctx.language)
        spans_of.append(spans)
        units += [(i, j, start, _key(p[a:b])) for j, (a, b) in enumerate(spans)]
    first: dict[str, int] = {}
    copies: dict[int, int] = {}  # a later copy's place in `units` -> its first copy's
    for g, (_, _, _, k) in enumerate(units):
        if len(k.split()) < MIN_SENTENCE_WORDS:
            continue
        if k in first:
            copies[g] = first[k]
        else:
            first[k] = g
    # A copy whose neighbour is the copy of its first copy's neighbour is part of a passage
    # printed twice; the others stand alone, and many of those are the article's structure.
    in_passage = {g for g, f in copies.items() if copies.get(g - 1) == f - 1 or copies.get(g + 1) == f + 1}
    alone = [g for g in copies if g not in in_passage]
    # A meal plan repeats runs of lines as well as single ones: among structure, nothing goes.
    structured = len(alone) > MAX_SCATTERED_REPEATS
    take = [] if structured else sorted(copies)
    inner, whole = [], set()
    for g in take:
        i, j, start, _ = units[g]
        spans = spans_of[i]
        if len(spans) == 1:
            whole.add(i)  # a one-sentence paragraph repeating a sentence: a pull quote
        elif j > 0:  # take the whitespace before the sentence
            inner.append(Change(start + spans[j - 1][1], start + spans[j][1]))
        else:  # the first sentence: take the whitespace after it
            inner.append(Change(start + spans[0][0], start + spans[1][0]))
    inner += [Change(a, b) for a, b in remove_paragraphs_spans(paragraphs, whole).values()]
    why = "a word-for-word copy of an earlier sentence"
    changes = [replace(c, evidence=why) for c in merge_removals(inner)]
    if structured:
        flag = "one of more than two repeated sentences that stand alone: the article's structure"
        for g in sorted(copies):
            i, j, start, _ = units[g]
            a, b = spans_of[i][j]
            changes.append(Change(start + a, start + b, paragraphs[i][2][a:b], "flagged", flag))
    return sorted(changes, key=lambda c: c.start)


MIN_TAIL_WORDS = 3
_EDGE_PUNCT = ".,;:!?…\"'“”‘’«»()[]"
# A sentence's end: its terminator, closing quotes, the space after it. A repeated tail starts in
# lower case after one, which is why `sentence_spans` (it splits before capitals) does not see it.
# Only a plain period ends the sentence a tail repeats: after `!`, `?` or `...` a repeat is a
# chant or a cry (`"flip the 6th! flip the 6th!"`, `you did it... you did it!`).
_END = regex.compile(r"[.!?…]+[\"”’'»)\]]*(\s+|$)")
_PLAIN_PERIOD = regex.compile(r"(?<![.!?…])\.[\"”’'»)\]]*\s")


def _words(s: str) -> list[str]:
    return [w for w in (t.strip(_EDGE_PUNCT).casefold() for t in s.split()) if w]


@rule("repeated-tail", "repeats")
def repeated_tail(text: str, ctx: RuleContext) -> list[Change]:
    """The last words of a sentence said once more right after it, as a fragment: a scraper or an
    editor's paste that doubled the end of a sentence.

    Fixes: `... on Monday after a long debate. after a long debate.` loses ` after a long
    debate.` (3 or more words, starting in lower case, the same words as the end of the sentence
    before it, in the same paragraph).
    Leaves alone: an echo that starts a new sentence (`I can't stop loving you. Loving you.`), a
    chant after `!`, `?` or `...` (`"flip the 6th! flip the 6th!"`),
    two words or fewer (`It was over. was over.`), a whole sentence said twice (`We will fight.
    we will fight.`), words that differ at all, a script without letter case, a fragment in the
    next paragraph.
    """
    changes = []
    for start, _, p in split_paragraphs(text):
        ends = list(_END.finditer(p))
        for k, m in enumerate(ends[:-1]):
            head = p[m.end() : m.end() + 2].lstrip(_EDGE_PUNCT)[:1]
            if not (head.islower() and head != head.upper()) or not _PLAIN_PERIOD.fullmatch(m.group()):
                continue  # a capital (or a script without case) starts a sentence of its own
            fragment = p[m.end() : ends[k + 1].start(1)]
            before = _words(p[ends[k - 1].end() if k else 0 : m.start(1)])
            words = _words(fragment)
            if MIN_TAIL_WORDS <= len(words) < len(before) and before[-len(words) :] == words:
                why = "the last words of the sentence before, once more"
                changes.append(Change(start + m.start(1), start + ends[k + 1].start(1), evidence=why))
    return merge_removals(changes)
