"""Sentences cut at either end: a body or paragraph that starts mid-sentence, the dangling tail of
a sentence whose start was cut (`Ltd., where he watched ...`), and a body that stops mid-sentence."""

from __future__ import annotations

import regex

from cleaner.normalize.registry import Change, rule
from cleaner.text import ends_sentence, remove_paragraphs_spans, sentence_spans, split_paragraphs

# Lowercase words that legitimately start a paragraph: name particles (`de Blasio`), brands.
_PARTICLES = frozenset("de da di del della van von der den le la al el bin ibn ben dos du ter ten".split())
_FIRST_WORD = regex.compile(r"\S+")
_LIST_MARKER = regex.compile(r"(?:[ivxlc]+|[a-z])[.)]")


def _starts_mid_sentence(p: str) -> bool:
    m = _FIRST_WORD.match(p)
    if not m:
        return False
    word = m.group()
    if not word[0].islower() or not word[0].isalpha():
        return False  # capitals, digits, quotes, bullets, dashes: a sentence, list item or heading
    if any(ch.isupper() or ch.isdigit() for ch in word[1:]):
        return False  # iPhone, eBay, al-Assad, my6sense
    if any(ch in word for ch in "./@:_#") and not word.endswith((".", ":")):
        return False  # example.com, @handle, e-mail addresses
    if _LIST_MARKER.fullmatch(word):
        return False  # `iv.`, `b)`: a list item
    if word.casefold() in _PARTICLES:
        rest = p[m.end() :].lstrip()
        if rest[:1].isupper():
            return False  # de Blasio, van Gogh, bin Laden
    return True


@rule("truncated-start", "truncation")
def truncated_start(text: str, title: str | None) -> list[Change]:
    """A paragraph that starts mid-sentence (with a lowercase word) loses the words up to its
    first sentence end; a paragraph that is only such a fragment goes.

    Fixes: `in the city, officials said. The mayor left.` -> `The mayor left.` when the paragraph
    before ends a sentence (or there is none); when the paragraph before is unfinished too
    (`debt above 90 percent\n\nare associated with`), the two are joined instead.
    Leaves alone: `iPhone sales rose.`, `eBay said.`, `de Blasio said.`, `e-mail`, paragraphs that
    start with a digit, quote, bullet or capital, lowercase lines without a sentence end (list
    items, headings), the only paragraph of a body (flagged instead).
    """
    paragraphs = split_paragraphs(text)
    whole: set[int] = set()
    changes = []
    for i, (start, _, p) in enumerate(paragraphs):
        if not _starts_mid_sentence(p):
            continue
        first_line = p.split("\n", 1)[0]
        if "\n" in p and len(first_line.split()) <= 3 and not ends_sentence(first_line):
            continue  # a lowercase label line (`immunology`) above the text, not a cut sentence
        spans = sentence_spans(p)
        if not ends_sentence(p[: spans[0][1]]):
            continue  # no sentence end: a list item or heading, not a cut sentence
        if i > 0 and not ends_sentence(paragraphs[i - 1][2]):
            # The paragraph before is unfinished too: the scraper broke one sentence in two (or
            # dropped a linked name between them). Join them and lose nothing.
            changes.append(Change(paragraphs[i - 1][1], start, " ", "fixed"))
            continue
        if len(spans) > 1:
            changes.append(Change(start, start + spans[1][0]))
        elif len(paragraphs) > 1:
            whole.add(i)
        else:
            changes.append(Change(start, start + len(p), p, "flagged"))
    if whole and len(whole) == len(paragraphs):
        return changes
    changes += [Change(a, b) for a, b in remove_paragraphs_spans(paragraphs, whole).values()]
    return sorted(changes, key=lambda c: c.start)


# A company suffix or generational suffix left over from a sentence whose start was cut, then
# a relative clause: `Ltd., where he watched`, `Inc., which makes`, `Jr., who said`.
_DANGLING = regex.compile(
    r"(?:Ltd|Inc|Co|Corp|Corporation|Company|LLC|LLP|PLC|plc|GmbH|AG|SA|S\.A|NV|N\.V|Pty|Bhd|Jr|Sr)\.?,\s+"
    r"(?:where|which|who|whose|whom|when|while|and|but|in\s+which|that)\b"
)


