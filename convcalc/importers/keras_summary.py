"""Keras ``model.summary()`` text into rows, each layer rebuilt from its output shape and ``Param #``.

The summary shows, per layer, its name, its class, its output shape, its
parameter count and (functional models) the layers it takes; not its kernel
size, strides, padding or pool size. Each layer is rebuilt where those numbers
determine it:

- ``Dense``: units from the shape, the bias from the count
  (``params = n_in * units + units``): ``ok``;
- ``Conv1D``/``Conv2D``/``DepthwiseConv2D``: filters from the shape, the
  kernel area from ``params = k_area * c_in * filters (+ filters)``, a square
  kernel assumed, and the strides and padding (``'valid'``/``'same'``,
  dilation 1) searched for the ones that turn the input's size into the
  output's: ``partial``, the row saying what was assumed and inferred;
- ``MaxPooling``/``AveragePooling``: the pool size searched with strides equal
  to it (Keras's default): ``partial``;
- ``Flatten``, ``BatchNormalization`` (``4 * channels``), ``Dropout``, the
  global pools, activations by class, ``ZeroPadding2D`` (split evenly),
  ``UpSampling2D`` and the merges ``Add``, ``Multiply``, ``Concatenate``.

Every rebuilt layer is checked: it must give the printed output shape and
``Param #`` from its input's shape, or the row is ``unsupported`` with the
reason; several different rebuilds that fit are ``unsupported`` too (the
summary cannot tell them apart). A Sequential model's summary does not show
its input: the first layer's input is rebuilt from its count on an assumption
(1 or 3 channels, stride 1, ``'valid'`` padding), said in the row.

Both layouts are read (their cells by :mod:`convcalc.importers._keras_table`):
Keras 3's box-drawn table (``┃ Layer (type) ┃``, cells wrapped over lines,
long names cut with ``…``: a cut name is matched by its prefix) and Keras 2's
(``____``/``====`` rules, columns by position).
Shapes are channels last, as Keras prints them; rows hold convcalc's layers,
channels first.
"""

from __future__ import annotations

import math
import re
from typing import Any

from convcalc.errors import ConvCalcError
from convcalc.importers._keras_table import (ELLIPSIS, inbound_cell, looks_like_keras_summary, name_and_class,
                                             params_cell, shape_cell, table_cells)
from convcalc.importers._model import ImportedModel, ImportedRow, build_layers

__all__ = ["looks_like_keras_summary", "read_keras_summary"]

Shape = tuple[int, ...]
_ELLIPSIS = ELLIPSIS
#: Classes whose rows pass the shape on with no parameters, rebuilt as the class itself.
_POINTWISE = {"ReLU", "Softmax", "LeakyReLU", "ELU", "PReLU", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
              "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization", "Identity"}
_MERGES = ("Add", "Multiply", "Concatenate")
_KNOWN = ("InputLayer", "Dense", "Conv1D", "Conv2D", "DepthwiseConv2D", "MaxPooling1D", "MaxPooling2D",
          "AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
          "GlobalMaxPooling1D", "GlobalMaxPooling2D", "Flatten", "BatchNormalization", "Activation",
          "ZeroPadding2D", "UpSampling2D", *_MERGES, *sorted(_POINTWISE))


# --------------------------------------------------------------------------- rebuilding one layer
def _cf(shape: Shape) -> Shape:
    """Keras's channels-last shape as convcalc's channels first (the one rule, :func:`channels_first`)."""
    from convcalc.layers import channels_first

    return tuple(channels_first(shape))


def _fits(text: str, in_cf: Shape, out_cf: Shape, params: int) -> tuple[Any, ...] | None:
    """The layers of ``text`` when they turn ``in_cf`` into ``out_cf`` with ``params`` parameters; else None."""
    try:
        layers = build_layers(text)
        shape, count = in_cf, 0
        for layer in layers:
            count += sum(layer.param_count(shape))
            shape = layer.output_shape(shape)
    except ConvCalcError:
        return None
    return layers if shape == out_cf and count == params else None


def _square_root(value: int) -> int | None:
    root = math.isqrt(value) if value > 0 else 0
    return root if root > 0 and root * root == value else None


