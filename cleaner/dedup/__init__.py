"""The duplicate finder: near-duplicate titles, paragraphs and articles across a corpus."""

from cleaner.dedup.finder import LEVELS, DupOptions, DupResult, find_duplicates

__all__ = ["LEVELS", "DupOptions", "DupResult", "find_duplicates"]
