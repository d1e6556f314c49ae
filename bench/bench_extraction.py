"""Normalizer benchmark on real extractor output, against human gold text.

Two corpora of real web pages with a human-cleaned gold body (`text`) and headline (`title`):
Scrapinghub's article-extraction-benchmark (AEB, 181 pages, with `extractor_outputs` of 11
extractors) and L3S-GN1 (621 Google News pages; no extractor outputs, only `raw_text`, a naive
whole-page text). Both also have `raw_text`, used as one more "extractor" (the page text).

[1] Controls: each gold body is cleaned as it is (with its gold title). Gold is human-cleaned, so
    the share left byte-identical is the real "clean text passes untouched" figure; the share with
    no word removed ignores whitespace edits (gold may hold whitespace oddities). L3S gold joins
    paragraphs with single line breaks, so it is also cleaned as `--paragraph-sep '\n'` would. Every
    edit that removes words goes to bench/out/extraction_controls.txt with its context.
[2] Extractor output vs gold: word tokens (regex \\w+, lowercased) compared as multisets
    (collections.Counter). junk = output words not in gold (multiset difference); lost = gold
    words the output had before cleaning that are gone after it (content the cleaner removed
    wrongly). Aim: junk goes down, lost stays ~0. A lost word is "confirmed" when the passage the
    edit removed is itself in the gold body (not junk that merely shares common words with it).
    The largest lost cases, with the rule and the edit, go to bench/out/extraction_lost.txt.

    python bench/bench_extraction.py                 # both corpora, every record
    python bench/bench_extraction.py --limit 50      # the first 50 records of each corpus

Everything printed and written is deterministic (no sampling, no timings).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import regex

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_normalize import code_version, machine_line, show  # noqa: E402  (same machine line as the other benchmark)

from cleaner.lang import known_language  # noqa: E402
from cleaner.model import Edit  # noqa: E402
from cleaner.normalize import all_rules, clean_fields, replay  # noqa: E402
from cleaner.normalize.evidence import CorpusEvidence, Evidence  # noqa: E402
from cleaner.text import sentence_spans  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / ".." / "shared" / "corpora"
AEB = CORPORA / "extraction_scrapinghub_aeb_181.jsonl.gz"
L3S = CORPORA / "extraction_l3s_gn1_news_621.jsonl.gz"
OUT_DIR = ROOT / "bench" / "out"
RAW = "raw_text"  # the page text, treated as one more extractor
WORD = regex.compile(r"\w+")
CONTEXT = 100  # characters either side of an edit in the files
NGRAM, WINDOW, CONFIRM = 5, 2, 0.5  # gold_coverage: n-gram size, context words, share that confirms a loss
SELF_NGRAM = 8  # self_repetition: a gold word sequence this long seen twice is a repeat
DUPLICATED = 0.25  # longest_repeat at least this: the gold body holds a long block twice (the page was duplicated)
MAX_EDITS = 6  # distinct edits shown per lost case
SENTENCE_LOSS, AIM_SENTENCE_OUTPUTS = 0.02, 0.01  # issue 14: <= 1% of outputs lose > 2% of their gold sentences


# --- data ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    corpus: str
    id: str
    title: str
    gold: str
    outputs: dict[str, str | None]  # extractor name -> its output (None: the extractor gave nothing)


def load(path: Path, corpus: str, limit: int | None) -> tuple[list[Page], int]:
    """The pages of a corpus (the first `limit` records), and how many were skipped for an empty gold body."""
    pages, skipped = [], 0
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if limit is not None and i >= limit:
                break
            r = json.loads(line)
            if not isinstance(r.get("text"), str) or not r["text"].strip():
                skipped += 1
                continue
            outputs: dict[str, str | None] = dict(sorted((r.get("extractor_outputs") or {}).items()))
            outputs[RAW] = r.get("raw_text")
            pages.append(Page(corpus, str(r["id"]), r.get("title") or "", r["text"], outputs))
    return pages, skipped


_WS = regex.compile(
    r"[\s\u200b\u200c\u200d\u2060\ufeff]+"
)  # whitespace, and the invisible characters that separate nothing


def tokens(s: str) -> list[str]:
    """Whitespace-split tokens; a zero-width space or BOM counts as whitespace, not as a token."""
    return [t for t in _WS.split(s) if t]


def words(s: str) -> Counter:
    return Counter(w.lower() for w in WORD.findall(s))


def n(c: Counter) -> int:
    return sum(c.values())


def has_output(s: str | None) -> bool:
    return isinstance(s, str) and bool(s.strip())


# --- cleaning and edit attribution --------------------------------------------------------------


RULES = all_rules()


EVIDENCE: dict[str, Evidence] = {}  # the corpus evidence of the outputs being cleaned, per extractor


def clean(title: str, text: str, evidence: Evidence | None = None) -> tuple[str | None, str, tuple[Edit, ...]]:
    return clean_fields(title, text, RULES, "en", evidence)


def gather(texts: list[str]) -> Evidence:
    """The evidence pass `cleaner clean` makes over the corpus it cleans (here: one extractor's
    outputs, or the gold bodies)."""
    corpus = CorpusEvidence()
    for t in texts:
        corpus.observe(t, "en")
    return Evidence(corpus)


def _norm(s: str) -> str:
    """Words only, lowercased, a word repeated in a row counted once: a sentence is the same
    sentence after `Yobe North , Ahmad` -> `Yobe North, Ahmad` or `on the the sentencing` -> `on the
    sentencing` (the gold holds such slips too)."""
    out: list[str] = []
    for w in WORD.findall(s.lower()):
        if not out or out[-1] != w:
            out.append(w)
    return " " + " ".join(out) + " "


def gold_sentences(gold: str) -> list[str]:
    """The gold body's sentences of 4+ words, whitespace normalized."""
    out = []
    for para in gold.split("\n"):
        for a, b in sentence_spans(para.strip(), known_language("en")):
            sent = _norm(para.strip()[a:b])
            if len(sent.split()) >= 4:
                out.append(sent)
    return out


