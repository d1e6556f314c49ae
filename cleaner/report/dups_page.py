"""The review page of `cleaner dups --format html`: the most costly clusters, each opening to its
members side by side, the passages they share with the representative highlighted and what
differs left plain (a dateline, a footer, a changed word); filters by level and a text search.
Bounded: at most `limit` clusters (the rest are counted), a few members side by side each."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from cleaner.model import Cluster, Member
from cleaner.report.dups import (
    LEVEL_COLUMNS,
    common_dir,
    compact,
    corpus_line,
    cost,
    level_rows,
    ordered,
    place,
    snippet,
)
from cleaner.report.page import page
from cleaner.report.passages import Words, pieces, shared_spans, words

PAGE_LIMIT = 500
SIDE_BY_SIDE = 4  # members shown in full; the others are listed by place
MAX_CHARS = 30_000  # of one member's text on the page

STYLE = """
details.cluster { border-top: 1px solid var(--line); padding: .3em 0; }
details.cluster > summary { cursor: pointer; display: grid; grid-template-columns: 4em 6em 3em 4em 5em 1fr; gap: .5em; }
.members { display: grid; grid-template-columns: repeat(var(--n), minmax(16em, 1fr)); gap: 1em; margin: .5em 0 1em; }
.member h3 { font-size: 1em; margin: 0 0 .3em; word-break: break-all; }
.member .text { white-space: pre-wrap; overflow-wrap: anywhere; }
.rep h3::after { content: " (representative)"; font-weight: normal; opacity: .7; }
"""

SCRIPT = r"""
(function () {
  const clusters = Array.from(document.querySelectorAll('details.cluster'));
  const texts = clusters.map(c => c.textContent.toLowerCase());
  const boxes = Array.from(document.querySelectorAll('input[name=kind]'));
  const search = document.getElementById('q');
  const count = document.getElementById('shown');
  function apply() {
    const kinds = new Set(boxes.filter(b => b.checked).map(b => b.value));
    const q = search.value.trim().toLowerCase();
    let shown = 0;
    clusters.forEach((c, i) => {
      const show = kinds.has(c.dataset.kind) && (!q || texts[i].includes(q));
      c.hidden = !show;
      if (show) shown++;
    });
    count.textContent = shown;
  }
  function save() {
    const kinds = boxes.filter(b => b.checked).map(b => b.value).join(',');
    const open = clusters.filter(c => c.open).map(c => c.dataset.id).join(',');
    const parts = ['kind=' + kinds];
    if (search.value) parts.push('q=' + encodeURIComponent(search.value));
    if (open) parts.push('open=' + open);
    try { history.replaceState(null, '', '#' + parts.join('&')); } catch (e) { /* file:// in some browsers */ }
  }
  // The state lives in the address (#kind=title,document&q=words&open=3): a link or a reload
  // shows the same selection.
  const state = new URLSearchParams(location.hash.slice(1));
  if (state.has('kind')) {
    const kinds = new Set(state.get('kind').split(','));
    boxes.forEach(b => { b.checked = kinds.has(b.value); });
  }
  if (state.has('q')) search.value = state.get('q');
  if (state.has('open')) {
    const open = new Set(state.get('open').split(','));
    clusters.forEach(c => { if (open.has(c.dataset.id)) c.open = true; });
  }
  boxes.forEach(b => b.addEventListener('change', () => { apply(); save(); }));
  search.addEventListener('input', () => { apply(); save(); });
  clusters.forEach(c => c.addEventListener('toggle', save));
  apply();
})();
"""


def _marked(text: str, spans: Sequence[tuple[int, int]]) -> str:
    cut = text[:MAX_CHARS]
    html = "".join(
        f"<mark>{escape(p)}</mark>" if shared else f'<span class="own">{escape(p)}</span>' if p.strip() else escape(p)
        for p, shared in pieces(cut, [(a, min(b, len(cut))) for a, b in spans if a < len(cut)])
    )
    return html + (
        f'<span class="muted"> … ({len(text) - MAX_CHARS} more characters)</span>' if len(text) > MAX_CHARS else ""
    )


def _members(c: Cluster, base: str) -> str:
    """The representative and the first other members side by side: each member's shared
    passages are those it shares with the representative; the representative's, those it
    shares with any member shown."""
    rep = c.members[c.representative]
    others = [m for i, m in enumerate(c.members) if i != c.representative]
    side = others[: SIDE_BY_SIDE - 1]
    rep_words: Words = words(rep.text)
    rep_spans: list[tuple[int, int]] = []
    columns: list[tuple[Member, list[tuple[int, int]], bool]] = []
    for m in side:
        in_rep, in_m = shared_spans(rep_words, words(m.text))
        rep_spans += in_rep
        columns.append((m, in_m, False))
    columns.insert(0, (rep, rep_spans, True))
    cells = "".join(
        f'<article class="member{" rep" if is_rep else ""}" data-doc="{escape(m.doc)}">'
        f'<h3>{escape(place(m, base))}</h3><div class="text">{_marked(m.text, spans)}</div></article>'
        for m, spans, is_rep in columns
    )
    rest = others[SIDE_BY_SIDE - 1 :]
    tail = ""
    if rest:
        places = ", ".join(escape(place(m, base)) for m in rest[:50])
        more = f" and {len(rest) - 50} more" if len(rest) > 50 else ""
        tail = f'<p class="muted">also in this cluster: {places}{more}</p>'
    return f'<div class="members" style="--n: {len(columns)}">{cells}</div>{tail}'


def _cluster(c: Cluster, base: str) -> str:
    rep = c.members[c.representative]
    return (
        f'<details class="cluster" data-id="{c.id}" data-kind="{c.kind}"><summary>'
        f'<span class="num">#{c.id}</span><span>{c.kind}</span><span class="num">{c.size}</span>'
        f'<span class="num">{c.similarity:.2f}</span><span class="num">{compact(cost(c))}</span>'
        f"<span>{escape(snippet(rep.text))}</span></summary>{_members(c, base)}</details>"
    )


def _summary(clusters: Sequence[Cluster], stats: dict[str, Any]) -> str:
    head = "".join(f"<th>{name}</th>" for name in LEVEL_COLUMNS)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in level_rows(clusters, stats)
    )
    return (
        f"<h1>Duplicates: {sum(stats.get('clusters', {}).values())} clusters</h1><p>{escape(corpus_line(stats))}</p>"
        f"<table><tr>{head}</tr>{rows}</table>"
    )


def dups_page(clusters: Sequence[Cluster], stats: dict[str, Any], limit: int = PAGE_LIMIT) -> str:
    """The page: the summary, then the `limit` most costly clusters (0: all)."""
    rows = ordered(clusters, "cost")
    shown = rows if limit <= 0 else rows[:limit]
    base = common_dir(shown)
    kinds = list(stats.get("clusters", {})) or sorted({c.kind for c in clusters})
    boxes = "".join(f'<label><input type="checkbox" name="kind" value="{k}" checked> {k}</label>' for k in kinds)
    left = len(rows) - len(shown)
    note = (
        f'<p id="left">{left} less costly clusters are not on this page: --limit 0 puts all on it,'
        " --format json lists every one.</p>"
        if left
        else ""
    )
    head = "columns: id, level, members, similarity, members × length (the duplicated text), the representative's start"
    body = (
        f"<header>{_summary(clusters, stats)}</header>"
        f'<div class="controls">{boxes}<input type="search" id="q" placeholder="search the text">'
        f' <span id="shown">{len(shown)}</span> of {len(shown)} clusters shown, the most costly first'
        f"{f'; paths under {escape(base)}/' if base else ''}</div>"
        f'<p class="muted">{head}</p><main>{"".join(_cluster(c, base) for c in shown)}</main>{note}'
    )
    return page("cleaner dups", body, STYLE, SCRIPT)
