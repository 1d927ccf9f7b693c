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

Channel splits and shuffles (ShuffleNet): ``x.chunk(n, dim=1)``/``torch.chunk``
is no row itself; each of its parts taken (``x1, x2 = ...``, a ``getitem``)
is a :class:`~convcalc.layers.ChannelChunk` row on the chunk's input, whose
bounds follow the channels at analysis. ``torch.split(x, [a, b], dim=1)``
parts and ``x[:, a:b]`` are :class:`~convcalc.layers.ChannelSlice` rows.
torchvision's ``channel_shuffle`` (``x.view(b, g, c // g, h, w)``,
``torch.transpose(x, 1, 2)``, ``.contiguous()``, ``x.view(b, c, h, w)``) is
one :class:`~convcalc.layers.ChannelShuffle` row at the last view, the 5-d
steps between are no rows; a 5-d view that does not finish the pattern is an
unsupported row saying so. ``x.mean([2, 3])`` is a global average pool
(``keepdim=True`` keeps ``(C, 1, 1)``); ``torch.flatten(x, 1)`` a ``Flatten``.
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
    parts: dict[Any, tuple[str, Any, str]] = {}  # chunk/split nodes -> (how, chunks or sizes, the row split)
    shuffles: dict[Any, tuple[int, int, str]] = {}  # channel-shuffle steps -> (step, groups, the row shuffled)
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
        where = node.target if node.op == "call_module" else f"{node.op} {node.name}"
        pattern = _channel_pattern(node, producer, parts, shuffles)
        if pattern is not None:
            if pattern[0] == "hold":  # a chunk/split or a middle step of the shuffle: no row of its own
                continue
            _, status, text, reason, source = pattern
            producer[node] = where
            built = build_layers(text) if status != "unsupported" else ()
            rows.append(ImportedRow(where, text or _name(node.target), status, reason, built, (source,)))
            continue
        data = _activation_inputs(node, producer)
        sources = tuple(producer[a] for a in data)
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
        start = node.kwargs.get("start_dim", node.args[1] if len(node.args) > 1 else 0)
        end = node.kwargs.get("end_dim", node.args[2] if len(node.args) > 2 else -1)
        if (start, end) != (1, -1):
            raise ConvCalcError(f"flatten(start_dim={start}, end_dim={end}) is not read "
                                "(only flatten(x, 1), which keeps the batch axis, is)")
        return "Flatten()"
    if name == "mean":
        dims = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else None)
        keep = node.kwargs.get("keepdim", node.args[2] if len(node.args) > 2 else False)
        if isinstance(dims, (list, tuple)) and sorted(dims) in ([2, 3], [-2, -1]) and isinstance(keep, bool):
            return f"GlobalAvgPool2D(keepdims={keep})"  # the mean over H and W of (N, C, H, W)
        raise ConvCalcError(f"mean over dim={dims!r} is not read (only the global average pool x.mean([2, 3]) is)")
    if name in ("channel_shuffle", "native_channel_shuffle"):
        groups = node.kwargs.get("groups", node.args[1] if len(node.args) > 1 else None)
        return f"ChannelShuffle({_literal(groups)})"
    if node.op == "call_function" and name in _EVAL_IDENTITY:
        position = _EVAL_IDENTITY[name]
        training = node.kwargs.get("training", node.args[position] if len(node.args) > position else True)
        if training is False:
            return ""  # the identity in eval mode
        if name not in _FUNCTIONS:
            raise ConvCalcError(f"{name} in training mode is not read (call model.eval() first)")
    if name in ("unbind", "tensor_split", "getitem"):
        raise ConvCalcError(f"{node.op} {name} of an activation is not read (chunk/split along dim 1, "
                            "x[:, a:b] and their parts are)")
    if name in _FUNCTIONS or (node.op == "call_method" and name in _FUNCTIONS):
        return _FUNCTIONS[name]
    if name in _POOLS:
        args = [_literal(a) for a in node.args[1:]] + [f"{k}={_literal(v)}" for k, v in node.kwargs.items()
                                                        if k != "inplace"]
        return f"{_POOLS[name]}({', '.join(args)})"
    if node.target in (operator.add, operator.mul, operator.iadd):
        raise ConvCalcError(f"{name} of an activation and a constant is not read")
    raise ConvCalcError(f"{node.op} {name} is not read")


_TRANSPOSE_1_2 = ((1, 2), (2, 1))


