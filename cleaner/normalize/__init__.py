"""The normalizer: named rules that fix scraping artifacts, run to a fixed point, with an edit log."""

from cleaner.normalize.engine import clean_document, clean_fields, clean_text, replay
from cleaner.normalize.registry import Rule, all_rules, select_rules

__all__ = ["Rule", "all_rules", "clean_document", "clean_fields", "clean_text", "replay", "select_rules"]
