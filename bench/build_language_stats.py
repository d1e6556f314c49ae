"""Build the word statistics shipped with the package (`cleaner/lang/stats/<code>.json.gz`): the
prior that the evidence-based rules use for a lone document, stdin or a small corpus.

    python bench/build_language_stats.py   # reads ../shared/corpora, writes cleaner/lang/stats/ and the
                                           # noise vocabulary cleaner/dedup/vocabulary.npz

Reproducible: the same corpora give byte-identical files (sorted keys, gzip without a time stamp).
Only counts are shipped (how often each of the most frequent words occurs, ends a sentence, stands
doubled, follows a name opening a sentence, and how long the sentences it opens are), never text.
The sources are the tuning corpora only (AllSides for English, 10kGNAD for
German, FakeNewsCorpusSpanish's real news for Spanish), so that the report corpora the normalizer
is judged on (BBC, Reuters, L3S, AEB, SemEval German/French/Italian, Dutch, Portuguese, Chinese)
play no part in it; their sources and terms are in cleaner/lang/stats/SOURCES.md.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from cleaner.dedup.noise import VOCABULARY, build_vocabulary  # noqa: E402
from cleaner.normalize.evidence import LanguageCounts  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora"
OUT = ROOT / "cleaner" / "lang" / "stats"
NOISE_VOCABULARY = ROOT / "cleaner" / "dedup" / VOCABULARY
TOP_WORDS = 30_000
SOURCES = {
    "en": [CORPORA / "allsides_news_37k.jsonl.gz"],
    "de": [CORPORA / "multilingual" / "news_de.jsonl.gz"],
    "es": [CORPORA / "multilingual" / "news_es.jsonl.gz"],
}


def build(code: str, paths: list[Path]) -> bytes:
    counts = LanguageCounts()
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                record = json.loads(line)
                for field in ("title", "text"):
                    if isinstance(record.get(field), str):
                        counts.observe(record[field])
    data = json.dumps(counts.to_dict(top=TOP_WORDS), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(data.encode("utf-8"))
    return out.getvalue()


def main() -> int:
    for code, paths in SOURCES.items():
        missing = [p for p in paths if not p.exists()]
        if missing:
            print(f"skip {code}: {missing[0]} not present", file=sys.stderr)
            continue
        blob = build(code, paths)
        (OUT / f"{code}.json.gz").write_bytes(blob)
        print(f"{code}: {len(blob):,} bytes from {', '.join(p.name for p in paths)}")
    # The duplicate finder's noise estimate reads the same words as hashes: rebuilt with them, so
    # the two never disagree (tests/test_noise.py checks that they agree).
    np.savez(NOISE_VOCABULARY, **build_vocabulary(OUT))
    print(f"{NOISE_VOCABULARY.relative_to(ROOT)}: {NOISE_VOCABULARY.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
