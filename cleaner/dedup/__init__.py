"""The duplicate finder: near-duplicate titles, paragraphs and articles across a corpus.

The names below are loaded when first asked for: the finder sits above the engines, which import
this package's lower modules, so importing a stage (`cleaner.dedup.lsh`) must not load the finder.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cleaner.dedup.finder import DupResult, find_duplicates
    from cleaner.dedup.options import LEVELS, DupOptions

__all__ = ["LEVELS", "DupOptions", "DupResult", "find_duplicates"]
_HOME = {"LEVELS": "options", "DupOptions": "options", "DupResult": "finder", "find_duplicates": "finder"}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'cleaner.dedup' has no attribute {name!r}")
    return getattr(importlib.import_module(f"cleaner.dedup.{_HOME[name]}"), name)
