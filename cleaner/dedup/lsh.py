"""Locality-sensitive hashing over MinHash signatures: banding defined once.

The banding is datasketch's `MinHashLSH`: the (bands, rows) its `_optimal_param` chooses for a
threshold and number of permutations (`bands_rows`), and two items are candidates exactly when
some band of their signatures is identical. Every engine and the persistent index go through
the same two functions here:

- `band_keys`: each band of each signature as one 64-bit key (datasketch's `hashranges`, with the
  band folded in); `level_keys` folds in the level too, where levels share one table or shuffle.
- `buckets`: the items whose keys (and, where given, band values) are equal, by one sort.

The local engine pairs items from their band keys alone (`key_pair_codes`: a 64-bit accident is
a candidate the verification rejects), or from their signatures (`candidate_pairs`, compared with
`MinHashLSH.query` in the tests); the Ray engine shuffles band rows between machines
(`band_rows`, `bucket_pairs`); the index stores `level_keys` cut to 48 bits. It is done with
numpy over all the items at once instead of one Python insert per item, which is what makes a
corpus of tens of thousands of articles take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from cleaner.dedup.options import LEVEL_CODES
from cleaner.dedup.pairs import decode_pairs, merge_codes, no_codes, pair_places

_BANDS: dict[tuple[float, int], tuple[int, int]] = {}
# Both constants are part of the index's on-disk band keys: changing one needs a schema bump.
_BAND_SALT = np.uint64(0x9E3779B97F4A7C15)
_LEVEL_SALT = np.uint64(0x632BE59BD9B4E019)


def bands_rows(threshold: float, num_perm: int) -> tuple[int, int]:
    """datasketch `MinHashLSH`'s (bands, rows) for a threshold (its `_optimal_param` with equal
    weights): the pair minimizing the chance of a false positive below the threshold plus a
    false negative above it. datasketch integrates with scipy's `quad`, and importing scipy
    costs a third of a second; the integrands are polynomials of degree at most `num_perm`, so
    Gauss-Legendre quadrature with num_perm / 2 + 1 nodes is exact (tested to choose as
    datasketch does)."""
    found = _BANDS.get((threshold, num_perm))
    if found is None:
        x, w = np.polynomial.legendre.leggauss(num_perm // 2 + 1)
        below, w_below = (x + 1) * threshold / 2, w * threshold / 2
        above, w_above = threshold + (x + 1) * (1 - threshold) / 2, w * (1 - threshold) / 2
        least = float("inf")
        found = (0, 0)
        for b in range(1, num_perm + 1):
            for r in range(1, num_perm // b + 1):
                false_positive = float(np.dot(w_below, 1 - (1 - below**r) ** b))
                false_negative = float(np.dot(w_above, (1 - above**r) ** b))
                error = 0.5 * false_positive + 0.5 * false_negative
                if error < least:
                    least, found = error, (b, r)
        _BANDS[(threshold, num_perm)] = found
    return found


def remember_bands_rows(threshold: float, num_perm: int, bands: int, rows: int) -> None:
    """Tell `bands_rows` what datasketch answered before (the index stores it)."""
    _BANDS[(threshold, num_perm)] = (bands, rows)


def band_keys(signatures: np.ndarray, threshold: float) -> np.ndarray:
    """Every band of every signature as one uint64 key: (items x bands). A band's values are
    folded by a random linear combination, salted with the band's number, so one column of keys
    can hold all bands (the persistent index stores them so). Two items share a band only if they
    share its key; sharing a key without the band is a 64-bit accident."""
    n, num_perm = signatures.shape
    bands, rows = bands_rows(threshold, num_perm)
    out = np.empty((n, bands), dtype=np.uint64)
    mix = _mix(rows)
    with np.errstate(over="ignore"):
        for band in range(bands):
            block = signatures[:, band * rows : (band + 1) * rows]
            folded = (block.astype(np.uint64) * mix).sum(axis=1, dtype=np.uint64)
            out[:, band] = (folded + np.uint64(band + 1)) * _BAND_SALT
    return out


@lru_cache(maxsize=32)
def _mix(rows: int) -> np.ndarray:
    return np.random.RandomState(12345).randint(1, 2**62, size=rows, dtype=np.uint64) | np.uint64(1)


def level_keys(level: str, keys: np.ndarray) -> np.ndarray:
    """Band keys with the level folded in, for tables and shuffles that hold several levels."""
    with np.errstate(over="ignore"):
        return keys + np.uint64(LEVEL_CODES[level] + 1) * _LEVEL_SALT


@dataclass(frozen=True)
class Buckets:
    """Groups of two or more positions with equal keys: group g is
    `members[starts[g] : starts[g] + sizes[g]]`, ascending."""

    members: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """The pairs (`pairs_of`) of every group, as their first and second members; groups of
        one size are paired together."""
        first: list[np.ndarray] = []
        second: list[np.ndarray] = []
        for size in sorted(set(self.sizes.tolist())):
            a, b = pair_places(size)
            runs = self.starts[self.sizes == size][:, None]
            first.append(self.members[runs + a].ravel())
            second.append(self.members[runs + b].ravel())
        if not first:
            return no_codes(), no_codes()
        return np.concatenate(first), np.concatenate(second)

    def pair_codes(self, n: int) -> np.ndarray:
        """`pairs` as codes `a * n + b` (not sorted)."""
        a, b = self.pairs()
        return a * n + b


_NO_BUCKETS = Buckets(no_codes(), no_codes(), no_codes())


def buckets(keys: np.ndarray, exact: np.ndarray | None = None) -> Buckets:
    """The positions of `keys` (uint64) grouped by equal key and, where `exact` is given (one row
    per key), by equal row as well: a key collision then never puts two items in one bucket.

    One plain sort of the keys with the position packed into the low bits (about 3x faster than
    an argsort); equal keys are then told apart by the full key and row, so the packing loses
    nothing. Nearly every run of equal packed keys is one bucket, taken as it is; the rare one
    that is not is regrouped."""
    n = len(keys)
    if n < 2:
        return _NO_BUCKETS
    bits = np.uint64(max(1, (n - 1).bit_length()))
    packed = keys >> bits
    packed <<= bits
    packed |= np.arange(n, dtype=np.uint64)
    packed.sort()
    high = packed >> bits
    same = high[1:] == high[:-1]
    if not same.any():
        return _NO_BUCKETS
    # Only the places in runs of equal packed keys matter (a few percent of the items).
    in_run = np.zeros(n, dtype=bool)
    in_run[1:] = same
    in_run[:-1] |= same
    places = np.flatnonzero(in_run)
    high = high[places]
    members = (packed[places] & ((np.uint64(1) << bits) - np.uint64(1))).astype(np.int64)
    starts = np.flatnonzero(np.concatenate([[True], high[1:] != high[:-1]]))
    sizes = np.diff(np.concatenate([starts, [len(places)]]))
    full = keys[members]
    differs = full[1:] != full[:-1]
    rows = None if exact is None else exact[members]
    if rows is not None:
        differs |= (rows[1:] != rows[:-1]).any(axis=1)
    changes = np.cumsum(np.concatenate([[0], differs]))
    uniform = changes[starts + sizes - 1] == changes[starts]
    if uniform.all():
        return Buckets(members, starts, sizes)
    extra = _regroup(members, full, rows, starts[~uniform], sizes[~uniform])
    # A start per group regrouped: none when every such run fell apart into single items.
    lengths = np.array([len(g) for g in extra], dtype=np.int64)
    at = len(members) + np.cumsum(lengths) - lengths
    return Buckets(
        np.concatenate([members, *extra]),
        np.concatenate([starts[uniform], at]).astype(np.int64),
        np.concatenate([sizes[uniform], lengths]).astype(np.int64),
    )


def _regroup(
    members: np.ndarray, full: np.ndarray, rows: np.ndarray | None, starts: np.ndarray, sizes: np.ndarray
) -> list[np.ndarray]:
    """Runs whose keys only agree in their high bits, or whose rows differ, split by full key and
    row (members kept ascending); groups of one dropped."""
    out: list[np.ndarray] = []
    for start, size in zip(starts.tolist(), sizes.tolist(), strict=False):
        groups: dict[tuple[int, bytes], list[int]] = {}
        for k in range(start, start + size):
            row = b"" if rows is None else rows[k].tobytes()
            groups.setdefault((int(full[k]), row), []).append(int(members[k]))
        out += [np.array(g, dtype=np.int64) for g in groups.values() if len(g) > 1]
    return out


# --- on one machine ------------------------------------------------------------------------------


def key_pair_codes(keys: np.ndarray) -> np.ndarray:
    """The candidate pairs of items from band keys (`band_keys`, transposed: one row per band),
    as sorted distinct codes `a * n + b` (n items): items sharing a band share its key. Bands can
    be paired apart, in any number of threads, and the codes merged with `merge_codes`. Two
    items that share a key without sharing the band (a 64-bit accident, about n^2 / 2^65 a band)
    are a candidate the verification rejects."""
    n = keys.shape[1]
    if n < 2:
        return no_codes()
    return merge_codes([buckets(keys[band]).pair_codes(n) for band in range(keys.shape[0])])


def key_pairs(keys: np.ndarray) -> set[tuple[int, int]]:
    """`key_pair_codes` as a set of pairs."""
    return set(map(tuple, decode_pairs(key_pair_codes(keys), keys.shape[1]).tolist()))


def candidate_codes(signatures: np.ndarray, threshold: float) -> np.ndarray:
    """The pairs of rows that share at least one LSH band, as sorted distinct codes. Equal band
    keys are checked value by value, so a 64-bit collision never makes a candidate that
    `MinHashLSH` would not."""
    n, num_perm = signatures.shape
    if n < 2:
        return no_codes()
    bands, rows = bands_rows(threshold, num_perm)
    keys = band_keys(signatures, threshold)
    found = [buckets(keys[:, b], signatures[:, b * rows : (b + 1) * rows]).pair_codes(n) for b in range(bands)]
    return merge_codes(found)


def candidate_pairs(signatures: np.ndarray, threshold: float) -> set[tuple[int, int]]:
    """Pairs (i, j), i < j, of rows that share at least one LSH band."""
    return set(map(tuple, decode_pairs(candidate_codes(signatures, threshold), len(signatures)).tolist()))


# --- where the bands are shuffled between machines: one row per (item, band) ---------------------


def band_rows(
    level: str, sigs: np.ndarray, first_item: int, threshold: float, partitions: int
) -> dict[str, np.ndarray]:
    """The LSH bands of one level's items first_item .. first_item + len(sigs) - 1, one row per
    item and band: its key (`level_keys` of `band_keys`), the partition it is shuffled to (so
    equal keys meet), the level, the band, the item, and the band's values (columns v0, v1, ...:
    the key only sorts, the values decide)."""
    n, num_perm = sigs.shape
    bands, rows = bands_rows(threshold, num_perm)
    key = level_keys(level, band_keys(sigs, threshold)).ravel()
    values = sigs[:, : bands * rows].reshape(n * bands, rows)
    out = {
        "key": key,
        "part": (key % np.uint64(max(1, partitions))).astype(np.int64),
        "level": np.full(n * bands, LEVEL_CODES[level], dtype=np.int8),
        "band": np.tile(np.arange(bands, dtype=np.int16), n),
        "item": np.repeat(np.arange(first_item, first_item + n, dtype=np.int64), bands),
    }
    for r in range(rows):
        out[f"v{r}"] = np.ascontiguousarray(values[:, r])
    return out


def bucket_pairs(rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Candidate pairs among band rows: items of one level whose values in one band are all equal,
    paired as `candidate_pairs` pairs them, so the union over partitions is its set of pairs.
    Returns columns level, a, b (a < b), sorted, without repeats."""
    empty = {"level": no_codes(), "a": no_codes(), "b": no_codes()}
    if len(rows["item"]) < 2:
        return empty
    # In item order, so that a bucket's members are too (the star and chain of a big one follow it).
    order = np.argsort(rows["item"], kind="stable")
    value_cols = sorted((c for c in rows if c[:1] == "v" and c[1:].isdigit()), key=lambda c: int(c[1:]))
    exact = np.column_stack([rows[c][order].astype(np.uint32) for c in ("level", "band", *value_cols)])
    first, second = buckets(rows["key"][order], exact).pairs()
    if not len(first):
        return empty
    items, levels = rows["item"][order], rows["level"][order].astype(np.int64)
    level, a, b = levels[first], items[first], items[second]
    sort = np.lexsort((b, a, level))
    level, a, b = level[sort], a[sort], b[sort]
    keep = np.concatenate([[True], (level[1:] != level[:-1]) | (a[1:] != a[:-1]) | (b[1:] != b[:-1])])
    return {"level": level[keep], "a": a[keep], "b": b[keep]}


