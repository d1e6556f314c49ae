"""Run the same `cleaner` commands from two checkouts and show where their results differ.

    python bench/compare_cli.py /work/main /work/wt-house-cli [--only NAME-SUBSTRING]

Every case runs in the same scratch folder for both checkouts (inputs copied from the first), so
paths in messages are the same; what is compared is stdout, stderr, the exit code and every file
the command wrote, byte for byte, with only timings taken out (`stats.seconds` of the JSON reports
and the "in N s" of the summary lines). Exit status 1 when any case differs.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import os
import pickle
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

SCRATCH = Path("/tmp/compare_cli")
ALLSIDES = Path("/work/shared/corpora/allsides_news_37k.jsonl.gz")
TXT = "fixtures/corpora/txt"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
}


@dataclass(frozen=True)
class Step:
    argv: tuple[str, ...]  # a cleaner command, or ("!", ...) for a shell step whose output is not compared
    compared: bool = True


@dataclass(frozen=True)
class Case:
    name: str
    steps: tuple[Step, ...]
    setup: tuple[str, ...] = ()  # inputs to copy: "fixtures", "seeds", "allsides", "planted"
    files: tuple[str, ...] = field(default=())  # outputs to compare (files or folders)


def c(*argv: str) -> Step:
    return Step(tuple(argv))


def sh(*argv: str) -> Step:
    return Step(("!", *argv), compared=False)


# Config files written by a shell step of the cases below.
BAD_CONFIG = 'printf "[tool.cleaner]\\nselekt = [1]\\n" > pyproject.toml'
BAD_DUPS = 'printf "[tool.cleaner.dups]\\nthreshhold = 0.5\\n" > pyproject.toml'
BAD_DUPS_TYPE = 'printf "[tool.cleaner.dups]\\nnum-perm = true\\n" > pyproject.toml'
BAD_CHECK = 'printf "[tool.cleaner.check]\\nindex = 3\\n" > pyproject.toml'
GOOD_CONFIG = (
    'printf "[tool.cleaner]\\nselect = [\\"doubled\\"]\\n'
    '[tool.cleaner.dups]\\nlevels = [\\"document\\"]\\nthreshold = 0.6\\n" > pyproject.toml'
)


def cases() -> list[Case]:
    return [*help_cases(), *clean_cases(), *dups_cases(), *errors(), *usage_errors(), check_scenario()]


def help_cases() -> list[Case]:
    out: list[Case] = []
    helps = [
        h.split()
        for h in ("", "clean", "dups", "check", "rules", "index", "index build", "index update", "index status")
    ]
    for h in helps:
        out.append(Case("help " + " ".join(h), (c(*h, "--help"),)))
    return [*out, Case("version", (c("--version"),)), Case("no arguments", (c(),)), Case("rules", (c("rules"),))]


def clean_cases() -> list[Case]:
    out: list[Case] = []
    for name, src, setup in [
        ("fixtures", "fixtures", "fixtures"),
        ("seeds", "seeds", "seeds"),
        ("allsides 2000", "allsides.jsonl", "allsides"),
    ]:
        out.append(
            Case(
                f"clean {name}",
                (c("clean", src, "-o", "out", "--edits", "edits.jsonl"),),
                (setup,),
                ("out", "edits.jsonl"),
            )
        )
        out.append(Case(f"clean {name} --format json", (c("clean", src, "--format", "json"),), (setup,)))
        out.append(Case(f"clean {name} --diff", (c("clean", src, "--diff"),), (setup,)))
        out.append(Case(f"clean {name} --check", (c("clean", src, "--check"),), (setup,)))
    out.append(
        Case(
            "clean allsides --jobs 2",
            (c("clean", "allsides.jsonl", "-o", "o.jsonl", "--edits", "e.jsonl", "--jobs", "2"),),
            ("allsides",),
            ("o.jsonl", "e.jsonl"),
        )
    )
    out.append(Case("clean --in-place", (c("clean", TXT, "--in-place"),), ("fixtures",), (TXT,)))
    out.append(
        Case(
            "clean config file",
            (
                sh(GOOD_CONFIG),
                c("clean", "seeds", "--format", "json"),
                c("clean", "seeds", "--format", "json", "--select", "stray-period"),
            ),
            ("seeds",),
        )
    )
    return out


def dups_cases() -> list[Case]:
    out: list[Case] = []
    for name, extra in [
        ("json", ("--format", "json")),
        ("table", ()),
        ("jsonl", ("--format", "jsonl")),
        ("document", ("--format", "json", "--levels", "document")),
        ("noisy", ("--format", "json", "--noisy")),
        ("jobs 1", ("--format", "json", "--jobs", "1")),
        ("jobs 2", ("--format", "json", "--jobs", "2")),
    ]:
        out.append(Case(f"dups fixtures {name}", (c("dups", "fixtures/corpora", *extra),), ("fixtures",)))
    out.append(Case("dups planted json", (c("dups", "planted.jsonl", "--format", "json"),), ("planted",)))
    out.append(
        Case(
            "dups planted drop clusters",
            (c(*shlex.split("dups planted.jsonl --format json --drop -o kept.jsonl --clusters clusters.jsonl")),),
            ("planted",),
            ("kept.jsonl", "clusters.jsonl"),
        )
    )
    out.append(
        Case(
            "dups config file",
            (
                sh(GOOD_CONFIG),
                c("dups", "fixtures/corpora", "--format", "json"),
                c("dups", "fixtures/corpora", "--format", "json", "--threshold", "0.8"),
            ),
            ("fixtures",),
        )
    )
    out.append(Case("dups allsides table", (c("dups", "allsides.jsonl", "--exit-zero"),), ("allsides",)))
    return out


def errors() -> list[Case]:
    """Unreadable inputs and rejected records, for both commands that read a corpus."""
    bad_inputs = [
        ("invalid json", 'printf "{oops\\n" > bad.jsonl', "bad.jsonl"),
        ("no text field", 'printf \'{"text": "ok"}\\n{"body": "x"}\\n\' > bad.jsonl', "bad.jsonl"),
        ("text null", "printf '{\"text\": null}\\n' > bad.jsonl", "bad.jsonl"),
        ("not an object", "printf '[1, 2]\\n' > bad.jsonl", "bad.jsonl"),
        ("nul bytes", "printf 'Title\\n\\nBody\\000' > bad.txt", "bad.txt"),
        ("latin-1", 'printf \'{"text": "caf\\351"}\\n\' > bad.jsonl', "bad.jsonl"),
        ("broken csv", "printf 'id,text\\n1,\"never closed\\n' > bad.csv", "bad.csv"),
        ("missing path", "true", "missing.jsonl"),
    ]
    out = []
    for name, make, path in bad_inputs:
        out.append(Case(f"error clean {name}", (sh(make), c("clean", path, "--check"))))
        out.append(Case(f"error dups {name}", (sh(make), c("dups", path))))
    skip = 'printf \'{"text": "ok"}\\n{bad\\n{"text": null}\\n{"text": "fine"}\\n\' > mixed.jsonl'
    out.append(
        Case(
            "clean --skip-invalid",
            (sh(skip), c("clean", "mixed.jsonl", "-o", "o.jsonl", "--skip-invalid", "--rejects", "r.jsonl")),
            files=("o.jsonl", "r.jsonl"),
        )
    )
    out.append(
        Case(
            "dups --skip-invalid",
            (sh(skip), c("dups", "mixed.jsonl", "--skip-invalid", "--rejects", "r.jsonl", "--format", "json")),
            files=("r.jsonl",),
        )
    )
    return out


SEED = "seeds/000_3735258bbc1f2f22.txt"


def usage_errors() -> list[Case]:
    """Bad options and bad config files: exit 2 with one line."""
    seed = SEED
    out = []
    usage = [
        ("nowhere to write", ("clean", seed)),
        ("output and in-place", ("clean", seed, "-o", "x", "--in-place")),
        ("overwrite input", ("clean", seed, "-o", seed)),
        ("check with output", ("clean", seed, "-o", "x", "--check")),
        ("diff and json", ("clean", seed, "--diff", "--format", "json")),
        ("clean bad format", ("clean", seed, "--format", "xml")),
        ("unknown rule", ("clean", seed, "--check", "--select", "nope")),
        ("unknown engine", ("clean", seed, "--check", "--engine", "spark")),
        ("address without ray", ("clean", seed, "--check", "--address", "auto")),
        ("dups bad format", ("dups", seed, "--format", "xml")),
        ("dups drop without output", ("dups", seed, "--drop")),
        ("dups output without drop", ("dups", seed, "-o", "x.txt")),
        ("dups unknown level", ("dups", seed, "--levels", "chapter")),
        ("dups unknown engine", ("dups", seed, "--engine", "spark")),
        ("dups ray client", ("dups", seed, "--engine", "ray", "--address", "ray://127.0.0.1:1")),
        ("check bad format", ("check", seed, "--format", "xml")),
        ("check missing", ("check", "missing.txt", "--no-index")),
        ("index build outside git", ("index", "build")),
        ("index status no index", ("index", "status")),
        ("unknown option", ("clean", seed, "--bogus")),
        ("no such command", ("frobnicate",)),
    ]
    for name, argv in usage:
        out.append(Case(f"error {name}", (c(*argv),), ("seeds",)))
    for name, make, argv in [
        ("bad config key", BAD_CONFIG, ("clean", seed, "--check")),
        ("bad dups key", BAD_DUPS, ("dups", seed)),
        ("bad dups type", BAD_DUPS_TYPE, ("dups", seed)),
        ("bad check key", BAD_CHECK, ("check", seed)),
        ("bad check key in index", BAD_CHECK, ("index", "status")),
        ("missing config", "true", ("clean", seed, "--check", "--config", "nope.toml")),
    ]:
        out.append(Case(f"error {name}", (sh(make), c(*argv)), ("seeds",)))
    return out


def check_scenario() -> Case:
    """tests/test_precommit.py's corpus repository, with `cleaner check` run as the hooks run it."""
    clean = "basil-22b6e900-4826-4b09-a9f8-5d7afe46e78b_1.txt"
    second = "basil-22b6e900-4826-4b09-a9f8-5d7afe46e78b_2.txt"
    hook = ("check",)
    fixer = ("check", "--fix", "--no-duplicates")
    steps = [
        sh(
            f"git init -q && cp {TXT}/fnc-9659.txt {TXT}/basil-97566c74-e000-49fb-b091-e6ec6e179de0_3.txt . && "
            "printf '.cleaner/\\nfixtures/\\n' > .gitignore && git add . && git commit -qm corpus"
        ),
        sh(f"cp {TXT}/{clean} . && git add {clean}"),
        c(*hook, clean),
        c(*fixer, clean),
        sh("git commit -qm clean"),
        c("index", "status", "--format", "json"),
        # The headline repeated at the top of the body (a .txt article is source, title, body).
        sh(f"(sed -n 1,4p {TXT}/{second}; sed -n '3,$p' {TXT}/{second}) > repeated.txt && git add repeated.txt"),
        c(*hook, "repeated.txt"),
        c(*hook, "repeated.txt", "--format", "json"),
        c(*fixer, "repeated.txt"),
        c(*hook, "repeated.txt"),
        sh("git add repeated.txt && git commit -qm fixed"),
        sh(
            f"(sed -n 1,2p {clean}; echo 'Iowa race heats up over farm remarks'; sed -n '4,$p' {clean}) > copy.txt"
            " && git add copy.txt"
        ),
        c(*hook, "copy.txt"),
        c(*hook, "copy.txt", "--format", "json"),
        c(*hook, "copy.txt", "--no-index"),
        c("index", "update"),
        c("index", "status"),
        c("index", "build", "--rebuild"),
        c("index", "build"),
    ]
    return Case("check precommit scenario", tuple(steps), ("fixtures",), ("repeated.txt",))


