"""The reports people read: the `dups` table (summary first, the costly clusters, a bounded
number of rows), the CI formats of `check` and `dups` (GitHub workflow commands, SARIF 2.1.0),
and the review pages of `dups` and `clean`, rendered by a real browser where one is installed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

from cleaner.cli import app
from cleaner.jobs.clean import CleanJob, run_clean
from cleaner.normalize import all_rules
from cleaner.report.ci import Annotation, Place, github_line
from cleaner.report.clean_page import Review, clean_page
from tests.browser import CHROMIUM, Elements, dump_dom, screenshot
from tests.conftest import FIXTURES, ROOT, SEEDS

PLANTED = FIXTURES / "dups" / "planted.jsonl"
SEED = next(p for p in sorted(SEEDS.glob("*.txt")))


def cli(*args, cwd=None, columns: int = 80):
    env = {**os.environ, "COLUMNS": str(columns), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "cleaner.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env
    )


@pytest.fixture(scope="module")
def planted_report():
    r = CliRunner().invoke(app, ["dups", str(PLANTED), "--format", "json"])
    return json.loads(r.stdout)


def cost(c: dict) -> int:
    return c["size"] * len(c["members"][c["representative"]]["text"])


def table_rows(text: str) -> list[list[str]]:
    """The first line of each cluster row of the table: its cells."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if cells and cells[0].isdigit():
            rows.append(cells)
    return rows


# --- the table -------------------------------------------------------------------------------------


def test_the_table_leads_with_the_summary_and_ends_with_what_it_left_out(planted_report):
    r = cli("dups", PLANTED, "--limit", "3")
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    stats, clusters = planted_report["stats"], planted_report["clusters"]
    assert lines[0].startswith(f"{stats['documents']} articles, {stats['paragraphs']} paragraphs")
    # The level lines: clusters, copies (n - 1 a cluster), the level's size, the share.
    for kind, total in (("document", stats["documents"]), ("paragraph", stats["paragraphs"])):
        copies = sum(c["size"] - 1 for c in clusters if c["kind"] == kind)
        row = next(line.split() for line in lines[:6] if line.startswith(kind))
        assert row[1:4] == [str(stats["clusters"][kind]), str(copies), str(total)]
        assert row[-1] == f"{100 * copies / total:.1f}%"
    # The most costly three, in that order; the last words say how many more and how to see them.
    by_cost = sorted(clusters, key=lambda c: (-cost(c), c["id"]))
    assert [int(row[0]) for row in table_rows(r.stdout)] == [c["id"] for c in by_cost[:3]]
    tail = " ".join(lines[-3:])
    left = len(clusters) - 3
    assert f"3 of {len(clusters)} clusters shown" in tail and f"{left} more" in tail
    assert "--limit 0" in tail and "--format json" in tail
    assert r.stdout.index(f"{stats['documents']} articles") < r.stdout.index("┏")


@pytest.mark.parametrize(
    "sort, key",
    [
        ("input", lambda c: c["id"]),
        ("size", lambda c: -c["size"]),
        ("similarity", lambda c: c["similarity"]),
        ("cost", lambda c: -cost(c)),
    ],
)
def test_sort_orders_every_row_and_limit_0_shows_all(planted_report, sort, key):
    r = CliRunner().invoke(app, ["dups", str(PLANTED), "--sort", sort, "--limit", "0"])
    by_id = {c["id"]: c for c in planted_report["clusters"]}
    ids = [int(row[0]) for row in table_rows(r.stdout)]
    assert sorted(ids) == sorted(by_id)
    keys = [key(by_id[i]) for i in ids]
    assert keys == sorted(keys)
    assert "more:" not in r.stdout


def test_default_limit_fits_a_screen_or_two_and_json_is_always_complete(planted_report):
    r = CliRunner().invoke(app, ["dups", str(PLANTED)])
    assert len(table_rows(r.stdout)) == 20 and len(r.stdout.splitlines()) < 130
    full = CliRunner().invoke(app, ["dups", str(PLANTED), "--format", "json", "--limit", "1", "--sort", "size"])
    report = json.loads(full.stdout)
    assert report["clusters"] == planted_report["clusters"]
    jsonl = CliRunner().invoke(app, ["dups", str(PLANTED), "--format", "jsonl", "--limit", "1"]).stdout
    assert len(jsonl.splitlines()) == len(planted_report["clusters"])


