"""The normalizer across languages: clean text in any language passes all rules untouched, the
language-bound rules only flag where they lack the language, and known misses stay visible."""

from __future__ import annotations

import json

import pytest

from cleaner.lang import KNOWN, known_language
from cleaner.normalize import clean_fields, select_rules
from tests.conftest import FIXTURES

RULES = select_rules()
MUST_NOT_CHANGE = json.loads((FIXTURES / "normalize" / "must_not_change.json").read_text("utf-8"))["cases"]
KNOWN_MISSES = json.loads((FIXTURES / "normalize" / "known_misses.json").read_text("utf-8"))["cases"]


@pytest.mark.parametrize("case", MUST_NOT_CHANGE, ids=[f"{c['lang']}:{c['label']}" for c in MUST_NOT_CHANGE])
def test_clean_text_in_its_language_is_left_untouched(case):
    title, text, edits = clean_fields(case["title"], case["text"], RULES, case["lang"])
    assert text == case["text"], [(e.rule, e.before, e.evidence) for e in edits if e.action != "flagged"]
    assert title == case["title"]


@pytest.mark.parametrize("case", KNOWN_MISSES, ids=[f"{c['lang']}:{c['label']}" for c in KNOWN_MISSES])
@pytest.mark.xfail(strict=True, reason="a documented miss (fixtures/normalize/known_misses.json)")
def test_known_miss(case):
    _, text, _ = clean_fields(case["title"], case["text"], RULES, case["lang"])
    assert text == case["fixed"]


def test_supported_languages_have_data():
    assert {"en", "de", "fr", "es", "it", "nl", "pt"} <= set(KNOWN)
    for code in KNOWN:
        lang = known_language(code)
        assert lang.code == code and lang.dangling and lang.abbreviations, code


@pytest.mark.parametrize("code", [None, "tr", "id", "zh", "xx"])
def test_language_bound_rules_only_flag_without_the_language(code):
    text = "He went to the the store.\n\nin the city, officials said. The mayor left. The council said it would"
    _, out, edits = clean_fields(None, text, RULES, code)
    assert out == text
    flagged = {e.rule for e in edits if e.action == "flagged"}
    assert {"doubled-word", "truncated-start"} <= flagged
    assert all("language" in (e.evidence or "") for e in edits if e.rule in ("doubled-word", "truncated-start"))


def test_the_same_text_is_fixed_in_english():
    text = "He went to the the store.\n\nin the city, officials said. The mayor left."
    _, out, edits = clean_fields(None, text, RULES, "en")
    assert out == "He went to the store.\n\nThe mayor left."
    assert all(e.evidence for e in edits if e.action == "removed")


@pytest.mark.parametrize(
    ("code", "text", "fixed"),
    [
        ("de", "Er kam und und ging wieder.", "Er kam und ging wieder."),
        ("es", "La tarde de este jueves 1 de de julio llovió.", "La tarde de este jueves 1 de julio llovió."),
        ("fr", "Le missile visait un un hôpital.", "Le missile visait un hôpital."),
        ("pt", "O prefeito disse que o o plano falhou.", "O prefeito disse que o plano falhou."),
    ],
)
def test_slips_are_fixed_in_supported_languages(code, text, fixed):
    assert clean_fields(None, text, RULES, code)[1] == fixed


def test_min_confidence_moves_the_line():
    text = "He left.\n\nNobody knows if they clashed at the bar. One of the new shows will be"
    strict = clean_fields(None, text, RULES, "en", min_confidence=0.999)
    assert strict[1] == text and any(e.action == "flagged" and e.rule == "truncated-end" for e in strict[2])
    loose = clean_fields(None, text, RULES, "en", min_confidence=0.5)
    assert loose[1] == "He left.\n\nNobody knows if they clashed at the bar."
