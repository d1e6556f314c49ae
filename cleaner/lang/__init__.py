"""Which language a document is in (detect.py). The detector's model loads on first detection only."""

from cleaner.lang.detect import LanguageCodeError, LanguageGuess, detect_language, normalize_code, resolve_language

__all__ = ["LanguageCodeError", "LanguageGuess", "detect_language", "normalize_code", "resolve_language"]