def prepare(case: Case, inputs: Path, work: Path) -> None:
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for what in case.setup:
        if what in ("fixtures", "seeds"):
            shutil.copytree(inputs / what, work / what, ignore=shutil.ignore_patterns("make_*.py", "SOURCES.md"))
        elif what == "planted":
            shutil.copy(inputs / "fixtures" / "dups" / "planted.jsonl", work / "planted.jsonl")
        elif what == "allsides":
            with (
                gzip.open(ALLSIDES, "rt", encoding="utf-8") as src,
                open(work / "allsides.jsonl", "w", encoding="utf-8") as dst,
            ):
                for i, line in enumerate(src):
                    if i == 2000:
                        break
                    dst.write(line)


SECONDS = re.compile(r" in \d+\.\d+ s\b")


def untimed(stdout: str) -> str:
    """The JSON report without `stats.seconds`; other text without "in N s"."""
    try:
        body = json.loads(stdout)
    except ValueError:
        return SECONDS.sub(" in N s", stdout)
    if isinstance(body, dict) and isinstance(body.get("stats"), dict) and "seconds" in body["stats"]:
        body["stats"].pop("seconds")
        return json.dumps(body, ensure_ascii=False, indent=2) + "\n"
    return stdout


def run_case(case: Case, checkout: Path, inputs: Path) -> list[tuple[str, bytes]]:
    work = SCRATCH / re.sub(r"\W+", "-", case.name)
    prepare(case, inputs, work)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | GIT_ENV
    env.update(PYTHONPATH=str(checkout), COLUMNS="100", TERM="dumb", NO_COLOR="1")
    env.pop("RAY_ADDRESS", None)
    got: list[tuple[str, bytes]] = []
    for k, step in enumerate(case.steps):
        if step.argv[:1] == ("!",):
            subprocess.run(step.argv[1], shell=True, cwd=work, env=env, check=True, capture_output=True)
            continue
        p = subprocess.run(
            [sys.executable, "-m", "cleaner.cli", *step.argv],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        label = f"[{k}] cleaner {' '.join(step.argv)}"
        got += [
            (f"{label}: exit", str(p.returncode).encode()),
            (f"{label}: stdout", untimed(p.stdout).encode()),
            (f"{label}: stderr", SECONDS.sub(" in N s", p.stderr).encode()),
        ]
    for name in case.files:
        target = work / name
        paths = sorted(q for q in target.rglob("*") if q.is_file()) if target.is_dir() else [target]
        for q in paths:
            got.append((f"file {q.relative_to(work)}", q.read_bytes() if q.exists() else b"<missing>"))
    return got


def before(case: Case, checkout: Path, cache: Path | None) -> list[tuple[str, bytes]]:
    if cache is None:
        return run_case(case, checkout, checkout)
    saved = cache / (re.sub(r"\W+", "-", case.name) + ".pickle")
    if saved.exists():
        return pickle.loads(saved.read_bytes())
    got = run_case(case, checkout, checkout)
    cache.mkdir(parents=True, exist_ok=True)
    saved.write_bytes(pickle.dumps(got))
    return got


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--only", default="", help="run the cases whose name contains this")
    ap.add_argument(
        "--cache", type=Path, help="keep the first checkout's results here and reuse them (it must not change)"
    )
    args = ap.parse_args()
    differ = 0
    chosen = [k for k in cases() if args.only in k.name]
    compared = 0
    for case in chosen:
        a = before(case, args.before.resolve(), args.cache)
        b = run_case(case, args.after.resolve(), args.before.resolve())
        compared += len(a)
        bad = [(ka, va, vb) for (ka, va), (_, vb) in zip(a, b, strict=False) if va != vb] + (
            [("outputs", b"", b"")] if len(a) != len(b) else []
        )
        print(f"{'same' if not bad else 'DIFFERENT'}: {case.name} ({len(a)} outputs)")
        for key, va, vb in bad:
            differ += 1
            print(f"  {key}:")
            lines = difflib.unified_diff(
                va.decode("utf-8", "replace").splitlines(),
                vb.decode("utf-8", "replace").splitlines(),
                "before",
                "after",
                lineterm="",
                n=1,
            )
            for line in list(lines)[:20]:
                print("    " + line)
    print(f"{len(chosen)} cases, {compared} outputs compared (stdout, stderr, exit code, files): {differ} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
