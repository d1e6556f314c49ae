"""Freed memory kept for the next block rather than given back to the kernel.

glibc's malloc gives each large allocation (above 128 KiB, a threshold it raises as it sees
larger ones freed) a mapping of its own and unmaps it when it is freed, and it trims the top of
its heap as soon as 128 KiB there is free. The finder works in blocks of a few thousand articles
whose arrays are tens of MB each, made and dropped block after block: every block had the kernel
map and zero the same memory again. A quarter of `cleaner dups`' time was system time (100,000
synthetic articles: 12-13 s of 57 s of CPU); with the settings below, 5-6 s, and the command
10% faster, for about 110 MB more resident memory in the main process (`python
bench/bench_scale.py`).

A process setting, so the command line sets it (`cleaner.cli.app.main`), once, before any work;
forked workers inherit it. A program that uses the library chooses for itself. Elsewhere than
glibc nothing changes; nor where the user set glibc's own `MALLOC_*_` variables.
"""

from __future__ import annotations

import ctypes
import os

# glibc's `mallopt` parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3

# Allocations up to this size come from the heap, where freed memory can be reused: the largest
# arrays of a block (a block's word hashes, 2 million of 8 bytes) are under it.
MMAP_THRESHOLD = 32 << 20
# Free memory at the heap's top kept up to this much before it is returned: about what one
# block's arrays take, so the next block finds it mapped.
TRIM_THRESHOLD = 512 << 20
# Asked of the kernel beyond each need when the heap grows, so it grows in fewer steps.
TOP_PAD = 64 << 20

_USER_SETTINGS = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_THRESHOLD_")


def keep_freed_memory() -> bool:
    """Tell the allocator to keep freed memory for reuse; whether it took the settings."""
    if any(name in os.environ for name in _USER_SETTINGS):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own libc
    except (OSError, AttributeError, TypeError):  # not glibc (musl, macOS, Windows)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    settings = ((_M_MMAP_THRESHOLD, MMAP_THRESHOLD), (_M_TRIM_THRESHOLD, TRIM_THRESHOLD), (_M_TOP_PAD, TOP_PAD))
    return all([mallopt(key, value) == 1 for key, value in settings])
