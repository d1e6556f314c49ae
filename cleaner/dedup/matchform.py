"""The match form: what the duplicate finder compares texts in. Used for matching only, never
written out.

NFKC, casefold, every punctuation, symbol and separator character (quotes, dashes, `%`, `$`)
folded to a space, whitespace collapsed, digits kept (`rose 3%` is not `rose 5%`).

It is computed on UTF-8 bytes (`folded`): one `bytes.translate` folds ASCII case and
separators, and the few distinct non-ASCII characters of a text (curly quotes, dashes, accented
letters) are replaced one `bytes.replace` each. It equals `casefold().translate(SEPARATORS)` of
the NFKC form (tested against that definition, `reference.reference_tokens`), at a fraction of
the cost of a `str.translate` through a dict for every character.

The noise-robust form (`char_tokens`, for OCR'd or badly scraped copies) is the match form's
characters with spaces removed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import partial

# Stored in the persistent index: a change to the match form makes its shingles stale.
MATCH_FORM_VERSION = 2


class _Separators(dict):  # type: ignore[type-arg]
    """A `str.translate` table, filled lazily: punctuation, symbols, separators and whitespace map
    to a space, everything else to itself. (Measured 1.5x faster than a regex substitution.)"""

    def __missing__(self, cp: int) -> int:
        ch = chr(cp)
        value = 32 if unicodedata.category(ch)[0] in "PSZ" or ch.isspace() else cp
        self[cp] = value
        return value


SEPARATORS = _Separators()


def _fold_ascii(b: int) -> int:
    folded = chr(b).casefold().translate(SEPARATORS)
    assert len(folded) == 1
    return ord(folded)


# Every ASCII byte to its match form (case folded, separators to a space); bytes 128-255 are the
# parts of other characters and stay.
_ASCII_FOLD = bytes(_fold_ascii(b) for b in range(128)) + bytes(range(128, 256))
_ASCII = bytes(range(128))
UTF8 = ("utf-8", "surrogatepass")  # a lone surrogate (from a JSON escape) is still a character
# More distinct non-ASCII characters than this (a Cyrillic or Chinese text) are folded with one
# str.translate instead of a bytes.replace each.
MAX_REPLACED = 48


def _char_fold(cache: dict[str, bytes | None], fold: Callable[[str], str], c: str) -> bytes | None:
    """What `fold` makes of a non-ASCII character, as UTF-8 (cached), or None when it is itself."""
    try:
        return cache[c]
    except KeyError:
        pass
    folded = fold(c)
    # Replacing one character after another is only the same as folding the whole text when what
    # a character folds to folds to itself (true of Unicode's case folding; checked, not assumed).
    if any(fold(ch) != ch for ch in folded):
        raise ValueError(c)
    value = None if folded == c else folded.encode(*UTF8)
    cache[c] = value
    return value


def _replace_non_ascii(b: bytes, fold_char: Callable[[str], bytes | None]) -> bytes | None:
    """UTF-8 `b` with each distinct non-ASCII character replaced by what `fold_char` makes of it,
    one `bytes.replace` each (UTF-8 is self-synchronizing: a match is always a whole character);
    None when there are too many to replace one by one, or one cannot be."""
    others = set(b.translate(None, _ASCII).decode(*UTF8))
    if len(others) > MAX_REPLACED:
        return None
    try:
        for c in others:
            r = fold_char(c)
            if r is not None:
                b = b.replace(c.encode(*UTF8), r)
    except ValueError:
        return None
    return b


def _match_char(c: str) -> str:
    return c.casefold().translate(SEPARATORS)


_MATCH_CHARS: dict[str, bytes | None] = {}
_fold_char = partial(_char_fold, _MATCH_CHARS, _match_char)


def folded(text: str) -> bytes:
    """The match form as UTF-8 before splitting: words separated by one or more b' ' (the only
    whitespace left), equal to `" ".join(reference.reference_tokens(text))` up to runs of spaces."""
    if text.isascii():  # NFKC of ASCII is itself
        return text.encode("ascii").translate(_ASCII_FOLD)
    text = unicodedata.normalize("NFKC", text)
    b = _replace_non_ascii(text.encode(*UTF8), _fold_char)
    if b is None:
        return text.casefold().translate(SEPARATORS).encode(*UTF8)
    return b.translate(_ASCII_FOLD)


def tokens(text: str) -> list[str]:
    """The match form's words: `“Trump’s  Plan” — Rose 3%` -> [trump, s, plan, rose, 3]."""
    return folded(text).decode(*UTF8).split()


def match_form(text: str) -> str:
    return " ".join(tokens(text))


def char_tokens(text: str) -> list[str]:
    """The characters of the match form without spaces: the noisy mode's tokens."""
    return list("".join(tokens(text)))
