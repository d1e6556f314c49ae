"""Content digests: what makes a file, or a record, the same as the one the index holds."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cleaner.model import Document


def record_digest(doc: Document) -> bytes:
    """What makes two records the same article for the index: their title and text, and their
    source where it was read (`--source-field`: a record that moves to another site counts
    there, so it is another record)."""
    h = hashlib.blake2b(digest_size=16)
    h.update((doc.title or "").encode("utf-8", "surrogatepass"))
    h.update(b"\x00")
    h.update(doc.text.encode("utf-8", "surrogatepass"))
    if doc.source is not None:
        h.update(b"\x00" + doc.source.encode("utf-8", "surrogatepass"))
    return h.digest()


def file_digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
