"""Hostile sizes and shapes: no rule may backtrack catastrophically. Each input below made some
pattern quadratic before it was anchored; a hang shows up as the alarm firing (the bound is
generous, an order of magnitude above the normal time: this is a hang detector, not a benchmark)."""

from __future__ import annotations

import signal

import pytest

from cleaner.lang import known_language
from cleaner.normalize import clean_fields, select_rules
from cleaner.normalize.registry import RuleContext

HOSTILE = {
    "5 MB paragraph without spaces": "x" * 5_000_000,
    "100,000 one-word lines": "\n".join(["word"] * 100_000),
    "100,000 one-word paragraphs": "\n\n".join(["word"] * 100_000),
    "a run of 200,000 spaces": " " * 200_000 + "a",
    "a run of spaces before a line break": "a" + " " * 200_000 + "\nb",
    "spaces and tabs": " \t" * 100_000 + "a",
    "200,000 newlines": "\n" * 200_000 + "a",
    "200,000 dots": "." * 200_000,
    "spaced dots": " ." * 100_000 + "x",
    "spaced commas": " ," * 100_000,
    "initials": "A. " * 100_000,
    "lowercase run-on": "and the " * 50_000 + ".",
    "a byline that never ends": "By " + "John " * 50_000,
    "slashes": "a/" * 100_000,
    "entities": "&amp;" * 100_000,
    "quotes": '"' * 200_000,
    "doubled words": "the " * 200_000,
}


class Hang(Exception):
    pass


def _alarm(*_):
    raise Hang


@pytest.mark.parametrize("name", list(HOSTILE))
def test_every_rule_finishes_on_hostile_input(name):
    text = HOSTILE[name]
    old = signal.signal(signal.SIGALRM, _alarm)
    try:
        for rule in select_rules():
            signal.alarm(20)
            try:
                rule.fn(text, RuleContext("Title", "en", known_language("en")))
            except Hang:
                pytest.fail(f"rule {rule.name} did not finish on {name}")
            finally:
                signal.alarm(0)
    finally:
        signal.signal(signal.SIGALRM, old)


def test_whole_engine_on_the_largest_inputs():
    for name in ("5 MB paragraph without spaces", "100,000 one-word lines"):
        title, text, _ = clean_fields("Title", HOSTILE[name], select_rules(), "en")
        assert text  # processed, not emptied
