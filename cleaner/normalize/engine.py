"""The normalizer: run the selected rules over a document until nothing changes.

Rules run in registry order, title first then text, and the whole sequence repeats until a pass
changes nothing (a fixed point), so cleaning a cleaned document changes nothing. A rule is not
re-run on text it has already left unchanged, which keeps the common case (clean text) at one
pass of each rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cleaner.errors import CleanerError
from cleaner.model import CleanResult, Document, Edit, Field
from cleaner.normalize.registry import Change, Rule, select_rules

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


def clean_fields(title: str | None, text: str, rules: Sequence[Rule]) -> tuple[str | None, str, tuple[Edit, ...]]:
    """Clean a title and body with `rules`; return the new title, new text and the edit log."""
    state: dict[Field, str | None] = {"title": title, "text": text}
    edits: list[Edit] = []
    flagged: set[tuple[str, str, str]] = set()
    left_alone: dict[tuple[str, Field], str] = {}
    step = 0
    for _ in range(MAX_PASSES):
        changed = False
        for r in rules:
            for field in r.fields:
                current = state[field]
                if current is None or left_alone.get((r.name, field)) == current:
                    continue
                changes = _checked(r, current, r.fn(current, state["title"]))
                real = [c for c in changes if c.action != "flagged" and current[c.start : c.end] != c.after]
                for c in changes:
                    if c.action == "flagged" and (r.name, field, current[c.start : c.end]) not in flagged:
                        flagged.add((r.name, field, current[c.start : c.end]))
                        edits.append(Edit(r.name, "flagged", c.start, c.end, current[c.start : c.end], current[c.start : c.end], field, step))
                if not real:
                    left_alone[(r.name, field)] = current
                    continue
                step += 1
                edits.extend(Edit(r.name, c.action, c.start, c.end, current[c.start : c.end], c.after, field, step) for c in real)
                state[field] = apply_changes(current, real)
                changed = True
        if not changed:
            return state["title"], state["text"] or "", tuple(edits)
    raise NotConverging(f"rules did not reach a fixed point in {MAX_PASSES} passes")


def clean_document(doc: Document, rules: Sequence[Rule] | None = None) -> CleanResult:
    rules = select_rules() if rules is None else rules
    title, text, edits = clean_fields(doc.title, doc.text, rules)
    return CleanResult(original=doc, document=doc.with_content(title, text), edits=edits)


def clean_text(text: str, title: str | None = None, rules: Sequence[Rule] | None = None) -> tuple[str, tuple[Edit, ...]]:
    """Clean a bare body text (the title, if given, is context and is cleaned too)."""
    rules = select_rules() if rules is None else rules
    _, new_text, edits = clean_fields(title, text, rules)
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