def sentence_loss(gold: str, before: str, after: str, edits: tuple[Edit, ...]) -> tuple[int, int, int]:
    """(gold sentences the output had before cleaning, of them gone after, of those the ones a
    boilerplate-lines edit took: site lines that the human gold kept)."""
    nb, na = _norm(before), _norm(after)  # sentences match as whole words: " a b " in " x a b y "
    had = [s for s in gold_sentences(gold) if s in nb]
    gone = [s for s in had if s not in na]
    site = [_norm(e.before) for e in edits if e.rule == "boilerplate-lines" and e.action != "flagged"]
    by_site = sum(1 for s in gone if any(s.strip() in b or b.strip() in s for b in site if b.strip()))
    return len(had), len(gone), by_site


def text_edits(edits: tuple[Edit, ...]) -> list[Edit]:
    return [e for e in edits if e.field == "text" and e.action != "flagged"]


def removed_tokens(e: Edit) -> Counter:
    """Whitespace-split tokens of the edit's span that are not in its replacement."""
    return Counter(tokens(e.before)) - Counter(tokens(e.after))


def removed_words(e: Edit) -> Counter:
    """\\w+ words (lowercased) of the edit's span that are not in its replacement."""
    return words(e.before) - words(e.after)


def context(original: str, edits: tuple[Edit, ...], e: Edit) -> str:
    """`…before[[span]]after…` in the text as it was just before the edit's step."""
    cur = replay(original, [x for x in edits if x.step < e.step])
    return (
        f"…{show(cur[max(0, e.start - CONTEXT) : e.start])}[[{show(cur[e.start : e.end])}]]"
        f"{show(cur[e.end : e.end + CONTEXT])}…"
    )


def squash(s: str) -> str:
    return " ".join(s.split())


def edit_line(e: Edit) -> str:
    after = "" if e.action == "removed" else f" -> {show(e.after)[:300]!r}"
    return f"{e.rule} {e.action} {show(e.before)[:600]!r}{after}"


# --- [1] controls: gold as it is ------------------------------------------------------------------


