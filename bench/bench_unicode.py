"""The unicode rules: the gate's soundness, their speed against ftfy, what they change in clean
text, and the segment-mojibake cases built from real sentences.

    python bench/bench_unicode.py soundness   # every line ftfy changes passes the gate (all ../shared text)
    python bench/bench_unicode.py speed       # unicode rules vs ftfy.fix_text, 3,000 AllSides + multilingual
    python bench/bench_unicode.py untouched   # articles the unicode rules change, before vs after, per file
    python bench/bench_unicode.py cases       # rebuild fixtures/rules/unicode_segments.json from ../shared

Needs ../shared (exit 2 without it). Timings are medians of 3 runs in one process.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import ftfy
import ftfy.bad_codecs  # registers the sloppy-windows-* codecs ftfy decodes with

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ALLSIDES, ROOT, code_version, cpu_model, usable_cores
from cleaner.normalize import clean_fields, select_rules
from cleaner.normalize import encoding as enc
from cleaner.normalize.rules import unicode as uni

SHARED = ROOT.parent / "shared" / "corpora"
MULTILINGUAL = sorted((SHARED / "multilingual").glob("*.jsonl.gz"))
BBC = SHARED / "bbc_fulltext_2225.jsonl"
FTFY_CASES = SHARED / "normalizer_ftfy_mojibake_cases.jsonl"
CASES_OUT = ROOT / "fixtures" / "rules" / "unicode_segments.json"
SEED = "20240615-unicode-segments"


def records(path: Path, limit: int | None = None) -> Iterator[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if limit is not None and i >= limit:
                return
            yield json.loads(line)


def strings(value) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Every string in a record, however nested (titles, bodies, raw page text and HTML,
    extractor outputs, captions)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


# --- soundness -------------------------------------------------------------------------------


def soundness() -> int:
    """Over every string of every shared corpus: each text ftfy changes, and each line of it
    ftfy changes, must pass the gate. Exit 1 if one does not."""
    files = sorted(p for p in SHARED.rglob("*.jsonl*") if p.is_file())
    total = {"texts": 0, "lines": 0, "changed_texts": 0, "changed_lines": 0, "missed": 0, "gate_texts": 0}
    for path in files:
        n = {"texts": 0, "changed": 0, "gate": 0, "missed": 0}
        for rec in records(path):
            for text in strings(rec):
                n["texts"] += 1
                gate = enc.may_need_ftfy(text)
                n["gate"] += gate
                if ftfy.fix_text(text, enc.MOJIBAKE) == text:
                    continue  # ftfy fixes line by line: an unchanged text has no changed line
                n["changed"] += 1
                if not gate:
                    n["missed"] += 1
                    print(f"  MISSED text in {path.name}: {text[:80]!r}")
                for _, line in uni._lines(text):
                    total["lines"] += 1
                    if ftfy.fix_text(line, enc.MOJIBAKE) != line:
                        total["changed_lines"] += 1
                        if not enc.may_need_ftfy(line):
                            total["missed"] += 1
                            print(f"  MISSED line in {path.name}: {line[:80]!r}")
        total["texts"] += n["texts"]
        total["changed_texts"] += n["changed"]
        total["gate_texts"] += n["gate"]
        total["missed"] += n["missed"]
        print(
            f"  {path.relative_to(SHARED)}: {n['texts']:,} strings, ftfy changes "
            f"{n['changed']:,}, gate passes {n['gate']:,}, missed {n['missed']}"
        )
    print(
        f"gate soundness over {len(files)} files: {total['texts']:,} strings, "
        f"ftfy.fix_text (rule config) changes {total['changed_texts']:,} "
        f"({total['changed_lines']:,} lines of them); gate passes {total['gate_texts']:,} "
        f"strings; ftfy-changed texts or lines the gate skips: {total['missed']}"
    )
    return 1 if total["missed"] else 0


# --- speed -----------------------------------------------------------------------------------


def _speed_texts() -> list[tuple[str | None, str]]:
    docs = [(r.get("title"), r["text"]) for r in records(ALLSIDES, 3000)]
    for path in MULTILINGUAL:
        docs += [(r.get("title"), r["text"]) for r in records(path)]
    return docs


def speed() -> int:
    docs = _speed_texts()
    rules = select_rules(["unicode"])
    chars = sum(len(t) + len(title or "") for title, t in docs)

    def ours() -> None:
        for title, text in docs:
            clean_fields(title, text, rules)

    def ftfy_default() -> None:
        for title, text in docs:
            if title:
                ftfy.fix_text(title)
            ftfy.fix_text(text)

    def ftfy_rule_config() -> None:
        for title, text in docs:
            if title:
                ftfy.fix_text(title, enc.MOJIBAKE)
            ftfy.fix_text(text, enc.MOJIBAKE)

    def gate_only() -> None:
        for title, text in docs:
            if title:
                enc.may_need_ftfy(title)
            enc.may_need_ftfy(text)

    names = [
        "unicode rules (engine, title + text)",
        "ftfy.fix_text, default config",
        "ftfy.fix_text, the rule's config",
        "the gate alone",
    ]
    runs: dict[str, list[float]] = {name: [] for name in names}
    fns = [ours, ftfy_default, ftfy_rule_config, gate_only]
    for _ in range(3):  # in turns, so a slow spell of the shared machine hits every contender
        for name, fn in zip(runs, fns, strict=True):
            t0 = time.perf_counter()
            fn()
            runs[name].append(time.perf_counter() - t0)
    print(
        f"{len(docs):,} documents (3,000 AllSides + {len(docs) - 3000:,} "
        f"multilingual), {chars / 1e6:.1f} M characters; median of 3"
    )
    med = {name: statistics.median(ts) for name, ts in runs.items()}
    for name, m in med.items():
        print(f"  {name:40s} {m:7.2f} s   runs [" + ", ".join(f"{t:.2f}" for t in runs[name]) + "]")
    ours_m, default_m, config_m = (med[name] for name in names[:3])
    print(
        f"  ratio unicode rules / ftfy.fix_text default: {ours_m / default_m:.3f}x; "
        f"/ ftfy with the rule's config: {ours_m / config_m:.3f}x"
    )
    gated = sum(enc.may_need_ftfy(t) for _, t in docs)
    print(f"  texts the gate sends to ftfy: {gated:,} of {len(docs):,}")
    return 0


# --- clean text untouched --------------------------------------------------------------------


def _before(text: str) -> str:
    """What the three rules did before segment fixing and the gate: each line through ftfy
    (rule config) when ftfy changed the text, every line unescaped, control characters removed."""
    if not text.isascii() and ftfy.fix_text(text, enc.MOJIBAKE) != text:
        text = "".join(ftfy.fix_text(line, enc.MOJIBAKE) for line in text.splitlines(keepends=True))
    if "&" in text:
        text = "".join(enc.unescape_all(line) for line in text.splitlines(keepends=True))
    return uni.fixes.remove_control_chars(text)


def untouched() -> int:
    rules = select_rules(["unicode"])
    print(
        "articles (title or text) the unicode rules change; before = "
        "each line through ftfy as the rules did, after = this branch"
    )
    for path in [*MULTILINGUAL, BBC]:
        n = before = after = 0
        diff: list[str] = []
        by_rule: Counter[str] = Counter()
        for r in records(path):
            n += 1
            fields = [f for f in (r.get("title"), r["text"]) if f]
            b = any(_before(f) != f for f in fields)
            title, text, edits = clean_fields(r.get("title"), r["text"], rules)
            a = title != r.get("title") or text != r["text"]
            by_rule.update({e.rule for e in edits if e.action != "flagged"})
            before += b
            after += a
            if a != b:
                diff.append(r["id"])
        seen = ", ".join(f"{rule} {by_rule[rule]}" for rule in ("mojibake", "html-entities", "control-chars"))
        print(
            f"  {path.name:28s} {n:5,} articles: before {before:3}, after {after:3} (after, by rule: {seen})"
            + (f"  differ: {', '.join(diff[:6])}" if diff else "")
        )
    return 0


# --- cases -----------------------------------------------------------------------------------

# Written for this project (no third-party text): Polish, Turkish and Czech news-style lines,
# since the shared corpora have none. Each line is three sentences; every sentence has letters
# that cp1252 cannot hold (ł ś ż, ı ş ğ, ř ě č), as real text in these languages does.
HAND_WRITTEN = {
    "pl": [
        (
            "W poniedziałek rano w Krakowie spadł pierwszy śnieg. "
            "Kierowcy musieli zwolnić, a tramwaje jeździły z opóźnieniem. "
            "Służby miejskie zapowiedziały, że ulice zostaną odśnieżone do południa."
        ),
        (
            "Rząd przedstawił projekt budżetu na przyszły rok. "
            "Według ministra finansów deficyt ma się zmniejszyć o jedną piątą. "
            "Opozycja twierdzi, że te założenia są zbyt optymistyczne."
        ),
        (
            "Mieszkańcy Gdańska protestowali przeciwko wycince drzew w parku. "
            "Władze miasta obiecały, że posadzą nowe dęby i lipy. "
            "Spór ma się rozstrzygnąć na sesji rady w przyszłym tygodniu."
        ),
        (
            "Reprezentacja Polski wygrała mecz z Łotwą dwa do zera. "
            "Obie bramki zdobył młody napastnik z Poznania. "
            "Trener podkreślił, że zespół grał bardzo ambitnie i zasłużył na zwycięstwo."
        ),
    ],
    "tr": [
        (
            "İstanbul'da sabah saatlerinde yoğun sis etkili oldu. "
            "Bazı vapur seferleri iptal edildi ve köprülerde trafik yavaşladı. "
            "Meteoroloji, öğleden sonra havanın açılacağını bildirdi."
        ),
        (
            "Merkez Bankası faiz oranlarını değiştirmedi. "
            "Ekonomistler kararın piyasada beklendiğini söyledi. "
            "Döviz kurları açıklamanın ardından hafifçe düştü."
        ),
        (
            "Ankara'daki müzede yeni bir sergi açıldı. "
            "Sergide Osmanlı döneminden kalma el yazmaları ve haritalar yer alıyor. "
            "Ziyaretçiler hafta sonu ücretsiz girebilecek."
        ),
        (
            "Türkiye'nin güneyinde orman yangınları sürüyor. "
            "İtfaiye ekipleri gece boyunca aralıksız çalıştı. "
            "Yetkililer, rüzgârın yavaşlamasıyla yangının kontrol altına alınmasını umuyor."
        ),
    ],
    "cs": [
        (
            "V Praze se v sobotu konal tradiční vánoční trh. "
            "Na Staroměstském náměstí se sešly tisíce lidí. "
            "Pořadatelé odhadují, že letos přišlo více návštěvníků než loni."
        ),
        (
            "Vláda schválila nový zákon o ochraně přírody. "
            "Podle ministra životního prostředí posílí ochranu lesů a řek. "
            "Opozice návrh kritizuje jako příliš přísný."
        ),
        (
            "Hokejisté Sparty porazili Brno čtyři ku dvěma. "
            "Rozhodující gól padl v poslední minutě třetí třetiny. "
            "Trenér po zápase ocenil bojovnost mladých hráčů."
        ),
        (
            "Ceny energií v Česku během zimy mírně klesly. "
            "Domácnosti ale stále platí více než před třemi lety. "
            "Ekonomové očekávají, že se situace na jaře zlepší."
        ),
    ],
}

# The usual mojibake: UTF-8 bytes read as Windows-1252 (undefined bytes kept as C1, as browsers
# and ftfy's sloppy codec do) or as latin-1.
CODECS = ("sloppy-windows-1252", "latin-1")
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s*")


def _sentences(line: str) -> list[str]:
    """A line cut after each sentence end, the spaces kept with the sentence before them, so
    the pieces join back to the line."""
    cuts = [m.end() for m in _SENTENCE.finditer(line) if 0 < m.end() < len(line)]
    return [line[a:b] for a, b in zip([0, *cuts], [*cuts, len(line)], strict=True) if line[a:b]]


def _damage(sentences: list[str], k: int, codec: str) -> str:
    s = sentences[k]
    body = s.rstrip()
    return "".join(sentences[:k]) + body.encode("utf-8").decode(codec) + s[len(body) :] + "".join(sentences[k + 1 :])


def _case(lang: str, source: str, line: str, k: int, codec: str, stats: dict) -> dict | None:
    sentences = _sentences(line)
    target = sentences[k].rstrip()
    if target.isascii():
        return None
    damaged = _damage(sentences, k, codec)
    stats["built"] += 1
    if ftfy.fix_text(target.encode("utf-8").decode(codec), enc.MOJIBAKE) != target:
        stats["ftfy_fails_alone"] += 1
        return None  # beyond ftfy even alone: not what segment fixing promises
    ftfy_line = ftfy.fix_text(damaged, enc.MOJIBAKE) == line
    stats["ftfy_whole_line"] += ftfy_line
    return {
        "rule": "mojibake",
        "label": f"{lang} {source}: sentence {k + 1} of {len(sentences)} read as {codec}",
        "lang": lang,
        "source": source,
        "codec": codec,
        "damaged_sentence": k + 1,
        "ftfy_alone_fixes_line": ftfy_line,
        "original": damaged,
        "fixed": line,
    }


def _corpus_lines(path: Path, rng: random.Random, want: int) -> Iterator[tuple[str, str]]:
    """Up to `want` windows of three real sentences (a line of the article, cut to its
    sentences 1-3 after a random start), from records in a seeded random order, clean as read
    (the unicode rules leave them alone)."""
    recs = list(records(path))
    rng.shuffle(recs)
    got = 0
    for r in recs:
        for line in r["text"].split("\n"):
            sentences = _sentences(line)
            if len(sentences) < 3:
                continue
            start = rng.randrange(len(sentences) - 2)
            window = "".join(sentences[start : start + 3]).rstrip()
            if (
                len(_sentences(window)) != 3
                or not 80 <= len(window) <= 600
                or window.isascii()
                or enc.may_need_ftfy(window)
                or enc.CONTROL.search(window)
                or "&" in window
            ):
                continue
            yield r["id"], window
            got += 1
            break
        if got >= want:
            return


def cases() -> int:
    rng = random.Random(SEED)
    out, stats_by_lang = [], {}
    for lang, lines in HAND_WRITTEN.items():
        stats = stats_by_lang.setdefault(lang, {"built": 0, "ftfy_fails_alone": 0, "ftfy_whole_line": 0})
        for i, line in enumerate(lines):
            for k in range(3):
                for codec in CODECS:
                    case = _case(lang, f"hand-written line {i + 1}", line, k, codec, stats)
                    if case:
                        out.append(case)
    for path in MULTILINGUAL:
        lang = path.name.split("_")[1].split(".")[0]
        stats = stats_by_lang.setdefault(lang, {"built": 0, "ftfy_fails_alone": 0, "ftfy_whole_line": 0})
        for rid, line in _corpus_lines(path, rng, 10):
            k = rng.choice([i for i, s in enumerate(_sentences(line)) if not s.isascii()])
            case = _case(lang, rid, line, k, CODECS[len(out) % 2], stats)
            if case:
                out.append(case)
    doc = {
        "family": "unicode",
        "about": (
            "One sentence of a correct line damaged into mojibake (UTF-8 read as cp1252 or latin-1); "
            "the mojibake rule must give the line back exactly. "
            "Built by `python bench/bench_unicode.py cases` (seed "
        )
        + SEED
        + "); only cases whose damaged sentence ftfy repairs when given alone are kept.",
        "sources": {
            "pl, tr, cs": (
                "hand-written lines in bench/bench_unicode.py (HAND_WRITTEN), "
                "written for this project; Apache-2.0 like the repository"
            ),
            "de": (
                "../shared/corpora/multilingual/news_de.jsonl.gz: tblock/10kGNAD (DER STANDARD), CC BY-NC-SA 4.0; "
                "news_de_semeval23.jsonl.gz: yrf1/SemEval23-Task-3-UIUC-Team, research use (shared-task data)"
            ),
            "fr, it": (
                "../shared/corpora/multilingual/news_fr / news_it: "
                "yrf1/SemEval23-Task-3-UIUC-Team, research use (shared-task data)"
            ),
            "es": (
                "../shared/corpora/multilingual/news_es.jsonl.gz: "
                "jpposadas/FakeNewsCorpusSpanish (real-news records), CC BY 4.0"
            ),
            "nl": "../shared/corpora/multilingual/news_nl.jsonl.gz: dpgmedia/partisan-news2019, no terms stated",
            "pt": (
                "../shared/corpora/multilingual/news_pt.jsonl.gz: "
                "roneysco/Fake.br-Corpus (true-news records), no terms stated"
            ),
            "zh": "../shared/corpora/multilingual/news_zh.jsonl.gz: qianshuang/dl-exp (THUCNews subset), research use",
            "note": (
                "the text belongs to its publishers; here for testing only "
                "(three sentences per record, the record id in each case's `source`)"
            ),
        },
        "cases": out,
    }
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    # C1 controls escaped: valid raw in JSON, but invisible to whoever reviews the cases.
    text = re.sub("[\x80-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)
    CASES_OUT.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {len(out)} cases to {CASES_OUT.relative_to(ROOT)}")
    for lang, s in stats_by_lang.items():
        print(
            f"  {lang}: built {s['built']}, ftfy cannot fix the sentence even "
            f"alone {s['ftfy_fails_alone']} (dropped), ftfy alone fixes the whole "
            f"line {s['ftfy_whole_line']} of {s['built'] - s['ftfy_fails_alone']}"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "what",
        choices=["soundness", "speed", "untouched", "cases", "all"],
        help="all: the three measurements (not cases)",
    )
    args = ap.parse_args(argv)
    if not SHARED.is_dir():
        print(f"error: {SHARED} not found (this benchmark reads ../shared)", file=sys.stderr)
        return 2
    print(f"machine: {cpu_model()}, {usable_cores()} usable cores; ftfy {ftfy.__version__}; {code_version()}")
    jobs = {"soundness": soundness, "speed": speed, "untouched": untouched, "cases": cases}
    chosen = ["soundness", "speed", "untouched"] if args.what == "all" else [args.what]
    return max(jobs[name]() for name in chosen)


if __name__ == "__main__":
    sys.exit(main())
