"""The working of an output-size computation, as a student writes it by hand.

For each axis: the formula, the same formula with the numbers substituted, the
floor step and the answer, plus the notes that matter (input rows never covered
by a window, a ceil-mode window dropped, how 'same' padding splits). The answer
itself always comes from :mod:`convcalc.arithmetic`; this module only writes
the working around it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from convcalc._typing import IntOrTuple, Size, definitely
from convcalc.arithmetic import (
    _axes,
    _framework,
    _values,
    ceil_window_dropped,
    conv_output_size,
    effective_kernel,
    pool_output_size,
    resolve_padding,
    transposed_output_size,
)
from convcalc.errors import invalid

__all__ = ["AxisWorking", "Working", "explain_output_size", "KINDS"]

KINDS = ("conv", "pool", "transposed")

FORMULAS = {
    "conv": "o = (n + 2p - d*(k-1) - 1) // s + 1",
    "conv_asym": "o = (n + p_lo + p_hi - d*(k-1) - 1) // s + 1",
    "pool_ceil": "o = (n + 2p - d*(k-1) - 1 + (s-1)) // s + 1, minus 1 if the last window starts in the right padding",
    "pool_ceil_asym": "o = (n + p_lo + p_hi - d*(k-1) - 1 + (s-1)) // s + 1, minus 1 if the last window starts "
                      "in the right padding",
    "transposed": "o = (n-1)*s - 2p + d*(k-1) + output_padding + 1",
    "transposed_asym": "o = (n-1)*s - (p_lo + p_hi) + d*(k-1) + output_padding + 1",
}

SOURCES = {
    "conv": "Dumoulin & Visin 2016, relationship 15; PyTorch Conv2d",
    "pool": "PyTorch MaxPool2d/AvgPool2d (ATen pooling_output_shape_pad_lr); Dumoulin & Visin rel. 7",
    "transposed": "PyTorch ConvTranspose2d; Dumoulin & Visin rel. 14",
}


class AxisWorking(NamedTuple):
    """The working along one spatial axis.

    Attributes
    ----------
    axis : int
        0-indexed spatial axis.
    formula : str
        The formula in symbols.
    substituted : str
        The formula with this axis' numbers, e.g. ``(16 + 2*1 - 4*(2-1) - 1) // 2 + 1``.
    steps : str
        The arithmetic after substitution, e.g. ``13 // 2 + 1 = 6 + 1 = 7``.
    output : int or sympy expression
        The answer, from :mod:`convcalc.arithmetic`.
    padding : tuple
        ``(lo, hi)`` padding actually applied on this axis.
    notes : tuple of str
        Remarks worth knowing (uncovered rows, dropped windows, 'same' split).
    """

    axis: int
    formula: str
    substituted: str
    steps: str
    output: Size
    padding: tuple[Size, Size]
    notes: tuple[str, ...]


class Working(NamedTuple):
    """The working of one output-size computation over every axis."""

    kind: str
    source: str
    axes: tuple[AxisWorking, ...]

    @property
    def output(self) -> tuple[Size, ...]:
        """The output size, one value per axis."""
        return tuple(a.output for a in self.axes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ints stay ints, symbolic values become strings."""

        def plain(v: Any) -> Any:
            return v if isinstance(v, int) else str(v)

        axes = []
        for a in self.axes:
            d = a._asdict()
            d["output"] = plain(a.output)
            d["padding"] = [plain(p) for p in a.padding]
            d["notes"] = list(a.notes)
            axes.append(d)
        return {"kind": self.kind, "output": [plain(v) for v in self.output], "source": self.source, "axes": axes}


def _axis_name(axis: int, ndim: int, count: int) -> str:
    """'row'/'rows', 'column'/'columns' in 2-D; 'position(s)' otherwise."""
    word = ("row", "column")[axis] if ndim == 2 else "position"
    return word + ("s" if count != 1 else "") + (f" on axis {axis}" if ndim > 2 else "")


def _pad_terms(lo: Size, hi: Size) -> tuple[str, bool]:
    symmetric = definitely(lo == hi) is True
    return (f"2*{lo}" if symmetric else f"{lo} + {hi}"), symmetric


def _coverage_note(n: Size, span: Size, s: Size, lo: Size, hi: Size, axis: int, ndim: int) -> str | None:
    """Rows at the end of the input that no window reaches (floor drops them)."""
    if not all(isinstance(v, int) for v in (n, span, s, lo, hi)):
        return None
    leftover = (n + lo + hi - span) % s
    if leftover == 0:
        return None
    unused_input = leftover - hi
    if unused_input > 0:
        first = n - unused_input
        what = _axis_name(axis, ndim, unused_input)
        which = f"{what} {first} (0-indexed) is" if unused_input == 1 else f"{what} {first}..{n - 1} (0-indexed) are"
        last_end = n - unused_input - 1
        return (f"input {which} never covered by a window: the last window ends at {last_end}, "
                f"and (n + p_lo + p_hi - d*(k-1) - 1) mod s = {leftover} is left over")
    return (f"the last {leftover} padded {_axis_name(axis, ndim, leftover)} "
            f"{'are' if leftover > 1 else 'is'} never covered by a window (only padding is dropped)")