@dataclass
class ControlResult:
    corpus: str
    variant: str
    n: int = 0
    identical: int = 0
    ws_only: int = 0  # changed, but the whitespace-split token sequence is the same
    no_token_removed: int = 0  # no whitespace-split token lost (multiset)
    no_word_removed: int = 0  # no \w+ word lost (multiset)
    title_changed: int = 0
    rule_docs: Counter = field(default_factory=Counter)
    rule_edits: Counter = field(default_factory=Counter)
    rule_word_edits: Counter = field(default_factory=Counter)  # edits that remove whitespace-split tokens
    rule_words: Counter = field(default_factory=Counter)  # \w+ words those edits remove
    report: list[str] = field(default_factory=list)


def run_controls(pages: list[Page], corpus: str, variant: str, newline_paragraphs: bool) -> ControlResult:
    """Clean every gold body. With `newline_paragraphs`, single line breaks are paragraph breaks, as
    with `cleaner clean --paragraph-sep '\\n'` (replaced by a blank line before cleaning, put back after)."""
    res = ControlResult(corpus, variant)
    shown_layout: Counter = Counter()
    texts = [p.gold.replace("\n", "\n\n") if newline_paragraphs else p.gold for p in pages]
    evidence = gather(texts)
    for p, text in zip(pages, texts, strict=True):
        title, out, edits = clean(p.title, text, evidence)
        if newline_paragraphs:
            out = out.replace("\n\n", "\n")
        res.n += 1
        res.title_changed += title != p.title
        removed_tok = Counter(tokens(p.gold)) - Counter(tokens(out))
        removed_w = words(p.gold) - words(out)
        if out == p.gold:
            res.identical += 1
        elif tokens(p.gold) == tokens(out):
            res.ws_only += 1
        res.no_token_removed += not removed_tok
        res.no_word_removed += not removed_w
        tedits = text_edits(edits)
        if out == p.gold and not tedits:
            continue
        for r in sorted({e.rule for e in tedits}):
            res.rule_docs[r] += 1
        for e in tedits:
            res.rule_edits[e.rule] += 1
            tok = removed_tokens(e)
            if tok:
                res.rule_word_edits[e.rule] += 1
                res.rule_words[e.rule] += n(removed_words(e))
            # every edit that removes a token; a few of the others (whitespace) per rule
            if tok or shown_layout[e.rule] < 3:
                if not tok:
                    shown_layout[e.rule] += 1
                kind = "REMOVES WORDS" if tok else "whitespace only"
                res.report.append(
                    f"\n  [{e.rule}] {p.id} ({kind}; {n(removed_words(e))} \\w+ words)  title: {p.title!r}"
                )
                res.report.append(f"      {edit_line(e)}")
                res.report.append(f"      in: {context(text, edits, e)}")
                if tok:
                    res.report.append(f"      removed tokens: {' '.join(sorted(tok.elements()))[:300]}")
    return res


def print_controls(res: ControlResult) -> None:
    k = res.n
    print(f"  {res.corpus} gold ({res.variant}): {k} articles")
    print(f"    left byte-identical:               {res.identical:4d}/{k} = {res.identical / k:.4f}")
    print(f"    changed only in whitespace:        {res.ws_only:4d}")
    print(f"    no whitespace-split token removed: {res.no_token_removed:4d}/{k} = {res.no_token_removed / k:.4f}")
    print(f"    no \\w+ word removed:               {res.no_word_removed:4d}/{k} = {res.no_word_removed / k:.4f}")
    if res.title_changed:
        print(f"    (info) gold titles changed by cleaning: {res.title_changed}")
    if res.rule_docs:
        print(f"    {'rule':<22} {'articles':>8} {'edits':>6} {'edits removing tokens':>22} {'words removed':>14}")
        for r, d in sorted(res.rule_docs.items(), key=lambda x: (-x[1], x[0])):
            print(f"    {r:<22} {d:8d} {res.rule_edits[r]:6d} {res.rule_word_edits[r]:22d} {res.rule_words[r]:14d}")


# --- [2] extractor output vs gold -----------------------------------------------------------------


