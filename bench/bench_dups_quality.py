"""Duplicate-finder quality benchmark: real articles syndicated the way wire copy is.

Base: N real AllSides articles with >= 5 paragraphs, drawn with random.Random(seed) and de-duplicated
first (no two with the same match-form text or the same match-form title), re-joined with one blank
line between paragraphs so that paragraph numbers are known.

Planted on top of the base (every planted thing carries its lineage, so truth is by construction):
  * syndicated copies (1-3 each of --syndicate articles), each with a random combination of: a new
    headline taken from another article, a dateline prefix, a byline paragraph, a footer paragraph,
    a cut after k paragraphs (>= 3 kept and >= 40% of the characters), light edits (2-4 words
    replaced or deleted), typos (adjacent letters swapped in 2-4 words), two paragraphs merged, one
    paragraph split at a sentence boundary;
  * repeated titles on different articles: the same headline with case / punctuation changes or a
    site suffix (" | Reuters"), and near-identical headlines with 1-2 words added;
  * paragraph copies into unrelated articles: verbatim, and with one word changed;
  * all 300 BASIL articles (same-event rewrites by Fox/NYT/HuffPost) as hard negatives; their
    one-line-per-paragraph text is given blank-line paragraph breaks, as a reader with
    --paragraph-sep would.

Scoring is by pairs per level (document / title / paragraph): a reported pair is one inside a
reported cluster. A reported pair is true when its two members share lineage, or when their match
forms are exactly equal (natural exact duplicates). A reported pair between two untouched base
items that is neither is "natural, unverified": counted as false in the strict precision and
listed in the failures file so a person can judge it; the second precision leaves them out.
Footer paragraphs (planted boilerplate, hundreds of identical copies) are scored on their own.

Noisy part: OCR-like copies of --ocr base articles (rn->m, m->rn, e->c, l->1, dropped letters, two
words run together, "exam-\\nple" breaks) at a few noise levels; the share linked to their original
at document level with default options and with DupOptions(noisy=True), and wrong links.

    python bench/bench_dups_quality.py                  # --seed 0 --n 1000 --syndicate 300 --ocr 200
    python bench/bench_dups_quality.py --n 400 --syndicate 100 --titles 60 --paras 60 --ocr 80

Failure examples go to bench/out/dups_failures.txt.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import regex
from _common import code_version  # noqa: E402  (bench/ is on sys.path when run as a script)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cleaner.dedup import DupOptions, find_duplicates  # noqa: E402
from cleaner.dedup.lsh import bands_rows, candidate_pairs  # noqa: E402
from cleaner.dedup.matchform import match_form  # noqa: E402
from cleaner.dedup.matchform import tokens as words  # noqa: E402
from cleaner.dedup.minhash import permutations, signatures  # noqa: E402
from cleaner.dedup.reference import shingles_for  # noqa: E402
from cleaner.dedup.shingle import ShingleBatch, shingle_batch  # noqa: E402
from cleaner.dedup.verify import containment, jaccard  # noqa: E402


def shingle_hashes(toks: list[str], n: int):
    return shingle_batch([toks], n).set(0)


def _batch_of_sets(sets: list) -> ShingleBatch:
    import numpy as np

    offsets = np.concatenate([[0], np.cumsum([len(s) for s in sets])]).astype(np.int64)
    hashes = np.concatenate(sets).astype(np.uint32) if sets else np.zeros(0, dtype=np.uint32)
    return ShingleBatch(hashes, offsets)


from cleaner.model import Document, Origin  # noqa: E402
from cleaner.text import split_paragraphs, strip_site_suffix  # noqa: E402

CORPORA = ROOT / ".." / "shared" / "corpora"
ALLSIDES = CORPORA / "allsides_news_37k.jsonl.gz"
BASIL = CORPORA / "clusters_basil_event_triplets.jsonl"
OUT = ROOT / "bench" / "out" / "dups_failures.txt"
DEFAULTS = DupOptions()
MIN_WORDS = DEFAULTS.min_words
THRESHOLD = DEFAULTS.threshold
# What the finder compares at each level (the diagnostics follow the library's own options, so they
# stay right whichever version of the finder is installed).
DOC_NGRAM = DEFAULTS.ngram
PARA_NGRAM = min(DEFAULTS.ngram, getattr(DEFAULTS, "paragraph_ngram", DEFAULTS.ngram))
TITLE_NGRAM = getattr(DEFAULTS, "title_ngram", 2)
LSH_THRESHOLD = getattr(DEFAULTS, "lsh_threshold", DEFAULTS.threshold)

AIMS = {"document_f1": 0.98, "title_p": 0.98, "title_r": 0.98, "para_r": 0.95, "para_p": 0.98, "noisy_linked": 0.9}
# OCR-like copies linked, by word noise rate, in the default modes (issue 16) and with --noisy.
NOISY_AIMS = {0.2: 0.95, 0.5: 0.9}
# The modes the noisy part runs: the default at all levels and at the document level alone (the
# character index of noisy documents), words only, and characters everywhere.
NOISY_MODES = {
    "default": DupOptions(),
    "default doc": DupOptions(levels=("document",)),
    "--no-noisy": DupOptions(levels=("document",), noisy=False),
    "--noisy": DupOptions(levels=("document",), noisy=True),
}

# --- building blocks ----------------------------------------------------------------------------

DATELINES = [
    "WASHINGTON (AP) — ",
    "NEW YORK (AP) — ",
    "LONDON (Reuters) - ",
    "WASHINGTON (Reuters) - ",
    "LOS ANGELES (AP) — ",
]
NAMES = ["Jane Doe", "John Roe", "Maria Lopez", "David Kim", "Sarah Miller", "Ahmed Hassan", "Emily Chen"]
AGENCIES = ["Associated Press", "Reuters", "AP Writer", "The Associated Press"]
FOOTERS = [
    "Copyright 2018 The Associated Press. All rights reserved.",
    "Copyright 2019 The Associated Press. All rights reserved. This material may not be published, broadcast, rewritten or redistributed.",
    "Reporting by {a}; Additional reporting by {b}; Editing by {c}",
    "Associated Press writers {a} and {b} in Washington contributed to this report.",
]
SUFFIXES = [" | Reuters", " - The Hill", " | Fox News", " - Breitbart", " | AP News", " - POLITICO"]
ADDED_WORDS = [
    "new",
    "reportedly",
    "now",
    "again",
    "officially",
    "Exclusive:",
    "Watch:",
    "BREAKING:",
    "still",
    "finally",
]
OPS = ["headline", "dateline", "byline", "footer", "cut", "edits", "typos", "merge", "split"]
WORD_TOKEN = regex.compile(r"^([^\p{L}]*)(\p{L}{3,})([^\p{L}]*)$")
SENTENCE_BREAK = regex.compile(r"(?<=[a-z0-9)][.!?][\"”’']?)\s+(?=[\"“]?[A-Z])")


@dataclass
class Art:
    id: str
    title: str
    paras: list[str]
    plin: list[frozenset[str]]  # lineage keys of each paragraph
    pkind: list[str]  # how each paragraph came to be
    tlin: str  # title lineage (the base article the headline comes from)
    tkind: str
    dlin: str  # document lineage (the base article the body comes from)
    group: str  # base | copy | basil | ocr
    ops: tuple[str, ...] = ()
    note: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paras)


_RECORDS: list[dict] = []


def load_base(n: int, rng: random.Random) -> tuple[list[Art], list[dict]]:
    if not _RECORDS:
        with gzip.open(ALLSIDES, "rt", encoding="utf-8") as fh:
            _RECORDS.extend(json.loads(line) for line in fh if line.strip())
    records = _RECORDS
    order = list(range(len(records)))
    rng.shuffle(order)
    seen_text: set[str] = set()
    seen_title: set[str] = set()
    base: list[Art] = []
    rest: list[dict] = []
    for i in order:
        r = records[i]
        title, text = (r.get("title") or "").strip(), r.get("text") or ""
        paras = [p.strip() for _, _, p in split_paragraphs(text)]
        paras = [p for p in paras if p]
        tf, xf = match_form(title), match_form(text)
        if len(base) >= n or len(paras) < 5 or not tf or xf in seen_text or tf in seen_title:
            rest.append(r)
            continue
        seen_text.add(xf)
        seen_title.add(tf)
        aid = str(r["id"])
        base.append(
            Art(
                aid,
                title,
                paras,
                [frozenset({f"{aid}#{k}"}) for k in range(len(paras))],
                ["base"] * len(paras),
                aid,
                "base",
                aid,
                "base",
            )
        )
    return base, rest


def load_basil() -> list[Art]:
    out = []
    with open(BASIL, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            paras = [p.strip() for p in r["text"].split("\n") if p.strip()]
            aid = str(r["id"])
            a = Art(
                aid,
                (r.get("title") or "").strip(),
                paras,
                [frozenset({f"{aid}#{k}"}) for k in range(len(paras))],
                ["basil"] * len(paras),
                aid,
                "basil",
                aid,
                "basil",
            )
            a.note = {"cluster_id": r["cluster_id"], "source": r.get("source")}
            out.append(a)
    return out


def vocabulary(arts: list[Art]) -> list[str]:
    vocab = Counter()
    for a in arts:
        for p in a.paras[:3]:
            for t in p.split():
                m = WORD_TOKEN.match(t)
                if m and m.group(2).islower() and len(m.group(2)) >= 4:
                    vocab[m.group(2)] += 1
    return sorted(w for w, c in vocab.items() if c >= 3)


def word_slots(paras: list[str]) -> list[tuple[int, int]]:
    """(paragraph, token) positions holding a plain word of >= 3 letters."""
    return [(i, k) for i, p in enumerate(paras) for k, t in enumerate(p.split(" ")) if WORD_TOKEN.match(t)]


def replace_word(tok: str, new: str) -> str:
    m = WORD_TOKEN.match(tok)
    core = m.group(2)
    if core[0].isupper():
        new = new.capitalize()
    return m.group(1) + new + m.group(3)


def swap_typo(tok: str, rng: random.Random) -> str:
    m = WORD_TOKEN.match(tok)
    core = m.group(2)
    for _ in range(10):
        j = rng.randrange(1, len(core) - 1) if len(core) > 3 else 0
        if core[j] != core[j + 1]:
            core = core[:j] + core[j + 1] + core[j] + core[j + 2 :]
            break
    return m.group(1) + core + m.group(3)


def edit_tokens(paras: list[str], pkind: list[str], count: int, rng: random.Random, vocab: list[str], mode: str) -> int:
    """Replace / delete (mode 'edits') or typo (mode 'typos') `count` words; returns how many."""
    slots = word_slots(paras)
    if mode == "typos":
        slots = [(i, k) for i, k in slots if len(WORD_TOKEN.match(paras[i].split(" ")[k]).group(2)) >= 4]
    chosen = rng.sample(slots, min(count, len(slots)))
    # Right to left within a paragraph, so deletions do not move later positions.
    for i, k in sorted(chosen, reverse=True):
        toks = paras[i].split(" ")
        if mode == "typos":
            toks[k] = swap_typo(toks[k], rng)
        elif rng.random() < 0.5 and len(toks) > 6:
            del toks[k]
        else:
            core = WORD_TOKEN.match(toks[k]).group(2).lower()
            toks[k] = replace_word(toks[k], rng.choice([w for w in rng.sample(vocab, 5) if w != core] or ["thing"]))
        paras[i] = " ".join(toks)
        pkind[i] = mode if pkind[i] in ("verbatim", mode) else pkind[i] + "+" + mode
    return len(chosen)


def syndicate(src: Art, j: int, rng: random.Random, vocab: list[str], headline_pool: list[Art]) -> Art:
    ops = [op for op in OPS if rng.random() < 0.4] or [rng.choice(OPS)]
    paras, plin = list(src.paras), list(src.plin)
    pkind = ["verbatim"] * len(paras)
    applied = []
    note: dict = {}
    if "cut" in ops:
        total = sum(len(p) for p in paras)
        run = list(itertools.accumulate(len(p) for p in paras))
        kmin = next((k for k in range(3, len(paras)) if run[k - 1] >= 0.4 * total), None)
        if kmin is not None:
            k = rng.randint(kmin, len(paras) - 1)
            paras, plin, pkind = paras[:k], plin[:k], pkind[:k]
            note["kept"] = f"{k}/{len(src.paras)} paras, {run[k - 1] / total:.0%} chars"
            applied.append("cut")
    if "merge" in ops and len(paras) >= 4:
        i = rng.randrange(len(paras) - 1)
        paras[i : i + 2] = [paras[i] + " " + paras[i + 1]]
        plin[i : i + 2] = [plin[i] | plin[i + 1]]
        pkind[i : i + 2] = ["merged"]
        applied.append("merge")
    if "split" in ops:
        cands = [i for i, p in enumerate(paras) if pkind[i] == "verbatim" and SENTENCE_BREAK.search(p)]
        if cands:
            i = rng.choice(cands)
            breaks = list(SENTENCE_BREAK.finditer(paras[i]))
            b = rng.choice(breaks)
            a1, a2 = paras[i][: b.start()], paras[i][b.end() :]
            paras[i : i + 1] = [a1, a2]
            plin[i : i + 1] = [plin[i], plin[i]]
            pkind[i : i + 1] = ["split", "split"]
            applied.append("split")
    if "edits" in ops:
        note["edits"] = edit_tokens(paras, pkind, rng.randint(2, 4), rng, vocab, "edits")
        applied.append("edits")
    if "typos" in ops:
        note["typos"] = edit_tokens(paras, pkind, rng.randint(2, 4), rng, vocab, "typos")
        applied.append("typos")
    if "dateline" in ops:
        paras[0] = rng.choice(DATELINES) + paras[0]
        pkind[0] = "dateline" if pkind[0] == "verbatim" else pkind[0] + "+dateline"
        applied.append("dateline")
    if "byline" in ops:
        line = f"By {rng.choice(NAMES)}, {rng.choice(AGENCIES)}"
        paras.insert(0, line)
        plin.insert(0, frozenset({"boiler:" + match_form(line)}))
        pkind.insert(0, "byline")
        applied.append("byline")
    if "footer" in ops:
        a, b, c = rng.sample(NAMES, 3)
        line = rng.choice(FOOTERS).format(a=a, b=b, c=c)
        paras.append(line)
        plin.append(frozenset({"boiler:" + match_form(line)}))
        pkind.append("footer")
        applied.append("footer")
    title, tlin, tkind = src.title, src.tlin, "copy-same-title"
    if "headline" in ops:
        other = rng.choice([h for h in headline_pool if h.id != src.id])
        title, tlin, tkind = other.title, other.tlin, "copy-new-headline"
        note["headline_from"] = other.id
        applied.append("headline")
    return Art(f"{src.id}~syn{j}", title, paras, plin, pkind, tlin, tkind, src.dlin, "copy", tuple(applied), note)


def title_variant(title: str, rng: random.Random) -> tuple[str, str]:
    changes = rng.sample(["case", "punct", "suffix"], rng.randint(1, 2))
    t = title
    if "case" in changes:
        t = rng.choice([t.lower(), t.upper(), t.title()])
    if "punct" in changes:
        t = (
            t.replace("'", "’").replace('"', "“", 1).replace('"', "”", 1)
            if rng.random() < 0.5
            else t.replace("’", "'").replace("‘", "'")
        )
        t = t.replace(" - ", " — ").replace(",", "")
        t = t.rstrip(".!?") + rng.choice(["", ".", "!", ":"])
        if t == title:
            t = t + "."
    if "suffix" in changes:
        t = t + rng.choice(SUFFIXES)
    return t, "+".join(sorted(changes))


def title_plus(title: str, rng: random.Random) -> tuple[str, str]:
    toks = title.split()
    n = rng.randint(1, 2)
    for _ in range(n):
        w = rng.choice(ADDED_WORDS)
        pos = 0 if w.endswith(":") else rng.randint(0, len(toks))
        toks.insert(pos, w)
    return " ".join(toks), f"+{n}w"


# --- the corpus -------------------------------------------------------------------------------


def build_corpus(args: argparse.Namespace) -> tuple[list[Art], dict]:
    rng = random.Random(args.seed)
    base, _ = load_base(args.n, rng)
    vocab = vocabulary(base)
    ids = list(range(len(base)))
    rng.shuffle(ids)
    syn_src = ids[: args.syndicate]
    others = ids[args.syndicate :]
    plants: dict = {"title": [], "para": []}

    # Repeated titles on different articles (hosts and sources among the untouched articles).
    pool = list(others)
    rng.shuffle(pool)
    half = args.titles // 2
    for k in range(args.titles):
        host, src = base[pool[2 * k]], base[pool[2 * k + 1]]
        t, how = title_variant(src.title, rng) if k < half else title_plus(src.title, rng)
        kind = "title-variant" if k < half else "title-plus-words"
        plants["title"].append({"host": host.id, "src": src.id, "kind": kind, "how": how, "old": host.title, "new": t})
        host.title, host.tlin, host.tkind = t, src.tlin, kind

    # Paragraph copies into unrelated articles.
    pool = list(others)
    rng.shuffle(pool)
    half = args.paras // 2
    for k in range(args.paras):
        host, src = base[pool[2 * k]], base[pool[2 * k + 1]]
        cands = [i for i, p in enumerate(src.paras) if len(words(p)) >= 15 and src.pkind[i] == "base"]
        i = rng.choice(cands)
        p = src.paras[i]
        kind = "verbatim" if k < half else "one-word"
        if kind == "one-word":
            toks = p.split(" ")
            slots = [t for t in range(len(toks)) if WORD_TOKEN.match(toks[t])]
            t = rng.choice(slots)
            core = WORD_TOKEN.match(toks[t]).group(2).lower()
            new = rng.choice(vocab)
            while new == core:
                new = rng.choice(vocab)
            toks[t] = replace_word(toks[t], new)
            p = " ".join(toks)
            pos_frac = t / max(1, len(toks) - 1)
        else:
            pos_frac = None
        at = rng.randint(1, len(host.paras))
        host.paras.insert(at, p)
        host.plin.insert(at, src.plin[i])
        host.pkind.insert(at, "planted-" + kind)
        plants["para"].append(
            {
                "host": host.id,
                "src": src.id,
                "src_para": i,
                "kind": kind,
                "words": len(words(p)),
                "pos": pos_frac,
                "text": p,
            }
        )
    # Host paragraph indices moved with later insertions: resolve at scoring time by lineage.

    copies = []
    for s in syn_src:
        for j in range(rng.randint(1, 3)):
            copies.append(syndicate(base[s], j, rng, vocab, base))
    basil = load_basil()
    return base + copies + basil, plants


def to_documents(arts: list[Art]) -> list[Document]:
    return [Document(a.id, a.title, a.text, Origin("bench", i + 1)) for i, a in enumerate(arts)]


# --- scoring ----------------------------------------------------------------------------------


def cluster_pairs(clusters, kind: str) -> set[tuple]:
    out = set()
    for c in clusters:
        if c.kind != kind:
            continue
        keys = [(m.doc, m.paragraph) if kind == "paragraph" else m.doc for m in c.members]
        for a, b in itertools.combinations(sorted(keys), 2):
            out.add((a, b))
    return out


def prf(tp: int, reported: int, truth_found: int, truth: int) -> tuple[float, float, float]:
    p = tp / reported if reported else 1.0
    r = truth_found / truth if truth else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def title_key(t: str) -> str:
    return match_form(strip_site_suffix(t))


def title_sim(a: str, b: str) -> float:
    ka, kb = title_key(a), title_key(b)
    if ka == kb:
        return 1.0
    return jaccard(shingle_hashes(ka.split(" "), TITLE_NGRAM), shingle_hashes(kb.split(" "), TITLE_NGRAM))


class DocSims:
    def __init__(self, by_id: dict[str, Art], noisy: bool = False) -> None:
        self.by_id, self.noisy, self.cache = by_id, noisy, {}

    def set(self, i: str):
        if i not in self.cache:
            self.cache[i] = shingles_for(self.by_id[i].text, DOC_NGRAM, self.noisy)
        return self.cache[i]

    def __call__(self, a: str, b: str) -> tuple[float, float]:
        x, y = self.set(a), self.set(b)
        return jaccard(x, y), containment(x, y)


def lsh_candidates(keys: list, sets: list) -> set[tuple]:
    """The LSH candidate pairs the finder would get for these shingle sets (default options), by
    key: used only to say why a pair above the accept threshold was missed."""
    opts = DEFAULTS
    cand = candidate_pairs(signatures(_batch_of_sets(sets), permutations(opts.num_perm, opts.seed)), LSH_THRESHOLD)
    return {tuple(sorted((keys[i], keys[j]))) for i, j in cand}


def short(s: str, n: int = 150) -> str:
    s = s.replace("\n", "⏎")
    return s if len(s) <= n else s[: n - 1] + "…"


def score_documents(arts, clusters, out: list[str]) -> dict:
    by_id = {a.id: a for a in arts}
    reported = cluster_pairs(clusters, "document")
    groups = defaultdict(list)
    for a in arts:
        if a.group in ("base", "copy"):
            groups[a.dlin].append(a.id)
    truth = {tuple(sorted(p)) for g in groups.values() for p in itertools.combinations(g, 2)}
    textform = {a.id: match_form(a.text) for a in arts}
    cats = Counter()
    fps = defaultdict(list)
    for a, b in sorted(reported):
        A, B = by_id[a], by_id[b]
        if A.dlin == B.dlin or textform[a] == textform[b]:
            cats["true"] += 1
        elif A.group == "basil" and B.group == "basil":
            cats["basil-basil"] += 1
            fps["basil"].append((a, b))
        elif "basil" in (A.group, B.group):
            cats["basil-other"] += 1
            fps["basil"].append((a, b))
        elif (
            A.group == "base"
            and B.group == "base"
            and "planted-verbatim" not in A.pkind + B.pkind
            and "planted-one-word" not in A.pkind + B.pkind
        ):
            cats["natural-unverified"] += 1
            fps["natural"].append((a, b))
        else:
            cats["planted-false"] += 1
            fps["planted"].append((a, b))
    found = len(truth & reported)
    p, r, f = prf(cats["true"], len(reported), found, len(truth))
    p2, _, f2 = prf(cats["true"], len(reported) - cats["natural-unverified"], found, len(truth))
    basil_same_event = sum(
        1
        for a, b in fps["basil"]
        if by_id[a].group == by_id[b].group == "basil" and by_id[a].note["cluster_id"] == by_id[b].note["cluster_id"]
    )

    # Recall of each copy against its source, by operation.
    reps = {}
    for c in clusters:
        if c.kind == "document":
            for m in c.members:
                reps[m.doc] = c.id
    sims = DocSims(by_id)
    by_op = defaultdict(lambda: [0, 0])
    by_nops = defaultdict(lambda: [0, 0])
    missed = []
    for a in arts:
        if a.group != "copy":
            continue
        ok = a.id in reps and reps.get(a.dlin) == reps[a.id]
        for op in a.ops or ("none",):
            by_op[op][0] += 1
            by_op[op][1] += ok
        by_nops[len(a.ops)][0] += 1
        by_nops[len(a.ops)][1] += ok
        if not ok:
            missed.append(a)
    out.append("=" * 100)
    out.append(f"DOCUMENT LEVEL: syndicated copies not linked to their source ({len(missed)})")
    out.append(
        f"  j = Jaccard, c = containment of the library's word {DOC_NGRAM}-gram shingle sets (default accept: j >= {THRESHOLD}, or c >= {DEFAULTS.containment} with >= 50 shingles each)"
    )
    out.append("=" * 100)
    for a in missed:
        src = by_id[a.dlin]
        j, c = sims(a.id, src.id)
        size = min(len(sims.set(a.id)), len(sims.set(src.id)))
        why = (
            "ABOVE accept threshold (candidate or clustering miss)"
            if j >= THRESHOLD or (c >= DEFAULTS.containment and size >= 50)
            else "below accept threshold"
        )
        out.append(f"- {a.id}  ops={','.join(a.ops)} {a.note}  j={j:.3f} c={c:.3f} min_shingles={size}: {why}")
        out.append(f"    copy  : {short(a.text)}")
        out.append(f"    source: {short(src.text)}")
    for label, key in (
        ("planted false merges", "planted"),
        ("BASIL merges", "basil"),
        ("natural pairs between base articles (unverified: judge them)", "natural"),
    ):
        out.append("=" * 100)
        out.append(f"DOCUMENT LEVEL: {label} ({len(fps[key])})")
        out.append("=" * 100)
        for a, b in fps[key][:40]:
            j, c = sims(a, b)
            out.append(
                f"- {a} ~ {b}  j={j:.3f} c={c:.3f}  pkinds={Counter(by_id[a].pkind + by_id[b].pkind).most_common(3)}"
            )
            out.append(f"    {short(by_id[a].title, 90)} | {short(by_id[a].text)}")
            out.append(f"    {short(by_id[b].title, 90)} | {short(by_id[b].text)}")
    return {
        "reported": len(reported),
        "truth": len(truth),
        "found": found,
        "cats": cats,
        "p": p,
        "r": r,
        "f": f,
        "p_excl": p2,
        "f_excl": f2,
        "basil_merges": len(fps["basil"]),
        "basil_same_event": basil_same_event,
        "by_op": dict(by_op),
        "by_nops": dict(by_nops),
        "missed": len(missed),
        "copies": sum(1 for a in arts if a.group == "copy"),
    }


def score_titles(arts, clusters, plants, out: list[str]) -> dict:
    by_id = {a.id: a for a in arts}
    reported = cluster_pairs(clusters, "title")
    with_title = [a for a in arts if a.title and match_form(a.title)]
    groups = defaultdict(list)
    for a in with_title:
        groups[a.tlin].append(a.id)
    truth = {tuple(sorted(p)) for g in groups.values() for p in itertools.combinations(g, 2)}
    form = {a.id: match_form(a.title) for a in arts}
    cats = Counter()
    fps = defaultdict(list)
    for a, b in sorted(reported):
        A, B = by_id[a], by_id[b]
        if A.tlin == B.tlin or form[a] == form[b]:
            cats["true"] += 1
        elif A.group == "base" and B.group == "base" and A.tkind == B.tkind == "base":
            cats["natural-unverified"] += 1
            fps["natural"].append((a, b))
        else:
            cats["false"] += 1
            fps["false"].append((a, b))
    found = len(truth & reported)
    p, r, f = prf(cats["true"], len(reported), found, len(truth))
    p2, _, _ = prf(cats["true"], len(reported) - cats["natural-unverified"], found, len(truth))

    # Recall per derived title against the root of its lineage.
    reps = {}
    for c in clusters:
        if c.kind == "title":
            for m in c.members:
                reps[m.doc] = c.id
    by_kind = defaultdict(lambda: [0, 0])
    misses = []
    for a in with_title:
        if a.tkind == "base" or a.group == "basil":
            continue
        root = by_id[a.tlin]
        ok = a.id in reps and reps.get(root.id) == reps[a.id]
        how = next((pl["how"] for pl in plants["title"] if pl["host"] == a.id), "")
        n = len(words(root.title))
        sub = f"{a.tkind} {how}".strip()
        if a.tkind == "title-plus-words":
            sub += f" ({'<=8' if n <= 8 else '9-11' if n <= 11 else '12+'} words)"
        for key in (a.tkind, sub):
            by_kind[key][0] += 1
            by_kind[key][1] += ok
        if not ok:
            misses.append((a, root))
    tkeys = [a.id for a in with_title]
    tcand = lsh_candidates(tkeys, [shingle_hashes(title_key(a.title).split(" "), TITLE_NGRAM) for a in with_title])
    why = Counter()
    out.append("=" * 100)
    out.append(
        f"TITLE LEVEL: derived titles not clustered with their source title ({len(misses)}); sim = Jaccard of word {TITLE_NGRAM}-grams of match_form(strip_site_suffix(title)), accept >= {THRESHOLD}"
    )
    out.append("=" * 100)
    for a, root in misses:
        sim = title_sim(a.title, root.title)
        w = (
            "below threshold"
            if sim < THRESHOLD
            else (
                "ABOVE threshold, not an LSH candidate"
                if tuple(sorted((a.id, root.id))) not in tcand
                else "ABOVE threshold, candidate, lost in clustering"
            )
        )
        why[w] += 1
        out.append(f"- [{a.tkind}] {a.id}: {a.title!r}")
        out.append(f"    source {root.id}: {root.title!r}   sim={sim:.3f} ({w})")
    for label, key in (
        ("false title pairs", "false"),
        ("natural pairs between untouched base titles (unverified: judge them)", "natural"),
    ):
        out.append("=" * 100)
        out.append(f"TITLE LEVEL: {label} ({len(fps[key])})")
        out.append("=" * 100)
        for a, b in fps[key][:40]:
            out.append(
                f"- {a} {by_id[a].title!r}  ~  {b} {by_id[b].title!r}  sim={title_sim(by_id[a].title, by_id[b].title):.3f}"
            )
    return {
        "reported": len(reported),
        "truth": len(truth),
        "found": found,
        "cats": cats,
        "p": p,
        "r": r,
        "f": f,
        "p_excl": p2,
        "by_kind": dict(by_kind),
        "why": why,
    }


def score_paragraphs(arts, clusters, plants, out: list[str]) -> dict:
    items = {}
    order = {a.id: n for n, a in enumerate(arts)}
    for a in arts:
        for k, p in enumerate(a.paras):
            if len(words(p)) >= MIN_WORDS:
                items[(a.id, k)] = (a, k)
    reported = cluster_pairs(clusters, "paragraph")
    unknown = [x for pair in reported for x in pair if x not in items]
    assert not unknown, f"paragraph numbering mismatch: {unknown[:3]}"
    form = {key: match_form(a.paras[k]) for key, (a, k) in items.items()}

    def boiler(key) -> bool:
        a, k = items[key]
        return any(s.startswith("boiler:") for s in a.plin[k])

    def generated(key) -> bool:
        a, k = items[key]
        return a.group == "copy" or a.pkind[k].startswith("planted")

    # Lineage up to natural exact duplicates: a base paragraph key stands for every base paragraph
    # with the same match form (boilerplate repeated across articles, a caption repeated in one).
    canon = {}
    for a in arts:
        if a.group in ("base", "basil"):
            for k, p in enumerate(a.paras):
                if a.pkind[k] in ("base", "basil"):
                    for key in a.plin[k]:  # a host's own keys, whatever planted paragraphs moved them
                        canon[key] = "form:" + match_form(p)

    def classes(key) -> frozenset:
        a, k = items[key]
        return frozenset(canon.get(s, s) for s in a.plin[k])

    def true_pair(x, y) -> bool:
        return bool(classes(x) & classes(y)) or form[x] == form[y]

    base_sets = {}
    for a in arts:
        if a.group in ("base", "basil"):
            for k, p in enumerate(a.paras):
                if a.pkind[k] in ("base", "basil"):
                    for key in a.plin[k]:
                        base_sets[key] = shingles_for(p, PARA_NGRAM)

    def inherited(x, y) -> bool:
        """A copy of a base paragraph that is naturally near-identical to another base paragraph
        (the same tweet quoted by two outlets): the pair's likeness is not planted."""
        (a, i), (b, j) = items[x], items[y]
        return any(
            u != v and jaccard(base_sets[u], base_sets[v]) >= THRESHOLD
            for u in a.plin[i]
            if u in base_sets
            for v in b.plin[j]
            if v in base_sets
        )

    cats = Counter()
    fps = defaultdict(list)
    for x, y in sorted(reported):
        if boiler(x) or boiler(y):
            cats["boiler-true" if true_pair(x, y) else "boiler-false"] += 1
            continue
        gen = generated(x) or generated(y)
        if true_pair(x, y):
            cats[
                ("planted-" if gen else "natural-")
                + ("lineage" if classes(x) & classes(y) and form[x] != form[y] else "exact")
            ] += 1
        elif gen and inherited(x, y):
            cats["inherited-natural-unverified"] += 1
            fps["inherited"].append((x, y))
        elif gen:
            cats["planted-false"] += 1
            fps["planted"].append((x, y))
        elif "basil" in (items[x][0].group, items[y][0].group):
            cats["basil-unverified"] += 1
            fps["basil"].append((x, y))
        else:
            cats["natural-unverified"] += 1
            fps["natural"].append((x, y))

    # Truth pairs (non-boilerplate): lineage or exact match; recall over them by kind.
    by_key = defaultdict(list)
    by_form = defaultdict(list)
    for key in items:
        if boiler(key):
            continue
        for s in classes(key):
            by_key[s].append(key)
        by_form[form[key]].append(key)
    truth = set()
    for g in list(by_key.values()) + list(by_form.values()):
        for x, y in itertools.combinations(sorted(set(g)), 2):
            truth.add((x, y))

    def pkind(key):
        a, k = items[key]
        return a.pkind[k]

    def whole(key) -> bool:
        return "merged" not in pkind(key) and "split" not in pkind(key)

    def label(pk: str) -> str:
        if pk.startswith("planted-"):
            return "PLANTED " + pk[8:]
        parts = sorted(set(pk.split("+")) - {"verbatim"})
        return "syndicated " + ("+".join(parts) or "verbatim")

    partial = {pair for pair in truth if not (whole(pair[0]) and whole(pair[1]))}
    truth -= partial
    found = truth & reported

    # Recall by kind: pairs whose non-base side has that kind, against a base paragraph.
    by_kind = defaultdict(lambda: [0, 0])
    misses = defaultdict(list)
    for x, y in sorted(truth | partial):
        kx, ky = pkind(x), pkind(y)
        if (x, y) in partial:
            kind = "(info) merged/split paragraph ~ a part of it"
        elif kx in ("base", "basil") and ky in ("base", "basil"):
            kind = "natural exact (base~base)"
        elif kx in ("base",) or ky in ("base",):
            kind = label(ky if kx == "base" else kx)
        else:
            kind = "copy~copy (whole paragraphs)"
        by_kind[kind][0] += 1
        by_kind[kind][1] += (x, y) in found
        if (x, y) not in found:
            misses[kind].append((x, y))

    # Planted copies: recall by length bucket and position of the changed word.
    planted_detail = defaultdict(lambda: [0, 0])
    for x, y in truth:
        for h, o in ((x, y), (y, x)):
            if pkind(h).startswith("planted-") and pkind(o) == "base":
                kind = pkind(h)[8:]
                n = len(words(items[h][0].paras[items[h][1]]))
                bucket = "15-24" if n < 25 else "25-34" if n < 35 else "35-49" if n < 50 else "50+"
                planted_detail[(kind, bucket)][0] += 1
                planted_detail[(kind, bucket)][1] += (x, y) in found

    def psim(x, y) -> float:
        (a, i), (b, j) = items[x], items[y]
        return jaccard(shingles_for(a.paras[i], PARA_NGRAM), shingles_for(b.paras[j], PARA_NGRAM))

    ikeys = sorted(items, key=lambda key: (order[key[0]], key[1]))
    pcand = lsh_candidates(ikeys, [shingles_for(items[key][0].paras[items[key][1]], PARA_NGRAM) for key in ikeys])

    def why(x, y) -> str:
        if psim(x, y) < THRESHOLD:
            return "below threshold"
        return (
            "ABOVE threshold, not an LSH candidate"
            if (x, y) not in pcand
            else "ABOVE threshold, candidate, lost in clustering"
        )

    why_planted = defaultdict(Counter)
    out.append("=" * 100)
    out.append(
        f"PARAGRAPH LEVEL: missed true pairs, by kind (sim = library Jaccard of word {PARA_NGRAM}-gram sets; accept >= {THRESHOLD})"
    )
    out.append("=" * 100)
    for kind in sorted(misses):
        ms = misses[kind]
        reasons = Counter(why(x, y) for x, y in ms[:400])
        if kind.startswith("PLANTED"):
            why_planted[kind] = reasons
        out.append(f"-- {kind}: {len(ms)} missed; of the first {min(400, len(ms))}: {dict(reasons)}")
        for x, y in ms[
            : 25
            if kind.startswith("PLANTED")
            else 8
            if "verbatim" in kind or "dateline" in kind
            else 3
            if "(info)" in kind
            else 5
        ]:
            (a, i), (b, j) = items[x], items[y]
            out.append(
                f"   {x} ~ {y} sim={psim(x, y):.3f} words={len(words(a.paras[i]))}/{len(words(b.paras[j]))} ({why(x, y)})"
            )
            out.append(f"      {short(a.paras[i], 200)}")
            out.append(f"      {short(b.paras[j], 200)}")
    for title, key in (
        ("false pairs involving planted/copied paragraphs", "planted"),
        (
            "copies of base paragraphs that are natural near-duplicates of another base paragraph (unverified: judge them)",
            "inherited",
        ),
        ("natural base pairs, not exact (unverified: judge them)", "natural"),
        ("BASIL pairs, not exact (unverified)", "basil"),
    ):
        out.append("=" * 100)
        out.append(f"PARAGRAPH LEVEL: {title} ({len(fps[key])})")
        out.append("=" * 100)
        for x, y in fps[key][:30]:
            (a, i), (b, j) = items[x], items[y]
            out.append(f"- {x} [{a.pkind[i]}] ~ {y} [{b.pkind[j]}] sim={psim(x, y):.3f}")
            out.append(f"      {short(a.paras[i], 200)}")
            out.append(f"      {short(b.paras[j], 200)}")

    gen_true = cats["planted-lineage"] + cats["planted-exact"]
    gen_rep = gen_true + cats["planted-false"] + cats["inherited-natural-unverified"]
    all_true = gen_true + cats["natural-lineage"] + cats["natural-exact"]
    unverified = cats["natural-unverified"] + cats["basil-unverified"] + cats["inherited-natural-unverified"]
    all_rep = all_true + cats["planted-false"] + unverified
    return {
        "reported": len(reported),
        "truth": len(truth),
        "found": len(found),
        "cats": cats,
        "by_kind": dict(by_kind),
        "p_planted": gen_true / gen_rep if gen_rep else 1.0,
        "p_all": all_true / all_rep if all_rep else 1.0,
        "p_planted_excl": gen_true / (gen_rep - cats["inherited-natural-unverified"]) if gen_rep else 1.0,
        "p_all_excl": all_true / (all_rep - unverified) if all_rep else 1.0,
        "detail": dict(planted_detail),
        "why": dict(why_planted),
    }


