"""The review page of `cleaner clean --review FILE`: per rule, its edits and flagged places in
their context (the text around them, what went and what came, the rule's evidence), filters by rule and by action, so
a person can judge the rules on their own corpus. Bounded: the first `per_rule` edits of each rule
in input order are on the page, the rest are counted (the edit log, `--edits`, has them all)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from cleaner.io.writers import atomic_output
from cleaner.model import CleanResult, Edit
from cleaner.normalize.engine import apply_changes
from cleaner.normalize.registry import Change, Rule
from cleaner.report.page import page

PER_RULE = 100
CONTEXT = 100  # characters shown on each side of an edit
ACTIONS = ("fixed", "removed", "flagged")


@dataclass(frozen=True)
class Shown:
    """One edit as the page shows it: where, and the text around it as it was when the rule ran."""

    place: str
    edit: Edit
    left: str
    right: str


@dataclass
class Review:
    rules: Sequence[Rule]
    per_rule: int = PER_RULE
    shown: dict[str, list[Shown]] = field(default_factory=dict)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (rule, action)
    documents: int = 0

    def add(self, r: CleanResult) -> None:
        self.documents += 1
        for e in r.edits:
            self.counts[e.rule, e.action] += 1
        if not any(len(self.shown.get(e.rule, ())) < self.per_rule for e in r.edits):
            return
        o = r.original.origin
        place = f"{o.path}:{o.line if o.line is not None else o.record}"
        found = [
            item
            for f, text in (("title", r.original.title or ""), ("text", r.original.text))
            for item in in_context([e for e in r.edits if e.field == f], text)
        ]
        order = {id(e): i for i, e in enumerate(r.edits)}  # the page lists them as the edit log does
        for e, left, right in sorted(found, key=lambda x: order[id(x[0])]):
            kept = self.shown.setdefault(e.rule, [])
            if len(kept) < self.per_rule:
                kept.append(Shown(place, e, left, right))


def in_context(edits: Sequence[Edit], original: str) -> Iterator[tuple[Edit, str, str]]:
    """Each edit of one field with the text to its left and right, as the text was just before
    its step: the steps are replayed from the original (edit offsets are in that text)."""
    text = original
    steps = sorted({e.step for e in edits})
    for step in steps:
        batch = sorted((e for e in edits if e.step == step), key=lambda e: (e.start, e.end))
        for e in batch:
            yield e, text[max(0, e.start - CONTEXT) : e.start], text[e.end : e.end + CONTEXT]
        changes = [Change(e.start, e.end, e.after, e.action) for e in batch if e.action != "flagged"]
        text = apply_changes(text, changes)


STYLE = """
section.rule { border-top: 1px solid var(--line); margin-top: 1em; }
section.rule h2 { font-size: 1.1em; margin: .6em 0 .2em; } .summary { margin: 0 0 .5em; }
.edit { display: grid; grid-template-columns: 14em 5em 1fr 1fr; gap: .8em; padding: .3em 0; }
.edit { border-top: 1px dotted var(--line); }
.edit .place { word-break: break-all; } .ctx { white-space: pre-wrap; overflow-wrap: anywhere; }
del { background: var(--own); } ins { background: var(--mark); text-decoration: none; }
.flag { outline: 2px solid var(--own); }
"""

SCRIPT = r"""
(function () {
  const boxes = Array.from(document.querySelectorAll('input[name=rule], input[name=action]'));
  const count = document.getElementById('shown');
  function apply() {
    const on = name => new Set(boxes.filter(b => b.name === name && b.checked).map(b => b.value));
    const rules = on('rule'), actions = on('action');
    let shown = 0;
    document.querySelectorAll('section.rule').forEach(s => {
      let here = 0;
      s.querySelectorAll('.edit').forEach(e => {
        const show = rules.has(s.dataset.rule) && actions.has(e.dataset.action);
        e.hidden = !show;
        if (show) here++;
      });
      s.hidden = here === 0;
      shown += here;
    });
    count.textContent = shown;
  }
  // #rule=a,b&action=flagged selects as the boxes do: a link shows the same selection.
  const state = new URLSearchParams(location.hash.slice(1));
  for (const name of ['rule', 'action']) {
    if (state.has(name)) {
      const on = new Set(state.get(name).split(','));
      boxes.filter(b => b.name === name).forEach(b => { b.checked = on.has(b.value); });
    }
  }
  boxes.forEach(b => b.addEventListener('change', apply));
  apply();
})();
"""


def _edit(s: Shown) -> str:
    e = s.edit
    left = f"{'…' if len(s.left) == CONTEXT else ''}{escape(s.left)}"
    right = f"{escape(s.right)}{'…' if len(s.right) == CONTEXT else ''}"
    if e.action == "flagged":
        before = f'{left}<mark class="flag">{escape(e.before)}</mark>{right}'
        after = '<span class="muted">left in place, for review</span>'
    else:
        before = f"{left}<del>{escape(e.before)}</del>{right}"
        after = f"{left}<ins>{escape(e.after)}</ins>{right}"
    if e.evidence:
        after += f'<div class="evidence muted">evidence: {escape(e.evidence)}</div>'
    return (
        f'<div class="edit" data-action="{e.action}"><span class="place">{escape(s.place)}'
        f' <span class="muted">{e.field}</span></span><span>{e.action}</span>'
        f'<div class="ctx before">{before}</div><div class="ctx after">{after}</div></div>'
    )


def _section(rule: Rule, review: Review) -> str:
    shown = review.shown.get(rule.name, [])
    counts = {a: review.counts[rule.name, a] for a in ACTIONS if review.counts[rule.name, a]}
    total = sum(counts.values())
    said = ", ".join(f"{n} {a}" for a, n in counts.items())
    left = total - len(shown)
    tail = f'<p class="muted left">and {left} more (the edit log, --edits, has every one)</p>' if left else ""
    return (
        f'<section class="rule" data-rule="{escape(rule.name)}"><h2>{escape(rule.name)}'
        f' <span class="muted">{escape(rule.family)}: {said}</span></h2>'
        f'<p class="summary">{escape(rule.summary)}</p>{"".join(_edit(s) for s in shown)}{tail}</section>'
    )


def clean_page(review: Review) -> str:
    used = [r for r in review.rules if any(review.counts[r.name, a] for a in ACTIONS)]
    rule_boxes = "".join(
        f'<label><input type="checkbox" name="rule" value="{escape(r.name)}" checked> {escape(r.name)}</label>'
        for r in used
    )
    action_boxes = "".join(
        f'<label><input type="checkbox" name="action" value="{a}" checked> {a}</label>' for a in ACTIONS
    )
    on_page = sum(len(v) for v in review.shown.values())
    total = sum(review.counts.values())
    body = (
        f"<header><h1>Edits: {total} in {review.documents} records</h1>"
        f"<p>{len(used)} rules made edits or flagged places; the first {review.per_rule} of each rule are here,"
        " in input order, each in the text as it was when the rule ran.</p></header>"
        f'<div class="controls"><p>{rule_boxes}</p><p>{action_boxes}'
        f' <span id="shown">{on_page}</span> of {on_page} edits shown</p></div>'
        f"<main>{''.join(_section(r, review) for r in used)}</main>"
    )
    return page("cleaner clean: review", body, STYLE, SCRIPT)


@contextmanager
def review_page(
    path: Path | None, rules: Sequence[Rule], then: Callable[[CleanResult], None] | None = None
) -> Iterator[Callable[[CleanResult], None] | None]:
    """A function to give each result to (it calls `then` too), and at the end of the block the
    page written to `path`, atomically. Without a path: `then` itself."""
    if path is None:
        yield then
        return
    review = Review(rules)

    def add(r: CleanResult) -> None:
        review.add(r)
        if then is not None:
            then(r)

    yield add
    with atomic_output(path) as fh:
        fh.write(clean_page(review).encode("utf-8"))