@rule("dangling-tail", "truncation")
def dangling_tail(text: str, title: str | None) -> list[Change]:
    """A sentence that is only the tail of a cut one, opening with a company or name suffix and a
    relative clause, goes with the space before it.

    Fixes: `...more than three centuries. Ltd., where he watched production processes.` ->
    `...more than three centuries.`
    Leaves alone: `Ltd. said on Monday`, `Acme Co., which makes tools, said` (the suffix inside
    a sentence), `Inc. magazine`.
    """
    changes = []
    for start, _, p in split_paragraphs(text):
        spans = sentence_spans(p)
        for j, (a, b) in enumerate(spans):
            if not _DANGLING.match(p, a):
                continue
            if j > 0:
                changes.append(Change(start + spans[j - 1][1], start + b))
            elif len(spans) > 1:
                changes.append(Change(start + a, start + spans[1][0]))
    return changes


_TAIL_OK_END = tuple(":)]}>»\"”’'")
MIN_TAIL_WORDS = 4
# An unfinished sentence longer than this is two sentences run together (`statement.Architects`).
MAX_TAIL_WORDS = 60
_LINKISH = regex.compile(r"@|https?://|www\.|:|\.com/|#\w")


# Words no complete English sentence ends on: a text that stops on one was cut.
_DANGLING_WORDS = frozenset(
    """the a an to of and or but nor in on at for with by from into about as than that which who
    whose whom when where while if because his her their its our my your this these those is are
    was were be been being will would shall should can could may might must has have had do does
    did said says not no very more most""".split()
)


def _ends_dangling(s: str) -> bool:
    last = s.rstrip()
    if last.endswith((",", "-", "–", "—", ";")):
        return True
    words = last.split()
    return bool(words) and words[-1].casefold().strip("\"“”‘’'()") in _DANGLING_WORDS


def _stops_mid_sentence(s: str) -> bool:
    """A cut sentence is running text: it has lowercase words after its first. A title-case
    phrase (`Politics Without Bannisters`), a label with a colon or an address is a sign-off or a
    heading, not a cut."""
    words = s.split()
    if len(words) < 2 or _LINKISH.search(s):
        return False
    return any(w[:1].islower() for w in words[1:])
MIN_FRAGMENT_WORDS = 8


@rule("truncated-end", "truncation")
def truncated_end(text: str, title: str | None) -> list[Change]:
    """A body that stops mid-sentence loses the unfinished sentence.

    Fixes: `He left. The company said it would` -> `He left.`: an unfinished last sentence, or a
    last paragraph of 8 or more words with no sentence end, that stops on a comma, a dash or a
    word no sentence ends on (`the`, `to`, `would`, `said`, ...).
    Flags (reports, does not remove): an unfinished last sentence that ends on a lowercase
    content word, which is as often a sentence short of its period as a cut one.
    Leaves alone: endings in `.`, `!`, `?`, `…`, `."` or `.”`; endings in `:` or a closing
    bracket; short last lines (`Reuter`, a sign-off, a heading, a list item); a tail of fewer
    than 4 words, a title-case phrase, one with a colon, `@` or a URL, one that ends on a number or
    a content word (`...expanded by 1.3%`, `...in a tie on nine-under`: short of its period, not
    cut; bios, credits, teasers: `... a BBC co-production`), an embedded tweet's link or hashtag; a body of one unfinished paragraph (flagged instead).
    """
    paragraphs = split_paragraphs(text)
    if not paragraphs:
        return []
    start, end, p = paragraphs[-1]
    body = p.rstrip()
    if ends_sentence(body) or body.endswith(_TAIL_OK_END):
        return []
    spans = sentence_spans(body)
    if len(spans) > 1:
        a, b = spans[-1]
        tail = body[a:b]
        if len(tail.split()) < MIN_TAIL_WORDS or not tail[:1].isupper() or not _stops_mid_sentence(tail):
            return []
        if len(tail.split()) > MAX_TAIL_WORDS:
            return []
        if not _ends_dangling(tail):
            # `...expanded by 1.3%`, `...on nine-under`: as often a sentence short of its period as
            # a cut one. Flagged for a person, not removed.
            return [Change(start + a, start + b, tail, "flagged")] if tail.split()[-1][:1].islower() else []
        return [Change(start + spans[-2][1], start + b)]
    if len(body.split()) < MIN_FRAGMENT_WORDS or not body[:1].isupper() and not _starts_mid_sentence(body):
        return []
    if not _stops_mid_sentence(body) or not _ends_dangling(body):
        return []  # a whole paragraph short of its period is a bio, credit or teaser: keep it
    if len(paragraphs) == 1:
        return [Change(start, start + len(body), body, "flagged")]
    a, b = remove_paragraphs_spans(paragraphs, {len(paragraphs) - 1})[len(paragraphs) - 1]
    return [Change(a, b)]