def _padding_note(padding: Any, lo: Size, hi: Size, framework: str, span: Size) -> str | None:
    if not isinstance(padding, str):
        return None
    mode = padding.strip().lower()
    if mode == "same":
        side = "the odd pixel on the right, as PyTorch" if framework == "torch" else \
            "the extra pixel at the bottom/right, as TensorFlow/Keras"
        return f"'same' pads lo={lo}, hi={hi} ({side})"
    if mode == "full":
        return f"'full' pads d*(k-1) = {span - 1} on each side"
    return None


def _steps(numerator: Size, s: Size, out: Size) -> str:
    if isinstance(numerator, int) and isinstance(s, int):
        q = numerator // s
        return f"{numerator} // {s} + 1 = {q} + 1 = {q + 1}" if q + 1 == out else \
            f"{numerator} // {s} + 1 = {q} + 1 = {q + 1}, minus 1 = {out}"
    return f"floor(({numerator})/{s}) + 1 = {out}"


def explain_output_size(kind: str, size: IntOrTuple, kernel: IntOrTuple, stride: IntOrTuple | None = None,
                        padding: Any = 0, dilation: IntOrTuple = 1, *, ceil_mode: bool = False,
                        output_padding: IntOrTuple = 0, framework: str = "torch") -> Working:
    """Compute an output size and write its working, per axis.

    Parameters
    ----------
    kind : {"conv", "pool", "transposed"}
        Which formula.
    size, kernel, stride, padding, dilation
        As in :func:`convcalc.conv_output_size`; ``stride`` defaults to 1, or to
        the kernel for ``"pool"``.
    ceil_mode : bool
        Pooling only. Defaults to False.
    output_padding : int or tuple
        Transposed only. Defaults to 0.
    framework : {"torch", "keras"}
        The 'same' rule. Defaults to ``"torch"``.

    Examples
    --------
    >>> w = explain_output_size("conv", 16, 2, 2, 1, 4)
    >>> w.axes[0].substituted, w.axes[0].steps
    ('(16 + 2*1 - 4*(2-1) - 1) // 2 + 1', '13 // 2 + 1 = 6 + 1 = 7')
    >>> w.output
    (7,)
    """
    if kind not in KINDS:
        raise invalid("kind", kind, f"one of {', '.join(KINDS)}")
    fw = _framework(framework)
    if stride is None:
        stride = kernel if kind == "pool" else 1
    if kind == "conv":
        out = conv_output_size(size, kernel, stride, padding, dilation, framework=fw)
    elif kind == "pool":
        out = pool_output_size(size, kernel, stride, padding, dilation, ceil_mode, framework=fw)
    else:
        out = transposed_output_size(size, kernel, stride, padding, dilation, output_padding)
    ndim, _ = _axes(size, kernel, stride, dilation, padding, output_padding)
    outs = out if isinstance(out, tuple) else (out,)
    n, k, s, d, a = (_values(v, ndim, name) for v, name in
                     ((size, "size"), (kernel, "kernel"), (stride, "stride"), (dilation, "dilation"),
                      (output_padding, "output_padding")))
    pads = resolve_padding(padding, n, k, s, d, fw)
    axes = []
    for i in range(ndim):
        axes.append(_explain_axis(kind, n[i], k[i], s[i], pads[i], d[i], a[i], outs[i], i, ndim,
                                  ceil_mode, padding, fw))
    return Working(kind, SOURCES[kind], tuple(axes))


def _explain_axis(kind: str, n: Size, k: Size, s: Size, pad: tuple[Size, Size], d: Size, a: Size, out: Size,
                  axis: int, ndim: int, ceil_mode: bool, padding: Any, framework: str) -> AxisWorking:
    lo, hi = pad
    span = effective_kernel(k, d)
    pad_text, symmetric = _pad_terms(lo, hi)
    notes = [note for note in (_padding_note(padding, lo, hi, framework, span),) if note]
    if kind == "transposed":
        formula = FORMULAS["transposed" if symmetric else "transposed_asym"]
        sub = f"({n}-1)*{s} - " + (pad_text if symmetric else f"({pad_text})") + f" + {d}*({k}-1) + {a} + 1"
        if all(isinstance(v, int) for v in (n, s, lo, hi, d, k, a)):
            steps = f"{(n - 1) * s} - {lo + hi} + {d * (k - 1)} + {a} + 1 = {out}"
        else:
            steps = f"= {out}"
        return AxisWorking(axis, formula, sub, steps, out, pad, tuple(notes))

    extra = ceil_mode and kind == "pool"
    key = ("pool_ceil" if extra else "conv") + ("" if symmetric else "_asym")
    formula = FORMULAS[key]
    sub = f"({n} + {pad_text} - {d}*({k}-1) - 1" + (f" + ({s}-1)" if extra else "") + f") // {s} + 1"
    numerator = n + lo + hi - span + (s - 1 if extra else 0)
    steps = _steps(numerator, s, out)
    if extra:
        if ceil_window_dropped(n, k, s, lo, hi, d):
            last_start = (numerator // s) * s  # start of the would-be last window, padded coordinates
            notes.append(f"ceil mode: the last window would start at {last_start} >= n + p_lo = {n + lo}, "
                         "in the right padding, so PyTorch drops it")
        elif isinstance(out, int):
            floor_out = pool_output_size(n, k, s, ((lo, hi),), d, False)[0]
            if floor_out != out:
                notes.append(f"ceil mode keeps a partial last window; floor mode gives {floor_out}")
    else:
        note = _coverage_note(n, span, s, lo, hi, axis, ndim)
        if note:
            notes.append(note)
    return AxisWorking(axis, formula, sub, steps, out, pad, tuple(notes))
