"""The normalizer: run the selected rules over a document until nothing changes.

Rules run in registry order, title first then text, and the whole sequence repeats until a pass
changes nothing (a fixed point), so cleaning a cleaned document changes nothing. A rule is not
re-run on text it has already left unchanged while the title it reads is unchanged too, which
keeps the common case (clean text) at one pass of each rule.

The engine, not each rule, enforces the two safety lines: a language-bound rule makes no
destructive edit in a language it has no data for, and no rule makes one below the context's
confidence; both become flags, with the reason in the edit's evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from cleaner.errors import CleanerError
from cleaner.lang.detect import UND, detect_language
from cleaner.lang.languages import known_language
from cleaner.model import CleanResult, Document, Edit, Field
from cleaner.normalize.evidence import Evidence
from cleaner.normalize.registry import DEFAULT_MIN_CONFIDENCE, Change, Rule, RuleContext, select_rules

MAX_PASSES = 10


class NotConverging(CleanerError):
    """The rules keep undoing each other: a bug in a rule, reported with the record's location."""


def apply_changes(text: str, changes: Sequence[Change]) -> str:
    out = []
    pos = 0
    for c in changes:
        out.append(text[pos : c.start])
        out.append(c.after)
        pos = c.end
    out.append(text[pos:])
    return "".join(out)


def _checked(rule: Rule, text: str, changes: Iterable[Change]) -> list[Change]:
    ordered = sorted(changes, key=lambda c: (c.start, c.end))
    pos = 0
    for c in ordered:
        if c.start < pos or c.end < c.start or c.end > len(text):
            raise AssertionError(f"rule {rule.name} returned overlapping or out-of-range changes: {ordered}")
        pos = c.end
    return ordered


def _guarded(rule: Rule, ctx: RuleContext, text: str, c: Change) -> Change:
    """`c`, or a flag in its place where the rule lacks the language or the confidence."""
    if c.action == "flagged":
        return c
    if rule.languages and ctx.language is None:
        why = f"language '{ctx.code}' unknown to this rule" if ctx.code and ctx.code != UND else "language undetermined"
        return replace(
            c, after=text[c.start : c.end], action="flagged", evidence="; ".join(filter(None, [c.evidence, why]))
        )
    if c.confidence < ctx.min_confidence:
        why = f"confidence {c.confidence:.2f} < {ctx.min_confidence:.2f}"
        return replace(
            c, after=text[c.start : c.end], action="flagged", evidence="; ".join(filter(None, [c.evidence, why]))
        )
    return c


def _edit(rule: Rule, c: Change, current: str, field: Field, step: int) -> Edit:
    return Edit(rule.name, c.action, c.start, c.end, current[c.start : c.end], c.after, field, step, c.evidence or None)


def clean_fields(
    title: str | None,
    text: str,
    rules: Sequence[Rule],
    language: str | None = None,
    evidence: Evidence | None = None,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    source: str | None = None,
) -> tuple[str | None, str, tuple[Edit, ...]]:
    """Clean a title and body with `rules`; return the new title, new text and the edit log.
    `language` is the document's ISO 639-1 code (None: undetermined); `evidence` the corpus's
    statistics (default: the shipped ones only); `source` its site or publisher where known."""
    state: dict[Field, str | None] = {"title": title, "text": text}
    base = RuleContext(None, language, known_language(language), evidence or _shipped(), min_confidence, source)
    ctx = replace(base, title=title)
    edits: list[Edit] = []
    flagged: set[tuple[str, str, str]] = set()
    left_alone: dict[tuple[str, Field], tuple[str, str | None]] = {}
    step = 0
    for _ in range(MAX_PASSES):
        changed = False
        for r in rules:
            for field in r.fields:
                current = state[field]
                seen = (current, state["title"])
                if current is None or left_alone.get((r.name, field)) == seen:
                    continue
                if ctx.title != state["title"]:
                    ctx = replace(base, title=state["title"])
                changes = [_guarded(r, ctx, current, c) for c in _checked(r, current, r.fn(current, ctx))]
                real = [c for c in changes if c.action != "flagged" and current[c.start : c.end] != c.after]
                for c in changes:
                    key = (r.name, field, current[c.start : c.end])
                    if c.action == "flagged" and key not in flagged:
                        flagged.add(key)
                        edits.append(_edit(r, c, current, field, step))
                if not real:
                    left_alone[(r.name, field)] = seen
                    continue
                step += 1
                edits.extend(_edit(r, c, current, field, step) for c in real)
                state[field] = apply_changes(current, real)
                changed = True
        if not changed:
            return state["title"], state["text"] or "", tuple(edits)
    raise NotConverging(f"rules did not reach a fixed point in {MAX_PASSES} passes")


_SHIPPED: Evidence | None = None


def _shipped() -> Evidence:
    global _SHIPPED
    if _SHIPPED is None:
        _SHIPPED = Evidence()
    return _SHIPPED


def clean_document(
    doc: Document,
    rules: Sequence[Rule] | None = None,
    evidence: Evidence | None = None,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> CleanResult:
    """Clean one document in its language: `doc.language`, detected from the text where it is None
    (where detection is unsure, `und`, only the language-neutral rules edit)."""
    rules = select_rules() if rules is None else rules
    language = doc.language if doc.language is not None else detect_language(doc.text, doc.title).code
    title, text, edits = clean_fields(doc.title, doc.text, rules, language, evidence, min_confidence, doc.source)
    return CleanResult(original=doc, document=doc.with_content(title, text), edits=edits)


def clean_text(
    text: str,
    title: str | None = None,
    rules: Sequence[Rule] | None = None,
    language: str | None = None,
    evidence: Evidence | None = None,
) -> tuple[str, tuple[Edit, ...]]:
    """Clean a bare body text (the title, if given, is context and is cleaned too), in `language`,
    detected where it is None."""
    rules = select_rules() if rules is None else rules
    if language is None:
        language = detect_language(text, title).code
    _, new_text, edits = clean_fields(title, text, rules, language, evidence)
    return new_text, edits


def replay(original: str, edits: Iterable[Edit], field: Field = "text") -> str:
    """Rebuild a field's output from its input and the edit log: apply each step's edits in turn."""
    text = original
    by_step: dict[int, list[Edit]] = {}
    for e in edits:
        if e.field == field and e.action != "flagged":
            by_step.setdefault(e.step, []).append(e)
    for step in sorted(by_step):
        batch = sorted(by_step[step], key=lambda e: e.start)
        for e in batch:
            if text[e.start : e.end] != e.before:
                raise ValueError(f"edit log does not match the text at step {step}: {e}")
        text = apply_changes(text, [Change(e.start, e.end, e.after, e.action) for e in batch])
    return text
