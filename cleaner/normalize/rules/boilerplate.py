"""Boilerplate lines: whole short lines that a page template put into the article body.

Two kinds of evidence, each about whole lines only (a sentence that merely starts like
boilerplate, `By Monday, the storm had passed.`, `Share prices fell.`, is never touched):
- the corpus: a short line that recurs through many articles, each time beside different text,
  is a site line in any language, with no list entry needed (`evidence.Evidence.recurrence`);
- anchored patterns for the site lines that a single article can show (`ADVERTISEMENT`, share
  prompts, photo credits), and bylines and time stamps at the top.
"""

from __future__ import annotations

import regex

from cleaner.normalize.evidence import Figure, is_candidate_line
from cleaner.normalize.registry import Change, RuleContext, merge_removals, rule
from cleaner.text import remove_paragraphs_spans, split_paragraphs

_AGENCY = (
    r"(?:getty(?:\s+images)?|ap(?:\s+photo)?|afp|reuters|epa|efe|xinhua|shutterstock|istock(?:photo)?"
    r"|bloomberg|the\s+associated\s+press|associated\s+press|pa(?:\s+images)?|anadolu|sipa|zuma)"
)

_ANYWHERE = [
    r"advertisements?:?|ad|sponsored(?:\s+content)?|ad\s+feedback|scroll\s+to\s+continue(?:\s+with\s+content)?",
    r"advertisement\s+continue\s+reading(?:\s+the)?(?:\s+main)?\s+story",
    r"(?:story|article|text)\s+continu(?:e|es|ed)(?:\s+(?:below|after\s+(?:the\s+)?(?:advertisement|ad))(?:\s+(?:the\s+)?(?:advertisement|ad))?)?",
    r"continue\s+reading(?:\s+(?:the\s+)?(?:main\s+)?(?:story|article|below))?",
    r"(?:click(?:\s+here)?|tap\s+here)\s+(?:to|for)\s+[^.!?]{1,80}[.!]?(?:\s*\(opens\s+in\s+new\s+window\))?",
    r"share\s+this(?:\s+(?:article|story|post|page))?\s*:?(?:\s+(?:share|tweet|post|email|pocket|facebook|twitter|whatsapp|linkedin|reddit|print))*",
    r"share\s+(?:on|via|to)\s+(?:facebook|twitter|x|whatsapp|linkedin|reddit|email|pinterest|messenger)",
    r"(?:share|tweet|email|print|comment)(?:\s*[|/·•]?\s*(?:share|tweet|email|print|comments?|facebook|twitter|whatsapp|linkedin|pinterest|reddit|save))+",
    r"(?:follow|like|find)\s+us\s+on\s+(?:facebook|twitter|instagram|linkedin|youtube|tiktok|x)(?:\s*(?:and|,|or)\s*(?:facebook|twitter|instagram|linkedin|youtube|tiktok|x))*(?:\s+@\w+)?[.!]?",
    r"follow\s+@\w+(?:\s+follow\s+@\w+)*",
    r"(?:sign\s+up|subscribe|register)\b[^.!?]{0,80}\bnewsletters?\b.{0,120}",
    r"(?:get|receive)\s+(?:our|the)\b[^.!?]{0,60}\b(?:newsletters?|delivered\s+to\s+your\s+inbox)\b.{0,120}",
    r"subscribe\s+(?:now|today|to|on)\b[^.!?]{0,80}[.!]?",
    r"(?:read|see|watch)\s+more\s*(?:[:>»-].{0,150}|here)?[.!]?|read\s+the\s+full\s+(?:story|article)[.!]?",
    r"just\s+watched\b.{0,200}|watch\s+the\s+latest\s+video\b.{0,80}",
    r"related(?:\s+(?:articles?|stories|coverage|content|links?|video|post))?\s*[:>»-].{0,150}|related\s+(?:articles?|stories|coverage)",
    r"(?:photo|image|picture|video|graphic)s?",
    r"(?:photo|image|picture|video|graphic)s?(?:\s+(?:credit|source))?\s*:\s*.{1,100}",
    r"\(?(?:photo|image|picture)s?\s+(?:by|courtesy\s+of|credit:?)\s+[^\s/]+(?:\s+[^\s/]+){0,4}(?:\s*/\s*[^/]{1,40}){0,3}\)?",
    r"\(\s*photos?\s*:.{1,120}\)",
    r"[\p{L}\p{M} .'-]{2,60}/" + _AGENCY + r"(?:\s*(?:/|via)\s*[\p{L} .-]{1,40})*\)?",
    r"(?:image|photo)\s+(?:copyright|caption)\b.{0,200}",
    r"enlarge\s+this\s+image\b.{0,200}|toggle\s+caption\b.{0,200}|hide\s+caption\b.{0,200}",
    r"(?:copyright\s*)?(?:©|\(c\))\s*\d{4}\b.{0,200}",
    r"(?:copyright\s+|©\s*|\(c\)\s*)[^\n]{0,80}all\s+rights\s+reserved\.?[^\n]{0,160}",
    r"this\s+material\s+may\s+not\s+be\s+published,\s+broadcast,\s+rewritten,?\s+or\s+redistributed\.?",
]
# Cheap gate: a line can only be boilerplate if it starts with one of these words or names an
# agency after a slash, so the full patterns run on few lines.
_GATE = regex.compile(
    r"\(?\s*(?:advert|ad\b|sponsor|scroll|story|article|text|continu|click|tap|share|follow|like|find|sign|subscri|regist|get|receiv"
    r"|read|see|watch|just|related|photo|image|pictur|video|graphic|enlarge|toggle|hide|copyright|©|\(c\)|this|tweet|email|print|comment)",
    regex.IGNORECASE,
)

