"""ONNX files into rows: each node's attributes and its weights' shapes, no runtime, no weights' values.

Needs the ``onnx`` package (``pip install 'convcalc[onnx]'``), imported only
here. Each node becomes a call in the spec language from its attributes
(``kernel_shape``, ``strides``, ``pads``, ``dilations``, ``group``,
``auto_pad``, ``ceil_mode``) and its initialisers' shapes (a ``Conv``'s weight
``(M, C/group, kH, kW)`` gives its channels, a ``Gemm``'s its features), so
the parameter counts are those of the file. ONNX's ``pads`` are
``[x1_begin, x2_begin, ..., x1_end, x2_end]`` (per-side pairs here); its
pooling ``strides`` default to 1, not to the kernel as in PyTorch. A
``MatMul`` followed by an ``Add`` of a constant vector is one ``Linear`` with
bias, as PyTorch exports it. A ``Reshape`` whose target is computed from
constants and the input's ``Shape`` (``x.view(x.size(0), -1)``) is a
``Flatten`` when the target is ``(batch, n)``; ``Clip(x, 0, 6)`` is ReLU6.

Nodes are read in the file's order (ONNX stores them topologically sorted),
each row taking the rows that compute its inputs, so branching models are
graphs: ``Add``/``Sum``, ``Mul`` and ``Concat`` of activations become
convcalc's merges (``Concat``'s ``axis=1``, channels, is convcalc's axis 0). An
operator convcalc does not know is an ``unsupported`` row with the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from convcalc.errors import ConvCalcError
from convcalc.importers._model import ImportedModel, ImportedRow, build_layers

__all__ = ["read_onnx_file", "MAX_ONNX_BYTES"]

#: Largest ONNX file read (VGG-16 with its weights is about 550 MB).
MAX_ONNX_BYTES = 2 * 1024**3

_POINTWISE = {"Relu": "ReLU()", "Sigmoid": "Sigmoid()", "Tanh": "Tanh()", "Softmax": "Softmax()",
              "LogSoftmax": "Softmax()", "Dropout": "Dropout(0)", "HardSwish": "Hardswish()",
              "Identity": ""}
#: A size that stands for the batch (``x.size(0)`` with a dynamic batch axis) in a computed shape.
_BATCH = "batch"
#: Nodes computing a reshape's target from constants and the input's shape (``x.view(x.size(0), -1)``).
_SHAPE_ARITHMETIC = ("Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Identity", *("Add", "Sub", "Mul",
                                                                                                "Div", "Slice"))
#: Nodes that join several activations (one input: a join of one branch, the identity).
_MERGES = ("Add", "Sum", "Mul", "Concat")
#: Elementwise arithmetic on shape values (torch.chunk's bounds: (C + 1) / 2 * k).
_ARITHMETIC = ("Add", "Sub", "Mul", "Div")


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ConvCalcError("Reading .onnx files needs the onnx package: pip install 'convcalc[onnx]'.") from None
    return onnx


def _pairs(pads: list[int]) -> tuple[tuple[int, int], ...]:
    """ONNX ``[b1, b2, ..., e1, e2, ...]`` into per-axis ``(begin, end)`` pairs."""
    half = len(pads) // 2
    return tuple((pads[i], pads[i + half]) for i in range(half))


class _Node:
    def __init__(self, onnx: Any, node: Any, shapes: dict[str, tuple[int, ...]], values: dict[str, Any],
                 batch: int | None = None) -> None:
        self.node, self.shapes, self.values, self.batch = node, shapes, values, batch
        self.attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        self.op = node.op_type
        self.in_shape: tuple[int, ...] | None = None  # the data input's shape, when convcalc knows it
        self.partial = ""  # why a row read exactly on one reading of the spec is partial

    def weight(self, index: int) -> tuple[int, ...]:
        name = self.node.input[index] if len(self.node.input) > index else ""
        if name not in self.shapes:
            raise ConvCalcError(f"its input {index} ({name or 'missing'}) is not a weight stored in the file")
        return self.shapes[name]

    def scalar(self, index: int, what: str) -> float | None:
        """The constant scalar input ``index`` (a Clip bound); ``None`` when the input is left out."""
        if not self.has_input(index):
            return None
        value = self.values.get(self.node.input[index])
        if value is None or len(value) != 1 or not isinstance(value[0], (int, float)):
            raise ConvCalcError(f"its {what} input {self.node.input[index]} is not a constant scalar")
        return float(value[0])

    def has_input(self, index: int) -> bool:
        return len(self.node.input) > index and bool(self.node.input[index])

    def auto_pad(self) -> str:
        value = self.attrs.get("auto_pad", b"NOTSET")
        return value.decode() if isinstance(value, bytes) else str(value)

    def transposed_window(self, kernel: tuple[int, ...]) -> str:
        """A ConvTranspose's window when ``output_shape`` or ``auto_pad`` SAME_* sets its size (ONNX's equations):
        ``total = s*(n - 1) + output_padding + d*(k - 1) + 1 - output_size`` split SAME_UPPER ``(total/2, rest)``,
        else ``(rest, total/2)``; SAME_* has ``output_size = n*s``."""
        nd = len(kernel)
        strides = tuple(self.attrs.get("strides", [1] * nd))
        dilations = tuple(self.attrs.get("dilations", [1] * nd))
        adjust = tuple(self.attrs.get("output_padding", [0] * nd))
        if self.in_shape is None or len(self.in_shape) != nd + 1:
            raise ConvCalcError("ConvTranspose with output_shape or auto_pad SAME needs the input's size, "
                                "which convcalc does not know here")
        spatial = self.in_shape[1:]
        wanted = list(self.attrs.get("output_shape", []))[-nd:] or [n * s for n, s in zip(spatial, strides)]
        pairs = []
        for n, k, s, d, a, o in zip(spatial, kernel, strides, dilations, adjust, wanted):
            total = s * (n - 1) + a + d * (k - 1) + 1 - o
            if total < 0:
                raise ConvCalcError(f"ConvTranspose output_shape {o} is {-total} past what input {n} gives with no "
                                    "padding; not read")
            small, big = total // 2, total - total // 2
            pairs.append((small, big) if self.auto_pad() == "SAME_UPPER" else (big, small))
            if total % 2:
                self.partial = (f"the odd total padding {total} is split as ONNX's operator spec says "
                                f"({pairs[-1]}); onnxruntime puts the extra one on the other side "
                                "(shapes and counts agree, the receptive field's offset follows the spec)")
        return f"kernel_size={kernel}, stride={strides}, padding={tuple(pairs)}, dilation={dilations}"

    def window(self, kernel: tuple[int, ...]) -> str:
        nd = len(kernel)
        strides = tuple(self.attrs.get("strides", [1] * nd))
        dilations = tuple(self.attrs.get("dilations", [1] * nd))
        auto_pad = self.attrs.get("auto_pad", b"NOTSET")
        auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else str(auto_pad)
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            padding: Any = "'same'"  # stride 1, extra padding last: convcalc's 'same' for every input size
            if auto_pad == "SAME_LOWER" or any(s != 1 for s in strides):
                if self.in_shape is None or len(self.in_shape) != nd + 1:
                    raise ConvCalcError(f"auto_pad {auto_pad} with strides {strides} needs the input's size, "
                                        "which convcalc does not know here")
                same: list[tuple[int, int]] = []  # ONNX: o = ceil(n / s), total = max(0, (o - 1)*s + d*(k - 1) + 1 - n), odd one last/first
                for n, k, s, d in zip(self.in_shape[1:], kernel, strides, dilations):
                    total = max(0, (-(-n // s) - 1) * s + d * (k - 1) + 1 - n)
                    small, big = total // 2, total - total // 2
                    same.append((small, big) if auto_pad == "SAME_UPPER" else (big, small))
                padding = tuple(same)
        elif auto_pad == "VALID":
            padding = 0
        else:
            pairs = _pairs(list(self.attrs.get("pads", [0] * 2 * nd)))
            padding = pairs[0][0] if all(p == pairs[0] for p in pairs) and pairs[0][0] == pairs[0][1] else pairs
        return f"kernel_size={kernel}, stride={strides}, padding={padding}, dilation={dilations}"

    def call(self, rank: int) -> str:
        """The node as a spec call; ``rank`` is the number of non-batch axes of its input."""
        op = self.op
        if op in ("Conv", "ConvTranspose"):
            w = self.weight(1)
            group = int(self.attrs.get("group", 1))
            nd = len(w) - 2
            kernel = tuple(self.attrs.get("kernel_shape", w[2:]))
            if op == "Conv":
                cin, cout, extra = w[1] * group, w[0], ""
            else:
                cin, cout = w[0], w[1] * group
                extra = f", output_padding={tuple(self.attrs.get('output_padding', [0] * nd))}"
                if "output_shape" in self.attrs or self.auto_pad() in ("SAME_UPPER", "SAME_LOWER"):
                    return (f"ConvTranspose{nd}d({cin}, {cout}, {self.transposed_window(kernel)}, groups={group}, "
                            f"bias={self.has_input(2)}{extra})")
            name = "Conv" if op == "Conv" else "ConvTranspose"
            return (f"{name}{nd}d({cin}, {cout}, {self.window(kernel)}, groups={group}, "
                    f"bias={self.has_input(2)}{extra})")
        if op in ("MaxPool", "AveragePool"):
            kernel = tuple(self.attrs["kernel_shape"])
            ceil = bool(self.attrs.get("ceil_mode", 0))
            window = self.window(kernel)
            if op == "AveragePool":
                window = window.rsplit(", dilation=", 1)[0]
            return f"{'MaxPool' if op == 'MaxPool' else 'AvgPool'}{len(kernel)}d({window}, ceil_mode={ceil})"
        if op in ("GlobalAveragePool", "GlobalMaxPool"):
            return f"{'GlobalAvgPool2D' if op == 'GlobalAveragePool' else 'GlobalMaxPool2D'}(keepdims=True)"
        if op == "Gemm":
            w = self.weight(1)
            n_in, n_out = (w[1], w[0]) if self.attrs.get("transB", 0) else (w[0], w[1])
            if self.attrs.get("transA", 0):
                raise ConvCalcError("Gemm with transA is not read")
            return f"Linear({n_in}, {n_out}, bias={self.has_input(2)})"
        if op == "MatMul":
            w = self.weight(1)
            if len(w) != 2:
                raise ConvCalcError(f"MatMul with a weight of shape {w} is not read")
            return f"Linear({w[0]}, {w[1]}, bias=False)"
        if op == "BatchNormalization":
            channels = self.weight(1)[0]
            return f"BatchNorm{rank - 1 if rank > 1 else 1}d({channels})"
        if op == "Flatten":
            if int(self.attrs.get("axis", 1)) != 1:
                raise ConvCalcError(f"Flatten with axis={self.attrs.get('axis')} is not read")
            return "Flatten()"
        if op == "Reshape":
            shape = self.values.get(self.node.input[1]) if self.has_input(1) else None
            # (N, -1), (batch, n) with the batch read from the input's Shape, or (1, n) in a file whose batch
            # is 1: a reshape keeps the element count, so n is C*H*W and the reshape is a flatten
            if shape is not None and len(shape) == 2 and (shape[1] == -1 or shape[0] == _BATCH or
                                                          (shape[0] == 1 and self.batch == 1)):
                return "Flatten()"
            raise ConvCalcError(f"Reshape to {shape if shape is not None else 'a computed shape'} is not read")
        if op == "LeakyRelu":
            return f"LeakyReLU(negative_slope={float(self.attrs.get('alpha', 0.01))})"
        if op == "Elu":
            return f"ELU(alpha={float(self.attrs.get('alpha', 1.0))})"
        if op == "Clip":  # ReLU6 as the TorchScript exporter writes it: Clip(x, 0, 6), bounds as inputs
            low, high = (self.scalar(i, "min") for i in (1, 2))
            if (low, high) == (0.0, 6.0):
                return "ReLU6()"
            if (low, high) == (0.0, None):
                return "ReLU()"
            raise ConvCalcError(f"Clip to [{low}, {high}] is not read (only ReLU's [0, inf) and ReLU6's [0, 6] are)")
        if op == "HardSigmoid":
            alpha, beta = float(self.attrs.get("alpha", 0.2)), float(self.attrs.get("beta", 0.5))
            if abs(alpha - 1 / 6) > 1e-6 or abs(beta - 0.5) > 1e-6:
                raise ConvCalcError(f"HardSigmoid with alpha={alpha}, beta={beta} is not read "
                                    "(PyTorch's Hardsigmoid is alpha=1/6, beta=0.5)")
            return "Hardsigmoid()"
        if op in _POINTWISE:
            return _POINTWISE[op]
        raise ConvCalcError(f"the ONNX operator {op} is not read")


def _merge(node: _Node, rank: int) -> tuple[tuple[Any, ...], str]:
    """A node joining several activations as convcalc's graph merge (ONNX's Concat axis counts the batch)."""
    from convcalc.graph import Add, Concat, Multiply

    if node.op in ("Add", "Sum"):
        return (Add(),), "Add()"
    if node.op == "Mul":
        return (Multiply(),), "Multiply()"
    if node.op == "Concat":
        axis = int(node.attrs.get("axis", 1))
        axis = axis % (rank + 1) - 1
        if axis < 0:
            raise ConvCalcError("Concat along the batch axis is not read")
        return (Concat(axis=axis),), f"Concat(axis={axis})"
    raise ConvCalcError(f"the ONNX operator {node.op} on {len(node.node.input)} activations is not read")


def _shape_arithmetic(proto: Any, values: dict[str, Any], shape_of: dict[str, int]) -> list[Any] | None:
    """The value of a node computing a shape from constants and ``Shape`` outputs; ``None`` when it is not one.

    ``Shape(x)`` is kept as the first axis it starts at (``shape_of``); ``Gather`` of its axis 0 is the batch
    (:data:`_BATCH`), of another axis an unknown size (``"?"``). ``Unsqueeze``/``Squeeze``/``Cast``/``Identity``
    keep the value, ``Concat`` joins them: what the TorchScript exporter writes for ``x.view(x.size(0), -1)``.
    """
    op, inputs = proto.op_type, [name for name in proto.input if name]
    if op == "Gather" and len(inputs) == 2 and inputs[0] in shape_of and inputs[1] in values:
        start = shape_of[inputs[0]]
        return [_BATCH if start + int(i) == 0 else "?" for i in values[inputs[1]]]
    if not inputs or any(name not in values for name in inputs):
        return None
    if op == "Gather" and len(inputs) == 2:  # an item of a shape known from convcalc's own shapes
        vector, picks = values[inputs[0]], values[inputs[1]]
        if all(isinstance(i, int) and -len(vector) <= i < len(vector) for i in picks):
            return [vector[i] for i in picks]
        return None
    if op == "Slice" and len(inputs) >= 3:  # part of a shape vector (F.interpolate's sizes keep N, C from x)
        bounds = [values[name] for name in proto.input[1:] if name]
        if not all(len(b) == 1 and isinstance(b[0], int) for b in bounds) or (len(bounds) > 2 and bounds[2] != [0]):
            return None
        step = bounds[3][0] if len(bounds) > 3 else 1
        return list(values[inputs[0]][bounds[0][0]:bounds[1][0]:step]) if step else None
    if op in _ARITHMETIC and len(inputs) == 2:
        a, b = values[inputs[0]], values[inputs[1]]
        if len(a) != len(b) and 1 not in (len(a), len(b)):
            return None
        n = max(len(a), len(b))
        return [_arithmetic(op, a[i if len(a) > 1 else 0], b[i if len(b) > 1 else 0]) for i in range(n)]
    if op in ("Unsqueeze", "Squeeze", "Cast", "Identity"):
        return list(values[inputs[0]])
    if op == "Concat":
        return [v for name in inputs for v in values[name]]
    return None


def _arithmetic(op: str, a: Any, b: Any) -> Any:
    """One element of ``Add``/``Sub``/``Mul``/``Div`` on shape values (ONNX's integer Div truncates)."""
    if not (isinstance(a, int) and isinstance(b, int)):
        return "?" if isinstance(a, (int, str)) and isinstance(b, (int, str)) else None
    if op == "Add":
        return a + b
    if op == "Sub":
        return a - b
    if op == "Mul":
        return a * b
    if b == 0:
        return None
    return abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)


