"""The files git holds: the work tree's top, and the files as of the last commit apart from those
in flux (staged or modified), which are checked but not indexed until committed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import regex

from cleaner.errors import ConfigError, InputError


def git_root(start: Path) -> Path | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return Path(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else None


def git_files(root: Path, pattern: str) -> tuple[list[str], set[str]]:
    """Files as of the last commit that match `pattern` and whose working copy is that commit's,
    and the files in flux (differing from the last commit: staged, modified, added). The index
    holds what the corpus has accepted: a file staged for a commit that the hook may yet refuse
    is checked, never indexed, until it is committed."""
    try:
        wanted = regex.compile(pattern)
    except regex.error as e:
        raise ConfigError(f"invalid files pattern {pattern!r}: {e}") from None
    if (
        subprocess.run(
            ["git", "rev-parse", "-q", "--verify", "HEAD"], cwd=root, capture_output=True, check=False
        ).returncode
        != 0
    ):
        return [], {n for n in _git_names(root, "ls-files", "-z") if wanted.search(n)}  # no commit yet
    committed = _git_names(root, "ls-tree", "-r", "-z", "--name-only", "HEAD")
    flux = {n for n in _git_names(root, "diff", "-z", "--name-only", "--no-renames", "HEAD") if wanted.search(n)}
    return [n for n in committed if wanted.search(n) and n not in flux and (root / n).is_file()], flux


def _git_names(root: Path, *args: str) -> list[str]:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise InputError(str(root), f"cannot list the files git holds: {e}") from None
    return [n for n in done.stdout.decode("utf-8", "surrogateescape").split("\0") if n]
