"""A live PyTorch module into rows through ``torch.fx`` symbolic tracing (no data is run through it).

``torch.fx.symbolic_trace`` records what ``forward`` calls, in order, with
proxies instead of tensors: the standard ``nn`` modules it calls
(``call_module``), ``torch``/``F`` functions (``F.relu``, ``torch.flatten``,
``F.max_pool2d``) and tensor methods (``x.view(x.size(0), -1)``). Each module
becomes a row from its own ``repr`` (the same text ``print(model)`` shows), so
its counts come from the spec language like every other reader's. torch is
imported only by the caller's module: this file never imports it at the top.

Each row takes the rows computing its inputs, so branching modules are graphs:
``a + b``, ``a * b`` and ``torch.cat([...], dim=1)`` of activations become
convcalc's merges. A module fx cannot trace (data-dependent control flow) is
one clear error.
"""

from __future__ import annotations

import operator
from typing import Any

from convcalc.errors import ConvCalcError
from convcalc.importers._model import ImportedModel, ImportedRow, build_layers

__all__ = ["from_torch"]

_FUNCTIONS = {"relu": "ReLU()", "relu_": "ReLU()", "sigmoid": "Sigmoid()", "tanh": "Tanh()", "elu": "ELU()",
              "softmax": "Softmax()", "log_softmax": "Softmax()", "dropout": "Dropout(0)", "gelu": "GELU()",
              "silu": "SiLU()", "hardswish": "Hardswish()", "relu6": "ReLU6()", "leaky_relu": "LeakyReLU()",
              "hardsigmoid": "Hardsigmoid()"}
#: Functions that are the identity when their ``training`` argument is False (a module in eval mode).
_EVAL_IDENTITY = {"stochastic_depth": 3, "dropout": 2, "dropout1d": 2, "dropout2d": 2, "dropout3d": 2,
                  "alpha_dropout": 2, "feature_alpha_dropout": 2}
_POOLS = {"max_pool1d": "MaxPool1d", "max_pool2d": "MaxPool2d", "max_pool3d": "MaxPool3d",
          "avg_pool1d": "AvgPool1d", "avg_pool2d": "AvgPool2d", "avg_pool3d": "AvgPool3d",
          "adaptive_avg_pool2d": "AdaptiveAvgPool2d", "adaptive_max_pool2d": "AdaptiveMaxPool2d"}
_SHAPE_METHODS = {"size", "dim", "numel"}


def _name(target: Any) -> str:
    return target if isinstance(target, str) else getattr(target, "__name__", str(target))


def _literal(value: Any) -> str:
    if isinstance(value, (int, float, bool, str)) or value is None:
        return repr(value)
    if isinstance(value, (tuple, list)) and all(isinstance(v, (int, float)) for v in value):
        return repr(tuple(value))
    raise ConvCalcError(f"argument {value!r} is not a constant")


def from_torch(module: Any, input_shape: tuple[int, ...] | None = None) -> ImportedModel:
    """Read a PyTorch module's ``forward`` with ``torch.fx`` into convcalc rows, without running data.

    Parameters
    ----------
    module : torch.nn.Module
        The model. Its ``forward`` must be traceable by ``torch.fx`` (no control flow on values).
    input_shape : tuple of int, optional
        One sample's input shape, channels first (``(3, 224, 224)``); stored on the result for
        :func:`convcalc.summarize`.

    Examples
    --------
    With PyTorch installed (tests/test_importers_torch_module.py runs the same)::

        model = from_torch(nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU()), (1, 28, 28))
        [str(layer) for layer in model.layers]   # ['Conv2D(8, 3, s=1, p=0)', 'ReLU']
        summarize(model.graph() if model.branches else model.layers, model.input_shape)
    """
    try:
        import torch
        import torch.fx
    except ImportError:
        raise ConvCalcError("from_torch needs PyTorch: pip install torch.") from None
    if not isinstance(module, torch.nn.Module):
        from convcalc.errors import ConvCalcTypeError

        raise ConvCalcTypeError(f"The 'module' parameter must be a torch.nn.Module. Got {type(module).__name__}.")
    try:
        traced = torch.fx.symbolic_trace(module)
    except Exception as error:  # fx raises TraceError, TypeError, ... on untraceable Python
        raise ConvCalcError(f"torch.fx cannot trace {type(module).__name__}.forward "
                            f"({type(error).__name__}: {str(error).splitlines()[0][:160]}); "
                            "paste print(model) instead (convcalc stack -).") from None
    rows: list[ImportedRow] = []
    producer: dict[Any, str] = {}  # fx node -> the row computing it ("" is the input)
    shape_queries: set[Any] = set()  # fx nodes computing sizes (x.size(), its items and arithmetic on them)
    for node in traced.graph.nodes:
        if node.op == "placeholder":
            if producer:
                raise ConvCalcError(f"{type(module).__name__}.forward takes several inputs; convcalc reads one.")
            producer[node] = ""
            continue
        if node.op in ("output", "get_attr"):
            continue
        if node.op == "call_method" and node.target in _SHAPE_METHODS:
            shape_queries.add(node)
            continue  # x.size(0): a shape query, not an activation
        if node.op == "call_function" and _name(node.target) == "getattr" and node.args[1:] == ("shape",):
            shape_queries.add(node)
            continue  # x.shape
        if node.op == "call_function" and _on_shapes(node, shape_queries):
            shape_queries.add(node)
            continue  # x.size()[1] // 2: arithmetic on a shape query, not an activation
        data = _activation_inputs(node, producer)
        sources = tuple(producer[a] for a in data)
        where = node.target if node.op == "call_module" else f"{node.op} {node.name}"
        producer[node] = where
        try:
            if len(data) > 1 or _name(node.target) == "cat":
                built, text = _merge(node)
            else:
                text = _call(traced, node)
                built = build_layers(text) if text else ()
        except ConvCalcError as error:
            rows.append(ImportedRow(where, str(node.target), "unsupported", str(error).splitlines()[0], (), sources))
            continue
        rows.append(ImportedRow(where, text or _name(node.target), "ok", "", built, sources))
    return ImportedModel(rows, tuple(input_shape) if input_shape is not None else None, "nchw", "torch.fx trace")