def test_bad_sort_and_limit_are_usage_errors():
    for args in (["--sort", "cheap"], ["--limit", "-1"], ["--format", "xml"]):
        r = CliRunner().invoke(app, ["dups", str(PLANTED), *args])
        assert r.exit_code == 2, args


# --- GitHub workflow commands ----------------------------------------------------------------------

COMMAND = re.compile(r"^::(error|warning|notice) file=([^,]*),line=(\d+),title=([^:]*)::(.*)$")


def unescape(text: str) -> str:
    for code, char in (("%0A", "\n"), ("%0D", "\r"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


def parse_github(stdout: str) -> list[tuple[str, str, int, str, str]]:
    out = []
    for line in stdout.splitlines():
        m = COMMAND.match(line)
        assert m, f"not a workflow command: {line!r}"
        out.append((m[1], unescape(m[2]), int(m[3]), unescape(m[4]), unescape(m[5])))
    return out


@pytest.fixture
def checked(tmp_path):
    """A seed article and a copy of it with a new headline, outside git: artifacts and a copy."""
    text = SEED.read_text("utf-8")
    (tmp_path / "a.txt").write_text(text, "utf-8")
    first, rest = text.split("\n", 1)
    (tmp_path / "copy, 2.txt").write_text("A brand new headline for the copy\n" + rest, "utf-8")
    return tmp_path


def test_check_github_lines_parse_one_per_finding(checked):
    files = ["a.txt", "copy, 2.txt"]
    findings = json.loads(cli("check", *files, "--format", "json", cwd=checked).stdout)["findings"]
    r = cli("check", *files, "--format", "github", cwd=checked)
    assert r.returncode == 1 and len(findings) > 3
    parsed = parse_github(r.stdout)
    expected = [
        (
            "error",
            f["path"],
            f["line"],
            f["kind"],
            f["message"] + (f" (duplicate of {f['duplicate_of']})" if f["duplicate_of"] else ""),
        )
        for f in findings
    ]
    assert parsed == expected
    assert any(kind == "duplicate-article" and path == "copy, 2.txt" for _, path, _, kind, _ in parsed)


def test_github_escapes_what_the_runner_would_split_on():
    a = Annotation(Place("dir,1/a:b.txt", 7), "rule,x", "50% off:\nsecond line\r")
    m = COMMAND.match(github_line(a))
    assert m and (unescape(m[2]), unescape(m[4]), unescape(m[5])) == ("dir,1/a:b.txt", "rule,x", a.message)


def test_dups_github_names_every_copy(planted_report):
    r = CliRunner().invoke(app, ["dups", str(PLANTED), "--format", "github"])
    parsed = parse_github(r.stdout)
    assert len(parsed) == sum(c["size"] - 1 for c in planted_report["clusters"])
    wire = next(p for p in parsed if p[3] == "duplicate-article" and "Jane Doe" in p[4])
    assert wire[1] == str(PLANTED) and wire[2] == 54  # plant-wire is line 54 of the fixture


# --- SARIF 2.1.0 -----------------------------------------------------------------------------------

LEVELS = {"none", "note", "warning", "error"}


def sarif_problems(log: dict) -> list[str]:
    """What the SARIF 2.1.0 schema requires of the parts cleaner writes (sarifLog: version, runs;
    run: tool; tool: driver; toolComponent: name; reportingDescriptor: id; result: message;
    message: text or id; region.startLine >= 1; level in its enum; ruleIndex into the rules),
    and what GitHub code scanning needs besides: $schema, driver.rules, and each result's
    ruleId and a location with artifactLocation.uri and region.startLine."""
    problems = []

    def need(cond: bool, what: str) -> None:
        if not cond:
            problems.append(what)

    need(log.get("version") == "2.1.0", "version is not 2.1.0")
    need(isinstance(log.get("$schema"), str) and "sarif" in log["$schema"], "$schema")
    need(isinstance(log.get("runs"), list), "runs is not an array")
    for r, run in enumerate(log.get("runs") or []):
        driver = (run.get("tool") or {}).get("driver")
        need(isinstance(driver, dict), f"runs[{r}].tool.driver")
        driver = driver or {}
        need(isinstance(driver.get("name"), str) and driver["name"], f"runs[{r}].tool.driver.name")
        rules = driver.get("rules")
        need(isinstance(rules, list), f"runs[{r}].tool.driver.rules")
        rules = rules or []
        ids = [rule.get("id") for rule in rules]
        need(all(isinstance(i, str) and i for i in ids), "a rule without an id")
        need(len(set(ids)) == len(ids), "rule ids repeat")
        for k, res in enumerate(run.get("results") or []):
            where = f"runs[{r}].results[{k}]"
            message = res.get("message") or {}
            need(isinstance(message.get("text"), str) or isinstance(message.get("id"), str), f"{where}.message")
            need(res.get("level", "warning") in LEVELS, f"{where}.level")
            need(isinstance(res.get("ruleId"), str), f"{where}.ruleId")
            if "ruleIndex" in res:
                i = res["ruleIndex"]
                need(isinstance(i, int) and 0 <= i < len(rules) and ids[i] == res.get("ruleId"), f"{where}.ruleIndex")
            locations = res.get("locations") or []
            need(len(locations) >= 1, f"{where}.locations")
            for loc in locations + res.get("relatedLocations", []):
                physical = loc.get("physicalLocation") or {}
                need(isinstance((physical.get("artifactLocation") or {}).get("uri"), str), f"{where} uri")
                line = (physical.get("region") or {}).get("startLine")
                need(isinstance(line, int) and line >= 1, f"{where} region.startLine")
    return problems


def test_sarif_checker_finds_what_is_missing():
    good = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": []}
    assert sarif_problems(good) == []
    assert sarif_problems({**good, "version": "2.0.0"}) == ["version is not 2.1.0"]
    run = {"tool": {"driver": {"name": "x", "rules": [{"id": "a"}]}}, "results": [{"ruleId": "a", "ruleIndex": 1}]}
    assert set(sarif_problems({**good, "runs": [run]})) == {
        "runs[0].results[0].message",
        "runs[0].results[0].ruleIndex",
        "runs[0].results[0].locations",
    }


def test_check_sarif_validates_and_holds_every_finding_at_its_place(checked):
    files = ["a.txt", "copy, 2.txt"]
    findings = json.loads(cli("check", *files, "--format", "json", cwd=checked).stdout)["findings"]
    r = cli("check", *files, "--format", "sarif", cwd=checked)
    assert r.returncode == 1
    log = json.loads(r.stdout)
    assert sarif_problems(log) == []
    run = log["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    shown = cli("rules", columns=200).stdout
    assert {"duplicate-article", "headline-repeat", "doubled-word"} <= set(rules)
    assert all(name in shown for name in rules if not name.startswith(("duplicate-", "unreadable")))
    places = [
        (
            x["ruleId"],
            unquote(x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]),
            x["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for x in run["results"]
    ]
    assert places == [(f["kind"], f["path"], f["line"]) for f in findings]
    copy = next(x for x in run["results"] if x["ruleId"] == "duplicate-article")
    related = copy["relatedLocations"][0]["physicalLocation"]
    assert related["artifactLocation"]["uri"] == "a.txt" and related["region"]["startLine"] == 1


def test_dups_sarif_validates(planted_report):
    log = json.loads(CliRunner().invoke(app, ["dups", str(PLANTED), "--format", "sarif"]).stdout)
    assert sarif_problems(log) == []
    assert len(log["runs"][0]["results"]) == sum(c["size"] - 1 for c in planted_report["clusters"])


# --- the review page -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    path = tmp_path_factory.mktemp("page") / "dups.html"
    r = CliRunner().invoke(app, ["dups", str(PLANTED), "--format", "html", "--limit", "0"])
    path.write_text(r.stdout, "utf-8")
    return path


def clusters_of(html: str) -> list[dict]:
    return Elements(html).having("details", "cluster")


def test_the_page_is_self_contained_and_bounded(page, planted_report):
    html = page.read_text("utf-8")
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(", html)
    assert len(clusters_of(html)) == len(planted_report["clusters"])
    r = CliRunner().invoke(app, ["dups", str(PLANTED), "--format", "html", "--limit", "5"])
    shown = clusters_of(r.stdout)
    by_cost = sorted(planted_report["clusters"], key=lambda c: (-cost(c), c["id"]))
    assert [int(c["attrs"]["data-id"]) for c in shown] == [c["id"] for c in by_cost[:5]]
    left = Elements(r.stdout).found
    note = next(e for e in left if e["attrs"].get("id") == "left")
    assert note["text"].startswith(f"{len(by_cost) - 5} less costly clusters")


def flat(text: str) -> str:
    return " ".join(text.split())


needs_browser = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


@needs_browser
def test_in_the_browser_every_cluster_and_its_shared_passages(page, planted_report):
    dom = Elements(dump_dom(page))
    clusters = dom.having("details", "cluster")
    assert len(clusters) == len(planted_report["clusters"])
    assert not any("hidden" in c["attrs"] for c in clusters)
    by_id = {c["attrs"]["data-id"]: c for c in clusters}

    def members(cluster: dict) -> dict[str, dict]:
        return {m["attrs"]["data-doc"]: m for m in dom.having("article", "member", by_id[str(cluster["id"])])}

    # The wire copy: every highlighted passage is text of the original; its byline, dateline and
    # footer are not highlighted.
    wire = next(c for c in planted_report["clusters"] if "plant-wire" in [m["doc"] for m in c["members"]])
    original = flat(wire["members"][wire["representative"]]["text"])
    copy = members(wire)["plant-wire"]
    marks = [flat(t) for t in copy["marks"]]
    assert marks and all(m in original for m in marks)
    own = flat(" ".join(copy["owns"]))
    assert "By Jane Doe, Associated Press" in own and "Copyright 2018 The Associated Press" in own
    assert "WASHINGTON (AP)" in own
    # The pasted paragraph: highlighted whole, and it is the donor's paragraph.
    pasted = next(
        c
        for c in planted_report["clusters"]
        if c["kind"] == "paragraph" and "plant-paragraph" in [m["doc"] for m in c["members"]]
    )
    element = next(c for c in clusters if c["attrs"]["data-id"] == str(pasted["id"]))
    text = next(m["text"] for m in pasted["members"] if m["doc"] == "plant-paragraph")
    assert flat(" ".join(element["marks"][: len(element["marks"]) // 2])) == flat(text)


@needs_browser
def test_in_the_browser_the_level_filter_and_the_search(page, planted_report):
    dom = Elements(dump_dom(page, "kind=title"))
    visible = [c for c in dom.having("details", "cluster") if "hidden" not in c["attrs"]]
    titles = [c["id"] for c in planted_report["clusters"] if c["kind"] == "title"]
    assert sorted(int(c["attrs"]["data-id"]) for c in visible) == sorted(titles)
    assert next(e for e in dom.found if e["attrs"].get("id") == "shown")["text"] == str(len(titles))
    dom = Elements(dump_dom(page, "kind=title,paragraph,document&q=reuters"))
    visible = {int(c["attrs"]["data-id"]) for c in dom.having("details", "cluster") if "hidden" not in c["attrs"]}
    having = {c["id"] for c in planted_report["clusters"] if any("reuters" in m["text"].lower() for m in c["members"])}
    assert visible == having and visible


@needs_browser
def test_in_the_browser_a_screenshot(page, tmp_path):
    png = tmp_path / "page.png"
    screenshot(page, png, "kind=document&open=2", (1000, 700))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


# --- the clean review page -------------------------------------------------------------------------

CLEANED = [FIXTURES / "corpora" / "allsides_sample.jsonl", SEEDS]


@pytest.fixture(scope="module")
def review(tmp_path_factory):
    """The review page and the edit log of one `clean --check` run on real articles."""
    folder = tmp_path_factory.mktemp("review")
    page, log = folder / "review.html", folder / "edits.jsonl"
    r = CliRunner().invoke(app, ["clean", *map(str, CLEANED), "--check", "--review", str(page), "--edits", str(log)])
    assert r.exit_code == 1, r.output  # the fixtures have artifacts
    return page, [json.loads(line) for line in log.read_text("utf-8").splitlines()]


def test_review_page_holds_each_rules_edits_as_the_edit_log_says(review):
    page, edits = review
    dom = Elements(page.read_text("utf-8"))
    sections = {s["attrs"]["data-rule"]: s for s in dom.having("section", "rule")}
    assert set(sections) == {e["rule"] for e in edits}
    for rule, section in sections.items():
        logged = [e for e in edits if e["rule"] == rule]
        shown = dom.having("div", "edit", section)
        assert len(shown) == min(len(logged), 100)
        # Each edit's before and after, in order: what went is struck, what came is inserted.
        struck = [el["text"] for el in dom.having("del", None, section)]
        flagged = [el["text"] for el in dom.having("mark", "flag", section)]
        inserted = [el["text"] for el in dom.having("ins", None, section)]
        assert struck == [e["before"] for e in logged if e["action"] != "flagged"][:100]
        assert inserted == [e["after"] for e in logged if e["action"] != "flagged"][:100]
        evidence = [el["text"] for el in dom.having("div", "evidence", section)]
        assert evidence == [f"evidence: {e['evidence']}" for e in logged[:100] if e["evidence"]]
        assert flagged == [e["before"] for e in logged if e["action"] == "flagged"][:100]


def test_review_page_is_bounded_and_counts_the_rest(tmp_path):
    rules = all_rules()
    review = Review(rules, per_rule=2)
    run_clean(CleanJob(paths=CLEANED, rules=rules), on_result=review.add)
    dom = Elements(clean_page(review))
    for section in dom.having("section", "rule"):
        total = sum(n for (rule, _), n in review.counts.items() if rule == section["attrs"]["data-rule"])
        assert len(dom.having("div", "edit", section)) == min(total, 2)
        left = dom.having("p", "left", section)
        assert [p["text"] for p in left] == (
            [f"and {total - 2} more (the edit log, --edits, has every one)"] if total > 2 else []
        )


@needs_browser
def test_in_the_browser_the_review_filters(review):
    page, edits = review
    dom = Elements(dump_dom(page, "action=flagged"))
    visible = [e for e in dom.having("div", "edit") if "hidden" not in e["attrs"]]
    flagged = [e for e in edits if e["action"] == "flagged"]
    assert flagged and len(visible) == len(flagged)
    assert all(e["attrs"]["data-action"] == "flagged" for e in visible)
    dom = Elements(dump_dom(page, "rule=doubled-word"))
    shown = [s["attrs"]["data-rule"] for s in dom.having("section", "rule") if "hidden" not in s["attrs"]]
    assert shown == ["doubled-word"]
    count = next(e for e in dom.found if e["attrs"].get("id") == "shown")["text"]
    assert count == str(sum(1 for e in edits if e["rule"] == "doubled-word"))


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory):
    from cleaner.dedup.options import DupOptions
    from cleaner.jobs.dups import DupsJob, run_dups

    out = tmp_path_factory.mktemp("dropped") / "planted.jsonl"
    return run_dups(DupsJob([PLANTED], DupOptions(jobs=1), drop_to=out))


@pytest.mark.parametrize("removals", [False, True])
def test_the_json_report_written_a_cluster_at_a_time_is_json_dumps_own(planted_run, removals):
    from cleaner.report.dups import json_chunks, report_dict

    kinds = {c.kind for c in planted_run.clusters}
    assert kinds == {"title", "paragraph", "document"} and planted_run.removals  # every shape is in it
    given = planted_run.removals if removals else None
    for clusters in (planted_run.clusters, planted_run.clusters[:1], []):
        whole = json.dumps(report_dict(clusters, planted_run.stats, given), ensure_ascii=False, indent=2) + "\n"
        chunks = list(json_chunks(clusters, planted_run.stats, given))
        assert "".join(chunks) == whole
        assert len(chunks) == (len(clusters) + 2 if clusters else 1)  # never the report as one string


def test_the_jsonl_report_and_clusters_file_are_one_json_dumps_a_line(planted_run, tmp_path):
    from cleaner.report.dups import write_clusters

    path = tmp_path / "clusters.jsonl"
    write_clusters(path, planted_run.clusters)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [{"version": 1, **c.to_dict()} for c in planted_run.clusters]


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_dups_never_renders_the_whole_report_as_one_string(monkeypatch, planted_report, fmt):
    import cleaner.report.dups as rendering

    def whole(*_args, **_kwargs):
        raise AssertionError("the report was rendered as one string")

    monkeypatch.setattr(rendering, "to_json", whole)
    monkeypatch.setattr(rendering, "to_jsonl", whole)
    r = CliRunner().invoke(app, ["dups", str(PLANTED), "--format", fmt, "--exit-zero"])
    assert r.exit_code == 0, r.output
    found = json.loads(r.stdout)["clusters"] if fmt == "json" else [json.loads(x) for x in r.stdout.splitlines()]
    assert [c["members"] for c in found] == [c["members"] for c in planted_report["clusters"]]