@dataclass
class Case:
    corpus: str
    id: str
    extractor: str
    title: str
    gold: str
    before: str
    after: str
    edits: tuple[Edit, ...]
    present: int  # gold words in the output before cleaning (multiset intersection)
    junk_before: int
    junk_after: int
    lost: Counter
    confirmed: int  # lost words removed by edits whose span is in the gold body (gold_coverage >= CONFIRM)
    recovered: int  # gold words present after cleaning but not before (e.g. mojibake fixed)
    by_rule: Counter  # lost words attributed to the rule whose edit removed them
    lost_edits: list[tuple[Edit, Counter, float]]  # the edits that removed lost words, the words, gold coverage


class GoldIndex:
    """The gold body as a lowercased word sequence, with its n-grams (n <= NGRAM) on demand."""

    def __init__(self, gold: str) -> None:
        self.seq = [w.lower() for w in WORD.findall(gold)]
        self._grams: dict[int, set[tuple[str, ...]]] = {}

    def grams(self, k: int) -> set[tuple[str, ...]]:
        if k not in self._grams:
            self._grams[k] = {tuple(self.seq[i : i + k]) for i in range(len(self.seq) - k + 1)}
        return self._grams[k]


def gold_coverage(gold: GoldIndex, text: str, e: Edit) -> float:
    """Share of the words of the edit's span that sit, with their neighbours, in the gold body:
    the span with WINDOW words of context each side (from the text the rule saw) is cut into
    NGRAM-word n-grams, and a span word counts when one n-gram holding it is also in gold. High:
    the cleaner removed a passage the gold body has (real content); low: the removed words only
    happen to be gold vocabulary (junk that shares common words with the article)."""
    span = [w.lower() for w in WORD.findall(e.before)]
    if not span:
        return 0.0
    left = [w.lower() for w in WORD.findall(text[max(0, e.start - 200) : e.start])][-WINDOW:]
    right = [w.lower() for w in WORD.findall(text[e.end : e.end + 200])][:WINDOW]
    window = left + span + right
    k = min(NGRAM, len(window))
    grams = gold.grams(k)
    covered = [False] * len(window)
    for i in range(len(window) - k + 1):
        if tuple(window[i : i + k]) in grams:
            covered[i : i + k] = [True] * k
    inside = covered[len(left) : len(left) + len(span)]
    return sum(inside) / len(span)


def self_repetition(gold: str) -> float:
    """Share of the gold body's words inside a SELF_NGRAM-word sequence that occurs more than once in it."""
    seq = [w.lower() for w in WORD.findall(gold)]
    k = SELF_NGRAM
    if len(seq) < 2 * k:
        return 0.0
    counts = Counter(tuple(seq[i : i + k]) for i in range(len(seq) - k + 1))
    covered = [False] * len(seq)
    for i in range(len(seq) - k + 1):
        if counts[tuple(seq[i : i + k])] > 1:
            covered[i : i + k] = [True] * k
    return sum(covered) / len(seq)


