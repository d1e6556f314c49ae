"""The duplicate finder's layers: each module imports only modules below it (no cycle, however
lazily imported), each imports on its own in a fresh interpreter, and the modules stay small."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# Lowest first. A module may import only modules listed before it, and the foundations.
LAYERS = [
    "cleaner.dedup.options",
    "cleaner.dedup.arrays",
    "cleaner.dedup.bandfile",
    "cleaner.dedup.workdir",
    "cleaner.dedup.texts",
    "cleaner.dedup.matchform",
    "cleaner.dedup.shingle",
    "cleaner.dedup.reference",
    "cleaner.dedup.minhash",
    "cleaner.dedup.sketch",
    "cleaner.dedup.pairs",
    "cleaner.dedup.lsh",
    "cleaner.dedup.noise",
    "cleaner.dedup.chargrams",
    "cleaner.dedup.robust",
    "cleaner.dedup.verify",
    "cleaner.dedup.stages",
    "cleaner.dedup.cluster",
    "cleaner.dedup.members",
    "cleaner.dedup.spill",
    "cleaner.dedup.items",
    "cleaner.dedup.schema",
    "cleaner.dedup.store",
    "cleaner.engines",
    "cleaner.engines.workers",
    "cleaner.engines.parking",
    "cleaner.engines.local",
    "cleaner.engines.ray",
    "cleaner.engines.ray_pairs",
    "cleaner.engines.ray_levels",
    "cleaner.engines.ray_shards",
    "cleaner.engines.ray_batches",
    "cleaner.engines.ray_dups",
    "cleaner.engines.pool",
    "cleaner.dedup.finder",
    "cleaner.dedup",
    "cleaner.corpus",
    "cleaner.corpus.digests",
    "cleaner.corpus.git",
    "cleaner.corpus.scope",
    "cleaner.corpus.evidence_index",
    "cleaner.corpus.reread",
    "cleaner.jobs",
    "cleaner.jobs.index",
    "cleaner.jobs.dups",
    "cleaner.check_duplicates",
    "cleaner.jobs.clean",
    "cleaner.check",
]
# What every layer may use: nothing here imports the finder, its engines or the index.
FOUNDATIONS = (
    "cleaner.errors",
    "cleaner.model",
    "cleaner.text",
    "cleaner.io",
    "cleaner.lang",
    "cleaner.normalize",
    "cleaner.progress",
)
# Above every layer (`cleaner` itself is imported for its version).
ALLOWED_UP = {
    "cleaner.dedup.store": {"cleaner"},
    "cleaner.engines.ray": {"cleaner"},
}
PACKAGES = ("dedup", "engines", "corpus", "jobs")
MAX_LINES, MAX_FUNCTION = 400, 60


def _path(module: str):
    parts = module.split(".")
    folder = ROOT.joinpath(*parts)
    return folder / "__init__.py" if folder.is_dir() else ROOT.joinpath(*parts[:-1], parts[-1] + ".py")


def _imports(module: str) -> set[str]:
    """Every cleaner module `module` imports, at the top or inside a function, outside
    `if TYPE_CHECKING` (annotations only)."""
    tree = ast.parse(_path(module).read_text(encoding="utf-8"))
    found: set[str] = set()
    guarded = [n for n in ast.walk(tree) if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test)]
    skip = {id(n) for node in guarded for n in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            # `from cleaner.dedup import lsh` imports the submodule where there is one.
            found.update(f"{base}.{a.name}" if _is_module(f"{base}.{a.name}") else base for a in node.names)
    return {m for m in found if m == "cleaner" or m.startswith("cleaner.")}


def _is_module(name: str) -> bool:
    parts = name.split(".")
    return ROOT.joinpath(*parts).is_dir() or ROOT.joinpath(*parts[:-1], parts[-1] + ".py").is_file()


def _layer_modules() -> list[str]:
    """The modules of the layered packages as found on disk (a new one must be given a layer)."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / "cleaner" / package).glob("*.py")):
            found.append(f"cleaner.{package}" if path.name == "__init__.py" else f"cleaner.{package}.{path.stem}")
    return found


def test_every_module_of_the_finder_and_its_engines_has_a_layer():
    assert sorted(set(_layer_modules()) - set(LAYERS)) == []


@pytest.mark.parametrize("module", LAYERS)
def test_no_module_imports_one_above_it(module):
    rank = LAYERS.index(module)
    for imported in sorted(_imports(module)):
        if imported in LAYERS:
            assert LAYERS.index(imported) < rank, f"{module} imports {imported}, which is above it"
        else:
            below = imported.startswith(FOUNDATIONS)
            assert below or imported in ALLOWED_UP.get(module, set()), f"{module} imports {imported}, not a layer below"


def test_foundations_import_no_layer():
    foundation_files = [p for f in FOUNDATIONS for p in _foundation_paths(f)]
    for path in foundation_files:
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        assert not {m for m in _imports(module) if m in LAYERS}, f"{module} imports a layer above the foundations"


def _foundation_paths(name: str):
    path = _path(name)
    return sorted(path.parent.rglob("*.py")) if path.name == "__init__.py" else [path]


def test_each_module_imports_alone_in_a_fresh_interpreter():
    # One interpreter, cleaner's modules forgotten before each import: a cycle held together only
    # by the order in which modules happened to be imported fails here.
    code = (
        "import importlib, sys\n"
        f"for name in {LAYERS!r}:\n"
        "    if name == 'cleaner.engines.ray':\n"
        "        continue  # needs the optional extra; its imports are checked above\n"
        "    for loaded in [m for m in sys.modules if m == 'cleaner' or m.startswith('cleaner.')]:\n"
        "        del sys.modules[loaded]\n"
        "    importlib.import_module(name)\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.strip() == "ok", done.stderr


@pytest.mark.parametrize("module", LAYERS)
def test_modules_and_functions_stay_small(module):
    text = _path(module).read_text(encoding="utf-8")
    assert text.count("\n") <= MAX_LINES
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert node.end_lineno - node.lineno + 1 < MAX_FUNCTION, f"{module}.{node.name}"