def _on_shapes(node: Any, shape_queries: set[Any]) -> bool:
    """True when every traced node ``node`` takes is a shape query (``x.size()[0]``, ``c // groups``)."""
    import torch.fx

    taken: list[Any] = []
    torch.fx.node.map_arg((node.args, node.kwargs), taken.append)
    return bool(taken) and all(arg in shape_queries for arg in taken)


def _is_batch_size(arg: Any) -> bool:
    """True for a traced ``x.size(0)``, ``x.size()[0]`` or ``x.shape[0]``."""
    op, name = getattr(arg, "op", None), _name(getattr(arg, "target", ""))
    args: tuple[Any, ...] = tuple(getattr(arg, "args", ()))
    if op == "call_method" and name == "size":
        return tuple(args[1:]) == (0,)
    if op == "call_function" and name == "getitem" and len(args) == 2 and args[1] == 0:
        inner = args[0]
        return (getattr(inner, "op", None) == "call_method" and _name(inner.target) == "size"
                and len(inner.args) == 1) or (getattr(inner, "op", None) == "call_function"
                                              and _name(inner.target) == "getattr" and inner.args[1] == "shape")
    return False


def _activation_inputs(node: Any, producer: dict[Any, str]) -> list[Any]:
    """The traced nodes carrying activations that ``node`` takes, in argument order (lists flattened)."""
    found: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif value in producer and value not in found:
            found.append(value)

    walk(node.args)
    walk(tuple(node.kwargs.values()))
    return found


def _merge(node: Any) -> tuple[tuple[Any, ...], str]:
    """``a + b``, ``a * b`` or ``torch.cat([...], dim)`` of activations as convcalc's graph merge."""
    from convcalc.graph import Add, Concat, Multiply

    name = _name(node.target)
    if node.target in (operator.add, operator.iadd) or name in ("add", "add_"):
        return (Add(),), "Add()"
    if node.target in (operator.mul, operator.imul) or name in ("mul", "mul_"):
        return (Multiply(),), "Multiply()"
    if name == "cat":
        dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
        if not isinstance(dim, int) or dim == 0:
            raise ConvCalcError(f"torch.cat along dim {dim!r} is not read (dim 1 joins channels)")
        return (Concat(axis=dim - 1 if dim > 0 else dim),), f"Concat(axis={dim - 1 if dim > 0 else dim})"
    raise ConvCalcError(f"{node.op} {name} of several activations is not read")


def _call(traced: Any, node: Any) -> str:
    """The spec call of one traced node; empty for a shape-preserving no-op (``contiguous``)."""
    if node.op == "call_module":
        return " ".join(repr(traced.get_submodule(node.target)).split())
    name = _name(node.target)
    if node.op == "call_method" and name in ("view", "reshape", "flatten"):
        if name == "flatten" or (len(node.args) == 3 and node.args[2] == -1) or node.args[-1] == -1:
            return "Flatten()"
        if len(node.args) == 3 and _is_batch_size(node.args[1]):
            return "Flatten()"  # x.view(batch, n): a view keeps the element count, so n is C*H*W
        raise ConvCalcError(f"x.{name}{tuple(node.args[1:])} is not read (only flattening views are)")
    if node.op == "call_method" and name in ("contiguous", "clone", "detach", "float"):
        return ""
    if name == "flatten":
        return "Flatten()"
    if node.op == "call_function" and name in _EVAL_IDENTITY:
        position = _EVAL_IDENTITY[name]
        training = node.kwargs.get("training", node.args[position] if len(node.args) > position else True)
        if training is False:
            return ""  # the identity in eval mode
        if name not in _FUNCTIONS:
            raise ConvCalcError(f"{name} in training mode is not read (call model.eval() first)")
    if name in ("chunk", "split", "unbind") or (name == "getitem" and node.op == "call_function"):
        raise ConvCalcError(f"{node.op} {name} (splitting an activation into parts) is not read: "
                            "convcalc has no split layer")
    if name in _FUNCTIONS or (node.op == "call_method" and name in _FUNCTIONS):
        return _FUNCTIONS[name]
    if name in _POOLS:
        args = [_literal(a) for a in node.args[1:]] + [f"{k}={_literal(v)}" for k, v in node.kwargs.items()
                                                        if k != "inplace"]
        return f"{_POOLS[name]}({', '.join(args)})"
    if node.target in (operator.add, operator.mul, operator.iadd):
        raise ConvCalcError(f"{name} of an activation and a constant is not read")
    raise ConvCalcError(f"{node.op} {name} is not read")
