"""The duplicate finder's settings: the levels it compares, their codes, and `DupOptions`.

The bottom layer of `cleaner.dedup`: everything from signing to the persistent index reads its
settings from here, so this module imports nothing of the finder.
"""

from __future__ import annotations

from dataclasses import dataclass

from cleaner.errors import ConfigError

LEVELS = ("title", "paragraph", "document")
# A level's number where it is stored or shuffled as an integer (the index's `items.level`, the
# Ray engine's band rows): part of the on-disk format, so never renumbered.
LEVEL_CODES = {name: code for code, name in enumerate(LEVELS)}


@dataclass(frozen=True)
class DupOptions:
    levels: tuple[str, ...] = LEVELS
    threshold: float = 0.7
    containment: float = 0.8
    num_perm: int = 128
    ngram: int = 5
    seed: int = 1
    min_words: int = 8
    keep: str = "first"
    verify: bool = True
    # True (`--noisy`): every paragraph and article compared by its character 5-grams; False
    # (`--no-noisy`): by words only; None (the default): by words, and the articles that look
    # OCR-noisy (`noise`) also by characters, against every article (`robust`).
    noisy: bool | None = None
    # Shorter texts need shorter shingles: one changed word in a 20-word paragraph removes 10 of
    # its 16 word 5-grams (Jaccard 0.46) but only 6 of its 18 trigrams (0.71). Titles compare as
    # word sets, so `House passes abortion measure` and `House passes abortion again measure` match.
    paragraph_ngram: int = 3
    title_ngram: int = 1
    # LSH runs this far below the threshold, so pairs just above it are not lost to chance (the
    # verification, at the threshold itself, is exact).
    lsh_margin: float = 0.15
    # Worker processes for signing and verifying (threads for the LSH candidates); the clusters
    # are the same for any number.
    jobs: int = 1

    @property
    def lsh_threshold(self) -> float:
        return max(0.05, self.threshold - self.lsh_margin)

    def __post_init__(self) -> None:
        unknown = [lv for lv in self.levels if lv not in LEVELS]
        if unknown:
            raise ConfigError(f"unknown level '{unknown[0]}'; levels: {', '.join(LEVELS)}")
        if not 0 < self.threshold <= 1 or not 0 < self.containment <= 1:
            raise ConfigError("--threshold and --containment must be in (0, 1]")
        if self.num_perm < 2 or self.ngram < 1 or self.min_words < 1:
            raise ConfigError("--num-perm must be >= 2, --ngram and --min-words >= 1")
        if self.keep not in ("first", "longest"):
            raise ConfigError(f"unknown --keep '{self.keep}'; use 'first' or 'longest'")
