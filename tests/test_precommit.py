"""The hooks as a corpus repository gets them: the real `pre-commit` tool installs this checkout's
`.pre-commit-hooks.yaml` into a temporary git repository, and `git commit` runs them.

pre-commit builds the hook's environment with pip (from this checkout and PyPI), so this test
takes a minute the first time; PRE_COMMIT_HOME is kept per test session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cleaner.io.readers import read_documents, strict
from tests.conftest import FIXTURES, ROOT

pytest.importorskip("pre_commit")
TXT = FIXTURES / "corpora" / "txt"


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def git(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = run(["git", *args], repo, env)
    return done


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("pre-commit-home")
    e = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    e.update(
        PRE_COMMIT_HOME=str(home),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.org",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.org",
    )
    # The hook runs in pre-commit's own virtualenv; it must not see this one's site-packages.
    e.pop("VIRTUAL_ENV", None)
    e.pop("PYTHONPATH", None)
    return e


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> tuple[Path, str]:
    """This checkout as pre-commit sees a hook repository: its working tree, committed (so the
    test exercises uncommitted changes too, and works from an export without .git)."""
    repo = tmp_path_factory.mktemp("hooks")
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy(ROOT / name, repo / name)
    shutil.copytree(ROOT / "cleaner", repo / "cleaner", ignore=shutil.ignore_patterns("__pycache__"))
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "hooks"]):
        assert git(repo, env, *args).returncode == 0
    return repo, git(repo, env, "rev-parse", "HEAD").stdout.strip()


def article_with_new_headline(src: Path, headline: str) -> str:
    [doc] = strict(read_documents([src]))
    return f"{headline}\n\n{doc.text}\n"


def test_hooks_in_a_corpus_repository(tmp_path: Path, env: dict[str, str], hook_repo: tuple[Path, str]) -> None:
    hooks, rev = hook_repo
    repo = tmp_path / "corpus"
    repo.mkdir()
    assert git(repo, env, "init", "-q").returncode == 0
    for name in ("fnc-9659.txt", "basil-97566c74-e000-49fb-b091-e6ec6e179de0_3.txt"):
        shutil.copy(TXT / name, repo / name)
    (repo / ".gitignore").write_text(".cleaner/\n")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hooks}\n  rev: {rev}\n  hooks:\n  - id: cleaner-check\n  - id: cleaner-fix\n"
    )
    git(repo, env, "add", ".")
    assert git(repo, env, "commit", "-qm", "corpus").returncode == 0
    installed = run([sys.executable, "-m", "pre_commit", "install"], repo, env)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    def commit(message: str) -> subprocess.CompletedProcess[str]:
        git(repo, env, "add", "-A")
        done = git(repo, env, "commit", "-m", message)
        # git shows the hook's output on stderr.
        return subprocess.CompletedProcess(done.args, done.returncode, done.stdout + done.stderr, "")

    # 1. A clean article: both hooks pass (the first builds the index from the tracked files).
    clean = "basil-22b6e900-4826-4b09-a9f8-5d7afe46e78b_1.txt"
    shutil.copy(TXT / clean, repo / clean)
    done = commit("a clean article")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (repo / ".cleaner" / "index").is_file()

    # 2. Its headline repeated at the top of the body: cleaner-check fails, cleaner-fix repairs.
    [doc] = strict(read_documents([TXT / "basil-22b6e900-4826-4b09-a9f8-5d7afe46e78b_2.txt"]))
    (repo / "repeated.txt").write_text(f"{doc.title}\n\n{doc.title}\n\n{doc.text}\n")
    done = commit("an article with its headline repeated")
    assert done.returncode != 0
    assert "repeated.txt:3: headline-repeat: removes" in done.stdout
    assert "files were modified by this hook" in done.stdout
    assert (repo / "repeated.txt").read_text() == f"{doc.title}\n\n{doc.text}\n"
    done = commit("the same, fixed")
    assert done.returncode == 0, done.stdout + done.stderr

    # 3. A copy of the article committed in step 1, under a new headline: fails, naming it.
    (repo / "copy.txt").write_text(article_with_new_headline(TXT / clean, "Iowa race heats up over farm remarks"))
    done = commit("a copy")
    assert done.returncode != 0
    assert (
        f'copy.txt:1: duplicate-article: 1.00 similar "Iowa race heats up over farm remarks" (duplicate of {clean}:1)'
        in done.stdout
    )
    assert git(repo, env, "log", "--format=%s").stdout.split("\n")[0] == "the same, fixed"
