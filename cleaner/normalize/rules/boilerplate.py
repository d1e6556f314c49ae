"""Boilerplate lines: whole short lines that a page template put into the article body.

Only whole lines are matched, with anchored patterns: a sentence that merely starts like
boilerplate (`By Monday, the storm had passed.`, `Share prices fell.`) is never touched.
"""

from __future__ import annotations

import regex

from cleaner.normalize.registry import Change, merge_removals, rule
from cleaner.text import remove_paragraphs_spans, split_paragraphs

_AGENCY = r"(?:getty(?:\s+images)?|ap(?:\s+photo)?|afp|reuters|epa|efe|xinhua|shutterstock|istock(?:photo)?|bloomberg|the\s+associated\s+press|associated\s+press|pa(?:\s+images)?|anadolu|sipa|zuma)"

_ANYWHERE = [
    r"advertisements?:?|ad|sponsored(?:\s+content)?|ad\s+feedback|scroll\s+to\s+continue(?:\s+with\s+content)?",
    r"advertisement\s+continue\s+reading(?:\s+the)?(?:\s+main)?\s+story",
    r"(?:story|article|text)\s+continu(?:e|es|ed)(?:\s+(?:below|after\s+(?:the\s+)?(?:advertisement|ad)))?",
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

# Only near the top of an article: bylines and time stamps, which elsewhere may be content.
_NAME = r"(?:[\p{Lu}][\p{L}\p{M}'’.-]*|de|van|von|da|di|del|la|le|al|bin|ibn)"
_TOP = [
    # `By Jane Doe`, `By Jane Doe and John Roe, Reuters`, `By The Associated Press`, `BY JANE DOE`
    r"by\s+" + _NAME + r"(?:\s+" + _NAME + r"){0,4}(?:(?:\s*,\s*|\s+and\s+|\s*&\s*)" + _NAME + r"(?:\s+" + _NAME + r"){0,4}){0,3}(?:\s*[|,–—-]\s*[\p{L} ]{1,40})?",
    r"(?:updated|published|posted|last\s+updated|first\s+published)(?:\s+on|\s+at)?:?\s+(?=[^\n]*\d)[\p{L}\p{N} ,.:/-]{3,60}",
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}(?:,?\s+\d{1,2}:\d{2}\s*[ap]\.?m\.?(?:\s+[A-Z]{2,4})?)?",
]

_ANYWHERE_RE = regex.compile(r"(?:" + "|".join(_ANYWHERE) + r")", regex.IGNORECASE | regex.VERSION1)
# Case matters for these: a copyright line without a symbol is `Copyright` or `COPYRIGHT`, a year
# and capitalised words only (`Copyright 2019 was a landmark year` is a sentence).
_ANYWHERE_CASED = regex.compile(r"(?:Copyright|COPYRIGHT)\s+\d{4}(?:\s+[\p{Lu}\p{N}&][\p{L}\p{N}.,&'’-]*)+\.?(?:\s+All\s+rights\s+reserved\.?)?", regex.VERSION1)
_TOP_RE = regex.compile(r"(?:" + "|".join(_TOP) + r")", regex.VERSION1)
_TOP_RE_I = regex.compile(r"(?:" + "|".join(_TOP[1:]) + r")", regex.IGNORECASE | regex.VERSION1)

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


@rule("boilerplate-lines", "boilerplate")
def boilerplate_lines(text: str, title: str | None) -> list[Change]:
    """Whole lines left by the page template: ads, share and follow prompts, newsletter calls to
    action, `Read more: ...`, photo credits, and bylines or time stamps at the top.

    Fixes: `ADVERTISEMENT`, `Story continued below`, `Share this article`, `Follow us on Twitter`,
    `Sign up for our daily newsletter.`, `Read more: Trump wins`, `Photo: Jane Doe/AP`,
    `Saul Loeb/AFP/Getty Images`, `By Jane Doe and John Roe, Reuters` (first paragraphs only).
    Leaves alone: `By Monday, the storm had passed.`, `Share prices fell 3 percent.`, a byline
    deep inside the article, any line longer than 220 characters, parts of lines.
    """
    paragraphs = split_paragraphs(text)
    whole: set[int] = set()
    changes: list[Change] = []
    for i, (start, _, p) in enumerate(paragraphs):
        near_top = i < TOP_PARAGRAPHS
        lines = p.splitlines(keepends=True)
        flags = [is_boilerplate(line, near_top) for line in lines]
        if all(flags):
            whole.add(i)
            continue
        pos = start
        for j, (line, flag) in enumerate(zip(lines, flags)):
            if flag:
                if j == len(lines) - 1:  # last line of the paragraph: take the break before it
                    changes.append(Change(pos - _break_len(lines[j - 1]), pos + len(line)))
                else:
                    changes.append(Change(pos, pos + len(line)))
            pos += len(line)
    if whole and len(whole) == len(paragraphs):
        return changes  # never empty the body: an all-boilerplate text is left for a person to see
    spans = remove_paragraphs_spans(paragraphs, whole)
    changes += [Change(a, b) for a, b in spans.values()]
    return merge_removals(changes)


def _break_len(line: str) -> int:
    return 2 if line.endswith("\r\n") else 1 if line.endswith("\n") else 0

