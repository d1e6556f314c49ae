"""Engines decide where the duplicate finder's stages and the normalizer run: `local` (this
machine, worker processes) or `ray` (a Ray cluster; needs the `ray` extra). Ray is imported only
when the Ray engine is asked for."""

from __future__ import annotations

import importlib.util

from cleaner.errors import ConfigError

ENGINES = ("local", "ray")
RAY_MISSING = "--engine ray needs Ray, which is not installed: pip install 'cleaner[ray]'"


def check_engine(name: str, address: str | None) -> None:
    """One-line errors (exit 2) for an unknown engine, an address without Ray, or Ray missing."""
    if name not in ENGINES:
        raise ConfigError(f"unknown engine '{name}'; use {' or '.join(ENGINES)}")
    if address is not None and name != "ray":
        raise ConfigError("--address is for --engine ray")
    if name == "ray":
        for module in ("ray", "pyarrow", "pandas"):
            if importlib.util.find_spec(module) is None:
                raise ConfigError(RAY_MISSING + ("" if module == "ray" else f" (missing: {module})"))


def find_duplicates_on(engine: str, address: str | None, docs, options):  # type: ignore[no-untyped-def]
    """`find_duplicates` with the named engine (`check_engine` first)."""
    from cleaner.dedup import find_duplicates

    if engine == "local":
        return find_duplicates(docs, options)
    from cleaner.engines.ray import RayEngine, RaySession

    with RaySession(address):
        return find_duplicates(docs, options, RayEngine())
