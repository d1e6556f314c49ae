"""The per-language data files, loaded once into frozen `Language` records.

A language the project has no file for is not an error: `known_language` returns None and the
language-bound rules only flag in it (the engine turns their removals into flags).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from importlib import resources

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DATA = "cleaner.lang.data"


def _words(s: str) -> frozenset[str]:
    return frozenset(s.split())


@dataclass(frozen=True, eq=False)  # identity hash: used as a cache key on every paragraph
class Language:
    code: str
    name: str
    cased: bool
    abbreviations: frozenset[str]
    ordinal_dot: bool
    name_particles: frozenset[str]  # may open a lowercase name (`von der Leyen`)
    name_particles_inner: frozenset[str]  # only after one of those (`der`, `la`): alone, an article
    nouns_capitalised: bool  # German: a capital after a lowercase word is a noun, no label or name
    lowercase_words: frozenset[str]
    lowercase_names: tuple[str, ...]
    bylines: frozenset[str]
    legitimate_doubles: frozenset[str]
    slip_doubles: frozenset[str]
    prepositions: frozenset[str]
    stranded_after: frozenset[str]
    before_clause: frozenset[str]
    clause_starts: frozenset[str]
    infinitive: frozenset[str]
    infinitive_next: frozenset[str]
    takes_infinitive: frozenset[str]
    takes_infinitive_suffixes: tuple[str, ...]
    dangling: frozenset[str]
    suffixes: tuple[str, ...]
    relatives: tuple[str, ...]
    # Marks a no-break space stands before (`?`, `»` in French) or after (`«`): typography, kept.
    nbsp_before: str = ""
    nbsp_after: str = ""

    def __repr__(self) -> str:
        return f"Language({self.code!r})"

    def __reduce__(self) -> tuple[object, tuple[str]]:
        # Sent to worker processes by code: every process shares one record per language.
        return known_language, (self.code,)


def _available() -> tuple[str, ...]:
    return tuple(sorted(p.name[:-5] for p in resources.files(DATA).iterdir() if p.name.endswith(".toml")))


KNOWN: tuple[str, ...] = _available()


@cache
def known_language(code: str | None) -> Language | None:
    """The data of language `code` (ISO 639-1), or None when the project has none for it."""
    if code not in KNOWN:
        return None
    raw = tomllib.loads(resources.files(DATA).joinpath(f"{code}.toml").read_text(encoding="utf-8"))
    s, st, d, t = raw["sentences"], raw["starts"], raw["doubled"], raw["truncation"]
    return Language(
        code=raw["code"],
        name=raw["name"],
        cased=raw["cased"],
        abbreviations=_words(s["abbreviations"]),
        ordinal_dot=s["ordinal_dot"],
        name_particles=_words(st["name_particles"]),
        name_particles_inner=_words(st.get("name_particles_inner", "")),
        nouns_capitalised=st.get("nouns_capitalised", False),
        lowercase_words=_words(st["lowercase_words"]),
        lowercase_names=tuple(st.get("lowercase_names", [])),
        bylines=_words(st["bylines"]),
        legitimate_doubles=_words(d["legitimate"]),
        slip_doubles=_words(d["slips"]) - _words(d["legitimate"]),
        prepositions=_words(d["prepositions"]),
        stranded_after=_words(d["stranded_after"]),
        before_clause=_words(d["before_clause"]),
        clause_starts=_words(d["clause_starts"]),
        infinitive=_words(d["infinitive"]),
        infinitive_next=_words(d["infinitive_next"]),
        takes_infinitive=_words(d["takes_infinitive"]),
        takes_infinitive_suffixes=tuple(d["takes_infinitive_suffixes"].split()),
        dangling=_words(t["dangling"]),
        suffixes=tuple(t["suffixes"].split()),
        relatives=tuple(t["relatives"].split()),
        nbsp_before="".join(raw.get("typography", {}).get("nbsp_before", "").split()),
        nbsp_after="".join(raw.get("typography", {}).get("nbsp_after", "").split()),
    )
