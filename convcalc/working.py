"""The working of an output-size computation, as a student writes it by hand.

For each axis: the formula, the same formula with the numbers substituted, the
floor step and the answer, plus the notes that matter (input rows never covered
by a window, a ceil-mode window dropped, how 'same' padding splits). The answer
itself always comes from :mod:`convcalc.arithmetic`; this module only writes
the working around it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from convcalc._typing import IntOrTuple, Size, definitely, floordiv
from convcalc.arithmetic import KINDS, Resolved, effective_kernel, resolve_geometry

__all__ = ["AxisWorking", "Working", "explain_output_size", "KINDS"]


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

    def _repr_html_(self) -> str:  # Jupyter: the working as a table; the renderer lives in the picture layer above
        return __import__("importlib").import_module("convcalc.draw.reprs").working_html(self)


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


def _padding_note(mode: str | None, lo: Size, hi: Size, framework: str, span: Size) -> str | None:
    if mode == "same":
        side = "the odd pixel on the right, as PyTorch" if framework == "torch" else \
            "the extra pixel at the bottom/right, as TensorFlow/Keras"
        return f"'same' pads lo={lo}, hi={hi} ({side})"
    if mode == "full":
        return f"'full' pads d*(k-1) = {span - 1} on each side"
    if mode == "causal":
        return f"'causal' pads d*(k-1) = {span - 1} before the input and none after, as Keras's Conv1D"
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
    if stride is None:
        stride = kernel if kind == "pool" else 1
    r = resolve_geometry(kind, size, kernel, stride, padding, dilation, ceil_mode=ceil_mode,
                         output_padding=output_padding, framework=framework)
    axes = tuple(_explain_axis(r, i) for i in range(len(r.output)))
    return Working(kind, SOURCES[kind], axes)


def _explain_axis(r: Resolved, axis: int) -> AxisWorking:
    kind, ndim, framework = r.kind, len(r.output), r.framework
    n, k, s, d, a, out = (r.size[axis], r.kernel[axis], r.stride[axis], r.dilation[axis], r.output_padding[axis],
                          r.output[axis])
    pad = r.padding[axis]
    lo, hi = pad
    span = effective_kernel(k, d)
    pad_text, symmetric = _pad_terms(lo, hi)
    notes = [note for note in (_padding_note(r.mode, lo, hi, framework, span),) if note]
    if kind == "transposed":
        formula = FORMULAS["transposed" if symmetric else "transposed_asym"]
        sub = f"({n}-1)*{s} - " + (pad_text if symmetric else f"({pad_text})") + f" + {d}*({k}-1) + {a} + 1"
        if all(isinstance(v, int) for v in (n, s, lo, hi, d, k, a)):
            steps = f"{(n - 1) * s} - {lo + hi} + {d * (k - 1)} + {a} + 1 = {out}"
        else:
            steps = f"= {out}"
        return AxisWorking(axis, formula, sub, steps, out, pad, tuple(notes))

    extra = r.ceil_mode
    key = ("pool_ceil" if extra else "conv") + ("" if symmetric else "_asym")
    formula = FORMULAS[key]
    sub = f"({n} + {pad_text} - {d}*({k}-1) - 1" + (f" + ({s}-1)" if extra else "") + f") // {s} + 1"
    numerator = n + lo + hi - span + (s - 1 if extra else 0)
    steps = _steps(numerator, s, out)
    if extra:
        if r.dropped[axis]:
            last_start = (numerator // s) * s  # start of the would-be last window, padded coordinates
            notes.append(f"ceil mode: the last window would start at {last_start} >= n + p_lo = {n + lo}, "
                         "in the right padding, so PyTorch drops it")
        elif isinstance(out, int):
            floor_out = floordiv(n + lo + hi - span, s) + 1  # floor mode: whole windows only (may be none)
            if floor_out != out:
                notes.append("ceil mode keeps a partial last window; floor mode gives "
                             + (str(floor_out) if floor_out >= 1 else "no window at all"))
    else:
        note = _coverage_note(n, span, s, lo, hi, axis, ndim)
        if note:
            notes.append(note)
    return AxisWorking(axis, formula, sub, steps, out, pad, tuple(notes))
