"""Languages: which language a document is in, and what the rules know of each language.

What a rule knows of a language (abbreviations, legitimate doubles, words no sentence ends on...)
is data in `cleaner/lang/data/<code>.toml`, one file a language, reviewable by a speaker of it.
"""

from cleaner.lang.languages import KNOWN, Language, known_language

__all__ = ["KNOWN", "Language", "known_language"]
