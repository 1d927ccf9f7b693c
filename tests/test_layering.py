"""Imports point downward only (DESIGN.md): an AST scan of every module, imports inside functions included."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "convcalc"

CORE = {"errors", "expression", "_typing"}
ARITHMETIC = CORE | {"padding", "arithmetic"}
# What each top-level piece of convcalc may import from convcalc ("cli" may import anything).
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "expression": {"errors"},
    "_typing": {"errors", "expression"},
    "padding": CORE,
    "arithmetic": CORE | {"padding"},
    "inverse": ARITHMETIC,
    "working": ARITHMETIC,
    "parse": ARITHMETIC,
    "exact": ARITHMETIC | {"parse"},
    "matrix_input": CORE | {"parse", "exact"},
    "layers": ARITHMETIC,
    "receptive": ARITHMETIC | {"layers"},
    "graph": ARITHMETIC | {"layers", "receptive"},
    "stack": ARITHMETIC | {"layers", "receptive", "graph"},
    "networks": ARITHMETIC | {"layers", "graph"},
    "presets": ARITHMETIC | {"layers", "graph", "networks"},
    "spec": ARITHMETIC | {"layers", "presets", "parse", "graph"},
    "check": ARITHMETIC | {"inverse", "working", "parse", "exact", "matrix_input", "layers", "receptive",
                           "stack", "presets", "spec", "diagnose"},
    "diagnose": ARITHMETIC | {"inverse", "working", "exact", "layers", "receptive", "stack", "presets", "spec"},
    "engine": ARITHMETIC | {"engine"},
    "data": CORE | {"data"},
    "nn": ARITHMETIC | {"engine", "layers", "receptive", "stack", "presets", "spec", "data", "nn"},
    "sweep": ARITHMETIC | {"nn", "engine", "spec", "sweep"},
    "importers": CORE | {"layers", "spec", "graph", "importers"},
    "torch": ARITHMETIC | {"layers", "spec"},  # PyTorch's positional order for the layer specs (no PyTorch)
    "draw": ARITHMETIC | {"working", "parse", "exact", "matrix_input", "layers", "receptive", "graph", "stack",
                          "presets", "spec", "networks", "nn", "draw"},
    "__main__": {"cli"},
}

# Pieces split into a package of one-concept modules: what each module may import from its siblings
# (downward only inside the package too). The package's __init__ re-exports them; no module imports it.
INSIDE: dict[str, dict[str, set[str]]] = {
    "layers": {
        "_registry": set(),
        "_base": {"_registry"},
        "_checks": {"_base", "_registry"},
        **{family: {"_base", "_checks", "_registry"} for family in ("conv", "pool", "reshape", "dense", "elementwise",
                                                                    "normalization", "resample")},
        "separable": {"_base", "_checks", "_registry", "conv"},
        "conventions": {"_base", "_registry"},
    },
    "exact": {
        "values": set(),
        "geometry": {"values"},
        **{part: {"values", "geometry"} for part in ("correlation", "cell", "pooling")},
    },
    "spec": {
        "tokens": set(),
        "parser": {"tokens"},
        "names": set(),
        "builder": {"tokens", "parser", "names"},
        "reading": {"tokens", "parser", "names", "builder"},
    },
    "graph": {
        "merge": set(),
        "model": {"merge"},
        "analysis": {"merge", "model"},
        "fold": {"merge", "model", "analysis"},
        "inverse": {"merge", "model", "analysis"},
    },
    "draw": {
        "gallery": set(),
        "model": set(),
        "layout": {"model"},
        "svg": {"layout"},
        "raster": {"layout"},
        "effective": set(),
        "receptive": {"layout", "model", "effective"},
        "reprs": {"model", "layout", "svg", "receptive"},
        "server": {"model", "layout", "svg"},
    },
    "diagnose": {
        "verdict": set(),
        **{family: {"verdict"} for family in ("sizes", "padding", "matrices", "stacks")},
    },
}


def _piece(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def _imported_modules(tree: ast.AST) -> Iterator[list[str]]:
    """Every module an absolute import names, split on dots; ``from convcalc import x`` names ``convcalc.x``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "convcalc":
                yield from (["convcalc", alias.name] for alias in node.names)
            else:
                yield node.module.split(".")
        elif isinstance(node, ast.Import):
            yield from (alias.name.split(".") for alias in node.names)


def _convcalc_imports(tree: ast.AST) -> set[str]:
    return {parts[1] for parts in _imported_modules(tree) if parts[0] == "convcalc" and len(parts) > 1}


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if _piece(p) not in {"cli", "__init__"})


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_imports_point_downward(path: Path) -> None:
    piece = _piece(path)
    assert piece in ALLOWED, f"{piece} is a new piece of convcalc: place it in tests/test_layering.py"
    imported = _convcalc_imports(ast.parse(path.read_text())) - {piece}
    public = {"ConvCalcError", "__version__"}  # re-exported from errors / the package
    upward = {name for name in imported - public if name not in ALLOWED[piece]}
    assert not upward, f"{path.relative_to(PACKAGE)} imports {sorted(upward)} from a layer above it"


def test_nothing_outside_cli_imports_cli() -> None:
    for path in MODULES:
        if _piece(path) == "__main__":
            continue
        assert "cli" not in _convcalc_imports(ast.parse(path.read_text())), path


def _sibling_imports(tree: ast.AST, package: str) -> set[str]:
    """Modules of ``convcalc.<package>`` imported (``""`` for the package's own __init__)."""
    return {parts[2] if len(parts) > 2 else "" for parts in _imported_modules(tree)
            if parts[:2] == ["convcalc", package]}


SPLIT = sorted(p for p in MODULES if _piece(p) in INSIDE and p.name != "__init__.py")


@pytest.mark.parametrize("path", SPLIT, ids=[str(p.relative_to(PACKAGE)) for p in SPLIT])
def test_imports_inside_a_split_package_point_downward(path: Path) -> None:
    package, module = _piece(path), path.stem
    allowed = INSIDE[package]
    assert module in allowed, f"{module} is a new module of convcalc.{package}: place it in INSIDE"
    imported = _sibling_imports(ast.parse(path.read_text()), package) - {module}
    assert "" not in imported, f"{path.relative_to(PACKAGE)} imports convcalc.{package} itself (a cycle)"
    upward = imported - allowed[module]
    assert not upward, f"{path.relative_to(PACKAGE)} imports {sorted(upward)} from above it in convcalc.{package}"


def test_every_split_module_is_placed() -> None:
    for package, modules in INSIDE.items():
        present = {p.stem for p in (PACKAGE / package).glob("*.py")} - {"__init__"}
        assert present == set(modules), (package, sorted(present ^ set(modules)))