def first_members(keys: np.ndarray, items: np.ndarray, limit: int) -> tuple[dict[int, list[int]], dict[int, int]]:
    """From bucket rows grouped by key (items ascending within a key): each key's first `limit`
    members, and its bucket's size. A boilerplate paragraph's bucket holds thousands of rows, of
    which a check only ever reads the first few."""
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]])) if len(keys) else np.zeros(0, np.int64)
    sizes = np.diff(np.concatenate([starts, [len(keys)]]))
    first = np.arange(len(keys)) - np.repeat(starts, sizes) < limit
    buckets: dict[int, list[int]] = {}
    for key, item in zip(keys[first].tolist(), items[first].tolist(), strict=True):
        buckets.setdefault(key, []).append(item)
    return buckets, dict(zip(keys[starts].tolist(), sizes.tolist(), strict=True))


def members_per_item(
    buckets: dict[int, list[int]], sizes: dict[int, int], keys: np.ndarray, limit: int
) -> tuple[list[list[int]], list[int]]:
    """For each row of keys (items x bands), given each key's bucket members (at least its first
    `limit`) and bucket size: the members of its buckets, ascending, at most the first `limit` of
    each bucket; and its largest bucket's size."""
    for members in buckets.values():
        members.sort()
    out: list[list[int]] = []
    largest: list[int] = []
    for row in keys.tolist():
        found: set[int] = set()
        biggest = 0
        for key in row:
            found.update(buckets.get(key, ())[:limit])
            biggest = max(biggest, sizes.get(key, 0))
        out.append(sorted(found))
        largest.append(biggest)
    return out, largest


def shared_key_pairs(keys: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of owners that share a key (each owner once per key; a key's owners paired as
    `Buckets.pairs` pairs them): articles with a paragraph in common, from (key, article) rows."""
    order = np.lexsort((owners, keys))
    keys, owners = keys[order], owners[order]
    distinct = np.concatenate([[True], (keys[1:] != keys[:-1]) | (owners[1:] != owners[:-1])])
    keys, owners = keys[distinct], owners[distinct]
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    sizes = np.diff(np.concatenate([starts, [len(keys)]]))
    many = sizes > 1
    return Buckets(owners, starts[many], sizes[many]).pairs()
