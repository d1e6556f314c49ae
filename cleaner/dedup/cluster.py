"""From verified pairs to clusters: connected components, a deterministic representative, and
each cluster's similarity to its representative."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from cleaner.dedup.arrays import sorted_distinct
from cleaner.model import Cluster, Kind, Member


def components(pairs: np.ndarray) -> list[list[int]]:
    """The connected components of the graph whose edges are `pairs` (k x 2), each sorted, in
    the order of their smallest items."""
    return _components(pairs)[0]


def _components(pairs: np.ndarray) -> tuple[list[list[int]], np.ndarray, list[int]]:
    """`components`, and the pairs ordered by component: component g's own pairs are
    `ordered[at[g] : at[g + 1]]`.

    A forest of pointers to smaller items, in numpy: in each round, the root of each edge's larger
    end is hooked under its other end's root, then every item is pointed straight at its root (a
    few jumps). Each round at least halves the trees of a component, so a component of n items
    takes about log2(n) rounds, whatever the shape and numbering of the graph (labels merely
    lowered across edges take a round per few items of a long path in random order)."""
    if not len(pairs):
        return [], pairs, [0]
    items = sorted_distinct(pairs.ravel())
    a, b = np.searchsorted(items, pairs[:, 0]), np.searchsorted(items, pairs[:, 1])
    root = np.arange(len(items))
    ea, eb = a, b
    while True:
        ra, rb = root[ea], root[eb]
        apart = ra != rb
        if not apart.any():
            break
        ea, eb, ra, rb = ea[apart], eb[apart], ra[apart], rb[apart]
        np.minimum.at(root, np.maximum(ra, rb), np.minimum(ra, rb))
        while True:
            up = root[root]
            if np.array_equal(up, root):
                break
            root = up
    # Items and pairs ordered by their component's root, which is its smallest item.
    order = np.argsort(root, kind="stable")  # items ascending within each component
    ordered = items[order].tolist()
    bounds = [0, *(np.flatnonzero(np.diff(root[order])) + 1).tolist(), len(ordered)]
    pair_root = root[a]
    pair_order = np.argsort(pair_root, kind="stable")
    at = [*np.searchsorted(pair_root[pair_order], root[order][bounds[:-1]]).tolist(), len(pairs)]
    return [ordered[s:e] for s, e in zip(bounds, bounds[1:], strict=False)], pairs[pair_order], at


@dataclass
class Table:
    """One level's clusters as arrays: cluster c's members are the level's items
    `items[start[c] : start[c + 1]]`, in item order; its representative is the member at
    `representative[c]` (a position in the cluster), and `similarity[c]` is the least similarity
    of a member to it. At a million articles there are a million members: as arrays they take
    24 bytes each, as `Member` objects some 350."""

    kind: Kind
    start: np.ndarray
    items: np.ndarray
    representative: np.ndarray
    similarity: np.ndarray

    def __len__(self) -> int:
        return len(self.start) - 1


def cluster_table(
    kind: Kind,
    pairs: np.ndarray | Iterable[tuple[int, int]],
    similarity: Callable[[int, int], float],
    accept: Callable[[int, int], bool],
    keep: str = "first",
    length: Callable[[int], int] | None = None,
) -> Table:
    """The clusters of the items joined by `pairs` (already verified; k x 2, or tuples).

    Connected components alone would chain: A~B and B~C put A and C together however unlike they are (a
    short text contained in two unrelated articles joins them). So every member must also pass
    `accept` against its cluster's representative; members that do not are clustered again among
    themselves, with the pairs between them. Items are numbered in input order (article, then
    paragraph), as the finder numbers them: members are listed in it, and the representative is
    the first (or, with `keep="longest"`, the longest by `length(i)`, first among equals)."""
    if keep != "first" and length is None:
        raise ValueError("keep='longest' needs the items' lengths")
    edges = np.asarray(pairs if isinstance(pairs, np.ndarray) else list(pairs), dtype=np.int64).reshape(-1, 2)
    sizes, items, reps, sims = array("q"), array("q"), array("q"), array("d")
    pending = [edges]
    while pending:
        groups, by_group, at = _components(pending.pop())
        for g, group in enumerate(groups):  # each in item order, which is input order
            rep = group[0] if keep == "first" else group[max(range(len(group)), key=lambda k: (length(group[k]), -k))]  # type: ignore[misc]
            members = [i for i in group if i == rep or accept(rep, i)]
            if len(group) - len(members) > 1:
                joined = set(members)
                rest = np.array([i for i in group if i not in joined], dtype=np.int64)
                # The pairs among those left out, clustered again among themselves.
                own = by_group[at[g] : at[g + 1]]
                pending.append(own[np.isin(own[:, 0], rest) & np.isin(own[:, 1], rest)])
            if len(members) > 1:
                sizes.append(len(members))
                items.extend(members)
                reps.append(members.index(rep))
                sims.append(min(similarity(rep, i) for i in members if i != rep))
    start = np.concatenate([[0], np.cumsum(np.frombuffer(sizes, dtype=np.int64))]).astype(np.int64)
    return Table(
        kind,
        start,
        np.frombuffer(items, dtype=np.int64),
        np.frombuffer(reps, dtype=np.int64),
        np.frombuffer(sims, dtype=np.float64),
    )


def build_clusters(
    kind: Kind,
    items: Sequence[Member],
    pairs: np.ndarray | Iterable[tuple[int, int]],
    similarity: Callable[[int, int], float],
    accept: Callable[[int, int], bool],
    keep: str = "first",
    length: Callable[[int], int] | None = None,
) -> list[Cluster]:
    """`cluster_table`'s clusters with their members: `items[i]` for item i (by default, its
    length is that of its text)."""
    if length is None:
        length = lambda i: len(items[i].text)  # noqa: E731
    return clusters_of(cluster_table(kind, pairs, similarity, accept, keep, length), items.__getitem__)


def clusters_of(table: Table, member: Callable[[int], Member]) -> list[Cluster]:
    """The table's clusters, item i as the member `member(i)`, unnumbered (`id` 0)."""
    bounds = table.start.tolist()
    sims, reps = table.similarity.tolist(), table.representative.tolist()
    return [
        Cluster(0, table.kind, tuple(member(i) for i in table.items[a:b].tolist()), r, s)
        for a, b, r, s in zip(bounds[:-1], bounds[1:], reps, sims, strict=True)
    ]
