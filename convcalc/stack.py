"""Walk a list of layer specs: shapes, parameters, MACs, memory and receptive fields.

:func:`summarize` returns a :class:`Summary` whose rows carry, for every layer,
the output shape, parameters (trainable and not), multiply-accumulates under a
chosen counting convention, activation bytes and the receptive field (size
``rf``, effective stride ``jump``, centre ``start`` of the first output unit's
field) per spatial axis. Every size comes from the specs, which call
:mod:`convcalc.arithmetic`; the receptive-field recurrences are in
:mod:`convcalc.receptive`.

Examples
--------
>>> from convcalc.layers import Conv2D, MaxPool2D, Flatten, Dense, ReLU, Softmax
>>> hw5 = [Conv2D(32, 3), ReLU(), MaxPool2D(2), Flatten(), Dense(100), ReLU(), Dense(10), Softmax()]
>>> s = summarize(hw5, (1, 28, 28))
>>> s.total_params, s.total_macs
(542230, 736488)
>>> [row.output_shape for row in s.layers][:4]
[(32, 26, 26), (32, 26, 26), (32, 13, 13), (5408,)]
>>> s.layers[2].rf, s.layers[2].jump, s.layers[2].start
((4, 4), (2, 2), (1.5, 1.5))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import prod
from typing import Any

from convcalc.errors import ConvCalcError, invalid
from convcalc.layers import LAYOUTS, Layer, RFStep, channels_first, channels_last
from convcalc.layers.conventions import CONVENTIONS, COUNTERS
from convcalc.graph.analysis import LayerRow, analyse
from convcalc.graph.analysis import collapse as _collapse
from convcalc.graph.model import Graph
from convcalc.receptive import rf_backward

__all__ = [
    "CONVENTIONS",
    "DTYPES",
    "LAYOUTS",
    "LayerRow",
    "Summary",
    "RFWorking",
    "summarize",
    "rf_working",
]

Shape = tuple[int, ...]

#: Bytes per element of every accepted ``dtype``.
DTYPES = {
    "float16": 2, "half": 2, "bfloat16": 2, "float32": 4, "float": 4, "float64": 8, "double": 8,
    "int8": 1, "uint8": 1, "int16": 2, "int32": 4, "int64": 8, "bool": 1,
}

# The counting conventions live with the layers: each layer answers how each tool counts it
# (Layer.macs_under); convcalc.layers.conventions applies the batch and the factor 2 of "flops".
_COUNTERS = COUNTERS


# --------------------------------------------------------------------------- result types
@dataclass(frozen=True)
class Summary:
    """Result of :func:`summarize`: one :class:`LayerRow` per layer and the totals.

    Memory: ``input_bytes`` and ``activation_bytes`` (sum of every layer's
    output, forward pass only) scale with ``batch``; ``param_bytes`` does not.
    """

    layers: tuple[LayerRow, ...]
    input_shape: Shape
    output_shape: Shape
    layout: str
    batch: int
    dtype: str
    convention: str
    rf_from: int
    total_params: int
    trainable_params: int
    non_trainable_params: int
    total_macs: int
    input_bytes: int
    activation_bytes: int
    param_bytes: int

    @property
    def total_bytes(self) -> int:
        """Input + activations + parameters."""
        return self.input_bytes + self.activation_bytes + self.param_bytes

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` object: ``{"layers": [...], "total_params": int, "total_macs": int, ...}``."""
        return {
            "layers": [row.to_dict() for row in self.layers],
            "input_shape": list(self.input_shape), "output_shape": list(self.output_shape),
            "total_params": self.total_params, "trainable_params": self.trainable_params,
            "non_trainable_params": self.non_trainable_params, "total_macs": self.total_macs,
            "input_bytes": self.input_bytes, "activation_bytes": self.activation_bytes,
            "param_bytes": self.param_bytes, "total_bytes": self.total_bytes,
            "layout": self.layout, "batch": self.batch, "dtype": self.dtype,
            "convention": self.convention, "rf_from": self.rf_from,
        }

    def _repr_html_(self) -> str:  # Jupyter: the table; the renderer lives in the picture layer above
        return __import__("importlib").import_module("convcalc.draw.reprs").summary_html(self)


# --------------------------------------------------------------------------- argument checks
def _choice(value: str, table: dict, name: str) -> str:
    key = str(value).strip().lower()
    if key not in table:
        raise invalid(name, value, "one of " + ", ".join(repr(k) for k in dict.fromkeys(table)))
    return key


