"""Clusters whose members know only where they are (article number, paragraph number) given
their records and texts, from a second read of the input.

The finder in bounded memory and the Ray engine keep no texts: their clusters' members are
placeholders until the report. At a million articles there are about a million members in half
a million clusters, and as Python objects (a member, its id, its numbers, where its text is)
they take some 350 bytes each. So the clusters are kept as arrays: each distinct place is one
64-bit key in a sorted array, with its record, line, file and id beside it (about 70 bytes),
and a cluster's members are made when the cluster is asked for (`Clusters`), so a report that
goes through the clusters one at a time holds a few of them at once, not all.
"""

from __future__ import annotations

from abc import abstractmethod
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

from cleaner.dedup.arrays import ranges
from cleaner.dedup.cluster import Table
from cleaner.dedup.texts import TextRef, TextSpill
from cleaner.model import Cluster, Document, Kind, Member, Origin
from cleaner.text import split_paragraphs

_KINDS: tuple[Kind, ...] = ("title", "paragraph", "document")


def member_of(doc: Document, index: int, paragraph: int | None, text: str | TextRef) -> Member:
    return Member(doc.id, doc.origin.path, doc.origin.record, doc.origin.line, paragraph, text, index)


def _place_of(key: int, stride: int) -> tuple[int, int | None]:
    """A place's article and paragraph (None: a title or a whole article), from its key (see
    `_Shapes`)."""
    index, rest = divmod(key, stride)
    paragraph = rest // len(_KINDS) - 1
    return index, None if paragraph < 0 else paragraph


# A level's clusters (`cluster.Table`) with its members' articles and paragraph numbers (-1: none).
Located = tuple[Table, np.ndarray, np.ndarray]
# The report's order of levels: articles first, then titles, then paragraphs.
KIND_ORDER = {"document": 0, "title": 1, "paragraph": 2}


class _Shapes:
    """The clusters without their members: cluster k's members are the places
    `slots[start[k] : start[k + 1]]` (rows of `_Places`), each made from its article and
    paragraph number (-1: none) and its cluster's kind."""

    def __init__(
        self,
        ids: np.ndarray,
        kinds: np.ndarray,
        start: np.ndarray,
        representatives: np.ndarray,
        similarities: np.ndarray,
        articles: np.ndarray,
        numbers: np.ndarray,
    ) -> None:
        self.ids, self.kinds, self.start = ids, kinds, start
        self.representatives, self.similarities = representatives, similarities
        # A place's key: article, then paragraph + 1, then kind, in a stride per article.
        self.stride = (int(numbers.max()) + 2 if len(numbers) else 1) * len(_KINDS)
        if len(articles) and int(articles.max()) >= 2**62 // self.stride:
            raise ValueError("too many articles and paragraphs to number each member's place in 64 bits")
        kinds_of = np.repeat(kinds.astype(np.int64), np.diff(start))
        self.keys = articles * self.stride + (numbers + 1) * len(_KINDS) + kinds_of

    @classmethod
    def of_clusters(cls, clusters: Sequence[Cluster]) -> _Shapes:
        ids, kinds, sizes, representatives, similarities = (array(t) for t in "qbqqd")
        index, paragraph = array("q"), array("q")
        for c in clusters:
            ids.append(c.id)
            kinds.append(_KINDS.index(c.kind))
            sizes.append(len(c.members))
            representatives.append(c.representative)
            similarities.append(c.similarity)
            for m in c.members:
                index.append(m.index)
                paragraph.append(-1 if m.paragraph is None else m.paragraph)
        start = np.concatenate([[0], np.cumsum(np.frombuffer(sizes, dtype=np.int64))]).astype(np.int64)
        return cls(
            *(np.frombuffer(x, dtype=t) for x, t in ((ids, np.int64), (kinds, np.int8))),
            start,
            np.frombuffer(representatives, dtype=np.int64),
            np.frombuffer(similarities, dtype=np.float64),
            *(np.frombuffer(x, dtype=np.int64) for x in (index, paragraph)),
        )

    @classmethod
    def of_tables(cls, levels: Sequence[Located]) -> _Shapes:
        """Each level's table with its members' articles and paragraph numbers (-1: none), in
        report order (level, then first member) and numbered from 1."""

        def joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

        kinds = joined([np.full(len(t), _KINDS.index(t.kind)) for t, _, _ in levels], np.int8)
        sizes = joined([np.diff(t.start) for t, _, _ in levels], np.int64)
        reps = joined([t.representative for t, _, _ in levels], np.int64)
        sims = joined([t.similarity for t, _, _ in levels], np.float64)
        articles = joined([a for _, a, _ in levels], np.int64)
        numbers = joined([n for _, _, n in levels], np.int64)
        first = np.cumsum(sizes) - sizes  # each cluster's first member
        order_of_kind = np.array([KIND_ORDER[k] for k in _KINDS])[kinds.astype(np.int64)]
        order = np.lexsort((np.maximum(numbers[first], 0), articles[first], order_of_kind))
        moved = ranges(first[order], sizes[order])  # the members, cluster by cluster in that order
        start = np.concatenate([[0], np.cumsum(sizes[order])]).astype(np.int64)
        ids = np.arange(1, len(order) + 1, dtype=np.int64)
        return cls(ids, kinds[order], start, reps[order], sims[order], articles[moved], numbers[moved])

    def __len__(self) -> int:
        return len(self.ids)

    def counts(self) -> dict[str, int]:
        """Clusters per level."""
        found = np.bincount(self.kinds.astype(np.int64), minlength=len(_KINDS))
        return {kind: int(found[k]) for k, kind in enumerate(_KINDS)}


