"""The command line keeps freed memory for the next block (`cleaner.heap`): measured by the page
faults a block's worth of fresh arrays costs after the same arrays were freed."""

from __future__ import annotations

import importlib
import json
import os
import platform
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# In a fresh interpreter: allocate and touch 200 arrays of 2 MB (a block's many mid-sized arrays),
# free them, then do it again, and count the minor page faults of the second round alone.
_PROBE = """
import json, resource, sys
import numpy as np
from cleaner.heap import keep_freed_memory
took = keep_freed_memory() if sys.argv[1] == "keep" else None
def block():
    arrays = [np.ones(1 << 18, dtype=np.uint64) for _ in range(200)]
    del arrays
block()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
block()
print(json.dumps({"took": took, "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before}))
"""

glibc = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="the settings are glibc's"
)


def _probe(mode: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


@glibc
def test_a_second_block_reuses_the_memory_the_first_freed():
    plain, kept = _probe("plain"), _probe("keep")
    assert kept["took"] is True
    # 200 x 2 MB is about 102,000 pages: each mapped again without the settings, none with them.
    assert plain["faults"] > 50_000
    assert kept["faults"] < 5_000


@glibc
def test_the_users_own_malloc_settings_are_left_as_they_are(monkeypatch):
    from cleaner.heap import keep_freed_memory

    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    assert keep_freed_memory() is False


def test_the_command_line_sets_it_before_any_command():
    cli_app = importlib.import_module("cleaner.cli.app")
    assert cli_app.keep_freed_memory.__module__ == "cleaner.heap"
    source = (ROOT / "cleaner" / "cli" / "app.py").read_text(encoding="utf-8")
    body = source[source.index("def main()") :]
    assert body.index("keep_freed_memory()") < body.index("app()")