def _shape(shape: object) -> Shape:
    what = "a tuple of ints >= 1 such as (1, 28, 28)"
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not shape:
        raise invalid("input_shape", shape, what)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in shape):
        raise invalid("input_shape", shape, what)
    return tuple(shape)


def _to_first(shape: Shape, layout: str) -> Shape:
    return shape if layout == "nchw" else channels_first(shape)


def _to_layout(shape: Shape, layout: str) -> Shape:
    return shape if layout == "nchw" else channels_last(shape)


# --------------------------------------------------------------------------- the walk
def summarize(layers: Sequence[Layer] | Graph, input_shape: Sequence[int] | None = None, *, layout: str = "nchw",
              batch: int = 1, dtype: str = "float32", convention: str = "torchvision",
              rf_from: int | None = None) -> Summary:
    """Shapes, parameters, MACs, memory and receptive fields through ``layers`` (a list or a graph).

    A layer list is the chain :meth:`convcalc.graph.Graph.chain`; both go
    through :func:`convcalc.graph.analysis.analyse`, one row per node in
    topological order.

    Parameters
    ----------
    layers : sequence of Layer, or Graph
        Layer specs from :mod:`convcalc.layers`, applied in order, or a
        :class:`~convcalc.graph.Graph` (``Model(x, out)``, a spec with blocks, a preset).
    input_shape : tuple of int, optional
        One sample, no batch axis: ``(C, H, W)`` with ``layout="nchw"`` (the
        default, PyTorch), ``(H, W, C)`` with ``"nhwc"`` (Keras); 1-d and 3-d alike.
        Optional for a graph declared with ``Input(...)``.
    layout : {"nchw", "nhwc"}
        Order of ``input_shape`` and of every shape in the result. Defaults to ``"nchw"``.
    batch : int
        Batch size for memory, and for the MAC conventions that include it. Defaults to 1.
    dtype : str
        Element type for bytes (``float32``, ``float16``, ``float64``, ``int8``...). Defaults to ``"float32"``.
    convention : str
        How MACs are counted, a key of :data:`CONVENTIONS`. Defaults to
        ``"torchvision"``: weight multiply-accumulates of convolutions and dense
        layers, one sample, bias not counted.
    rf_from : int, optional
        Measure receptive fields from the output of layer (node) ``rf_from``
        (1-based) instead of the input (``0``, the default).

    Returns
    -------
    Summary

    Raises
    ------
    ConvCalcError
        A bad argument, or a layer the shape cannot pass; the message names
        the layer, e.g. ``layer 3 (Conv2D(64, 5, s=1, p=0)): kernel 5 is larger ...``;
        a merge whose inputs do not fit or are not aligned.

    Examples
    --------
    >>> from convcalc.layers import Conv2D
    >>> three = [Conv2D(8, 3), Conv2D(8, 3), Conv2D(8, 3)]
    >>> summarize(three, (1, 16, 16)).layers[-1].rf          # on the input
    (7, 7)
    >>> summarize(three, (1, 16, 16), rf_from=1).layers[-1].rf   # on layer 1's output (seed HW5 q5.3)
    (5, 5)
    >>> summarize([Conv2D(8, 3)], (3, 32, 32), convention="torchinfo").total_macs
    201600
    """
    layout = LAYOUTS[_choice(layout, LAYOUTS, "layout")]
    convention = _choice(convention, _COUNTERS, "convention")
    dtype = _choice(dtype, DTYPES, "dtype")
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise invalid("batch", batch, "an int >= 1")
    if isinstance(layers, Graph):
        graph = layers
    else:
        layers = list(layers)
        for index, layer in enumerate(layers, start=1):
            if not isinstance(layer, Layer):
                raise ConvCalcError(f"layer {index}: expected a layer spec such as Conv2D(32, 3); got {layer!r}")
        graph = Graph.chain(layers)
    if input_shape is None:
        if graph.input_shape is None:
            raise invalid("input_shape", None, "a tuple of ints >= 1 such as (1, 28, 28)")
        given = _to_layout(graph.input_shape, layout)
    else:
        given = _shape(input_shape)
    reference = 0 if rf_from is None else rf_from
    last = len(graph.nodes) - 1
    if not isinstance(reference, int) or isinstance(reference, bool) or not 0 <= reference <= last:
        raise invalid("rf_from", rf_from, f"a layer index from 0 (the input) to {last}")
    size = DTYPES[dtype]
    result = analyse(graph, _to_first(given, layout), count=_COUNTERS[convention], batch=batch,
                     element_bytes=size, reference=reference, to_layout=lambda s: _to_layout(s, layout))
    rows = result.rows
    total = sum(r.params for r in rows)
    trainable = sum(r.trainable for r in rows)
    return Summary(
        layers=rows, input_shape=given,
        output_shape=_to_layout(result.output_shape, layout), layout=layout, batch=batch, dtype=dtype,
        convention=convention, rf_from=reference, total_params=total, trainable_params=trainable,
        non_trainable_params=total - trainable, total_macs=sum(r.macs for r in rows),
        input_bytes=batch * prod(given) * size,
        activation_bytes=sum(r.activation_bytes for r in rows), param_bytes=total * size,
    )