class _Made(Sequence[Cluster]):
    """Clusters made from `_Shapes` when asked for (and not kept: two asks give two equal
    clusters): cluster k with the members `_members(k)`."""

    shapes: _Shapes | None

    def __len__(self) -> int:
        return 0 if self.shapes is None else len(self.shapes)

    @abstractmethod
    def _members(self, k: int) -> tuple[Member, ...]: ...

    @overload
    def __getitem__(self, k: int) -> Cluster: ...

    @overload
    def __getitem__(self, k: slice) -> list[Cluster]: ...

    def __getitem__(self, k):  # type: ignore[no-untyped-def]
        if isinstance(k, slice):
            return [self[j] for j in range(*k.indices(len(self)))]
        if not -len(self) <= k < len(self):
            raise IndexError(k)
        k %= len(self)
        s = self.shapes
        assert s is not None
        kind = _KINDS[int(s.kinds[k])]
        return Cluster(int(s.ids[k]), kind, self._members(k), int(s.representatives[k]), float(s.similarities[k]))

    def __iter__(self) -> Iterator[Cluster]:
        return (self[k] for k in range(len(self)))


class Placeholders(_Made):
    """The clusters found, their members knowing only where they are (`Member.index`,
    `paragraph`) until `fill_places` gives them their records and texts; emptied (as a list
    would be) when it does."""

    def __init__(self, shapes: _Shapes) -> None:
        self.shapes = shapes

    def clear(self) -> None:
        self.shapes = None

    def counts(self) -> dict[str, int]:
        return {} if self.shapes is None else self.shapes.counts()

    def _members(self, k: int) -> tuple[Member, ...]:
        s = self.shapes
        assert s is not None
        places = (_place_of(key, s.stride) for key in s.keys[s.start[k] : s.start[k + 1]].tolist())
        return tuple(Member("", "", 0, None, paragraph, "", index) for index, paragraph in places)


def placeholders(levels: Sequence[Located]) -> Placeholders:
    """The clusters of each level's table, with its members' articles and paragraph numbers
    (-1: none), in report order and numbered (see `_Shapes.of_tables`)."""
    return Placeholders(_Shapes.of_tables(levels))


class _Places:
    """What a report shows of each distinct place, as arrays: row r is the place `keys[r]`."""

    def __init__(self, keys: np.ndarray, stride: int, spill: TextSpill | None) -> None:
        n = len(keys)
        self.keys, self.stride, self.spill = keys, stride, spill
        self.record, self.line = np.zeros(n, np.int64), np.full(n, -1, np.int64)
        self.path, self.id_at, self.id_len = np.full(n, -1, np.int32), np.zeros(n, np.int64), np.zeros(n, np.int64)
        self.text_at, self.text_len = np.zeros(n, np.int64), np.zeros(n, np.int64)
        self.paths: list[str] = []
        self._path_ids: dict[str, int] = {}
        self.ids = bytearray()
        self.kept: dict[int, str] = {}  # the texts kept in memory, by row

    def fill(self, row: int, doc: str, origin: Origin, text: str) -> None:
        path = self._path_ids.setdefault(origin.path, len(self._path_ids))
        if path == len(self.paths):
            self.paths.append(origin.path)
        self.path[row], self.record[row] = path, origin.record
        self.line[row] = -1 if origin.line is None else origin.line
        data = doc.encode("utf-8", "surrogatepass")
        self.id_at[row], self.id_len[row] = len(self.ids), len(data)
        self.ids += data
        stored = self.spill.put(text) if self.spill is not None else text
        if isinstance(stored, TextRef):
            self.text_at[row], self.text_len[row] = stored.offset, stored.length
        else:
            self.kept[row] = stored

    def member(self, row: int) -> Member:
        index, paragraph = _place_of(int(self.keys[row]), self.stride)
        at = int(self.id_at[row])
        doc = self.ids[at : at + int(self.id_len[row])].decode("utf-8", "surrogatepass")
        line = int(self.line[row])
        stored = self.kept.get(row)
        if stored is None:
            stored = TextRef(self.spill, int(self.text_at[row]), int(self.text_len[row]))  # type: ignore[arg-type]
        path = self.paths[int(self.path[row])]
        return Member(doc, path, int(self.record[row]), None if line < 0 else line, paragraph, stored, index)


