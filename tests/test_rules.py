"""Rule cases as data: fixtures/rules/*.json, each rule with cases it must fix and must leave alone,
in the case's language (`lang`, default English)."""

from __future__ import annotations

import json

import pytest

from cleaner.normalize import all_rules, clean_fields, select_rules
from tests.conftest import FIXTURES


def _load():
    for path in sorted((FIXTURES / "rules").glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
            yield {**case, "id": f"{path.stem}:{case['rule']}:{case['label']}"}


CASES = list(_load())
KEEP = [c for c in CASES if c.get("expect") == "unchanged"]
FIX = [c for c in CASES if c.get("expect") != "unchanged"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_rule_case(case):
    rules = select_rules([case["rule"]])
    title, text, edits = clean_fields(case.get("title"), case["original"], rules, case.get("lang", "en"))
    if case.get("expect") == "unchanged":
        assert text == case["original"]
        assert all(e.action == "flagged" for e in edits)
    else:
        assert text == case["fixed"]
        assert {e.rule for e in edits if e.action != "flagged"} == {case["rule"]}
    if "flagged" in case:  # what the rule leaves for a person must reach the edit log
        assert sum(e.action == "flagged" for e in edits) == case["flagged"], edits


@pytest.mark.parametrize("case", KEEP, ids=[c["id"] for c in KEEP])
def test_clean_text_passes_every_rule_untouched(case):
    """A must-not-change case is clean text: no rule at all may touch it."""
    title, text, edits = clean_fields(case.get("title"), case["original"], select_rules(), case.get("lang", "en"))
    assert text == case["original"], [e for e in edits if e.action != "flagged"]


def test_every_rule_has_cases_both_ways():
    fixes = {c["rule"] for c in FIX}
    keeps = {c["rule"] for c in KEEP}
    names = {r.name for r in all_rules()}
    assert names - fixes == set(), "rules without a must-fix case"
    assert names - keeps - {"trailing-spaces"} == set(), "rules without a must-not-change case"


def test_every_rule_documents_what_it_fixes_and_leaves_alone():
    for r in all_rules():
        doc = r.fn.__doc__ or ""
        assert "Fixes:" in doc and "Leaves alone:" in doc, r.name
