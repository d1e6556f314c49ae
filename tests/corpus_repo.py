"""What the check and index tests share: a git corpus repository of real articles, and the CLI
run inside it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cleaner.cli import app
from cleaner.io.readers import read_documents, strict
from tests.conftest import FIXTURES, SEEDS

TXT = sorted((FIXTURES / "corpora" / "txt").glob("*.txt"))
SEED = next(SEEDS.glob("*.txt"))


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def corpus_repo(tmp_path: Path, files: list[Path]) -> Path:
    repo = tmp_path / "corpus"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "t@example.org")
    git(repo, "config", "user.name", "t")
    for f in files:
        shutil.copy(f, repo / f.name)
    (repo / ".gitignore").write_text(".cleaner/\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "corpus")
    return repo


def cli(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str):
    monkeypatch.chdir(repo)
    return CliRunner().invoke(app, list(args))


def article(path: Path):
    [doc] = strict(read_documents([path]))
    return doc


def copy_with_new_headline(src: Path, dest: Path, headline: str) -> None:
    dest.write_text(f"{headline}\n\n{article(src).text}\n", encoding="utf-8")
