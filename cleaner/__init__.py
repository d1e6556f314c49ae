"""cleaner: clean scraped news-article dumps and find what is duplicated in them.

The library API, usable without the command line::

    from cleaner import ReadOptions, read_documents, strict, clean_document

    for doc in strict(read_documents(["dump.jsonl"], ReadOptions(text_field="body"))):
        result = clean_document(doc)
        print(doc.id, [e.rule for e in result.edits])
"""

__version__ = "0.1.0"

from cleaner.errors import CleanerError, ConfigError, InputError, OutputError
from cleaner.io import ReadOptions, read_documents, strict
from cleaner.model import CleanResult, Document, Edit, Origin, Rejected
from cleaner.normalize import all_rules, clean_document, clean_text, replay, select_rules

__all__ = [
    "CleanResult",
    "CleanerError",
    "ConfigError",
    "Document",
    "Edit",
    "InputError",
    "Origin",
    "OutputError",
    "ReadOptions",
    "Rejected",
    "__version__",
    "all_rules",
    "clean_document",
    "clean_text",
    "read_documents",
    "replay",
    "select_rules",
    "strict",
]
