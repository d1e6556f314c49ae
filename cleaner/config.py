"""Settings from `[tool.cleaner]` in pyproject.toml or a `cleaner.toml`, merged under the command
line: command line > config file > defaults.

The file is the nearest `cleaner.toml` or `pyproject.toml` with a `[tool.cleaner]` table, looking
from the working folder upwards (as ruff and black do), or the one named with `--config`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleaner.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# key -> expected type; kebab-case as in the CLI options.
KNOWN_KEYS: dict[str, type | tuple[type, ...]] = {
    "select": list,
    "ignore": list,
    "text-field": str,
    "title-field": str,
    "id-field": str,
    "paragraph-sep": str,
    "skip-invalid": bool,
}
# Tables that belong to later subcommands; their keys are checked by those commands.
KNOWN_TABLES = ("dups", "check")


@dataclass(frozen=True)
class FileConfig:
    path: Path | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    tables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def get(self, key: str, cli_value: Any, default: Any) -> Any:
        """The command line's value if given, else the file's, else the default."""
        if cli_value is not None:
            return cli_value
        return self.values.get(key, default)


def _table(path: Path) -> Mapping[str, Any] | None:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config: {e.strerror}") from None
    if path.name == "cleaner.toml":
        return data.get("tool", {}).get("cleaner", data)
    return data.get("tool", {}).get("cleaner")


def find_config(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        for name in ("cleaner.toml", "pyproject.toml"):
            candidate = folder / name
            if candidate.is_file() and _table(candidate) is not None:
                return candidate
    return None


def load_config(explicit: Path | None = None) -> FileConfig:
    path = explicit if explicit is not None else find_config()
    if path is None:
        return FileConfig()
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    table = _table(path) or {}
    values: dict[str, Any] = {}
    tables: dict[str, Mapping[str, Any]] = {}
    for key, value in table.items():
        if key in KNOWN_TABLES and isinstance(value, Mapping):
            tables[key] = value
            continue
        if key not in KNOWN_KEYS:
            known = ", ".join([*KNOWN_KEYS, *(f"[{t}]" for t in KNOWN_TABLES)])
            raise ConfigError(f"{path}: unknown key '{key}' in [tool.cleaner]; known: {known}")
        expected = KNOWN_KEYS[key]
        if not isinstance(value, expected) or (expected is list and not all(isinstance(v, str) for v in value)):
            kind = "a list of strings" if expected is list else expected.__name__  # type: ignore[union-attr]
            raise ConfigError(f"{path}: '{key}' must be {kind}, got {value!r}")
        values[key] = value
    return FileConfig(path, values, tables)
