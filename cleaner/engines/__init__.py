"""Engines decide where the duplicate finder's stages and the normalizer run: `local` (this
machine, worker processes) or `ray` (a Ray cluster; needs the `ray` extra). Ray is imported only
when the Ray engine is asked for (`dedup.finder.find_duplicates_on`).

The engines run the stages of `cleaner.dedup` and are run by its finder, which sits above them:
nothing here imports the finder."""

from __future__ import annotations

import importlib.util
import os
import socket

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
        # Checked up front: `clean` reaches the cluster only once it has more than one chunk.
        reachable(address)


def reachable(address: str | None) -> None:
    """A `host:port` (or `ray://host:port`) address must accept a connection within a few
    seconds: Ray itself retries an unreachable GCS for minutes, deaf to Ctrl-C."""
    if not address or address == "auto":
        return
    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"--address {address!r}: expected auto, HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as e:
        raise ConfigError(f"--engine ray: cannot reach {address}: {e.strerror or e}") from None


# Ray Data's streaming executor needs a worker of the cluster itself (Ray 2.60 fails inside it,
# "'Worker' object has no attribute 'core_worker'", when the driver is a Ray Client).
RAY_CLIENT_DUPS = (
    "dups --engine ray cannot run through the Ray Client (--address ray://...): Ray Data needs the "
    "driver on a node of the cluster. Run it there with --address auto, or submit it as a Ray job: "
    "ray job submit --address http://HEAD:8265 -- cleaner dups ... --engine ray --address auto"
)


def check_dups_engine(name: str, address: str | None) -> None:
    """`check_engine`, and the duplicate finder's own limit: not through the Ray Client."""
    # Without --address, ray.init connects where RAY_ADDRESS says.
    if name == "ray" and (address or os.environ.get("RAY_ADDRESS", "")).lower().startswith("ray://"):
        raise ConfigError(RAY_CLIENT_DUPS)
    check_engine(name, address)