def _windows(spatial_in: Shape, spatial_out: Shape, kernel: int,
             strides: Any = None) -> list[tuple[int, str]]:
    """(stride, padding) pairs with dilation 1 that take ``spatial_in`` to ``spatial_out`` for this kernel."""
    found = []
    for stride in strides if strides is not None else range(1, max(spatial_in) + 1):
        for padding in ("valid", "same"):
            if padding == "same" and all(max((-(-n // stride) - 1) * stride + kernel - n, 0) == 0
                                         for n in spatial_in):
                continue  # 'same' adds no padding here: the same layer as 'valid'
            sizes = [((n - kernel) // stride + 1) if padding == "valid" else -(-n // stride) for n in spatial_in]
            if padding == "valid" and any(n < kernel for n in spatial_in):
                continue
            if tuple(sizes) == spatial_out:
                found.append((stride, padding))
    if len(found) > 1 and all(n == 1 for n in spatial_out):
        found = found[:1]  # to 1x1 every stride fits: a window over the whole input, stride 1 taken
    return found


def _arrow(spatial_in: Shape, spatial_out: Shape) -> str:
    return f"{'x'.join(map(str, spatial_in))} -> {'x'.join(map(str, spatial_out))}"


class _Rebuilt(Exception):
    """A row rebuilt: its layers, status and reason (raised to leave the search early)."""

    def __init__(self, text: str, layers: tuple[Any, ...], status: str = "ok", reason: str = "") -> None:
        super().__init__(text)
        self.text, self.layers, self.status, self.reason = text, layers, status, reason


def _conv(cls: str, in_shape: Shape, out_shape: Shape, params: int) -> _Rebuilt:
    rank = len(out_shape) - 1
    cout, cin = out_shape[-1], in_shape[-1]
    spatial_in, spatial_out = in_shape[:-1], out_shape[:-1]
    options, not_square = [], ""
    for bias in (True, False):
        if cls == "DepthwiseConv2D":
            multiplier = cout // cin if cin and cout % cin == 0 else 0
            rest, per = params - (cout if bias else 0), cout
        else:
            multiplier, rest, per = 0, params - (cout if bias else 0), cin * cout
        if per <= 0 or rest <= 0 or rest % per:
            continue
        area = rest // per
        kernel = area if rank == 1 else _square_root(area)
        if kernel is None:
            not_square = not_square or (f"a kernel of {area} weights per channel pair is not square ({params:,} = "
                                        f"{area}*{cin}*{cout}{' + ' + str(cout) if bias else ''}): 1x{area} or "
                                        f"{area}x1 cannot be told apart")
            continue
        for stride, padding in _windows(spatial_in, spatial_out, kernel):
            extra = f", depth_multiplier={multiplier}" if cls == "DepthwiseConv2D" else ""
            filters = "" if cls == "DepthwiseConv2D" else f"{cout}, "
            text = f"{cls}({filters}{kernel}, strides={stride}, padding={padding!r}, use_bias={bias}{extra})"
            options.append((text, kernel, stride, padding, bias))
    fitting = [(o, layers) for o in options if (layers := _fits(o[0], _cf(in_shape), _cf(out_shape), params))]
    if not fitting and not_square and not options:
        raise ConvCalcError(not_square)
    if not fitting:
        raise ConvCalcError(f"no {cls} with a square kernel, dilation 1 and 'valid'/'same' padding gives "
                            f"{_arrow(spatial_in, spatial_out)} with {params:,} parameters")
    if len(fitting) > 1:
        raise ConvCalcError("ambiguous: " + " or ".join(o[0] for o, _ in fitting[:3]) + " all fit")
    (text, kernel, stride, padding, bias), layers = fitting[0]
    window = "x".join([str(kernel)] * rank)
    assumed = f"kernel {window} assumed square" if rank > 1 and kernel > 1 else f"kernel {window}"
    return _Rebuilt(text, layers, "partial",
                    f"{assumed}, dilation 1 assumed; stride {stride}, padding '{padding}' inferred from "
                    f"{_arrow(spatial_in, spatial_out)}" + ("" if bias else "; no bias (from the count)"))


def _pool(cls: str, in_shape: Shape, out_shape: Shape, params: int) -> _Rebuilt:
    spatial_in, spatial_out = in_shape[:-1], out_shape[:-1]
    fitting = []
    for size in range(1, max(spatial_in) + 1):
        for stride, padding in _windows(spatial_in, spatial_out, size, (size,)):
            if stride == size:
                text = f"{cls}(pool_size={size}, strides={size}, padding={padding!r})"
                layers = _fits(text, _cf(in_shape), _cf(out_shape), params)
                if layers:
                    fitting.append((text, size, padding, layers))
    if not fitting:
        raise ConvCalcError(f"no pool with strides equal to its size gives {_arrow(spatial_in, spatial_out)} "
                            "(its strides differ from its size, which the summary does not show)")
    if len(fitting) > 1:
        raise ConvCalcError("ambiguous: " + " or ".join(f[0] for f in fitting[:3]) + " all fit")
    text, size, padding, layers = fitting[0]
    return _Rebuilt(text, layers, "partial", f"strides = pool size assumed (Keras's default); pool "
                    f"{'x'.join([str(size)] * len(spatial_in))}, padding '{padding}' inferred from "
                    f"{_arrow(spatial_in, spatial_out)}")


def _first_input(cls: str, out_shape: Shape, params: int) -> tuple[Shape, str]:
    """A Sequential summary's unseen input, rebuilt from the first layer's count; the assumption said."""
    if cls == "Dense" and len(out_shape) == 1 and params % out_shape[0] == 0 and params > out_shape[0]:
        n_in = params // out_shape[0] - 1
        return (n_in,), f"input ({n_in},) from the count, with a bias (the summary does not show the input)"
    if cls in ("Conv1D", "Conv2D"):
        cout = out_shape[-1]
        rank = len(out_shape) - 1
        for bias in (True, False):
            for cin in (1, 3):
                rest = params - (cout if bias else 0)
                if rest > 0 and rest % (cin * cout) == 0:
                    area = rest // (cin * cout)
                    kernel = area if rank == 1 else _square_root(area)
                    if kernel:
                        shape = (*[n + kernel - 1 for n in out_shape[:-1]], cin)
                        return shape, (f"input {shape} assumed: the summary does not show a Sequential model's "
                                       f"input; {cin} channel(s), stride 1 and padding 'valid' assumed (give the "
                                       "input shape to read the first layer exactly)")
    if cls in ("Flatten",) or (cls in _POINTWISE or cls in ("BatchNormalization", "Activation")):
        return out_shape, f"input {out_shape} assumed (the summary does not show a Sequential model's input)"
    raise ConvCalcError(f"the summary does not show the model's input, and a first {cls} does not determine it")


def _rebuild(cls: str, in_shape: Shape, out_shape: Shape, params: int) -> _Rebuilt:
    """One layer rebuilt from its input and output shapes (channels last) and its count."""
    in_cf, out_cf = _cf(in_shape), _cf(out_shape)
    if cls == "Dense":
        if len(in_shape) != 1:
            raise ConvCalcError(f"Dense on a {len(in_shape)}-d input {in_shape} is not read (only flat inputs)")
        units = out_shape[-1]
        for bias in (True, False):
            text = f"Dense({units}, use_bias={bias})"
            layers = _fits(text, in_cf, out_cf, params)
            if layers:
                return _Rebuilt(text, layers)
        raise ConvCalcError(f"no Dense({units}) on {in_shape[0]} inputs has {params:,} parameters")
    if cls in ("Conv1D", "Conv2D", "DepthwiseConv2D"):
        return _conv(cls, in_shape, out_shape, params)
    if cls in ("MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D"):
        return _pool(cls, in_shape, out_shape, params)
    if cls == "ZeroPadding2D" and len(in_shape) == 3:
        extra = [o - i for i, o in zip(in_shape[:-1], out_shape[:-1])]
        if any(e < 0 for e in extra):
            raise ConvCalcError(f"ZeroPadding2D shrinks {_arrow(in_shape[:-1], out_shape[:-1])}")
        pads = tuple((e // 2, e - e // 2) for e in extra)
        text = f"ZeroPadding2D(padding={pads})"
        layers = _fits(text, in_cf, out_cf, params)
        if layers:
            odd = any(e % 2 for e in extra)
            return _Rebuilt(text, layers, "partial", f"padding {pads} assumed: {_arrow(in_shape[:-1], out_shape[:-1])}"
                            + (" split with the extra row/column last" if odd else " split evenly"))
    if cls == "UpSampling2D" and len(in_shape) == 3:
        if all(o % i == 0 for i, o in zip(in_shape[:-1], out_shape[:-1])):
            size = tuple(o // i for i, o in zip(in_shape[:-1], out_shape[:-1]))
            text = f"UpSampling2D(size={size})"
            layers = _fits(text, in_cf, out_cf, params)
            if layers:
                return _Rebuilt(text, layers, "partial", "interpolation not shown (counts do not depend on it)")
    if cls == "BatchNormalization":
        text = "BatchNormalization()"
        layers = _fits(text, in_cf, out_cf, params)
        if layers:
            return _Rebuilt(text, layers)
        raise ConvCalcError(f"BatchNormalization over {in_shape[-1]} channels has 4*{in_shape[-1]} = "
                            f"{4 * in_shape[-1]:,} parameters, not {params:,} (center/scale off is not read)")
    if cls in ("Flatten", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
               "GlobalMaxPooling2D"):
        text = f"{cls}()" if len(out_shape) == 1 else f"{cls}(keepdims=True)"
        layers = _fits(text, in_cf, out_cf, params)
        if layers:
            return _Rebuilt(text, layers)
    if cls in _POINTWISE:
        text = "Dropout(0)" if "Dropout" in cls or cls in ("GaussianNoise", "ActivityRegularization", "Identity") \
            else f"{cls}()"
        layers = _fits(text, in_cf, out_cf, params)
        if layers:
            return _Rebuilt(text, layers)
    if cls == "Activation" and in_shape == out_shape and params == 0:
        return _Rebuilt("Activation", (), "partial", "which function is not in the summary (no parameters, "
                        "shape unchanged: passed on)")
    if cls in _KNOWN:
        raise ConvCalcError(f"{cls} from {in_shape} to {out_shape} with {params:,} parameters is not rebuilt")
    raise ConvCalcError(f"the Keras layer class {cls} is not read")


def _merge(cls: str, shapes: list[Shape], out_shape: Shape) -> _Rebuilt:
    from convcalc.graph import Add, Concat, Multiply

    cf = [_cf(s) for s in shapes]
    if cls == "Concatenate":
        axes = [a for a in range(len(out_shape)) if out_shape[a] == sum(s[a] for s in shapes)
                and all(s[:a] + s[a + 1:] == out_shape[:a] + out_shape[a + 1:] for s in shapes)]
        if not axes:
            raise ConvCalcError(f"Concatenate of {shapes} does not give {out_shape} along any axis")
        axis = axes[-1]
        merge: Any = Concat(axis=0 if axis == len(out_shape) - 1 else axis + 1)
    else:
        merge = Add() if cls == "Add" else Multiply()
    try:
        got = merge.merge_shape(cf)
    except ConvCalcError as error:
        raise ConvCalcError(f"{cls} of {shapes}: {str(error).splitlines()[0]}") from None
    if got != _cf(out_shape):
        raise ConvCalcError(f"{cls} of {shapes} gives {got}, the summary {out_shape}")
    return _Rebuilt(f"{type(merge).__name__}()", (merge,))


# --------------------------------------------------------------------------- the reader
def _resolve(name: str, known: list[str]) -> str | None:
    """A (possibly cut) layer name in "Connected to" as the one earlier layer it names."""
    if name in known:
        return name
    if name.endswith(_ELLIPSIS):
        stem = name[:-1]
        matches = [k for k in known if k.startswith(stem) or (k.endswith(_ELLIPSIS) and stem.startswith(k[:-1]))]
        return matches[0] if len(matches) == 1 else None
    matches = [k for k in known if k.endswith(_ELLIPSIS) and name.startswith(k[:-1])]
    return matches[0] if len(matches) == 1 else None


def read_keras_summary(text: str, input_shape: tuple[int, ...] | None = None) -> ImportedModel:
    """Read the text ``model.summary()`` prints (Keras 3 or Keras 2) into rows.

    ``input_shape`` (channels last, as Keras: ``(28, 28, 1)``) is the model's input when the text does
    not show it (a Sequential model's summary has no input row); without it the first layer's input is
    rebuilt from its count on an assumption the row states.

    Examples
    --------
    >>> model = read_keras_summary('''Model: "lenet"
    ... ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
    ... ┃ Layer (type)                ┃ Output Shape           ┃       Param # ┃
    ... ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
    ... │ conv2d (Conv2D)             │ (None, 26, 26, 32)     │           320 │
    ... ├─────────────────────────────┼────────────────────────┼───────────────┤
    ... │ flatten (Flatten)           │ (None, 21632)          │             0 │
    ... ├─────────────────────────────┼────────────────────────┼───────────────┤
    ... │ dense (Dense)               │ (None, 10)             │       216,330 │
    ... └─────────────────────────────┴────────────────────────┴───────────────┘
    ...  Total params: 216,650 (846.29 KB)''')
    >>> model.input_shape, [(row.path, row.status, row.source) for row in model.rows][1:]
    ((1, 28, 28), [('flatten', 'ok', 'Flatten()'), ('dense', 'ok', 'Dense(10, use_bias=True)')])
    >>> model.rows[0].reason
    "input (28, 28, 1) assumed: the summary does not show a Sequential model's input; 1 channel(s), stride 1 and padding 'valid' assumed (give the input shape to read the first layer exactly); kernel 3x3 assumed square, dilation 1 assumed; stride 1, padding 'valid' inferred from 28x28 -> 26x26"
    """
    if not looks_like_keras_summary(text):
        raise ConvCalcError("not a Keras model.summary() table (no 'Layer (type)  Output Shape  Param #' header).")
    cells, connected = table_cells(text)
    rows: list[ImportedRow] = []
    shapes: dict[str, Shape] = {}
    names: list[str] = []
    input_names: list[str] = []
    given = tuple(int(d) for d in input_shape) if input_shape is not None else None
    input_shape = given
    previous: str | None = None
    total = 0
    for number, row in enumerate(cells, 1):
        if len(row) < 3:
            raise ConvCalcError(f"row {number} of the summary has {len(row)} cells, not 3 or 4: {row!r}")
        name, cls = name_and_class(row[0])
        if cls.endswith(_ELLIPSIS):  # a cut class name: the one known class it starts, if only one
            starts = [k for k in _KNOWN if k.startswith(cls[:-1])]
            cls = starts[0] if len(starts) == 1 else cls
        out_shape, params = shape_cell(row[1]), params_cell(row[2])
        names.append(name)
        if params is not None:
            total += params
        if cls == "InputLayer":
            if out_shape is None:
                raise ConvCalcError(f"the input layer {name!r} has no fixed shape ({row[1]!r})")
            if given is not None and given != out_shape:
                raise ConvCalcError(f"the input layer {name!r} is {out_shape}, not the input_shape {given} given")
            input_shape = out_shape
            input_names.append(name)
            shapes[name] = out_shape
            continue
        inputs: tuple[str, ...] | None = None
        reason_in = ""
        try:
            if out_shape is None or params is None:
                raise ConvCalcError(f"output shape {row[1]!r} / Param # {row[2]!r} is not one fixed shape and count")
            if connected:
                resolved = [_resolve(n, names[:-1]) for n in inbound_cell(row[3] if len(row) > 3 else "")]
                if not resolved or None in resolved:
                    raise ConvCalcError(f"its inputs {row[3] if len(row) > 3 else ''!r} do not name one earlier "
                                        "layer each")
                inputs = tuple("" if n in input_names else str(n) for n in resolved)
                in_shapes = [shapes[str(n)] for n in resolved if str(n) in shapes]
                if len(in_shapes) != len(resolved):
                    raise ConvCalcError("an input it takes has no shape (an earlier row was not read)")
            elif previous is None and input_shape is None:
                first, reason_in = _first_input(cls, out_shape, params)
                input_shape, in_shapes = first, [first]
            else:
                if previous is not None and previous not in shapes:
                    raise ConvCalcError("the row before it has no shape (it was not read)")
                in_shapes = [shapes[previous] if previous is not None else input_shape]  # type: ignore[list-item]
            if cls.endswith(_ELLIPSIS) and len(in_shapes) > 1:
                cls = next((m for m in _MERGES if m.startswith(cls[:-1])), cls)
            if cls in _MERGES:
                rebuilt = _merge(cls, in_shapes, out_shape)
            elif len(in_shapes) != 1:
                raise ConvCalcError(f"a {cls} taking {len(in_shapes)} inputs is not read")
            elif cls.endswith(_ELLIPSIS):  # a cut class name: the one known class it starts that fits
                fits = []
                for known in (k for k in _KNOWN if k.startswith(cls[:-1]) and k not in _MERGES):
                    try:
                        fits.append(_rebuild(known, in_shapes[0], out_shape, params))
                    except ConvCalcError:
                        pass
                if len(fits) != 1:
                    raise ConvCalcError(f"the cut class name {cls} fits {len(fits)} known classes")
                rebuilt = fits[0]
            else:
                rebuilt = _rebuild(cls, in_shapes[0], out_shape, params)
            status = "partial" if reason_in else rebuilt.status
            reason = "; ".join(r for r in (reason_in, rebuilt.reason) if r)
            rows.append(ImportedRow(name, rebuilt.text, status, reason, rebuilt.layers, inputs))
            shapes[name] = out_shape
        except ConvCalcError as error:
            rows.append(ImportedRow(name, f"{cls} {row[1]} {row[2]}", "unsupported",
                                    str(error).splitlines()[0], (), inputs))
            if out_shape is not None:
                shapes[name] = out_shape  # printed: the next row's input is known even so
        previous = name
    notes = []
    printed = re.search(r"Total params:\s*([\d,]+)", text)
    if printed and int(printed[1].replace(",", "")) != total:
        notes.append(f"the rows' Param # add up to {total:,}, the summary's total is {printed[1]}")
    first_shape = _cf(input_shape) if input_shape is not None else None
    return ImportedModel(rows, first_shape, "nhwc", "Keras summary", notes)
