"""The plain datasketch duplicate finder a user would write, as a whole command: the baseline of
bench_dups_speed.py.

    python bench/datasketch_dups.py FILE.jsonl > groups.json

Reads the JSONL (json.loads a line), lowercases and splits each text on whitespace, hashes its
5-gram shingles (UTF-8) into MinHash(num_perm=128) with update_batch, inserts every signature
into MinHashLSH(threshold=0.7) and queries each, joins the answers with union-find (no
verification, documents only) and writes the groups of ids as JSON.
"""

from __future__ import annotations

import json
import sys


class UF:
    def __init__(self, n: int) -> None:
        self.p = list(range(n))

    def find(self, x: int) -> int:
        while self.p[x] != x:
            self.p[x] = self.p[self.p[x]]
            x = self.p[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.p[max(ra, rb)] = min(ra, rb)


def groups(texts: list[str]) -> list[list[int]]:
    """The groups (of two or more) of texts whose MinHash LSH buckets meet, as index lists."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.7, num_perm=128)
    mhs = []
    for i, t in enumerate(texts):
        toks = t.lower().split()
        sh = {" ".join(toks[k : k + 5]).encode("utf-8") for k in range(max(1, len(toks) - 4))}
        m = MinHash(num_perm=128)
        m.update_batch(list(sh))
        lsh.insert(i, m)
        mhs.append(m)
    uf = UF(len(texts))
    for i, m in enumerate(mhs):
        for j in lsh.query(m):
            uf.union(i, j)
    members: dict[int, list[int]] = {}
    for i in range(len(texts)):
        members.setdefault(uf.find(i), []).append(i)
    return [g for g in members.values() if len(g) > 1]


def main(path: str) -> None:
    ids, texts = [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                r = json.loads(line)
                ids.append(str(r["id"]))
                texts.append(r.get("text") or "")
    found = groups(texts)
    json.dump({"groups": [[ids[i] for i in g] for g in found]}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
