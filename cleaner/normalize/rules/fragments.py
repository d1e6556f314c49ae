"""Stray fragments: punctuation a scraper left behind when it cut something out of a sentence."""

from __future__ import annotations

import regex

from cleaner.normalize.registry import Change, RuleContext, rule

# A period standing alone between a word (or a comma) and a lowercase continuation.
_STRAY_PERIOD = regex.compile(r"(?<=[\p{L}\p{N},;\"”’)])[ \t]+\.(?=[ \t]+\p{Ll})")


# A lone period is an argument in a shell command (`git add . and commit`, `docker build .`):
# code quoted in tech news, not a stray fragment.
_COMMAND = regex.compile(
    r"(?:^|[\s`$])(?:git|npm|yarn|pip|cd|ls|cp|mv|rm|docker|make|sudo|find|grep|chmod|chown|cargo|go)\b[^\n]{0,40}$"
)


@rule("stray-period", "fragments")
def stray_period(text: str, ctx: RuleContext) -> list[Change]:
    """A detached period between a clause and its lowercase continuation.

    Fixes: `process, . but also said` -> `process, but also said`; `officials said . the vote`
    -> `officials said the vote`.
    Leaves alone: `5 p.m. and`, `the U.S. and China`, `.5 percent`, `e.g. the`, `...`,
    `. . .`, `example .com`, `said . The` (a new sentence), a shell command (`git add . and`).
    """
    changes = []
    for m in _STRAY_PERIOD.finditer(text):
        if _COMMAND.search(text, max(0, m.start() - 48), m.start()):
            continue
        changes.append(
            Change(m.start(), m.end(), evidence="a period alone between a clause and its lowercase continuation")
        )
    return changes