# --- OCR noise ----------------------------------------------------------------------------------


def ocr_word(w: str, rng: random.Random) -> tuple[str, bool]:
    """One corruption of one word; the bool says whether it runs into the next word."""
    options = []
    if "rn" in w:
        options.append("rn>m")
    if "m" in w:
        options.append("m>rn")
    if "e" in w:
        options.append("e>c")
    if "l" in w:
        options.append("l>1")
    if len(w) >= 4:
        options += ["drop", "hyphen"]
    options.append("join")
    op = rng.choice(options)

    def at(sub: str) -> int:
        idx = [i for i in range(len(w)) if w.startswith(sub, i)]
        return rng.choice(idx)

    if op == "rn>m":
        i = at("rn")
        return w[:i] + "m" + w[i + 2 :], False
    if op == "m>rn":
        i = at("m")
        return w[:i] + "rn" + w[i + 1 :], False
    if op == "e>c":
        i = at("e")
        return w[:i] + "c" + w[i + 1 :], False
    if op == "l>1":
        i = at("l")
        return w[:i] + "1" + w[i + 1 :], False
    if op == "drop":
        i = rng.randrange(len(w))
        return w[:i] + w[i + 1 :], False
    if op == "hyphen":
        i = rng.randrange(2, len(w) - 1)
        return w[:i] + "-\n" + w[i:], False
    return w, True


