"""Settings from `[tool.cleaner]` in pyproject.toml or a `cleaner.toml`, merged under the command
line: command line > config file > defaults.

The file is the nearest `cleaner.toml` or `pyproject.toml` with a `[tool.cleaner]` table, looking
from the working folder upwards (as ruff and black do), or the one named with `--config`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleaner.errors import ConfigError
from cleaner.io.readers import ReadOptions

if TYPE_CHECKING:
    from cleaner.dedup.options import DupOptions
    from cleaner.normalize.options import NormalizeOptions
    from cleaner.normalize.registry import Rule

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
    "lang": str,
    "lang-field": str,
    "source-field": str,
    "min-confidence": (float, int),
    "evidence": str,
}
# The commands' own tables; their keys are checked below, when the command reads them.
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


# --- the tables of the commands, and the settings built from them ---------------------------------

# [tool.cleaner.dups]: key -> expected type (a bool is no number here).
DUPS_KEYS: dict[str, type | tuple[type, ...]] = {
    "levels": list,
    "threshold": (int, float),
    "containment": (int, float),
    "num-perm": int,
    "ngram": int,
    "seed": int,
    "min-words": int,
    "keep": str,
    "verify": bool,
    "noisy": bool,
}
CHECK_KEYS = {"index": str, "files": str}
_DUP_SETTINGS = ("threshold", "containment", "num_perm", "ngram", "seed", "min_words", "keep", "verify", "noisy")


def dups_table(cfg: FileConfig) -> dict[str, Any]:
    table = dict(cfg.tables.get("dups", {}))
    for key, value in table.items():
        if key not in DUPS_KEYS:
            raise ConfigError(f"{cfg.path}: unknown key '{key}' in [tool.cleaner.dups]; known: {', '.join(DUPS_KEYS)}")
        if not isinstance(value, DUPS_KEYS[key]) or isinstance(value, bool) and DUPS_KEYS[key] is not bool:
            raise ConfigError(f"{cfg.path}: '{key}' in [tool.cleaner.dups] has the wrong type: {value!r}")
    return table


def check_table(cfg: FileConfig) -> dict[str, Any]:
    table = dict(cfg.tables.get("check", {}))
    for key, value in table.items():
        if key not in CHECK_KEYS or not isinstance(value, CHECK_KEYS[key]):
            known = ", ".join(CHECK_KEYS)
            raise ConfigError(
                f"{cfg.path}: unknown key or wrong type '{key}' in [tool.cleaner.check]; known: {known} (strings)"
            )
    return table


def pick(cli_value: Any, table: Mapping[str, Any], key: str, default: Any) -> Any:
    """The command line's value if given, else the table's, else the default."""
    return cli_value if cli_value is not None else table.get(key, default)


def all_cores(jobs: int | None) -> int:
    return max(1, jobs if jobs is not None else (os.cpu_count() or 1))


def split_names(values: Sequence[str] | None) -> list[str] | None:
    """`--select a,b --select c` -> [a, b, c]."""
    if values is None:
        return None
    return [n.strip() for v in values for n in v.split(",") if n.strip()]


def read_options(cfg: FileConfig, cli: Mapping[str, Any]) -> ReadOptions:
    """How records are read: `cli` maps the read options' names (text_field, ...) to values or None."""
    return ReadOptions(
        text_field=cfg.get("text-field", cli.get("text_field"), "text"),
        title_field=cfg.get("title-field", cli.get("title_field"), "title"),
        id_field=cfg.get("id-field", cli.get("id_field"), "id"),
        paragraph_sep=cfg.get("paragraph-sep", cli.get("paragraph_sep"), None),
        source_field=cfg.get("source-field", cli.get("source_field"), None),
    )


def normalize_options(
    cfg: FileConfig,
    lang: str | None,
    lang_field: str | None,
    min_confidence: float | None,
    evidence: str | None,
) -> NormalizeOptions:
    """The normalizer's settings: command line > [tool.cleaner] > defaults."""
    from cleaner.normalize.options import NormalizeOptions
    from cleaner.normalize.registry import DEFAULT_MIN_CONFIDENCE

    return NormalizeOptions(
        lang=cfg.get("lang", lang, None),
        lang_field=cfg.get("lang-field", lang_field, None),
        min_confidence=float(cfg.get("min-confidence", min_confidence, DEFAULT_MIN_CONFIDENCE)),
        evidence=cfg.get("evidence", evidence, "corpus"),
    )


def rules(cfg: FileConfig, select: Sequence[str] | None, ignore: Sequence[str] | None) -> list[Rule]:
    from cleaner.normalize import select_rules

    return select_rules(
        split_names(select) or cfg.values.get("select"), split_names(ignore) or cfg.values.get("ignore")
    )


def dup_options(cfg: FileConfig, cli: Mapping[str, Any] | None = None, jobs: int | None = None) -> DupOptions:
    """The duplicate finder's settings: command line (`cli`: DupOptions' field names, levels as
    a comma-separated string) > [tool.cleaner.dups] > defaults."""
    from cleaner.dedup.options import DupOptions

    cli = cli or {}
    table = dups_table(cfg)
    defaults = DupOptions()
    levels = split_names([cli["levels"]]) if cli.get("levels") else None
    return DupOptions(
        levels=tuple(pick(levels, table, "levels", list(defaults.levels))),
        **{name: pick(cli.get(name), table, name.replace("_", "-"), getattr(defaults, name)) for name in _DUP_SETTINGS},
        jobs=all_cores(jobs),
    )


def index_path(cfg: FileConfig, cli_index: Path | None) -> Path | None:
    """The index file named on the command line or in [tool.cleaner.check] (None: the default place)."""
    table = check_table(cfg)
    return cli_index or (Path(table["index"]) if "index" in table else None)
