"""The headline repeated as the first paragraph(s) of the body, as many scrapers leave it."""

from __future__ import annotations

import regex

from cleaner.normalize.registry import Change, RuleContext, rule
from cleaner.text import remove_paragraphs_spans, split_paragraphs, strip_site_suffix

_FOLD = regex.compile(r"[\p{P}\p{S}\s]+")


def _key(s: str) -> str:
    """Case, punctuation and spacing folded: `Kim's 'summit'` and `KIM'S SUMMIT` compare equal."""
    return _FOLD.sub(" ", s.casefold()).strip()


def _title_keys(title: str) -> set[str]:
    return {k for k in (_key(title), _key(strip_site_suffix(title))) if k}


def repeats_title(paragraph: str, title: str) -> bool:
    """Whether `paragraph` is only the headline: once or twice (on one line or several), in any
    case, with or without a short site suffix on either side."""
    keys = _title_keys(title)
    if not keys:
        return False
    lines = [line for line in paragraph.splitlines() if line.strip()]
    candidates = lines if len(lines) > 1 else [paragraph]
    for line in candidates:
        k = _key(line)
        if k in keys or k in {f"{x} {x}" for x in keys}:
            continue
        stripped = strip_site_suffix(line)
        if stripped != line and _site_like(line.strip()[len(stripped.strip()) :]) and _key(stripped) in keys:
            continue
        return False
    return True


_CONNECTORS = frozenset(
    [
        "of",
        "the",
        "and",
        "&",
        "on",
        "at",
        "in",
        "for",
        "de",
        "la",
        "le",
        "el",
        "da",
        "do",
        "di",
        "der",
        "die",
        "das",
        "du",
        "des",
    ]
)


def _site_like(suffix: str) -> bool:
    """Whether what follows the headline is a site name (`| Reuters`, `- The Hill`, `— WSJ`)
    rather than a dek that goes on in running text (`Kim leaves China - and heads for home`)."""
    words = [w for w in suffix.strip(" |-–—·:").split() if w.casefold() not in _CONNECTORS]
    return bool(words) and all(w[:1].isupper() or w[:1].isdigit() for w in words)


@rule("headline-repeat", "headline")
def headline_repeat(text: str, ctx: RuleContext) -> list[Change]:
    """The title repeated as the first one or two paragraphs of the body.

    Fixes: body starting `Kim leaves China\\n\\n...` under the title `Kim leaves China`; the same
    in capitals, twice, or as `Kim leaves China | Reuters`.
    Leaves alone: a first paragraph that only starts with the title words, a dek that goes on
    after a dash (`Kim leaves China - and heads for home`), the title repeated
    further down, a body that would become empty (flagged instead).
    """
    title = ctx.title
    if not title or not title.strip():
        return []
    paragraphs = split_paragraphs(text)
    repeated = set()
    for i, (_, _, p) in enumerate(paragraphs[:2]):
        if not repeats_title(p, title):
            break
        repeated.add(i)
    if not repeated:
        return []
    if len(repeated) == len(paragraphs):
        start, end, _ = paragraphs[max(repeated)]
        return [Change(start, end, text[start:end], "flagged")]
    why = "the title repeated as the body's first paragraph" + ("s" if len(repeated) > 1 else "")
    return [Change(a, b, evidence=why) for a, b in remove_paragraphs_spans(paragraphs, repeated).values()]