def _dim(node: Any, position: int, default: Any) -> Any:
    return node.kwargs.get("dim", node.args[position] if len(node.args) > position else default)


def _channel_pattern(node: Any, producer: dict[Any, str], parts: dict[Any, tuple[str, Any, str]],
                     shuffles: dict[Any, tuple[int, int, str]]) -> tuple[Any, ...] | None:
    """Channel splits and torchvision's channel shuffle, which span several fx nodes.

    Returns ``None`` for a node outside these patterns, ``("hold",)`` for one that is no row (it is
    remembered in ``parts``/``shuffles``), or ``("row", status, spec text, reason, source row)``.
    """
    name = _name(node.target)
    args = tuple(node.args)
    first = args[0] if args else None
    if node.op in ("call_method", "call_function") and name in ("chunk", "split") and first in producer:
        dim = _dim(node, 2, 0)
        if dim != 1:
            return "row", "unsupported", "", f"{name} along dim {dim!r} is not read (dim 1 splits the channels)", \
                producer[first]
        how = args[1] if len(args) > 1 else node.kwargs.get("chunks", node.kwargs.get("split_size_or_sections"))
        parts[node] = (name, how, producer[first])
        return ("hold",)
    if first in parts:
        kind, how, source = parts[first]
        index = args[1] if len(args) > 1 else None
        if node.op != "call_function" or name != "getitem" or not isinstance(index, int) or index < 0:
            return "row", "unsupported", "", f"{node.op} {name} on the parts of a {kind} is not read " \
                "(taking one part, x1, x2 = x.chunk(2, dim=1), is)", source
        if kind == "chunk":
            if not isinstance(how, int) or index >= how:
                return "row", "unsupported", "", f"part {index} of chunk({how!r}) is not read", source
            return "row", "ok", f"ChannelChunk({how}, {index})", "", source
        if isinstance(how, (list, tuple)) and all(isinstance(v, int) and v >= 1 for v in how) and index < len(how):
            return "row", "ok", f"ChannelSlice({sum(how[:index])}, {sum(how[:index + 1])})", "", source
        if isinstance(how, int) and how >= 1:
            return ("row", "partial", f"ChannelSlice({how * index}, {how * (index + 1)})",
                    f"split({how}) part {index} read as channels {how * index} to {how * (index + 1) - 1}: "
                    "a shorter last part is not known without the channel count", source)
        return "row", "unsupported", "", f"part {index} of split({how!r}) is not read", source
    if node.op == "call_function" and name == "getitem" and first in producer and isinstance(args[1], tuple):
        key = args[1]
        whole = slice(None, None, None)
        if len(key) == 2 and key[0] == whole and isinstance(key[1], slice) and key[1].step in (None, 1):
            start, stop = key[1].start or 0, key[1].stop
            if isinstance(start, int) and isinstance(stop, int) and 0 <= start < stop:
                return "row", "ok", f"ChannelSlice({start}, {stop})", "", producer[first]
        return "row", "unsupported", "", f"indexing an activation with {key!r} is not read " \
            "(x[:, a:b], a slice of the channels, is)", producer[first]
    if first in shuffles:
        step, groups, source = shuffles[first]
        if step == 1 and (name == "transpose" and tuple(args[1:3]) in _TRANSPOSE_1_2
                          or name == "permute" and tuple(args[1:]) in ((0, 2, 1, 3, 4), ((0, 2, 1, 3, 4),))):
            shuffles[node] = (2, groups, source)
            return ("hold",)
        if name == "contiguous":
            shuffles[node] = (step, groups, source)
            return ("hold",)
        if step == 2 and node.op == "call_method" and name in ("view", "reshape") and len(args) == 5 or \
                step == 2 and name == "flatten" and tuple(args[1:3]) == (1, 2):
            return "row", "ok", f"ChannelShuffle({groups})", "", source
        return "row", "unsupported", "", f"a 5-d view (N, {groups}, C/{groups}, H, W) followed by {node.op} {name} " \
            "is not read (the channel shuffle is view, transpose(1, 2), view back)", source
    if node.op == "call_method" and name in ("view", "reshape") and first in producer and len(args) == 6 \
            and _is_batch_size(args[1]) and isinstance(args[2], int) and args[2] >= 1:
        shuffles[node] = (1, args[2], producer[first])
        return ("hold",)
    return None
