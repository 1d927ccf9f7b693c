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
    modules = _modules()
    graph = {name: _runtime_imports(tree) & set(modules) for name, tree in modules.items() if name != "__init__"}

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


def test_fusion_is_explicit_steps_and_modules_keep_their_own_behaviour():
    """Fused blocks are their own modules (nn/fusion.py); a model's modules are never switched off by flags."""
    import numpy as np

    from convcalc import layers as L
    from convcalc.engine import max_pool2d_forward
    from convcalc.nn import Sequential

    model = Sequential([L.Conv2D(3, 3), L.ReLU(), L.MaxPool2D(2), L.Flatten(), L.Dense(2)], (1, 8, 8),
                       dtype="float64")
    fused = model.steps[0]
    assert (type(fused.module).__name__, fused.first, fused.stop) == ("ConvMaxPool2d", 0, 3)
    assert fused.module.params is model.modules[0].params and fused.module.grads is model.modules[0].grads
    x = np.random.default_rng(0).standard_normal((2, 1, 8, 8))
    conv = model.modules[0].forward(x)
    np.testing.assert_array_equal(model.modules[1].forward(conv), np.maximum(conv, 0))  # the ReLU still applies
    np.testing.assert_array_equal(model.modules[2].forward(conv), max_pool2d_forward(conv, 2)[0])  # and pools
    # a stop inside the fused block runs its modules one by one
    assert model.modules_to_run(2) == model.modules[:2]
    np.testing.assert_array_equal(model.forward(x, stop=2), np.maximum(conv, 0))
    np.testing.assert_allclose(model.forward(x, stop=3), max_pool2d_forward(np.maximum(conv, 0), 2)[0], rtol=1e-12)
