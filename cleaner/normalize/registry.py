"""The rule registry: every rule is a named pure function registered with `@rule`.

A rule looks at one field's text (and, through its `RuleContext`, the title, the document's
language and the corpus evidence) and returns `Change`s: non-overlapping spans of that text and
what to put there. It never edits the text itself; the engine applies the changes and records
them as `Edit`s, which is what keeps the edit log exact.

A rule registered with `languages=True` decides from what it knows of a language (the data in
`cleaner/lang/data/`): in a language it has no data for, or an undetermined one, the engine turns
its removals into flags. A change below the context's `min_confidence` becomes a flag too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cleaner.errors import ConfigError
from cleaner.lang.languages import Language
from cleaner.model import Action, Field
from cleaner.normalize.evidence import Evidence

# Below this confidence a destructive change is reported as a flag instead (`--min-confidence`).
DEFAULT_MIN_CONFIDENCE = 0.9


@dataclass(frozen=True)
class Change:
    start: int
    end: int
    after: str = ""
    action: Action = "removed"
    evidence: str = ""  # the reason and the figure that made the rule sure
    confidence: float = 1.0


@dataclass(frozen=True)
class RuleContext:
    """What a rule may know besides the text: the title, the document's language (`code` as
    detected or given, `language` the project's data for it, None when it has none), the corpus
    evidence and the document's source (its site or publisher, None when not known)."""

    title: str | None
    code: str | None = None
    language: Language | None = None
    evidence: Evidence = field(default_factory=Evidence)
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    source: str | None = None


RuleFn = Callable[[str, RuleContext], Sequence[Change]]


@dataclass(frozen=True)
class Rule:
    name: str
    family: str
    summary: str
    fn: RuleFn
    fields: tuple[Field, ...] = ("text",)
    languages: bool = False  # decides from language data: only flags in a language it lacks


RULES: dict[str, Rule] = {}


def rule(
    name: str, family: str, fields: tuple[Field, ...] = ("text",), languages: bool = False
) -> Callable[[RuleFn], RuleFn]:
    """Register `fn` under `name`. Registration order is run order; the summary is the first
    line of the docstring, which (like ftfy's fixers) also lists what the rule must fix and what
    it must leave alone."""

    def register(fn: RuleFn) -> RuleFn:
        if name in RULES:
            raise ValueError(f"rule {name!r} registered twice")
        summary = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else name
        RULES[name] = Rule(name, family, summary, fn, fields, languages)
        return fn

    return register


def all_rules() -> list[Rule]:
    import cleaner.normalize.rules  # noqa: F401  (registers the rules on import)

    return list(RULES.values())


def select_rules(select: Sequence[str] | None = None, ignore: Sequence[str] | None = None) -> list[Rule]:
    """The rules to run, in registry order. Names may be rule names or family names; `select`
    defaults to all. An unknown name is a `ConfigError` that lists the known ones."""
    rules = all_rules()
    known = {r.name for r in rules} | {r.family for r in rules}
    for name in [*(select or []), *(ignore or [])]:
        if name not in known:
            raise ConfigError(
                f"unknown rule '{name}'; known rules: {', '.join(r.name for r in rules)}; "
                f"families: {', '.join(sorted({r.family for r in rules}))}"
            )
    chosen = [r for r in rules if not select or r.name in select or r.family in select]
    return [r for r in chosen if not ignore or (r.name not in ignore and r.family not in ignore)]


def merge_removals(changes: Sequence[Change]) -> list[Change]:
    """Sort removals and join the ones that overlap (found by different patterns) into one."""
    out: list[Change] = []
    for c in sorted(changes, key=lambda c: (c.start, c.end)):
        if out and c.start < out[-1].end:
            last = out.pop()
            c = Change(
                last.start,
                max(last.end, c.end),
                evidence=last.evidence or c.evidence,
                confidence=min(last.confidence, c.confidence),
            )
        out.append(c)
    return out
