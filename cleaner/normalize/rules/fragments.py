"""Stray fragments: punctuation a scraper left behind when it cut something out of a sentence."""

from __future__ import annotations

import regex

from cleaner.normalize.registry import Change, rule

# A period standing alone between a word (or a comma) and a lowercase continuation.
_STRAY_PERIOD = regex.compile(r"(?<=[\p{L}\p{N},;\"”’)])[ \t]+\.(?=[ \t]+\p{Ll})")


@rule("stray-period", "fragments")
def stray_period(text: str, title: str | None) -> list[Change]:
    """A detached period between a clause and its lowercase continuation.

    Fixes: `process, . but also said` -> `process, but also said`; `officials said . the vote`
    -> `officials said the vote`.
    Leaves alone: `5 p.m. and`, `the U.S. and China`, `.5 percent`, `e.g. the`, `...`,
    `. . .`, `example .com`, `said . The` (a new sentence).
    """
    return [Change(m.start(), m.end()) for m in _STRAY_PERIOD.finditer(text)]