# --------------------------------------------------------------------------- the seed's top-down working
@dataclass(frozen=True)
class RFWorking:
    """Receptive-field sizes from the top layer down to the reference, per axis.

    ``sizes[m]`` is the size measured on the output of layer ``reference + m``
    (``sizes[0]`` on the reference itself, the last entry is 1);
    ``steps[m]`` is layer ``reference + m + 1``'s :class:`RFStep` per axis.
    Each size is ``r_{l-1} = s_l*r_l + (k_l - s_l)`` of the one above.
    """

    summary: Summary
    reference: int
    top: int
    steps: tuple[tuple[RFStep, ...], ...]
    sizes: tuple[tuple[int, ...], ...]

    @property
    def rf(self) -> tuple[int, ...]:
        """Receptive field of one top-layer unit on the reference, per axis."""
        return self.sizes[0]

    def to_dict(self) -> dict[str, Any]:
        """The ``convcalc rf --json`` object."""
        layers = []
        for row in self.summary.layers:
            steps = row.rf_step or ()
            layers.append({"index": row.index, "name": row.name,
                           **{key: _collapse(tuple(getattr(st, attr) for st in steps)) for key, attr in
                              (("kernel", "kernel"), ("stride", "stride"), ("padding", "padding_lo"),
                               ("dilation", "dilation"))},
                           "rf": _collapse(row.rf), "jump": _collapse(row.jump), "start": _collapse(row.start)})
        working = [{"size": f"RF_{self.reference + m}", "value": _collapse(sizes)}
                   for m, sizes in enumerate(self.sizes)]
        return {"rf_from": self.reference, "rf": _collapse(self.rf), "layers": layers, "working": working[::-1]}


def rf_working(layers: Sequence[Layer] | Graph, input_shape: Sequence[int] | None = None, *, layout: str = "nchw",
               rf_from: int | None = None) -> RFWorking:
    """The seed's receptive-field recurrence, top down, through every layer after ``rf_from``.

    Examples
    --------
    >>> from convcalc.layers import Conv2D
    >>> working = rf_working([Conv2D(8, 3)] * 3, (1, 16, 16), rf_from=1)
    >>> [sizes[0] for sizes in working.sizes]
    [5, 3, 1]
    """
    if isinstance(layers, Graph) and not layers.is_chain:
        raise ConvCalcError("the top-down working follows one chain of layers; this model branches: use "
                            "convcalc stack (summarize) for its receptive fields")
    summary = summarize(layers, input_shape, layout=layout, rf_from=rf_from)
    reference = summary.rf_from
    rows = summary.layers[reference:]
    for row in rows:
        if row.rf_step is None or any(not isinstance(st.stride, int) for st in row.rf_step):
            raise ConvCalcError(f"layer {row.index} ({row.name}) has no shift-invariant receptive field; "
                                "use --rf-from after it")
    steps = tuple(row.rf_step for row in rows if row.rf_step is not None)  # all of them (checked above)
    naxes = len(steps[0]) if steps else 0
    if any(len(st) != naxes for st in steps) or naxes == 0:
        raise ConvCalcError("the layers after the reference have no spatial axis to follow")
    per_axis = [rf_backward([st[a] for st in steps]) for a in range(naxes)]
    sizes = tuple(tuple(axis[m] for axis in per_axis) for m in range(len(steps) + 1))
    return RFWorking(summary=summary, reference=reference, top=len(summary.layers), steps=steps, sizes=sizes)
