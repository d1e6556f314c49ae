"""`cleaner index status` counts what `cleaner index update` will do, by the same comparison."""

from __future__ import annotations

import json
import os
import shutil

from typer.testing import CliRunner

from cleaner.cli import app
from cleaner.corpus.scope import Scope
from cleaner.dedup import DupOptions
from cleaner.dedup.store import IndexStore
from cleaner.io.readers import ReadOptions
from cleaner.jobs.index import update_index
from tests.conftest import SEEDS
from tests.corpus_repo import TXT, corpus_repo, git


def status(repo, monkeypatch) -> dict:
    monkeypatch.chdir(repo)
    r = CliRunner().invoke(app, ["index", "status", "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_status_and_update_agree_on_changed_touched_added_deleted_and_in_flux_files(tmp_path, monkeypatch):
    repo = corpus_repo(tmp_path, TXT)
    monkeypatch.chdir(repo)
    assert CliRunner().invoke(app, ["index", "build"]).exit_code == 0
    changed, touched, deleted, flux = (p.name for p in TXT[:4])
    with open(repo / changed, "a", encoding="utf-8") as fh:
        fh.write("\nA paragraph added later, long enough to count as one of the article's own.\n")
    shutil.copy(next(SEEDS.glob("*.txt")), repo / "added.txt")
    git(repo, "rm", "-q", deleted)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "changes")
    st = os.stat(repo / touched)  # same content, a later modification time
    os.utime(repo / touched, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    (repo / flux).write_text((repo / flux).read_text("utf-8") + "\nNot committed yet.\n", encoding="utf-8")

    before = status(repo, monkeypatch)
    assert (before["new_files"], before["changed_files"], before["missing_files"]) == (1, 1, 1)
    store = IndexStore.open(repo / ".cleaner" / "index", DupOptions(jobs=1))
    try:
        stats = update_index(store, Scope.from_meta(repo, store.settings), ReadOptions(), DupOptions(jobs=1))
    finally:
        store.close()
    assert stats.files_read == before["new_files"] + before["changed_files"]
    assert stats.files_removed == before["missing_files"]
    assert stats.files_unchanged == len(TXT) - 3  # the touched file among them; the file in flux is not
    after = status(repo, monkeypatch)
    assert (after["new_files"], after["changed_files"], after["missing_files"]) == (0, 0, 0)
    assert after["files"] == len(TXT)  # one deleted, one added; the file in flux is kept as it was