# A time stamp after `Updated`: dates, times, month and day names, zones; nothing else, so that
# `Published in 2019, the report found ...` is a sentence, not a stamp.
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?"
_STAMP_TOKEN = (
    rf"(?:[\p{{N}}]+(?:[:/.-][\p{{N}}]+)*(?:st|nd|rd|th)?|{_MONTH}|{_DAY}|[ap]\.?m\.?"
    r"|at|on|utc|gmt|[ecmp][sd]?t|bst|cet|cest)"
)
_STAMP = rf"{_STAMP_TOKEN}(?:[ ,|]+{_STAMP_TOKEN}){{0,8}}"

# Only near the top of an article: bylines and time stamps, which elsewhere may be content.
_NAME = r"(?:[\p{Lu}][\p{L}\p{M}'’.-]*|de|van|von|da|di|del|la|le|al|bin|ibn)"
_TOP = [
    # `By Jane Doe`, `By Jane Doe and John Roe, Reuters`, `By The Associated Press`, `BY JANE DOE`
    r"by\s+"
    + _NAME
    + r"(?:\s+"
    + _NAME
    + r"){0,4}(?:(?:\s*,\s*|\s+and\s+|\s*&\s*)"
    + _NAME
    + r"(?:\s+"
    + _NAME
    + r"){0,4}){0,3}(?:\s*[|,–—-]\s*[\p{L} ]{1,40})?",
    r"(?:updated|published|posted|last\s+updated|first\s+published)(?:\s+on|\s+at)?:?\s+(?=[^\n]*\d)" + _STAMP,
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}(?:,?\s+\d{1,2}:\d{2}\s*[ap]\.?m\.?(?:\s+[A-Z]{2,4})?)?",
]

# VERSION0 on purpose: these patterns are ASCII words, and VERSION1's full case folding under
# IGNORECASE turns off the alternation's literal prefix search (75x slower on AllSides's lines,
# the same matches over 167,928 lines of every shared corpus).
_ANYWHERE_RE = regex.compile(r"(?:" + "|".join(_ANYWHERE) + r")", regex.IGNORECASE | regex.VERSION0)
# Case matters for these: a copyright line without a symbol is `Copyright` or `COPYRIGHT`, a year
# and capitalised words only (`Copyright 2019 was a landmark year` is a sentence).
_ANYWHERE_CASED = regex.compile(
    r"(?:Copyright|COPYRIGHT)\s+\d{4}(?:\s+[\p{Lu}\p{N}&][\p{L}\p{N}.,&'’-]*)+\.?(?:\s+All\s+rights\s+reserved\.?)?",
    regex.VERSION0,
)
_TOP_RE = regex.compile(r"(?:" + "|".join(_TOP) + r")", regex.VERSION0)
_TOP_RE_I = regex.compile(r"(?:" + "|".join(_TOP[1:]) + r")", regex.IGNORECASE | regex.VERSION0)

MAX_LINE = 220
TOP_PARAGRAPHS = 3


def is_boilerplate(line: str, near_top: bool) -> bool:
    s = line.strip()
    if not s or len(s) > MAX_LINE:
        return False
    if (_GATE.match(s) or "/" in s) and (_ANYWHERE_RE.fullmatch(s) or _ANYWHERE_CASED.fullmatch(s)):
        return True
    if near_top:
        # `By Jane Doe`, `BY JANE DOE`: a capital B, never the `by Congress.` of a wrapped line.
        by = s[:3] in ("By ", "BY ") and len(s.split()) <= 12 and _TOP_RE.fullmatch("by " + s[3:])
        return bool(by or _TOP_RE_I.fullmatch(s))
    return False


# The pseudo-documents a source's page count is shrunk by (see `_site_figure`).
SOURCE_PSEUDO = 2


def _recurring(line: str, ctx: RuleContext) -> Figure | None:
    """A short line standing in n articles, each time beside different text, is a site line:
    confidence 1 - 1/n, so the default 0.9 asks for 10 contexts in the corpus; or as many as its
    share of its own source's pages makes sure (`_site_figure`), whichever is surer."""
    s = line.strip()
    if not is_candidate_line(s):
        return None
    words = s.split()
    if len(words) <= 2 and s[-1] in ".!?…":
        return None  # `Yes.`, `Thank you.`: a line of dialogue, however often it recurs
    n = ctx.evidence.recurrence(s)
    corpus = Figure(1 - 1 / n, f"recurs in {n} articles, each time beside different text") if n > 1 else None
    site = _site_figure(s, ctx.source, ctx) if ctx.source is not None else None
    if site is None or corpus is not None and corpus.confidence >= site.confidence:
        return corpus
    return site


