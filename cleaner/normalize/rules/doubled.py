"""Doubled words: `the the`, a typing or scraping slip, without touching grammatical doubles.

What is grammatical is language knowledge (`cleaner/lang/data/<code>.toml`, `[doubled]`): German
`die die`, French `nous nous`, Dutch `dat dat`, Italian `piano piano` are sentences, English
`the the` is not. Beyond the lists the corpus decides: a doubling is a slip only when the
corpus's doublings of the word are far likelier from slips than from a word doubled on purpose
(`evidence.Evidence.doubling`): one `im im` in 3,174 `im` is a slip, 19 `die die` in 4,843 `die`
are grammar.
"""

from __future__ import annotations

from cleaner.lang.languages import Language
from cleaner.normalize.evidence import Figure, doubles, name_after
from cleaner.normalize.registry import Change, RuleContext, rule

# The share of a word's occurrences that a slip or a scraper doubles: up to about 1 in 5,000 (in
# the AllSides scrapes `the the` stands once in 7,100 `the`; German `die die`, a relative pronoun
# and an article, once in 300 `die`). A word doubled far more often is doubled on purpose.
SLIP_RATE = 2e-4
# Words doubled on purpose stand doubled in about 1 in 1,500 to 1 in 250 of their occurrences
# (AllSides: `there there` 1 in 1,500, `that that` and `very very` 1 in 760, `had had` 1 in 470;
# 10kGNAD `die die` 1 in 250); the lowest of them is the safe one to weigh a slip against. About
# one word in 20 of those that get doubled at all is doubled on purpose somewhere.
LEGIT_RATE = 1e-3
LEGIT_PRIOR = 0.05
_STRIP = "\"“”‘’'(),.;:!?«»„"


def _next_word(following: str) -> str:
    words = following.split(maxsplit=1)
    return words[0].strip(_STRIP) if words else ""


def _prev_word(preceding: str) -> str:
    words = preceding.split()
    return words[-1].casefold().strip(_STRIP) if words else ""


def _starts_sentence(preceding: str) -> bool:
    s = preceding.rstrip()
    return not s or s[-1] in '.!?…:"“”«»\n'


def _grammatical(lang: Language, w: str, first: str, following: str, preceding: str) -> bool | None:
    """What the language's data says of this double here: grammatical (True), a slip (False), or
    nothing (None: the corpus decides)."""
    nxt = _next_word(following)
    if w in lang.before_clause:
        # `said that that is wrong` is grammatical; `told Kim that that China supports` is not.
        return not (nxt and (nxt.casefold() in lang.clause_starts or (nxt[0].isupper() and nxt != "I'm")))
    if w in lang.legitimate_doubles:
        return True
    if w in lang.prepositions and _prev_word(preceding) in lang.stranded_after and not first[0].isupper():
        return True  # `has been in in months`: a stranded preposition, then a new phrase
    if w in lang.infinitive and nxt.casefold() in lang.infinitive_next:
        prev = _prev_word(preceding)
        takes = prev in lang.takes_infinitive or prev.endswith(lang.takes_infinitive_suffixes or ("\0",))
        return not takes  # `aid to to be corrupting`, but not `wants to to be`
    return None


def _looks_like_a_name(first: str, second: str, preceding: str) -> bool:
    if second.isupper() and len(second) > 1 and not first.isupper():
        return True  # `at AT&T`, `us US`: the second is an acronym, not a copy
    if any(ch.isupper() for ch in second[1:]):
        return True  # `iStockphoto iStockphoto`: a credit or a name
    if name_after(first, second) and not _starts_sentence(preceding):
        return True  # `het huis van Van Dijk`, `in the The Hague office`: the second starts a name
    # `Theresa May may resign`: a name, then the word
    return first[0].isupper() and second[0].islower() and not _starts_sentence(preceding)


def judge(first: str, second: str, following: str, preceding: str, ctx: RuleContext) -> Figure | None:
    """None when the double is grammatical or a name; else how sure it is a slip."""
    w = first.casefold()
    if w != second.casefold() or _looks_like_a_name(first, second, preceding):
        return None
    lang = ctx.language
    verdict = _grammatical(lang, w, first, following, preceding) if lang is not None else None
    if verdict:
        return None
    if verdict is False:
        return Figure(0.95, f"`{w} {w}` before a new clause")
    closed = lang is not None and (w in lang.slip_doubles or w in lang.prepositions)
    if first[0].isupper() and second[0].isupper() and not closed:
        return None  # `Bora Bora`, `Duran Duran`: two capitalised copies are a name
    figure = ctx.evidence.doubling(ctx.code, w, SLIP_RATE, LEGIT_RATE, LEGIT_PRIOR)
    if closed:
        # A closed-class word whose double is never grammatical: the list is the evidence, the
        # corpus can only veto (a word doubled often is doubled on purpose somewhere).
        vetoed = ctx.evidence.doubled_often(ctx.code, w, SLIP_RATE)
        return Figure(
            figure.confidence if vetoed else 1.0, f"`{w} {w}` is never grammatical in {lang.name}; {figure.reason}"
        )
    return figure


@rule("doubled-word", "doubled", languages=True)
def doubled_word(text: str, ctx: RuleContext) -> list[Change]:
    """A word typed twice in a row on one line: the second copy goes.

    Fixes: `the the`, `for for`, `The The`, `The the`, `said said`, and `that that` followed by a
    new clause (`told Kim that that China supports`); in German `und und`, in Spanish `de de`.
    Leaves alone: `had had`, `that that is wrong`, `Bora Bora`, `Walla Walla`, `bye bye`,
    `blah blah`, `way way too`, `gave her her notes`, `Theresa May may resign`, a stranded
    preposition (`been in in months`, `aid to to be`), numbers (`10 10`), a word repeated across a
    line break; German `die die`, French `nous nous`, Dutch `dat dat`, Italian `piano piano`,
    Portuguese `já já`; a word the corpus has doubled often. Only flags in a language without data
    (Turkish `sık sık`, Indonesian `pelan pelan`).
    """
    changes = []
    for start, first_end, end in doubles(text):
        copies = text[start:end].split()
        figure = judge(copies[0], copies[1], text[end : end + 40], text[max(0, start - 40) : start], ctx)
        if figure is not None:
            changes.append(Change(first_end, end, evidence=figure.reason, confidence=figure.confidence))
    return changes