def _row_shape(row: ImportedRow, known: dict[str, tuple[int, ...] | None]) -> tuple[int, ...] | None:
    """The output shape convcalc computes for ``row`` from its inputs' (``None`` when it cannot)."""
    from convcalc.graph import Merge

    inputs = [known.get(name) for name in (row.inputs or ())]
    if row.status == "unsupported" or not inputs or any(shape is None for shape in inputs):
        return None
    shape: Any = inputs[0]
    try:
        for i, layer in enumerate(row.layers):
            shape = layer.merge_shape([s for s in inputs if s is not None]) if i == 0 and isinstance(layer, Merge) \
                else layer.output_shape(shape)
    except ConvCalcError:
        return None
    return tuple(shape)


def _ints(value: Any) -> list[int] | None:
    return list(value) if value is not None and all(isinstance(v, int) for v in value) else None


def _resolve(target: list[Any], full_in: list[Any]) -> list[Any] | None:
    """A Reshape target with ONNX's ``0`` (copy the input's size) and ``-1`` (what is left) filled in."""
    out = [full_in[i] if t == 0 and i < len(full_in) else t for i, t in enumerate(target)]
    rest = [v for v in out[1:] if v != -1]
    if not all(isinstance(v, int) and v > 0 for v in rest) or out[1:].count(-1) > 1:
        return None
    if -1 in out[1:]:
        total = 1
        for v in full_in[1:]:
            total *= v
        known = 1
        for v in rest:
            known *= v
        if total % known:
            return None
        out[out.index(-1, 1)] = total // known
    return out


