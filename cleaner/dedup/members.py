"""Clusters whose members know only where they are (article number, paragraph number) given
their records and texts, from a second read of the input.

The finder in bounded memory and the Ray engine keep no texts: their clusters' members are
placeholders until the report. At a million articles there are about a million members in half
a million clusters, so what the filling holds beside the placeholders counts: each distinct place
is one 64-bit key in a sorted array (not a dict of tuples and sets), and the placeholders are let
go as soon as their places are read off.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from cleaner.dedup.texts import TextRef, TextSpill
from cleaner.model import Cluster, Document, Kind, Member
from cleaner.text import split_paragraphs

_KINDS: tuple[Kind, ...] = ("title", "paragraph", "document")


def member_of(doc: Document, index: int, paragraph: int | None, text: str | TextRef) -> Member:
    return Member(doc.id, doc.origin.path, doc.origin.record, doc.origin.line, paragraph, text, index)


@dataclass(frozen=True)
class _Shape:
    """A cluster without its members: they are `places[start : start + size]`."""

    id: int
    kind: Kind
    start: int
    size: int
    representative: int
    similarity: float


def fill_members(
    clusters: list[Cluster],
    read: Callable[[set[int]], Iterable[tuple[int, Document]]],
    spill: TextSpill | None = None,
) -> list[Cluster]:
    """`clusters` with their members' records and texts, from `read(articles)`: the documents
    at those article numbers, read again; with `spill`, each text put aside there (the members
    keep where it is). `clusters` is emptied: its placeholders are not kept beside the members
    that replace them."""
    keep = spill.put if spill is not None else str
    shapes, places, stride = _shapes(clusters)
    clusters.clear()
    wanted = np.unique(places)
    made: list[Member | None] = [None] * len(wanted)
    for i, doc in read({int(a) for a in np.unique(wanted // stride)}):
        lo, hi = np.searchsorted(wanted, [i * stride, (i + 1) * stride])
        for at in range(int(lo), int(hi)):
            k, kind = divmod(int(wanted[at]) - i * stride, len(_KINDS))
            paragraph = k - 1 if k else None
            if _KINDS[kind] == "paragraph":
                a, b, _ = split_paragraphs(doc.text)[paragraph or 0]
                text = doc.text[a:b]
            else:
                text = (doc.title or "") if _KINDS[kind] == "title" else doc.text
            made[at] = member_of(doc, i, paragraph, keep(text))
    if None in made:
        missing = int(wanted[made.index(None)]) // stride
        raise RuntimeError(f"article {missing} was not found when the input was read again")
    if spill is not None:
        spill.finish()  # a full disk stops the run here, before any output is written
    at = np.searchsorted(wanted, places).tolist()
    return [
        Cluster(s.id, s.kind, tuple(made[k] for k in at[s.start : s.start + s.size]), s.representative, s.similarity)  # type: ignore[misc]
        for s in shapes
    ]


def _shapes(clusters: list[Cluster]) -> tuple[list[_Shape], np.ndarray, int]:
    """The clusters' shapes, every member's place as one key (article, then paragraph + 1,
    then kind, in a stride per article), and that stride."""
    shapes: list[_Shape] = []
    index, paragraph, kind = array("q"), array("q"), array("q")
    for c in clusters:
        shapes.append(_Shape(c.id, c.kind, len(index), len(c.members), c.representative, c.similarity))
        code = _KINDS.index(c.kind)
        for m in c.members:
            index.append(m.index)
            paragraph.append(-1 if m.paragraph is None else m.paragraph)
            kind.append(code)
    articles, numbers, kinds = (np.frombuffer(x, dtype=np.int64) for x in (index, paragraph, kind))
    stride = (int(numbers.max()) + 2 if len(numbers) else 1) * len(_KINDS)
    if len(articles) and int(articles.max()) >= 2**62 // stride:
        raise ValueError("too many articles and paragraphs to number each member's place in 64 bits")
    return shapes, articles * stride + (numbers + 1) * len(_KINDS) + kinds, stride