def longest_repeat(gold: str) -> float:
    """The longest word sequence that occurs twice in the gold body, as a share of its words: about
    50% when the page (and so the gold) holds the whole article twice."""
    seq = [w.lower() for w in WORD.findall(gold)]

    def repeats(k: int) -> bool:
        seen: set[tuple[str, ...]] = set()
        for i in range(len(seq) - k + 1):
            g = tuple(seq[i : i + k])
            if g in seen:
                return True
            seen.add(g)
        return False

    lo, hi = 0, len(seq) // 2  # a k-word repeat implies a (k-1)-word one: binary search the longest
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if repeats(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo / len(seq) if seq else 0.0


def compare(p: Page, gold: GoldIndex, extractor: str, before: str) -> Case:
    g = words(p.gold)
    _, after, edits = clean(p.title, before, EVIDENCE.get(f"{p.corpus}:{extractor}"))
    b, a = words(before), words(after)
    present, present_after = g & b, g & a
    lost = present - present_after
    by_rule: Counter = Counter()
    lost_edits = []
    confirmed = 0
    if lost:
        # Which edit removed which lost word: a common word ("the") removed by several edits is
        # given to the edits whose removed words are most nearly all lost words first.
        cands = []
        for e in text_edits(edits):
            rw = removed_words(e)
            share = n(rw & lost) / n(rw) if rw else 0.0
            if share:
                cands.append((-share, e.step, e.start, e, rw))
        remaining = lost.copy()
        for _, _, _, e, rw in sorted(cands, key=lambda x: x[:3]):
            take = rw & remaining
            if not take:
                continue
            remaining -= take
            by_rule[e.rule] += n(take)
            text = replay(before, [x for x in edits if x.step < e.step])
            cov = gold_coverage(gold, text, e)
            confirmed += n(take) if cov >= CONFIRM else 0
            lost_edits.append((e, take, cov))
        if remaining:
            by_rule["(unattributed)"] += n(remaining)
        lost_edits.sort(key=lambda x: (x[0].step, x[0].start))
    return Case(
        p.corpus,
        p.id,
        extractor,
        p.title,
        p.gold,
        before,
        after,
        edits,
        n(present),
        n(b - g),
        n(a - g),
        lost,
        confirmed,
        n(present_after - present),
        by_rule,
        lost_edits,
    )


@dataclass
class Row:
    n: int = 0
    empty: int = 0
    gold: int = 0
    present: int = 0
    junk_before: int = 0
    junk_after: int = 0
    lost: int = 0
    confirmed: int = 0
    recovered: int = 0
    changed: int = 0
    with_loss: int = 0
    by_rule_junk: Counter = field(default_factory=Counter)


def add(row: Row, c: Case, gold_words: int) -> None:
    row.n += 1
    row.gold += gold_words
    row.present += c.present
    row.junk_before += c.junk_before
    row.junk_after += c.junk_after
    row.lost += n(c.lost)
    row.confirmed += c.confirmed
    row.recovered += c.recovered
    row.changed += c.after != c.before
    row.with_loss += bool(c.lost)


def print_table(title: str, rows: dict[str, Row]) -> None:
    print(f"\n  {title}")
    print(
        f"    {'extractor':<15} {'n':>4} {'empty':>5} {'recall':>6} {'junk bef':>8} {'junk aft':>8} {'removed':>7}"
        f" {'lost/art':>8} {'lost':>5} {'share':>7} {'confirmed':>9} {'share':>7} {'w/ loss':>7} {'changed':>7}"
    )
    for name, r in rows.items():
        if not r.n:
            print(f"    {name:<15} {0:4d} {r.empty:5d}  (no output)")
            continue
        jb, ja = r.junk_before / r.n, r.junk_after / r.n
        removed = (r.junk_before - r.junk_after) / r.junk_before if r.junk_before else float("nan")
        pr = r.present or 1
        print(
            f"    {name:<15} {r.n:4d} {r.empty:5d} {r.present / r.gold:6.3f} {jb:8.1f} {ja:8.1f} {removed:7.1%}"
            f" {r.lost / r.n:8.2f} {r.lost:5d} {r.lost / pr:7.4%} {r.confirmed:9d} "
            f"{r.confirmed / pr:7.4%} {r.with_loss:7d} {r.changed:7d}"
        )


# --- main -----------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--limit", type=int, default=None, help="use only the first N records of each corpus (default: all)"
    )
    ap.add_argument("--lost-cases", type=int, default=20, help="largest lost cases written in full (default 20)")
    ap.add_argument("--controls-file", type=Path, default=OUT_DIR / "extraction_controls.txt")
    ap.add_argument("--lost-file", type=Path, default=OUT_DIR / "extraction_lost.txt")
    args = ap.parse_args()

    print(machine_line())
    print(code_version())
    print(f"rules: {len(RULES)} (all); records per corpus: {'all' if args.limit is None else f'first {args.limit:,}'}")
    corpora = []
    for name, path in (("AEB", AEB), ("L3S", L3S)):
        pages, skipped = load(path, name, args.limit)
        corpora.append((name, pages))
        extra = f"; {skipped} skipped (empty gold body)" if skipped else ""
        print(f"  {name}: {path.name}: {len(pages)} pages{extra}")

    # --- [1] controls ------------------------------------------------------------------------------
    print("\n[1] controls: gold bodies cleaned as they are (gold title as the title)")
    print(
        "    byte-identical = untouched; 'no token removed' compares whitespace-split tokens as multisets (whitespace"
    )
    print(
        "    edits do not count, but a fix inside a token such as "
        "'said ,' -> 'said,' does); '\\w+ word' compares words only"
    )
    controls = [run_controls(pages, name, "as is", False) for name, pages in corpora]
    # L3S gold joins paragraphs with single line breaks: also as `--paragraph-sep '\n'` would clean it.
    l3s_pages = dict(corpora)["L3S"]
    controls.append(run_controls(l3s_pages, "L3S", "--paragraph-sep '\\n': line breaks as paragraph breaks", True))
    for res in controls:
        print_controls(res)
    lines = [
        "=" * 100,
        "CONTROLS: gold bodies changed by cleaning: every edit that removes "
        "a (whitespace-split) token, 3 whitespace-only edits per rule",
        "Each edit: rule action 'span' [-> 'replacement'], then "
        "the span [[in context]] as the text was when the rule ran",
        "=" * 100,
    ]
    for res in controls:
        lines.append(f"\n### {res.corpus} gold ({res.variant}): {res.n - res.identical} of {res.n} changed")
        lines.extend(res.report or ["  (nothing changed)"])
    args.controls_file.parent.mkdir(parents=True, exist_ok=True)
    args.controls_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"  word-removing edits with context: {os.path.relpath(args.controls_file, Path.cwd())}")

    # --- [2] extractor output vs gold -------------------------------------------------------------------
    print(
        "\n[2] extractor output vs gold: \\w+ words, lowercased, "
        "as multisets; per extractor, means per article with output"
    )
    print(
        "    recall = gold words in the output before cleaning / gold "
        "words; junk = output words not in gold (before and after"
    )
    print(
        "    cleaning, mean per article); removed = share of junk "
        "removed, (before - after) / before; lost = gold words in the"
    )
    print(
        "    output before cleaning and gone after (lost/art mean per "
        "article; lost total; share of gold words present before);"
    )
    print(
        "    confirmed = the lost words whose removed span is itself in "
        f"the gold body ({NGRAM}-grams with {WINDOW} words of context cover"
    )
    print(
        f"    >= {CONFIRM:.0%} of its words: real content removed); "
        "the rest is junk that only shares words with the article;"
    )
    print(
        "    w/ loss = outputs with any lost word; changed = outputs "
        "the cleaner changed; empty = no output (not counted)"
    )
    cases: list[Case] = []
    dup_share: dict[tuple[str, str], float] = {}  # longest_repeat of the gold of the articles with loss
    for name, pages in corpora:
        extractors = sorted({k for p in pages for k in p.outputs if k != RAW}) + [RAW]
        for k in extractors:
            EVIDENCE[f"{name}:{k}"] = gather([p.outputs[k] for p in pages if has_output(p.outputs.get(k))])
        rows = {k: Row() for k in extractors}
        sentence_cases = sentence_over = content_over = 0
        rule_lost: Counter = Counter()
        rule_confirmed: Counter = Counter()
        rule_articles: dict[str, set[str]] = defaultdict(set)
        for p in pages:
            gw = n(words(p.gold))
            gold = GoldIndex(p.gold)
            for k in extractors:
                out = p.outputs.get(k)
                if not has_output(out):
                    rows[k].empty += 1
                    continue
                c = compare(p, gold, k, out)
                add(rows[k], c, gw)
                had, gone, by_site = sentence_loss(p.gold, out, c.after, c.edits)
                if had:
                    sentence_cases += 1
                    sentence_over += gone / had > SENTENCE_LOSS
                    content_over += (gone - by_site) / had > SENTENCE_LOSS
                rule_lost.update(c.by_rule)
                for r in c.by_rule:
                    rule_articles[r].add(p.id)
                for e, take, cov in c.lost_edits:
                    if cov >= CONFIRM:
                        rule_confirmed[e.rule] += n(take)
                if c.lost:
                    cases.append(c)
                    if (name, p.id) not in dup_share:
                        dup_share[(name, p.id)] = longest_repeat(p.gold)
        note = "" if len(extractors) > 1 else ": no extractor outputs in this corpus, only the page text"
        print_table(f"{name} ({len(pages)} pages){note}", rows)
        if len(extractors) > 1:
            tot = Row()
            for k in extractors[:-1]:
                r = rows[k]
                for f in (
                    "n",
                    "empty",
                    "gold",
                    "present",
                    "junk_before",
                    "junk_after",
                    "lost",
                    "confirmed",
                    "recovered",
                    "changed",
                    "with_loss",
                ):
                    setattr(tot, f, getattr(tot, f) + getattr(r, f))
            print_table(
                f"{name}: the {len(extractors) - 1} extractors together (without {RAW})", {"all extractors": tot}
            )
        share = sentence_over / sentence_cases if sentence_cases else 0.0
        content = content_over / sentence_cases if sentence_cases else 0.0
        print(
            f"    {name}: outputs that lose over {SENTENCE_LOSS:.0%} of the "
            f"gold sentences they had: {sentence_over} of {sentence_cases}"
            f" = {share:.2%} (aim <= {AIM_SENTENCE_OUTPUTS:.0%}) "
            f"{'ok' if share <= AIM_SENTENCE_OUTPUTS else 'ABOVE AIM'};"
            f" not counting site lines the gold kept (copyright, `Click here ...`): {content_over} = {content:.2%}"
        )
        rec = sum(r.recovered for r in rows.values())
        print(f"    (info) gold words gained by cleaning (e.g. a fixed mojibake word now matching gold): {rec}")
        print(
            f"    {name} lost words by rule, all outputs incl. {RAW}: words (confirmed) in articles: "
            + (
                ", ".join(
                    f"{r} {k} ({rule_confirmed[r]}) in {len(rule_articles[r])}"
                    for r, k in sorted(rule_lost.items(), key=lambda x: (-x[1], x[0]))
                )
                or "none"
            )
        )
        mine = [c for c in cases if c.corpus == name]
        dup = [c for c in mine if dup_share[(name, c.id)] >= DUPLICATED]
        if mine:
            print(
                f"    of the lost words, {sum(n(c.lost) for c in dup)} of "
                f"{sum(n(c.lost) for c in mine)} ({sum(c.confirmed for c in dup)} of"
                f" {sum(c.confirmed for c in mine)} confirmed) are in "
                f"{len({c.id for c in dup})} articles whose gold body holds one block twice"
                f" (a repeated run >= {DUPLICATED:.0%} of its words: "
                "the page duplicated, so removing the copy is right)"
            )

    # --- lost-content file ----------------------------------------------------------------------------
    # The same article loses the same passages in the output of several extractors, so a case is an
    # article: ranked by its largest loss, shown with that output's edits, plus the edits of rules
    # that only fired on its other outputs.
    cases.sort(key=lambda c: (-n(c.lost), -c.confirmed, c.corpus, c.id, c.extractor))
    groups: dict[tuple[str, str], list[Case]] = {}
    for c in cases:
        groups.setdefault((c.corpus, c.id), []).append(c)
    top = list(groups.values())[: args.lost_cases]
    lines = [
        "=" * 100,
        f"LOST CONTENT: the {args.lost_cases} articles where cleaning "
        "removed most gold words from an extractor's output (AEB: 11",
        f"extractors and {RAW}; L3S: {RAW}). Each case: the output "
        "that lost most, every output of the article with loss,",
        f"and up to {MAX_EDITS} distinct edits that removed gold words "
        "(more only for rules that fired on other outputs): rule action",
        "'span', the span [[in context]] as the text was when the "
        "rule ran, the lost words it took, and its gold coverage",
        f"(share of the span's words found in the gold body in {NGRAM}-grams "
        f"with their context; >= {CONFIRM:.0%} = confirmed: the removed",
        "passage is real article content; low = junk that only "
        "shares common words with the article). 'gold repeats itself'",
        f"= share of gold words inside a {SELF_NGRAM}-word sequence that "
        "occurs twice or more in the gold body: a removed repeat can only",
        "count as lost when gold has it twice. 'longest repeated block' "
        "= the longest word sequence found twice in gold, as a share",
        f"of its words: >= {DUPLICATED:.0%} means the gold holds the article "
        "(or a long part) twice, a page artifact: removing the copy is right.",
        "A list of every output with loss follows.",
        "=" * 100,
    ]
    summary = []
    for i, grp in enumerate(top, 1):
        c = grp[0]
        rep = self_repetition(c.gold)
        block = dup_share[(c.corpus, c.id)]
        lines.append(
            f"\n#{i} {c.corpus} {c.id}: largest loss [{c.extractor}] {n(c.lost)} "
            f"gold words of {c.present} present, {c.confirmed} confirmed"
            f" (junk {c.junk_before} -> {c.junk_after}); by rule: "
            + ", ".join(f"{r} {k}" for r, k in c.by_rule.most_common())
        )
        lines.append(
            f"   title: {c.title!r}; gold {n(words(c.gold))} words, gold "
            f"repeats itself: {rep:.0%}, longest repeated block {block:.0%}"
            + (" (the gold holds one block twice)" if block >= DUPLICATED else "")
        )
        lines.append(
            "   outputs with loss: "
            + "; ".join(
                f"{o.extractor} {n(o.lost)} ({o.confirmed} conf.: " + ", ".join(sorted(o.by_rule)) + ")" for o in grp
            )
        )
        lines.append(f"   lost words [{c.extractor}]: {' '.join(sorted(c.lost.elements()))[:300]}")
        shown_rules: set[str] = set()
        for o in grp:
            new = [x for x in o.lost_edits if x[0].rule not in shown_rules]
            if not new:
                continue
            seen: set[tuple[str, str]] = set()
            picked = []
            for e, take, cov in sorted(new, key=lambda x: (-n(x[1]), x[0].step, x[0].start)):
                key = (e.rule, squash(e.before))
                if key in seen:
                    continue
                seen.add(key)
                picked.append((e, take, cov))
            limit = MAX_EDITS if o is c else 3
            if o is not c:
                lines.append(f"   [{o.extractor}] other rules:")
            for e, take, cov in sorted(picked[:limit], key=lambda x: (x[0].step, x[0].start)):
                lines.append(f"   - {edit_line(e)}")
                lines.append(
                    f"     lost here: {n(take)} words; gold coverage "
                    f"{cov:.0%}{' (confirmed)' if cov >= CONFIRM else ''}"
                )
                lines.append(f"     in: {context(o.before, o.edits, e)}")
            if len(picked) > limit:
                lines.append(
                    f"   (+{len(picked) - limit} more distinct edits, "
                    f"{sum(n(t) for _, t, _ in picked[limit:])} lost words)"
                )
            shown_rules |= {e.rule for e, _, _ in new}
        rules = sorted({r for o in grp for r in o.by_rule})
        summary.append(
            f"    #{i:<2} {c.corpus} {c.id:<44} {n(c.lost):4d} ({c.confirmed:4d}) "
            f"{len(grp):7d}  {rep:7.0%} {block:6.0%}  {', '.join(rules)}"
        )
    lines.append("\n" + "=" * 100)
    lines.append(f"EVERY OUTPUT WITH LOSS ({len(cases)}): corpus id [extractor] lost/present (confirmed)  rules")
    lines.append("=" * 100)
    for c in cases:
        lines.append(
            f"  {c.corpus} {c.id} [{c.extractor}] {n(c.lost)}/{c.present} ({c.confirmed})  "
            + ", ".join(f"{r} {k}" for r, k in c.by_rule.most_common())
        )
    args.lost_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    conf = sum(1 for c in cases if c.confirmed)
    print(
        f"\n  outputs with lost gold words: {len(cases)} ({conf} with "
        f"confirmed loss), in {len(groups)} articles; the {len(top)} largest:"
    )
    print(
        f"    {'#':<3} {'article':<48} {'lost (conf.)':>12} {'outputs':>7} "
        f" {'gold repeats':>7} {'block':>6}  rules (any output)"
    )
    print("\n".join(summary))
    print(f"  edits with context: {os.path.relpath(args.lost_file, Path.cwd())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
