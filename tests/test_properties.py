"""Property tests: cleaning never raises, is idempotent and deterministic, and its edit log
replays to the output, on arbitrary text and on real paragraphs with random damage."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaner.normalize import clean_fields, replay, select_rules
from tests.conftest import FIXTURES

RULES = select_rules()

# Real paragraphs to damage: the seed and the rule cases' clean texts.
_REAL = [c["original"] for p in sorted((FIXTURES / "rules").glob("*.json")) for c in json.loads(p.read_text("utf-8"))["cases"]]
_REAL += [p for p in next((FIXTURES.parent / "seeds").glob("*.txt")).read_text("utf-8").split("\n\n") if p.strip()]

_NOISE = st.sampled_from([" ", "  ", " . ", ", .", "\n", "\n\n", "\n\n\n", "\u00a0", "\u200b", "â€™", "&amp;", "the the ", "Ltd., where ", "Advertisement\n", "\x07", "...", "U.S.", "\r\n"])


@st.composite
def damaged_text(draw):
    text = "\n\n".join(draw(st.lists(st.sampled_from(_REAL), min_size=1, max_size=4)))
    for _ in range(draw(st.integers(0, 6))):
        pos = draw(st.integers(0, len(text)))
        text = text[:pos] + draw(_NOISE) + text[pos:]
    return text


TEXTS = st.one_of(st.text(), st.text(alphabet=st.characters(codec="utf-8"), max_size=300), damaged_text())
TITLES = st.one_of(st.none(), st.text(max_size=80), st.sampled_from(_REAL[:20]))


def _check(title, text):
    new_title, new_text, edits = clean_fields(title, text, RULES)
    assert replay(text, edits, "text") == new_text
    if title is not None:
        assert replay(title, edits, "title") == new_title
    again_title, again_text, again = clean_fields(new_title, new_text, RULES)
    assert [e for e in again if e.action != "flagged"] == []
    assert (again_title, again_text) == (new_title, new_text)
    # Every removed character is in some edit's `before`.
    removed = sum(len(e.before) - len(e.after) for e in edits if e.field == "text")
    assert removed == len(text) - len(new_text)
    # Deterministic: the same input gives the same output and the same log.
    assert clean_fields(title, text, RULES) == (new_title, new_text, edits)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=TITLES, text=TEXTS)
def test_clean_never_raises_is_idempotent_and_replays(title, text):
    _check(title, text)


def test_known_tricky_inputs():
    for title, text in [(None, ""), ("", " "), ("T", "T"), ("T", "T\n\nT"), (None, "\n\n\n"), ("A", "a . b . c"), (None, "the the the the")]:
        _check(title, text)
