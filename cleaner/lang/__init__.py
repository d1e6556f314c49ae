"""Languages: which language a document is in (`detect`), and what the rules know of each language
(`languages`: the data in `cleaner/lang/data/<code>.toml`, one file a language, reviewable by a
speaker of it). The detector's model loads on first detection only."""

from cleaner.lang.detect import LanguageCodeError, LanguageGuess, detect_language, normalize_code, resolve_language
from cleaner.lang.languages import KNOWN, Language, known_language

__all__ = [
    "KNOWN",
    "Language",
    "LanguageCodeError",
    "LanguageGuess",
    "detect_language",
    "known_language",
    "normalize_code",
    "resolve_language",
]
