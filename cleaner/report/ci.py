"""Findings for CI: GitHub Actions workflow commands (an annotation on the pull request's files
per finding) and SARIF 2.1.0 (what code-scanning tools, GitHub's among them, take in). Both are
made from `Annotation`s, so `check` and `dups` say the same things the same way."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote

from cleaner import __version__

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"


@dataclass(frozen=True)
class Place:
    path: str
    line: int  # 1-based; where the format has no lines (Parquet), the record number stands in


@dataclass(frozen=True)
class Annotation:
    """One finding in one place: `rule` names what was found, `related` where its original is."""

    place: Place
    rule: str
    message: str
    level: str = "error"  # SARIF's levels: error, warning, note
    related: Place | None = None


@dataclass(frozen=True)
class RuleInfo:
    id: str
    summary: str


# --- GitHub Actions workflow commands --------------------------------------------------------------


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(a: Annotation) -> str:
    """`::error file=...,line=...,title=...::message`, escaped as the runner unescapes it."""
    command = {"error": "error", "warning": "warning"}.get(a.level, "notice")
    props = f"file={_escape_property(a.place.path)},line={a.place.line},title={_escape_property(a.rule)}"
    return f"::{command} {props}::{_escape_data(a.message)}"


def github_lines(annotations: Sequence[Annotation]) -> str:
    return "".join(github_line(a) + "\n" for a in annotations)


# --- SARIF 2.1.0 -----------------------------------------------------------------------------------


def _uri(path: str) -> dict[str, str]:
    """A relative path as a URI reference against the checkout (`%SRCROOT%`), an absolute one
    as a file URI."""
    p = PurePosixPath(path)
    if p.is_absolute():
        return {"uri": "file://" + quote(p.as_posix())}
    return {"uri": quote(p.as_posix()), "uriBaseId": "%SRCROOT%"}


def _location(place: Place) -> dict[str, object]:
    return {"physicalLocation": {"artifactLocation": _uri(place.path), "region": {"startLine": max(place.line, 1)}}}


def sarif_log(annotations: Sequence[Annotation], rules: Sequence[RuleInfo]) -> dict[str, object]:
    """One run of the tool `cleaner`: every rule it may report (those that ran), the results in
    order. A result's rule is found by id and by index."""
    listed = list(rules) + [
        RuleInfo(r, r) for r in dict.fromkeys(a.rule for a in annotations) if r not in {x.id for x in rules}
    ]
    index = {r.id: i for i, r in enumerate(listed)}
    results = []
    for a in annotations:
        result: dict[str, object] = {
            "ruleId": a.rule,
            "ruleIndex": index[a.rule],
            "level": a.level,
            "message": {"text": a.message},
            "locations": [_location(a.place)],
        }
        if a.related is not None:
            result["relatedLocations"] = [{"id": 0, **_location(a.related), "message": {"text": "the earlier copy"}}]
        results.append(result)
    driver = {
        "name": "cleaner",
        "version": __version__,
        "rules": [
            {
                "id": r.id,
                "name": r.id,
                "shortDescription": {"text": r.summary},
                "defaultConfiguration": {"level": "error"},
            }
            for r in listed
        ],
    }
    run = {
        "tool": {"driver": driver},
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the checkout the paths are relative to"}}},
        "results": results,
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def sarif_json(annotations: Sequence[Annotation], rules: Sequence[RuleInfo]) -> str:
    return json.dumps(sarif_log(annotations, rules), ensure_ascii=False, indent=2) + "\n"
