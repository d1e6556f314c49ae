"""From verified pairs to clusters: union-find, a deterministic representative, and each
cluster's similarity to its representative."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from cleaner.model import Cluster, Kind, Member


class UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller index becomes the root, so roots are deterministic.
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[list[int]]:
        out: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            out.setdefault(self.find(i), []).append(i)
        return [g for g in out.values() if len(g) > 1]


def build_clusters(
    kind: Kind,
    items: Sequence[Member],
    pairs: Iterable[tuple[int, int]],
    similarity: Callable[[int, int], float],
    keep: str = "first",
) -> list[Cluster]:
    """Clusters of `items` joined by `pairs` (already verified). Members are in input order; the
    representative is the first (or, with `keep="longest"`, the longest, first among equals)."""
    uf = UnionFind(len(items))
    for a, b in pairs:
        uf.union(a, b)
    clusters = []
    for group in uf.groups():
        group.sort(key=lambda i: (items[i].index, items[i].paragraph or 0))
        rep = 0 if keep == "first" else max(range(len(group)), key=lambda k: (len(items[group[k]].text), -k))
        sims = [similarity(group[rep], i) for k, i in enumerate(group) if k != rep]
        clusters.append(Cluster(0, kind, tuple(items[i] for i in group), rep, min(sims) if sims else 1.0))
    return clusters