def _site_figure(line: str, source: str, ctx: RuleContext) -> Figure | None:
    """How sure that a line standing in k of its source's N pages, beside different text each
    time, is the site's template: a template line stands in most of a site's pages, a line of
    content in few. The corpus's figure for k contexts, 1 - 1/k, with the chance that it is
    content shrunk by the share of the pages it is missing from, k / (N + SOURCE_PSEUDO): 1 -
    1/n' with n' = k / (1 - share). So 4 of a source's 4 pages make 0.92 (removed at the default
    0.9), 3 of 3 0.87 and 4 of 5 0.89 (flagged), 6 of 10 0.92; in a large source it is the
    corpus's figure (10 of 10,000: 0.90)."""
    k, pages = ctx.evidence.source_recurrence(source, line)
    if k < 2:
        return None
    pages = max(pages, k)  # each page gives a line one context at most
    effective = k / (1 - k / (pages + SOURCE_PSEUDO))
    return Figure(
        1 - 1 / effective, f"recurs in {k} of the {pages:,} articles of {source}, each time beside different text"
    )


def _line_figure(line: str, near_top: bool, ctx: RuleContext) -> Figure | None:
    """The corpus's evidence where it has enough (it is what says the line is not content), else
    the pattern's."""
    recurring = _recurring(line, ctx)
    if recurring is not None and recurring.confidence >= ctx.min_confidence:
        return recurring
    if is_boilerplate(line, near_top):
        return Figure(1.0, "a site line (anchored pattern)")
    return recurring


@rule("boilerplate-lines", "boilerplate")
def boilerplate_lines(text: str, ctx: RuleContext) -> list[Change]:
    """Whole lines left by the page template: lines that recur through the corpus, ads, share and
    follow prompts, newsletter calls to action, `Read more: ...`, photo credits, and bylines or
    time stamps at the top.

    Fixes: a short line found in 10 or more articles of the corpus beside different text (`Story
    continues below advertisement`, `Video su questo argomento`, `Leia mais`), or in most of the
    pages of its own source where the records say which (`--source-field`), `ADVERTISEMENT`,
    `Story continued below`, `Share this article`, `Follow us on Twitter`, `Sign up for our daily
    newsletter.`, `Read more: Trump wins`, `Photo: Jane Doe/AP`, `Saul Loeb/AFP/Getty Images`,
    `By Jane Doe and John Roe, Reuters`, `Updated: Jan 5, 2019 10:02 a.m. ET` (first paragraphs).
    Leaves alone: `By Monday, the storm had passed.`, `Published in 2019, the report found`, `Share
    prices fell 3 percent.`, a byline deep inside the article, any line longer than 220
    characters, parts of lines, a line that recurs only in copies of one article, short lines of
    dialogue (`Yes.`), a body that is only boilerplate (left for a person to see).
    """
    paragraphs = split_paragraphs(text)
    whole: dict[int, Figure] = {}
    changes: list[Change] = []
    for i, (start, _, p) in enumerate(paragraphs):
        lines = p.splitlines(keepends=True)
        figures = [_line_figure(line, i < TOP_PARAGRAPHS, ctx) for line in lines]
        if all(figures):
            whole[i] = min((f for f in figures if f), key=lambda f: f.confidence)
            continue
        pos = start
        for j, (line, f) in enumerate(zip(lines, figures, strict=True)):
            if f:
                a = (
                    pos - _break_len(lines[j - 1]) if j == len(lines) - 1 else pos
                )  # the last line takes the break before it
                changes.append(Change(a, pos + len(line), evidence=f.reason, confidence=f.confidence))
            pos += len(line)
    sure = [i for i, f in whole.items() if f.confidence >= ctx.min_confidence]
    if len(sure) == len(paragraphs):
        return changes  # never empty the body: an all-boilerplate text is left for a person to see
    # Paragraphs below the line do not count as emptying the body and must not stop a sure site
    # line beside them from going: they are offered as their own text only (no separator), which
    # the engine turns into flags.
    spans = remove_paragraphs_spans(paragraphs, set(sure))
    changes += [Change(a, b, evidence=whole[i].reason, confidence=whole[i].confidence) for i, (a, b) in spans.items()]
    changes += [
        Change(paragraphs[i][0], paragraphs[i][1], evidence=f.reason, confidence=f.confidence)
        for i, f in whole.items()
        if i not in spans
    ]
    return merge_removals(changes)


def _break_len(line: str) -> int:
    return 2 if line.endswith("\r\n") else 1 if line.endswith("\n") else 0
