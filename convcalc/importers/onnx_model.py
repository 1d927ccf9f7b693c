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
from convcalc.importers._onnx_ops import channel_op, row_shape, split_bounds

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
        row_shapes[row.path] = row_shape(row, row_shapes)
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
                bounds = split_bounds(node, row_shapes.get(sources[0]), values)
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
                special = channel_op(node, data[0], row_shapes.get(sources[0]), pending, values)
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
