"""From verified pairs to clusters: union-find, a deterministic representative, and each
cluster's similarity to its representative."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from cleaner.model import Cluster, Kind, Member


class UnionFind:
    """Union-find over whatever hashable items are joined (only those: a corpus of 200,000
    paragraphs with 10,000 repeated ones costs 10,000 entries, not 200,000)."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        parent.setdefault(x, x)
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller index becomes the root, so roots are deterministic.
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[list[int]]:
        out: dict[int, list[int]] = {}
        for x in sorted(self.parent):
            out.setdefault(self.find(x), []).append(x)
        return [g for g in out.values() if len(g) > 1]


def build_clusters(
    kind: Kind,
    items: Sequence[Member],
    pairs: Iterable[tuple[int, int]],
    similarity: Callable[[int, int], float],
    accept: Callable[[int, int], bool],
    keep: str = "first",
) -> list[Cluster]:
    """Clusters of `items` joined by `pairs` (already verified).

    Union-find alone would chain: A~B and B~C put A and C together however unlike they are (a
    short text contained in two unrelated articles joins them). So every member must also pass
    `accept` against its cluster's representative; members that do not are clustered again among
    themselves, with the pairs between them. `items` must be in input order (article, then
    paragraph), as the finder's are: members are listed in it, and the representative is the
    first (or, with `keep="longest"`, the longest, first among equals)."""
    pairs = list(pairs)
    clusters: list[Cluster] = []
    pending = [sorted({i for p in pairs for i in p})]
    while pending:
        subset = set(pending.pop())
        uf = UnionFind()
        for a, b in pairs:
            if a in subset and b in subset:
                uf.union(a, b)
        for group in uf.groups():  # each in item order, which is input order
            rep = group[0] if keep == "first" else max(group, key=lambda i: (len(items[i].text), -group.index(i)))
            members = [i for i in group if i == rep or accept(rep, i)]
            rest = [i for i in group if i not in members]
            if len(rest) > 1:
                pending.append(rest)
            if len(members) > 1:
                sims = [similarity(rep, i) for i in members if i != rep]
                clusters.append(Cluster(0, kind, tuple(items[i] for i in members), members.index(rep), min(sims)))
    return clusters