def ocr_text(paras: list[str], rate: float, rng: random.Random) -> list[str]:
    out = []
    for p in paras:
        toks = p.split(" ")
        res = []
        join_next = False
        for t in toks:
            new, join = ocr_word(t, rng) if t and rng.random() < rate else (t, False)
            if join_next and res:
                res[-1] = res[-1] + new
            else:
                res.append(new)
            join_next = join
        out.append(" ".join(res))
    return out


def noisy_part(args, out: list[str]) -> list[dict]:
    rng = random.Random(f"{args.seed}:ocr")
    base, _ = load_base(args.n, random.Random(args.seed))
    basil = load_basil()
    picks = rng.sample(range(len(base)), args.ocr)
    rows = []
    for rate in args.ocr_rates:
        r2 = random.Random(f"{args.seed}:ocr:{rate}")
        copies = []
        for i in picks:
            src = base[i]
            paras = ocr_text(src.paras, rate, r2)
            copies.append(
                Art(
                    f"{src.id}~ocr",
                    src.title,
                    paras,
                    [frozenset()] * len(paras),
                    ["ocr"] * len(paras),
                    src.tlin,
                    "ocr",
                    src.dlin,
                    "ocr",
                )
            )
        arts = base + copies + basil
        by_id = {a.id: a for a in arts}
        docs = to_documents(arts)
        wj = [jaccard(shingles_for(c.text, DOC_NGRAM), shingles_for(by_id[c.dlin].text, DOC_NGRAM)) for c in copies]
        cj = [jaccard(shingles_for(c.text, 5, True), shingles_for(by_id[c.dlin].text, 5, True)) for c in copies]
        cc = [containment(shingles_for(c.text, 5, True), shingles_for(by_id[c.dlin].text, 5, True)) for c in copies]
        textform = {a.id: match_form(a.text) for a in arts}
        for mode, opts in NOISY_MODES.items():
            t0 = time.perf_counter()
            res = find_duplicates(docs, opts)
            secs = time.perf_counter() - t0
            reps = {}
            for c in res.clusters:
                if c.kind == "document":  # (a copy keeps its original's title: a title cluster is no link)
                    for m in c.members:
                        reps[m.doc] = c.id
            linked = [c for c in copies if c.id in reps and reps.get(c.dlin) == reps[c.id]]
            wrong, basil_m, natural = [], 0, []
            for a, b in cluster_pairs(res.clusters, "document"):
                A, B = by_id[a], by_id[b]
                if A.dlin == B.dlin or textform[a] == textform[b]:
                    continue
                if A.group == B.group == "base":
                    natural.append((a, b))
                else:
                    wrong.append((a, b))
                    basil_m += A.group == B.group == "basil"
            rows.append(
                {
                    "rate": rate,
                    "mode": mode,
                    "linked": len(linked),
                    "n": len(copies),
                    "wrong": len(wrong),
                    "basil": basil_m,
                    "natural": len(natural),
                    "wj": statistics.mean(wj),
                    "cj": statistics.mean(cj),
                    "cc": statistics.mean(cc),
                    "secs": secs,
                    "flagged": res.stats.get("noisy_documents"),
                }
            )
            if rate == args.ocr_rates[args.ocr_main] or wrong:
                sims = DocSims(by_id, noisy=(mode != "--no-noisy"))
                miss = [c for c in copies if c not in linked]
                out.append("=" * 100)
                out.append(
                    f"NOISY (OCR word rate {rate}, {mode}): {len(miss)} copies not linked, {len(wrong)} wrong links, {len(natural)} natural base pairs"
                )
                out.append("=" * 100)
                for c in miss[:15]:
                    j, cn = sims(c.id, c.dlin)
                    out.append(
                        f"- {c.id}: j={j:.3f} c={cn:.3f} ({'char' if mode != '--no-noisy' else 'word'} 5-grams), {len(by_id[c.dlin].text)} chars"
                    )
                    out.append(f"    ocr : {short(c.text, 220)}")
                    out.append(f"    orig: {short(by_id[c.dlin].text, 220)}")
                for a, b in wrong[:20]:
                    j, cn = sims(a, b)
                    out.append(f"- WRONG {a} ~ {b}: j={j:.3f} c={cn:.3f}")
                    out.append(f"    {short(by_id[a].title, 90)} | {short(by_id[a].text)}")
                    out.append(f"    {short(by_id[b].title, 90)} | {short(by_id[b].text)}")
    return rows


