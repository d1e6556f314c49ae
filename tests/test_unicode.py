"""The unicode rules beyond their cases: the gate in front of ftfy is exact, the segment cases
built from real sentences come back whole, and ftfy's own real cases still pass."""

from __future__ import annotations

import json
from itertools import product

import ftfy
import ftfy.bad_codecs  # registers the sloppy-windows-* codecs
import pytest
from ftfy import chardata
from ftfy.badness import BADNESS_RE, is_bad
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaner.normalize import clean_fields, select_rules
from cleaner.normalize import encoding as enc
from cleaner.normalize.registry import RuleContext
from cleaner.normalize.rules import unicode as uni
from tests.conftest import FIXTURES, shared_corpus

UNICODE = select_rules(["unicode"])
SEGMENT_CASES = json.loads((FIXTURES / "rules" / "unicode_segments.json").read_text("utf-8"))["cases"]

# Every character ftfy's badness expression names, with the ASCII and the spaces around them.
_BADNESS_CHARS = sorted(
    {c for c in BADNESS_RE.pattern if ord(c) > 0x7F}
    | {c for encoding in chardata.CHARMAP_ENCODINGS for c in bytes(range(0x80, 0x100)).decode(encoding)}
)
_ALPHABET = _BADNESS_CHARS + list("aZ .,!?'1\t\n") + ["\xa0", "\u2019", "ł", "ş", "ı", "中"]


def test_the_gate_is_built_from_ftfys_expression():
    # None would mean a construct of a newer ftfy the rewrite does not know: still correct (every
    # text goes to ftfy) but the speed is gone, so it should be noticed here.
    assert enc.GATE is not None


def test_gate_agrees_with_ftfys_badness_on_every_pair_of_its_characters():
    """On one line the gate is the badness expression rewritten, not a looser test: for every
    two characters badness names (and ASCII and space next to them) both say the same."""
    chars = [*_BADNESS_CHARS, "a", "Z", " ", "."]
    for a, b in product(chars, repeat=2):
        s = a + b
        assert enc.may_need_ftfy(s) == (is_bad(s) or bool(chardata.C1_CONTROL_RE.search(s))), repr(s)


def _mojibake_of(text: str, encoding: str) -> str:
    return text.encode("utf-8").decode(encoding, errors="replace")


_REAL = [c["fixed"] for c in SEGMENT_CASES]


@st.composite
def text_with_mojibake(draw):
    """Real lines of ten languages with spans turned to mojibake in any of ftfy's encodings,
    pieces of ftfy's own characters, terminal escapes, lone surrogates and line breaks."""
    text = draw(st.sampled_from(_REAL))
    for _ in range(draw(st.integers(0, 3))):
        a = draw(st.integers(0, len(text)))
        b = draw(st.integers(a, min(len(text), a + 40)))
        encoding = draw(st.sampled_from(chardata.CHARMAP_ENCODINGS))
        text = text[:a] + _mojibake_of(text[a:b], encoding) + text[b:]
    for _ in range(draw(st.integers(0, 3))):
        pos = draw(st.integers(0, len(text)))
        piece = draw(
            st.one_of(
                st.text(alphabet=_ALPHABET, max_size=6), st.sampled_from(["\x1b[31m", "\ud83d", "\n", "\nÃ ", "Â\xa0"])
            )
        )
        text = text[:pos] + piece + text[pos:]
    return text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(text_with_mojibake(), st.text(alphabet=_ALPHABET, max_size=40), st.text(max_size=200)))
def test_gate_never_skips_what_ftfy_would_change(text):
    if not enc.may_need_ftfy(text):
        assert ftfy.fix_text(text, enc.MOJIBAKE) == text
        assert uni.mojibake(text, RuleContext(None)) == []


@settings(max_examples=600, deadline=None)
@given(st.from_regex(BADNESS_RE))
def test_gate_passes_every_string_ftfys_badness_flags(text):
    """Strings drawn from ftfy's badness expression itself, branch by branch, with text around
    them: the gate must let every one through to ftfy."""
    assert enc.may_need_ftfy(text)


@pytest.mark.parametrize("case", SEGMENT_CASES, ids=[c["label"] for c in SEGMENT_CASES])
def test_the_clean_line_of_each_segment_case_passes_untouched(case):
    _, text, edits = clean_fields(None, case["fixed"], UNICODE)
    assert text == case["fixed"], edits


def test_segment_cases_cover_lines_ftfy_alone_gives_up_on():
    """The cases are not all ones ftfy already fixes: in Polish and Czech it fails on about
    half the lines, which is what segment fixing is for."""
    by_lang: dict[str, list[bool]] = {}
    for c in SEGMENT_CASES:
        by_lang.setdefault(c["lang"], []).append(ftfy.fix_text(c["original"], enc.MOJIBAKE) == c["fixed"])
    assert {"pl", "tr", "cs", "de", "fr", "es", "it", "nl", "pt", "zh"} <= set(by_lang)
    assert sum(not ok for lang in ("pl", "tr", "cs") for ok in by_lang[lang]) >= 20


def test_only_the_damaged_sentence_changes():
    """The edit lies inside the damaged sentence: a correctly encoded `ó` or `ü` next to it,
    which ftfy's single-byte encodings could hold, is not part of the segment."""
    damaged = "Trener podkreślił, że zespół grał dobrze. MiaÅ‚ racjÄ™, mÃ³wi kapitan. Kraków świętuje."
    _, text, edits = clean_fields(None, damaged, UNICODE)
    assert text == "Trener podkreślił, że zespół grał dobrze. Miał rację, mówi kapitan. Kraków świętuje."
    start, end = damaged.index("MiaÅ‚"), damaged.index(" Kraków")
    assert edits and all(start <= e.start and e.end <= end for e in edits)


# ftfy's own real cases: `clean` is ftfy.fix_text with its default options, which also uncurl
# quotes, undo ligatures and full width and normalize to NFC. The rules keep typography as it
# is, so both sides are compared after those typographic fixes alone.
_TYPOGRAPHY_ONLY = ftfy.TextFixerConfig(
    unescape_html=False,
    fix_encoding=False,
    restore_byte_a0=False,
    replace_lossy_sequences=False,
    decode_inconsistent_utf8=False,
    fix_c1_controls=False,
    remove_terminal_escapes=False,
    fix_surrogates=False,
    remove_control_chars=False,
)


def _ftfy_cases() -> list[dict]:
    path = shared_corpus("normalizer_ftfy_mojibake_cases.jsonl")
    return [json.loads(line) for line in path.read_text("utf-8").split("\n") if line]


def test_ftfys_real_cases_still_pass():
    """Every case ftfy passes, the rules pass; a case ftfy knows it fails comes out as ftfy
    has it or right."""
    wrong = []
    for case in _ftfy_cases():
        _, ours, _ = clean_fields(None, case["raw"], UNICODE)
        ours = ftfy.fix_text(ours, _TYPOGRAPHY_ONLY)
        if case["ftfy_expect"] == "pass":
            ok = ours == case["clean"]
        else:
            ok = ours in (case["clean"], ftfy.fix_text(ftfy.fix_text(case["raw"], enc.MOJIBAKE), _TYPOGRAPHY_ONLY))
        if not ok:
            wrong.append((case["id"], case["raw"], ours, case["clean"]))
    assert wrong == []