def _channel_op(node: _Node, data: str, in_shape: tuple[int, ...] | None, pending: dict[str, tuple[Any, ...]],
                values: dict[str, Any]) -> tuple[Any, ...] | None:
    """Channel slices, torchvision's channel shuffle (Reshape to 5-d, Transpose, Reshape back) and global means.

    Returns ``None`` for another node, ``("hold", state)`` for a middle step of the shuffle, or
    ``(status, spec text, reason)``.
    """
    op, inputs = node.op, list(node.node.input)
    if data in pending:
        step, groups, chw = pending[data]
        if step == 1 and op == "Transpose" and list(node.attrs.get("perm", [])) == [0, 2, 1, 3, 4]:
            return "hold", (2, groups, chw)
        if step == 2 and op == "Reshape" and node.has_input(1):
            target = values.get(inputs[1])
            c, h, w = chw
            resolved = _resolve(list(target), [1, c // groups, groups, h, w]) if target is not None else None
            if resolved is not None and len(resolved) == 4 and tuple(resolved[1:]) == chw:
                return "ok", f"ChannelShuffle({groups})", ""
        raise ConvCalcError(f"a Reshape to (N, {groups}, C/{groups}, H, W) followed by {op} is not read "
                            "(the channel shuffle is Reshape, Transpose perm=[0, 2, 1, 3, 4], Reshape back)")
    if op == "Reshape" and in_shape is not None and len(in_shape) == 3 and node.has_input(1):
        target = values.get(inputs[1])
        resolved = _resolve(list(target), [1, *in_shape]) if target is not None and len(target) == 5 else None
        if resolved is not None and resolved[1] * resolved[2] == in_shape[0] and tuple(resolved[3:]) == in_shape[1:]:
            return "hold", (1, resolved[1], tuple(in_shape))
        return None
    if op == "Slice":
        if in_shape is None:
            raise ConvCalcError("Slice of an activation whose shape convcalc does not know is not read")
        if node.has_input(1):
            starts, ends = (_ints(values.get(inputs[i])) for i in (1, 2))
            axes = _ints(values.get(inputs[3])) if node.has_input(3) else list(range(len(starts or ())))
            steps = _ints(values.get(inputs[4])) if node.has_input(4) else [1] * len(starts or ())
        else:  # opset < 10: attributes
            starts, ends = list(node.attrs.get("starts", [])), list(node.attrs.get("ends", []))
            axes, steps = list(node.attrs.get("axes", range(len(starts)))), [1] * len(starts)
        if starts is None or ends is None or axes is None or steps is None:
            raise ConvCalcError("Slice with bounds that are not constants is not read")
        rank = len(in_shape) + 1
        if [a % rank for a in axes] != [1] or steps != [1]:
            raise ConvCalcError(f"Slice on axes {axes} with steps {steps} is not read "
                                "(only a slice of the channels, axis 1, step 1, is)")
        channels = in_shape[0]
        lo, hi = (min(max(v + channels if v < 0 else v, 0), channels) for v in (starts[0], ends[0]))
        if lo >= hi:
            raise ConvCalcError(f"Slice [{starts[0]}:{ends[0]}] of {channels} channels is empty")
        return "ok", f"ChannelSlice({lo}, {hi})", ""
    if op in ("ReduceMean", "ReduceMax"):
        axes = node.attrs.get("axes")
        if axes is None and node.has_input(1):
            axes = _ints(values.get(inputs[1]))
        keep = bool(node.attrs.get("keepdims", 1))
        rank = len(in_shape) + 1 if in_shape is not None else 4
        if axes is None or rank != 4 or sorted(a % 4 for a in axes) != [2, 3]:
            raise ConvCalcError(f"{op} over axes {axes} is not read (only over H and W of (N, C, H, W) is)")
        return "ok", f"{'GlobalAvgPool2D' if op == 'ReduceMean' else 'GlobalMaxPool2D'}(keepdims={keep})", ""
    if op in ("Resize", "Upsample"):
        return _resize(node, in_shape, values)
    if op == "Pad":
        return _pad(node, in_shape, values)
    return None


def _split(node: _Node, in_shape: tuple[int, ...] | None, values: dict[str, Any]) -> list[tuple[int, int]]:
    """The channel bounds of each output of a ``Split`` on axis 1 (sizes given, or ``num_outputs``/equal parts)."""
    if in_shape is None:
        raise ConvCalcError("Split of an activation whose shape convcalc does not know is not read")
    rank = len(in_shape) + 1
    axis = int(node.attrs.get("axis", 0))
    if axis % rank != 1:
        raise ConvCalcError(f"Split along axis {axis} is not read (only along the channels, axis 1)")
    channels, parts = in_shape[0], len(node.node.output)
    sizes = _ints(values.get(node.node.input[1])) if node.has_input(1) else node.attrs.get("split")
    if sizes is None and node.has_input(1):
        raise ConvCalcError("Split whose sizes are not constants is not read")
    if sizes is None:  # num_outputs (opset 18): ceil(C / n) each, the last smaller; before: equal parts
        size = -(-channels // parts)
        if "num_outputs" not in node.attrs and channels % parts:
            raise ConvCalcError(f"Split of {channels} channels into {parts} equal parts is impossible")
        sizes = [min(size, channels - i * size) for i in range(parts)]
    sizes = list(sizes)
    if len(sizes) != parts or sum(sizes) != channels or min(sizes) < 1:
        raise ConvCalcError(f"Split sizes {sizes} do not cover the {channels} channels in {parts} parts")
    starts = [sum(sizes[:i]) for i in range(parts)]
    return [(a, a + n) for a, n in zip(starts, sizes)]


def _resize(node: _Node, in_shape: tuple[int, ...] | None, values: dict[str, Any]) -> tuple[str, str, str]:
    """``Resize``/``Upsample`` as convcalc's Upsample: ``floor(n * scale)`` per axis, or the given sizes."""
    mode = node.attrs.get("mode", b"nearest")
    mode = mode.decode() if isinstance(mode, bytes) else str(mode)
    policy = node.attrs.get("keep_aspect_ratio_policy", b"stretch")
    if (policy.decode() if isinstance(policy, bytes) else str(policy)) != "stretch" or "axes" in node.attrs:
        raise ConvCalcError("Resize with keep_aspect_ratio_policy or axes is not read")
    if mode not in ("nearest", "linear"):
        raise ConvCalcError(f"Resize mode {mode!r} is not read (convcalc's Upsample is nearest or bilinear)")
    inputs = list(node.node.input)
    scales_at, sizes_at = (1, None) if node.op == "Upsample" else (2, 3)
    scales = values.get(inputs[scales_at]) if len(inputs) > scales_at and inputs[scales_at] else None
    sizes = values.get(inputs[sizes_at]) if sizes_at is not None and node.has_input(sizes_at) else None
    if node.op == "Upsample" and scales is None:
        scales = node.attrs.get("scales")
    rank = len(in_shape) + 1 if in_shape is not None else None
    if mode == "linear" and rank not in (4, None):
        raise ConvCalcError("Resize linear of other than (N, C, H, W) is not read (convcalc's bilinear is 2-d)")
    how = "bilinear" if mode == "linear" else "nearest"
    if scales:
        if len(scales) < 3 or list(scales[:2]) != [1.0, 1.0] or not all(isinstance(v, float) for v in scales):
            raise ConvCalcError(f"Resize with scales {scales} is not read (the batch and channels must keep scale 1)")
        factors = tuple(float(v) for v in scales[2:])
        return "ok", f"Upsample(scale_factor={factors}, mode='{how}')", ""
    if sizes and all(isinstance(v, int) for v in sizes[2:]) and len(sizes) >= 3:
        if in_shape is not None and sizes[1] != in_shape[0]:
            raise ConvCalcError(f"Resize to sizes {sizes} changes the channels")
        return "ok", f"Upsample(size={tuple(sizes[2:])}, mode='{how}')", ""
    raise ConvCalcError("Resize whose scales or sizes are not constants is not read")


def _pad(node: _Node, in_shape: tuple[int, ...] | None, values: dict[str, Any]) -> tuple[str, str, str]:
    """``Pad`` with constant zeros as ZeroPadding, a negative one as Cropping; other modes are refused."""
    mode = node.attrs.get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else str(mode)
    if mode != "constant":
        raise ConvCalcError(f"Pad mode {mode!r} is not read (convcalc's padding layer pads zeros)")
    inputs = list(node.node.input)
    pads = _ints(values.get(inputs[1])) if node.has_input(1) else list(node.attrs.get("pads", []))
    if pads is None:
        raise ConvCalcError("Pad whose pads are computed by nodes convcalc does not evaluate is not read")
    fill = values.get(inputs[2]) if node.has_input(2) else [node.attrs.get("value", 0.0)]
    if fill is None or len(fill) != 1 or fill[0] != 0:
        raise ConvCalcError(f"Pad with the constant {fill} is not read (only zeros are)")
    if node.has_input(3):
        raise ConvCalcError("Pad with axes is not read")
    rank = len(pads) // 2
    if in_shape is not None and rank != len(in_shape) + 1 or rank not in (3, 4, 5):
        raise ConvCalcError(f"Pad with pads {pads} is not read")
    if pads[0] or pads[1] or pads[rank] or pads[rank + 1]:
        raise ConvCalcError(f"Pad of the batch or channel axis (pads {pads}) is not read")
    pairs = tuple(zip(pads[2:rank], pads[rank + 2:]))
    nd = rank - 2
    if all(v >= 0 for pair in pairs for v in pair):
        return "ok", f"ZeroPad{nd}D({pairs if nd > 1 else pairs[0]})", ""
    if all(v <= 0 for pair in pairs for v in pair):
        return "ok", f"Cropping{nd}D({tuple((-a, -b) for a, b in pairs) if nd > 1 else (-pairs[0][0], -pairs[0][1])})", ""
    raise ConvCalcError(f"Pad that pads some sides and crops others (pads {pads}) is not read")


def _small_values(tensor: Any, numpy_helper: Any) -> list[Any]:
    """A scalar or short vector constant as a list (ints stay ints: a Reshape's target shape)."""
    array = numpy_helper.to_array(tensor).reshape(-1)
    return [int(v) if array.dtype.kind in "iub" else float(v) for v in array]


def read_onnx_file(path: str | Path) -> ImportedModel:
    """Read an ``.onnx`` file's graph into rows (chains of nodes; branches are unsupported rows).

    Raises
    ------
    ConvCalcError
        Naming the file: the ``onnx`` package missing, not an ONNX model, damaged.
    """
    path = Path(path)
    onnx = _onnx()
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ConvCalcError(f"{path}: no such file.") from None
    except OSError as error:
        raise ConvCalcError(f"{path}: the file cannot be read ({error.strerror or error}).") from None
    if size > MAX_ONNX_BYTES:
        raise ConvCalcError(f"{path}: {size:,} bytes is over the {MAX_ONNX_BYTES:,} an ONNX file may have.")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except PermissionError:
        raise ConvCalcError(f"{path}: the file is unreadable (permission denied).") from None
    except Exception as error:  # protobuf's DecodeError and friends: the file is not an ONNX model
        raise ConvCalcError(f"{path}: not an ONNX model ({type(error).__name__}).") from None
    graph = model.graph
    if not graph.node:
        raise ConvCalcError(f"{path}: not an ONNX model (its graph has no nodes).")
    from onnx import numpy_helper

    shapes = {t.name: tuple(int(d) for d in t.dims) for t in graph.initializer}
    values: dict[str, Any] = {}
    for t in graph.initializer:
        if len(t.dims) <= 1 and (not t.dims or t.dims[0] <= 8):
            values[t.name] = _small_values(t, numpy_helper)
    inputs = [i for i in graph.input if i.name not in shapes]
    if len(inputs) != 1:
        raise ConvCalcError(f"{path}: the graph has {len(inputs)} data inputs; convcalc reads models with one.")
    dims = [int(d.dim_value) if d.HasField("dim_value") else 0 for d in inputs[0].type.tensor_type.shape.dim]
    input_shape = tuple(dims[1:]) if len(dims) > 1 and all(d > 0 for d in dims[1:]) else None
    rank = len(dims) - 1
    producer = {inputs[0].name: ""}  # tensor name -> the row that computes it ("" is the model's input)
    shape_of: dict[str, int] = {}  # Shape(x) outputs -> the first axis they hold
    rows: list[ImportedRow] = []
    row_shapes: dict[str, tuple[int, ...] | None] = {"": input_shape}  # row -> its output shape, convcalc's
    pending: dict[str, tuple[Any, ...]] = {}  # the 5-d steps of a channel shuffle -> (step, groups, (C, H, W))

    def add(row: ImportedRow) -> None:
        rows.append(row)
        row_shapes[row.path] = _row_shape(row, row_shapes)
    for index, proto in enumerate(graph.node):
        where = proto.name or f"{proto.op_type}_{index}"
        if proto.op_type == "Constant":
            for attribute in proto.attribute:
                if attribute.name == "value" and len(attribute.t.dims) <= 1 and \
                        (not attribute.t.dims or attribute.t.dims[0] <= 8):
                    values[proto.output[0]] = _small_values(attribute.t, numpy_helper)
            if proto.output[0] not in values:  # a large constant: a weight, known by its shape
                shapes[proto.output[0]] = tuple(int(d) for d in next(
                    (a.t.dims for a in proto.attribute if a.name == "value"), ()))
            continue
        if proto.op_type == "Shape" and proto.input and proto.input[0] in producer:
            start = int(next((onnx.helper.get_attribute_value(a) for a in proto.attribute if a.name == "start"), 0))
            known = row_shapes.get(producer[proto.input[0]])
            if known is not None:  # the sizes convcalc computes for that row, the batch kept as a symbol
                end = next((int(onnx.helper.get_attribute_value(a)) for a in proto.attribute if a.name == "end"), None)
                values[proto.output[0]] = [_BATCH, *known][start:end]
                continue
            shape_of[proto.output[0]] = start if start >= 0 else 1 << 30  # counted from the end: never the batch
            continue  # the input's shape, for a reshape's target: not a layer
        if proto.op_type in _SHAPE_ARITHMETIC:
            value = _shape_arithmetic(proto, values, shape_of)
            if value is not None and len(value) <= 8:
                values[proto.output[0]] = value
                continue
        node = _Node(onnx, proto, shapes, values, dims[0] if dims else None)
        data = [name for name in proto.input if name and name not in shapes and name not in values]
        if not data:  # computes on weights only (an Identity copy of an initialiser): a weight, not a layer
            if proto.op_type == "Identity" and proto.input and proto.input[0] in shapes:
                shapes[proto.output[0]] = shapes[proto.input[0]]
            for output in proto.output:
                shapes.setdefault(output, ())
            continue
        unknown = [name for name in data if name not in producer]
        sources = tuple(producer.get(name, name) for name in data)
        for output in proto.output[:1]:
            producer[output] = where
        if unknown:
            add(ImportedRow(where, proto.op_type, "unsupported",
                            f"takes {', '.join(unknown)}, which no node read before computes", (), sources))
            continue
        if proto.op_type == "Split" and len(data) == 1:  # one ChannelSlice row per output
            try:
                bounds = _split(node, row_shapes.get(sources[0]), values)
                reason = ""
            except ConvCalcError as error:
                bounds, reason = [], str(error).splitlines()[0]
            for i, output in enumerate(proto.output):
                path = where if i == 0 else f"{where} (output {i})"
                producer[output] = path
                if reason:
                    add(ImportedRow(path, "Split", "unsupported", reason, (), sources))
                else:
                    text = f"ChannelSlice({bounds[i][0]}, {bounds[i][1]})"
                    add(ImportedRow(path, text, "ok", "", build_layers(text), sources))
            continue
        if len(data) == 1:
            try:
                special = _channel_op(node, data[0], row_shapes.get(sources[0]), pending, values)
            except ConvCalcError as error:
                special = ("unsupported", proto.op_type, str(error).splitlines()[0])
            if special is not None:
                if special[0] == "hold":  # a step of the channel shuffle: no row of its own
                    pending[proto.output[0]] = special[1]
                    producer[proto.output[0]] = sources[0]
                    continue
                status, text, reason = special
                add(ImportedRow(where, text, status, reason, build_layers(text) if status != "unsupported" else (),
                                sources))
                continue
        if proto.op_type == "Add" and len(data) == 1 and rows and rows[-1].source.startswith("Linear(") and \
                rows[-1].source.endswith("bias=False)") and sources == (rows[-1].path,):
            text = rows[-1].source.replace("bias=False)", "bias=True)")  # MatMul + Add: one Linear with bias
            rows[-1] = ImportedRow(rows[-1].path, text, "ok", "", build_layers(text), rows[-1].inputs)
            producer[proto.output[0]] = rows[-1].path
            continue
        node.in_shape = row_shapes.get(sources[0]) if len(data) == 1 else None
        try:
            if len(data) > 1 or (proto.op_type in _MERGES and sum(1 for name in proto.input if name) == 1):
                built, text = _merge(node, rank)
            else:
                text = node.call(rank)
                built = build_layers(text) if text else ()
        except ConvCalcError as error:
            add(ImportedRow(where, proto.op_type, "unsupported", str(error).splitlines()[0], (), sources))
            continue
        add(ImportedRow(where, text or proto.op_type, "partial" if node.partial else "ok", node.partial, built, sources))
        if built and type(built[-1]).__name__ in ("Flatten", "Dense"):
            rank = 1
    return ImportedModel(rows, input_shape, "nchw", "ONNX graph")