# --- main -------------------------------------------------------------------------------------


def mark(value: float, aim: float) -> str:
    return "ok " if value >= aim else "MISS"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--syndicate", type=int, default=300)
    ap.add_argument(
        "--titles", type=int, default=200, help="repeated titles planted (half case/punct/suffix, half +1-2 words)"
    )
    ap.add_argument(
        "--paras", type=int, default=200, help="paragraph copies planted (half verbatim, half one word changed)"
    )
    ap.add_argument("--ocr", type=int, default=200)
    ap.add_argument("--ocr-rates", type=float, nargs="+", default=[0.1, 0.2, 0.3, 0.5])
    ap.add_argument("--ocr-main", type=int, default=1, help="index into --ocr-rates of the level the aim applies to")
    args = ap.parse_args()

    started = time.perf_counter()
    print(code_version())
    arts, plants = build_corpus(args)
    docs = to_documents(arts)
    assert len({d.id for d in docs}) == len(docs)
    groups = Counter(a.group for a in arts)
    print(
        f"corpus: {groups['base']} AllSides base articles (seed {args.seed}; >= 5 paragraphs; exact text/title duplicates skipped), "
        f"{groups['copy']} syndicated copies of {args.syndicate}, {len(plants['title'])} planted titles, {len(plants['para'])} planted paragraph copies, "
        f"{groups['basil']} BASIL articles = {len(docs)} documents"
    )
    t0 = time.perf_counter()
    result = find_duplicates(docs, DupOptions())
    print(
        f"find_duplicates(DupOptions()) in {time.perf_counter() - t0:.1f} s; stats: "
        + json.dumps({k: v for k, v in result.stats.items() if k != "seconds"})
    )

    out: list[str] = [f"bench_dups_quality failures (seed {args.seed}, n {args.n})"]
    d = score_documents(arts, result.clusters, out)
    t = score_titles(arts, result.clusters, plants, out)
    p = score_paragraphs(arts, result.clusters, plants, out)
    only = find_duplicates(docs, DupOptions(levels=("document",)))
    d_only = score_documents(arts, only.clusters, [])

    b, r = bands_rows(LSH_THRESHOLD, DEFAULTS.num_perm)
    curve = ", ".join(f"{s}: {1 - (1 - s**r) ** b:.2f}" for s in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9))
    print(
        f"finder defaults: threshold {THRESHOLD}, LSH banded for {LSH_THRESHOLD:g} ({b} bands x {r} rows), word n-grams: document {DOC_NGRAM}, paragraph {PARA_NGRAM}, title {TITLE_NGRAM}"
    )
    print(f"  P(LSH candidate | Jaccard) = {curve}")
    print()
    print("level      reported  truth  found | precision  prec(excl.natural)  recall     F1   | aims")
    print("-" * 100)
    print(
        f"document   {d['reported']:8d} {d['truth']:6d} {d['found']:6d} |   {d['p']:.4f}        {d['p_excl']:.4f}       {d['r']:.4f}  {d['f']:.4f} | F1 >= 0.98 {mark(d['f'], AIMS['document_f1'])}; BASIL merges {d['basil_merges']} {'ok ' if d['basil_merges'] == 0 else 'MISS'}"
    )
    print(
        f"  --levels document alone: {d_only['reported']:d} {d_only['truth']:6d} {d_only['found']:6d} |   {d_only['p']:.4f}        {d_only['p_excl']:.4f}       {d_only['r']:.4f}  {d_only['f']:.4f} | F1 >= 0.98 {mark(d_only['f'], AIMS['document_f1'])}; BASIL merges {d_only['basil_merges']} {'ok ' if d_only['basil_merges'] == 0 else 'MISS'}"
    )
    print(
        f"title      {t['reported']:8d} {t['truth']:6d} {t['found']:6d} |   {t['p']:.4f}        {t['p_excl']:.4f}       {t['r']:.4f}  {t['f']:.4f} | P {mark(t['p'], AIMS['title_p'])} R {mark(t['r'], AIMS['title_r'])} (>= 0.98)"
    )
    pv = p["by_kind"].get("PLANTED verbatim", [0, 0])
    po = p["by_kind"].get("PLANTED one-word", [0, 0])
    rv, ro = pv[1] / max(1, pv[0]), po[1] / max(1, po[0])
    print(
        f"paragraph  {p['reported']:8d} {p['truth']:6d} {p['found']:6d} |   {p['p_all']:.4f}        {p['p_all_excl']:.4f}       {p['found'] / max(1, p['truth']):.4f}    -    | see below"
    )
    print(
        f"  planted paragraph copies: recall verbatim {pv[1]}/{pv[0]} = {rv:.3f} {mark(rv, AIMS['para_r'])}; one word changed {po[1]}/{po[0]} = {ro:.3f} {mark(ro, AIMS['para_r'])} (aim >= 0.95)"
    )
    print(
        f"  paragraph precision over pairs involving planted/copied paragraphs: {p['p_planted']:.4f} {mark(p['p_planted'], AIMS['para_p'])} (aim >= 0.98; unverified natural counted false), "
        f"{p['p_planted_excl']:.4f} without them; over all pairs: {p['p_all']:.4f} / {p['p_all_excl']:.4f}"
    )
    print(
        "  (paragraph recall in the table: all whole-paragraph true pairs, syndicated edited/typo'd ones included; merged/split parts excluded)"
    )
    print()
    print(
        f"document pairs by verdict: {dict(d['cats'])}; BASIL merges: {d['basil_merges']} ({d['basil_same_event']} within one BASIL event)"
    )
    print(
        f"copies linked to their source: {d['copies'] - d['missed']}/{d['copies']} = {(d['copies'] - d['missed']) / d['copies']:.3f}"
    )
    print("  by operation (a copy counts under each of its operations):")
    for op in OPS:
        n, k = d["by_op"].get(op, [0, 0])
        print(f"    {op:9s} {k:4d}/{n:<4d} = {k / max(1, n):.3f}")
    print("  by number of operations: " + ", ".join(f"{n}: {v[1]}/{v[0]}" for n, v in sorted(d["by_nops"].items())))
    print()
    print(f"title pairs by verdict: {dict(t['cats'])}")
    print("  recall of derived titles against their source title:")
    for kind, (n, k) in sorted(t["by_kind"].items()):
        print(f"    {kind:45s} {k:4d}/{n:<4d} = {k / max(1, n):.3f}")
    print(f"  title misses: {dict(t['why'])}")
    print()
    print(f"paragraph pairs by verdict (boiler = planted bylines/footers, scored apart): {dict(p['cats'])}")
    print(
        "  recall of true paragraph pairs by kind (non-base side; syndicated merged/split are not whole-paragraph copies: expected low):"
    )
    for kind, (n, k) in sorted(p["by_kind"].items()):
        print(f"    {kind:45s} {k:5d}/{n:<5d} = {k / max(1, n):.3f}")
    for kind, reasons in sorted(p["why"].items()):
        print(f"  missed {kind}: {dict(reasons)}")
    print("  planted copies by paragraph length (words):")
    for (kind, bucket), (n, k) in sorted(p["detail"].items()):
        print(f"    {kind:9s} {bucket:6s} {k:4d}/{n:<4d} = {k / max(1, n):.3f}")

    print()
    print(
        f"NOISY: {args.ocr} OCR-like copies of base articles, mixed into the {args.n} base articles + 300 BASIL; document level only"
    )
    rows = noisy_part(args, out)
    print(
        "word rate  mean J word5  mean J char5  mean C char5 | mode          linked          wrong  BASIL  natural  noisy docs  secs"
    )
    for r in rows:
        aim = ""
        want = NOISY_AIMS.get(r["rate"]) if r["mode"].startswith("default") else None
        if r["mode"] == "--noisy" and r["rate"] == args.ocr_rates[args.ocr_main]:
            want = AIMS["noisy_linked"]
        if want is not None:
            aim = f"  <- aim >= {want} linked {mark(r['linked'] / r['n'], want)}, 0 wrong {'ok' if r['wrong'] == 0 else 'MISS'}"
        flagged = "-" if r["flagged"] is None else str(r["flagged"])
        print(
            f"{r['rate']:9.2f}  {r['wj']:12.3f}  {r['cj']:12.3f}  {r['cc']:12.3f} | {r['mode']:12s} {r['linked']:4d}/{r['n']} = {r['linked'] / r['n']:.3f}  {r['wrong']:5d}  {r['basil']:5d}  {r['natural']:7d}  {flagged:>10s}  {r['secs']:5.1f}{aim}"
        )
    print("  (noisy docs: documents the default mode judged OCR-noisy, of the base articles, the copies and BASIL)")

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(out) + "\n", encoding="utf-8")
    print()
    print(f"failure examples: {OUT.relative_to(ROOT)}; total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
