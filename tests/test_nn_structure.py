"""The trainer's inside stays changeable (issue 16): the loop as short named steps, no private
cross-module calls in nn, no import circle among nn's modules at run time."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from convcalc.nn import training

NN = Path(training.__file__).parent


def _modules() -> dict[str, ast.Module]:
    return {p.stem: ast.parse(p.read_text()) for p in sorted(NN.glob("*.py"))}


def test_no_private_name_of_another_object_or_module_is_used():
    found = []
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                    found.append(f"{name}.py:{node.lineno} {ast.unparse(node)}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("convcalc"):
                found += [f"{name}.py:{node.lineno} import {a.name}" for a in node.names if a.name.startswith("_")]
    assert found == []


def _runtime_imports(tree: ast.Module) -> set[str]:
    """nn modules imported at module level (not under TYPE_CHECKING, not inside functions)."""
    out = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("convcalc.nn."):
                out.add(node.module.split(".")[2])
            elif node.module == "convcalc.nn":
                out.update(a.name for a in node.names)
    return out


def test_no_import_circle_in_nn():
    graph = {name: _runtime_imports(tree) & set(_modules()) for name, tree in _modules().items() if name != "__init__"}

    def visit(node, path):
        assert node not in path, " -> ".join([*path, node])
        for nxt in graph.get(node, ()):
            visit(nxt, [*path, node])

    for name in graph:
        visit(name, [])


def test_the_training_loop_reads_as_short_named_steps():
    assert len(inspect.getsource(training.fit).splitlines()) <= 30
    for name, member in vars(training._Run).items():
        if inspect.isfunction(member):
            assert len(inspect.getsource(member).splitlines()) <= 30, name
    steps = [n for n in ("reseed", "restore", "begin", "train", "begin_epoch", "train_batch", "end_epoch",
                         "state", "interrupted", "finish") if not hasattr(training._Run, n)]
    assert steps == []