class Clusters(_Made):
    """The clusters with their members' records and texts."""

    def __init__(self, shapes: _Shapes, places: _Places, slots: np.ndarray) -> None:
        self.shapes, self.places, self.slots = shapes, places, slots

    def _members(self, k: int) -> tuple[Member, ...]:
        s = self.shapes
        assert s is not None
        return tuple(self.places.member(r) for r in self.slots[s.start[k] : s.start[k + 1]].tolist())


@dataclass(frozen=True)
class Wanted:
    """The places a report needs, by article: article `articles[j]` (ascending) has the place
    codes `codes[bounds[j] : bounds[j + 1]]`, each `(paragraph + 1) * 3 + kind`, the paragraph -1
    for a title or a whole article (as `_Shapes` keys places). Arrays, so that a part of them
    goes to a worker as three buffers."""

    articles: np.ndarray
    bounds: np.ndarray
    codes: np.ndarray

    def codes_of(self, j: int) -> list[int]:
        return self.codes[self.bounds[j] : self.bounds[j + 1]].tolist()

    def part(self, lo: int, hi: int, first: int = 0) -> Wanted:
        """The articles numbered `lo` to `hi` (exclusive), numbered from `first` on."""
        a, b = np.searchsorted(self.articles, [lo, hi])
        bounds = self.bounds[a : b + 1]
        return Wanted(self.articles[a:b] - first, bounds - bounds[0], self.codes[bounds[0] : bounds[-1]])


@dataclass(frozen=True)
class PlaceTexts:
    """One article read again, as the report needs it: its id and origin, the texts of the
    places asked for (in the order of their codes), and how many paragraphs it has when asked."""

    index: int
    doc: str
    origin: Origin
    texts: tuple[str, ...]
    paragraphs: int | None = None


def place_texts(index: int, doc: Document, codes: Sequence[int], count: bool = False) -> PlaceTexts:
    """What `codes` (see `Wanted`) name in `doc`: a paragraph's text, the title, or the text."""
    paragraphs = split_paragraphs(doc.text) if count or any(c >= len(_KINDS) for c in codes) else None
    texts = []
    for code in codes:
        k, kind = divmod(code, len(_KINDS))
        if _KINDS[kind] == "paragraph":
            a, b, _ = paragraphs[k - 1]  # type: ignore[index]
            texts.append(doc.text[a:b])
        else:
            texts.append((doc.title or "") if _KINDS[kind] == "title" else doc.text)
    counted = len(paragraphs) if count and paragraphs is not None else None
    return PlaceTexts(index, doc.id, doc.origin, tuple(texts), counted)


def fill_members(
    clusters: list[Cluster] | Placeholders,
    read: Callable[[set[int]], Iterable[tuple[int, Document]]],
    spill: TextSpill | None = None,
) -> Clusters:
    """`clusters` with their members' records and texts, from `read(articles)`: the documents
    at those article numbers, read again; with `spill`, each text put aside there (the members
    keep where it is). `clusters` is emptied: its placeholders are not kept beside the arrays
    that replace them."""

    def found(wanted: Wanted) -> Iterator[PlaceTexts]:
        for i, doc in read(set(wanted.articles.tolist())):
            j = int(np.searchsorted(wanted.articles, i))
            if j < len(wanted.articles) and wanted.articles[j] == i:
                yield place_texts(i, doc, wanted.codes_of(j))

    return fill_places(clusters, found, spill)


def fill_places(
    clusters: list[Cluster] | Placeholders,
    read: Callable[[Wanted], Iterable[PlaceTexts]],
    spill: TextSpill | None = None,
) -> Clusters:
    """`fill_members`, where `read(wanted)` gives the texts of the places themselves (a worker
    that reads the articles sends only those, not whole documents)."""
    shapes = clusters.shapes if isinstance(clusters, Placeholders) else _Shapes.of_clusters(clusters)
    clusters.clear()
    assert shapes is not None, "the members of these clusters were filled already"
    stride = shapes.stride
    keys = np.unique(shapes.keys)
    articles, bounds = np.unique(keys // stride, return_index=True)
    wanted = Wanted(articles, np.append(bounds, len(keys)), keys % stride)
    places = _Places(keys, stride, spill)
    filled = np.zeros(len(keys), dtype=bool)
    for found in read(wanted):
        j = int(np.searchsorted(articles, found.index))
        asked = j < len(articles) and articles[j] == found.index
        lo, hi = (int(wanted.bounds[j]), int(wanted.bounds[j + 1])) if asked else (0, 0)
        if not asked or len(found.texts) != hi - lo:
            raise RuntimeError(f"article {found.index} was read again with other places than were asked for")
        for row, text in zip(range(lo, hi), found.texts, strict=True):
            places.fill(row, found.doc, found.origin, text)
            filled[row] = True
    if not filled.all():
        missing = int(keys[np.argmin(filled)]) // stride
        raise RuntimeError(f"article {missing} was not found when the input was read again")
    if spill is not None:
        spill.finish()  # a full disk stops the run here, before any output is written
    slots = np.searchsorted(keys, shapes.keys)
    del shapes.keys  # the slots say it now
    return Clusters(shapes, places, slots)
