"""Doubled words: `the the`, a typing or scraping slip, without touching grammatical doubles."""

from __future__ import annotations

import re

from cleaner.normalize.registry import Change, rule

# Two copies of a word on one line (a line break between them is layout, not a slip).
# The backreference matches case-insensitively, so `The the` is found too. `[^\W\d_]` is "a
# letter"; the standard library's `re` runs this backreference search twice as fast as `regex`.
# A run of copies is matched whole (`the the the`), so one pass removes them all.
_DOUBLE = re.compile(r"(?<![\w'’&-])([^\W\d_]+)((?:[ \t]+\1)+)(?![\w'’&-])", re.IGNORECASE)

# Doubles that are grammatical or idiomatic in running English text.
LEGITIMATE = frozenset(
    """had that is was do bye ha haha ho hee no so very really far more many much blah bla yada
    tut knock chop choo go there now well yes oh bang boo dum la na hush pom ba din ding dong
    tsk pooh there bora walla sing baden pago mahi can tom night hip hey wow win never
    again over round ever way long little big too""".split()
)
# Words whose double is never grammatical: fixed even in capitals (`The The`).
FUNCTION_WORDS = frozenset(
    """the a an of and or but nor if than then this these those their its his her our your my we
    they he she it you i be are were been will would shall should could may might must""".split()
) - LEGITIMATE
# A preposition can end one phrase and start the next (`has been in in months`, `aid to to be
# corrupting`): its double is taken for a slip except after a form of `be`, and except `to to
# be/have` that does not follow a word taking an infinitive.
PREPOSITIONS = frozenset("to in on at by for with from into onto about as up out off over under after before".split())
_FORMS_OF_BE = frozenset("be been being is are was were am".split())
# After `that that`, these can only start a new clause, so the second `that` is a slip:
# `told Kim that that China supports` but not `I think that that is wrong`.
_CLAUSE_START = frozenset("the a an he she it they we you i his her their our its there this those these".split())


# Words after which `to` starts an infinitive, so `to to` cannot be a stranded preposition.
_TAKES_INFINITIVE = frozenset(
    """want wants wanted need needs needed has have had going able like likes try tries tried used
    plan plans planned hope hopes hoped continue continues continued seem seems seemed began begin
    begins decided decide set due expected expect expects agreed agree refused refuse failed fail
    appears appeared ought""".split()
)


def _before_infinitive(preceding: str) -> bool:
    words = preceding.split()
    prev = words[-1].casefold().strip("\"“‘'(,") if words else ""
    return prev in _TAKES_INFINITIVE or prev.endswith("ing")


def _is_slip(first: str, second: str, following: str, preceding: str = "") -> bool:
    w = first.casefold()
    if w != second.casefold():
        return False
    if w == "that":
        nxt = following.split(maxsplit=1)[0] if following.strip() else ""
        nxt = nxt.strip("\"“”‘’'(),.;:")
        return bool(nxt) and (nxt.casefold() in _CLAUSE_START or (nxt[0].isupper() and nxt != "I'm"))
    if w in LEGITIMATE:
        return False
    if second.isupper() and len(second) > 1 and not first.isupper():
        return False  # `at AT&T`, `us US`: the second is an acronym, not a copy
    if w in FUNCTION_WORDS:
        return True
    if w in PREPOSITIONS:
        nxt = following.split(maxsplit=1)[0] if following.strip() else ""
        prev = preceding.split()[-1].casefold() if preceding.split() else ""
        if prev in _FORMS_OF_BE and not first[0].isupper():
            return False  # `has been in in months`: a stranded preposition, then a new phrase
        return not (w == "to" and nxt.casefold() in ("be", "have") and not _before_infinitive(preceding))
    if any(ch.isupper() for ch in second[1:]):
        return False  # `iStockphoto iStockphoto`: a credit or a name, not a typing slip
    # Other words: a slip when the second copy is lowercase. `Bora Bora`, `Walla Walla`,
    # `Duran Duran`: two capitalised copies are taken to be a name.
    return second[0].islower()


@rule("doubled-word", "doubled")
def doubled_word(text: str, title: str | None) -> list[Change]:
    """A word typed twice in a row on one line: the second copy goes.

    Fixes: `the the`, `for for`, `The The`, `The the`, `said said`, and `that that` followed by a
    new clause (`told Kim that that China supports`).
    Leaves alone: `had had`, `that that is wrong`, `Bora Bora`, `Walla Walla`, `bye bye`,
    `blah blah`, `way way too`, a stranded preposition (`been in in months`, `aid to to be`),
    numbers (`10 10`), a word repeated across a line break.
    """
    changes = []
    for m in _DOUBLE.finditer(text):
        second = m.group(2).split()[0]
        if _is_slip(m.group(1), second, text[m.end() : m.end() + 40], text[max(0, m.start() - 40) : m.start()]):
            changes.append(Change(m.end(1), m.end(2)))
    return changes
