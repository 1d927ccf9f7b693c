"""Compute each kind of question, compare the given answer, and recognise the usual mistakes.

A diagnosis is recognised by recomputing the answer the way the mistake would,
with the same library functions and one thing changed (the floor rounded up,
the dilation left out, ``2*p_lo`` for ``p_lo + p_hi``, the direct formula for a
transposed one, ...). When the given answer equals that recomputation, and it
differs from the right answer, the mistake is named. Nothing here re-derives a
size: every number comes from :mod:`convcalc.arithmetic`, :mod:`convcalc.exact`
or :mod:`convcalc.stack`.

The catalogue (``code``: what the student did):

* ``ceil_instead_of_floor``: rounded the division up.
* ``naive_ceil_mode``: ceil mode without PyTorch's last-window rule.
* ``ceil_mode_ignored``: floor where ceil mode was asked.
* ``dilation_forgotten``: used ``k`` instead of ``d*(k - 1) + 1``.
* ``two_p_asymmetric``: wrote ``2p`` where the padding is ``(p_lo, p_hi)``, ``p_lo != p_hi``.
* ``padding_once``: added ``p`` once instead of ``2p``.
* ``padding_forgotten``: left the padding out.
* ``plus_one_forgotten``: forgot the ``+ 1``.
* ``transposed_formula_used``: the transposed-convolution formula for a convolution.
* ``direct_formula_used``: the transposed formula run backwards (the direct formula).
* ``padding_added``: a transposed convolution's padding added instead of removed.
* ``n_times_s``: ``n*s`` instead of ``(n - 1)*s``.
* ``output_padding_forgotten``: a transposed convolution's ``output_padding`` left out.
* ``pool_stride_one``: pooling with stride 1 where the stride defaults to the window.
* ``odd_pixel_first``, ``total_per_side``, ``stride_ignored``, ``symmetric_even``: 'same' padding splits.
* ``flops_not_macs``, ``macs_not_flops``: a factor 2 (FLOPs count the multiply and the add).
* ``bias_counted``, ``bias_forgotten``, ``batch_counted``, ``batch_forgotten``: counting conventions.
* ``single_layer``: one layer's count where the network's total is asked.
* ``layout_nhwc``, ``layout_nchw``: channels last where the shape is channels first, or the reverse.
* ``wrong_layer``: the shape after the layer before or after the one asked about.
* ``rf_wrong_reference``: the receptive field measured on another layer.
* ``kernel_flipped``, ``not_flipped``, ``transposed_matrix``, ``wrong_mode``, ``same_offset``,
  ``stride_ignored``, ``window_shifted``, ``max_avg_swapped``, ``averages_rounded``: exact kinds.
* ``wrong_cells``: which cells of a matrix answer are wrong (always given for a wrong matrix of the
  right shape); ``wrong_shape`` when its shape differs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Iterable

from convcalc._typing import as_tuple
from convcalc.arithmetic import conv_length, pool_length, same_padding, transposed_length
from convcalc.errors import ConvCalcError

__all__ = ["CHECKERS", "Diagnosis", "Verdict", "sizes_equal", "exact_equal", "plain"]

Sizes = tuple[Any, ...]
MAX_CELL_WORKINGS = 3


@dataclass(frozen=True)
class Diagnosis:
    """A recognised mistake: a stable ``code`` for autograders and a sentence for people."""

    code: str
    message: str


@dataclass(frozen=True)
class Verdict:
    """The outcome of one question.

    Attributes
    ----------
    id, kind : str
        The question's id and kind.
    given, correct : object
        The parsed answer and the computed one (a tuple per axis for sizes, a
        matrix for exact kinds, an int for counts).
    ok : bool
        True when they agree.
    working : tuple of str
        How the correct answer is computed, as lines of text.
    diagnoses : tuple of Diagnosis
        The mistakes recognised in a wrong answer (may be empty).
    wrong_cells : tuple of (int, int)
        Matrix kinds: the cells of the answer that are wrong (0-indexed).
    cells : tuple
        Matrix kinds: :class:`convcalc.exact.CellWorking` (or ``PoolWorking``)
        of the first wrong cells, for rendering.
    fields : dict
        The question's parsed fields.
    """

    id: str
    kind: str
    given: Any
    correct: Any
    ok: bool
    working: tuple[str, ...] = ()
    diagnoses: tuple[Diagnosis, ...] = ()
    wrong_cells: tuple[tuple[int, int], ...] = ()
    cells: tuple[Any, ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: exact values as ints or ``"a/b"`` strings."""
        return {
            "id": self.id, "kind": self.kind, "given": plain(self.given), "correct": plain(self.correct),
            "ok": self.ok, "verdict": "right" if self.ok else "wrong", "working": list(self.working),
            "diagnoses": [{"code": d.code, "message": d.message} for d in self.diagnoses],
            "wrong_cells": [list(c) for c in self.wrong_cells],
        }


def exact_equal(given: Any, correct: Any, tolerance: Fraction | int = 0) -> bool:
    """Exact (or within ``tolerance``) equality of two values."""
    if tolerance:
        try:
            return abs(given - correct) <= tolerance
        except TypeError:
            return False
    return bool(given == correct)


def plain(value: Any) -> Any:
    """Exact values for JSON: tuples become lists, whole Fractions ints, other Fractions ``"a/b"``."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bool) or isinstance(value, int) or value is None:
        return value
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return str(value)


def sizes_equal(given: Sizes, correct: Sizes) -> bool:
    """Per-axis equality; one value stands for every axis (``7`` answers ``7x7``).

    Examples
    --------
    >>> sizes_equal((7,), (7, 7)), sizes_equal((7, 8), (7, 7)), sizes_equal((7, 7), (7,))
    (True, False, True)
    """
    if len(given) == len(correct):
        return tuple(given) == tuple(correct)
    if len(given) == 1:
        return all(c == given[0] for c in correct)
    if len(correct) == 1:
        return all(g == correct[0] for g in given)
    return False


def _attempt(compute: Callable[[], Any]) -> Any:
    """A mistaken recomputation, or None when that mistake cannot even be computed."""
    try:
        return compute()
    except (ConvCalcError, ZeroDivisionError, IndexError):
        return None


def _match(given: Any, correct: Any, candidates: Iterable[tuple[str, Callable[[], Any], str]],
           equal: Callable[[Any, Any], bool]) -> tuple[Diagnosis, ...]:
    """Diagnoses whose recomputation equals the given answer (and differs from the right one).

    Candidates come most specific first. Several mistakes can lead to the same
    wrong number; every one that does is reported (once per code), in that order.
    """
    found: dict[str, Diagnosis] = {}
    for code, compute, message in candidates:
        if code in found:
            continue
        alt = _attempt(compute)
        if alt is not None and equal(given, alt) and not equal(alt, correct):
            found[code] = Diagnosis(code, message.format(alt=_show(alt)))
    return tuple(found.values())


def _show(value: Any) -> str:
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return ", ".join(f"({lo}, {hi})" for lo, hi in value)
    if isinstance(value, tuple):
        return "x".join(str(v) for v in value)
    if isinstance(value, list):
        return f"{len(value)}x{len(value[0])} matrix"
    return f"{value:,}" if isinstance(value, int) else str(value)


# --------------------------------------------------------------------------- output sizes
def _per_axis(q: dict[str, Any], ndim: int, names: Iterable[str], defaults: dict[str, Any]) -> list[tuple]:
    values = [as_tuple(q.get(name, defaults.get(name)), ndim, name) for name in names]
    return list(zip(*values))


def _working_lines(working: Any) -> tuple[str, ...]:
    lines: list[str] = []
    axes = working.axes
    same = all((a.substituted, a.notes) == (axes[0].substituted, axes[0].notes) for a in axes)
    for a in axes[:1] if same else axes:
        prefix = "" if same else f"axis {a.axis}: "
        lines += [f"{prefix}{a.formula}", f"{prefix}{a.substituted} = {a.output}", f"{prefix}{a.steps}"]
        lines += [f"{prefix}note: {n}" for n in a.notes]
    lines.append(f"output: {'x'.join(str(v) for v in working.output)}")
    return tuple(lines)


def _size_verdict(q: dict[str, Any], kind: str) -> Verdict:
    from convcalc.working import explain_output_size

    stride = q.get("stride", q["kernel"] if kind == "pool" else 1)
    w = explain_output_size(kind, q["size"], q["kernel"], stride, q.get("padding", 0), q.get("dilation", 1),
                            ceil_mode=q.get("ceil_mode", False), output_padding=q.get("output_padding", 0),
                            framework=q.get("framework", "torch"))
    correct, given = w.output, q["answer"]
    ok = sizes_equal(given, correct)
    diagnoses: tuple[Diagnosis, ...] = ()
    if not ok:
        ndim = len(w.axes)
        axes = [(n, k, s, a.padding[0], a.padding[1], d, op) for (n, k, s, d, op), a in
                zip(_per_axis({**q, "stride": stride}, ndim, ("size", "kernel", "stride", "dilation", "output_padding"),
                              {"output_padding": 0, "dilation": 1}), w.axes)]
        candidates = {"conv": _conv_mistakes, "pool": _pool_mistakes, "transposed": _transposed_mistakes}[kind]
        diagnoses = _match(given, correct, candidates(q, axes, correct), sizes_equal)
    return Verdict(q["id"], q["kind"], given, correct, ok, _working_lines(w), diagnoses, fields=q)


def _each(axes: list[tuple], fn: Callable[..., Any]) -> Callable[[], Sizes]:
    return lambda: tuple(fn(*axis) for axis in axes)


def _shared_mistakes(axes: list[tuple], length: Callable[..., Any]) -> list[tuple[str, Callable[[], Any], str]]:
    """Dilation, padding and +1 mistakes, with ``length(n, k, s, lo, hi, d)`` the right per-axis formula."""
    out = []
    if any(d != 1 for *_, d, _op in axes):
        out.append(("dilation_forgotten", _each(axes, lambda n, k, s, lo, hi, d, op: length(n, k, s, lo, hi, 1)),
                    "You used the kernel size k where the dilated kernel d*(k-1)+1 belongs; that gives {alt}."))
    if any(lo != hi for _n, _k, _s, lo, hi, _d, _op in axes):
        msg = ("The padding is asymmetric (p_lo != p_hi): the formula needs p_lo + p_hi, but 2p with p = {side} "
               "gives {alt}.")
        out.append(("two_p_asymmetric", _each(axes, lambda n, k, s, lo, hi, d, op: length(n, k, s, lo, lo, d)),
                    msg.replace("{side}", "p_lo")))
        out.append(("two_p_asymmetric", _each(axes, lambda n, k, s, lo, hi, d, op: length(n, k, s, hi, hi, d)),
                    msg.replace("{side}", "p_hi")))
    if any(lo or hi for _n, _k, _s, lo, hi, _d, _op in axes):
        out.append(("padding_once", _each(axes, lambda n, k, s, lo, hi, d, op: length(n, k, s, lo, 0, d)),
                    "You added the padding once; it goes on both sides (2p, or p_lo + p_hi), which gives "
                    "the right answer, not {alt}."))
        out.append(("padding_forgotten", _each(axes, lambda n, k, s, lo, hi, d, op: length(n, k, s, 0, 0, d)),
                    "You left the padding out; without it the output would be {alt}."))
    return out


def _conv_mistakes(q: dict[str, Any], axes: list[tuple], correct: Sizes) -> list:
    out = [("ceil_instead_of_floor",
            # ceil(x/s) == floor((x + s - 1)/s): the same formula with s - 1 more padding at the end
            _each(axes, lambda n, k, s, lo, hi, d, op: conv_length(n, k, s, lo, hi + s - 1, d)),
            "You rounded up: ceil instead of floor gives {alt}. The formula floors, because a window that does "
            "not fit entirely inside the padded input is not computed.")]
    out += _shared_mistakes(axes, conv_length)
    out.append(("plus_one_forgotten", lambda: tuple(c - 1 for c in correct),
                "You forgot the + 1 (the first window): {alt}."))
    out.append(("transposed_formula_used",
                _each(axes, lambda n, k, s, lo, hi, d, op: transposed_length(n, k, s, lo, hi, d)),
                "You used the transposed-convolution formula (n-1)*s - 2p + d*(k-1) + 1 = {alt}; "
                "a convolution shrinks: (n + 2p - d*(k-1) - 1) // s + 1."))
    return out


def _pool_mistakes(q: dict[str, Any], axes: list[tuple], correct: Sizes) -> list:
    ceil = q.get("ceil_mode", False)
    naive = _each(axes, lambda n, k, s, lo, hi, d, op: conv_length(n, k, s, lo, hi + s - 1, d))
    out = []
    if ceil:
        out.append(("naive_ceil_mode", naive,
                    "You rounded up without PyTorch's rule: in ceil mode a last window that would start in the "
                    "right padding is dropped, so {alt} is one too many."))
        out.append(("ceil_mode_ignored",
                    _each(axes, lambda n, k, s, lo, hi, d, op: pool_length(n, k, s, lo, hi, d, False)),
                    "You used floor, but ceil_mode=True keeps a partial last window; floor gives {alt}."))
    else:
        out.append(("ceil_instead_of_floor", naive,
                    "You rounded up (ceil mode) where pooling floors by default: ceil gives {alt}."))
    if "stride" not in q:
        out.append(("pool_stride_one", _each(axes, lambda n, k, s, lo, hi, d, op: pool_length(n, k, 1, lo, hi, d,
                                                                                                ceil)),
                    "You used stride 1; a pooling layer's stride defaults to its window size, and stride 1 "
                    "gives {alt}."))
    out += _shared_mistakes(axes, lambda n, k, s, lo, hi, d: pool_length(n, k, s, lo, hi, d, ceil))
    out.append(("plus_one_forgotten", lambda: tuple(c - 1 for c in correct),
                "You forgot the + 1 (the first window): {alt}."))
    return out


def _transposed_mistakes(q: dict[str, Any], axes: list[tuple], correct: Sizes) -> list:
    out = [
        ("direct_formula_used", _each(axes, lambda n, k, s, lo, hi, d, op: conv_length(n, k, s, lo, hi, d)),
         "You ran the formula the wrong way: (n + 2p - d*(k-1) - 1) // s + 1 = {alt} is the direct convolution's "
         "output; a transposed convolution inverts it: (n-1)*s - 2p + d*(k-1) + output_padding + 1."),
        ("padding_added",
         _each(axes, lambda n, k, s, lo, hi, d, op: transposed_length(n, k, s, 0, 0, d, op) + lo + hi),
         "You added the padding; in a transposed convolution it is removed from the output (- 2p), "
         "so {alt} is off by 2*(p_lo + p_hi)."),
        ("n_times_s", _each(axes, lambda n, k, s, lo, hi, d, op: transposed_length(n + 1, k, s, lo, hi, d, op)),
         "You multiplied n*s; the windows are s apart, so the input spans (n-1)*s: n*s gives {alt}."),
    ]
    if any(op for *_, op in axes):
        out.append(("output_padding_forgotten",
                    _each(axes, lambda n, k, s, lo, hi, d, op: transposed_length(n, k, s, lo, hi, d, 0)),
                    "You left out output_padding, which adds to one side of the output: {alt}."))
    if any(d != 1 for *_, d, _op in axes):
        out.append(("dilation_forgotten",
                    _each(axes, lambda n, k, s, lo, hi, d, op: transposed_length(n, k, s, lo, hi, 1, op)),
                    "You used k where the dilated kernel d*(k-1)+1 belongs; that gives {alt}."))
    return out


def check_outsize(q: dict[str, Any]) -> Verdict:
    """Convolution output size."""
    return _size_verdict(q, "conv")


def check_pool(q: dict[str, Any]) -> Verdict:
    """Pooling output size (stride defaults to the window)."""
    return _size_verdict(q, "pool")


def check_transposed(q: dict[str, Any]) -> Verdict:
    """Transposed-convolution output size."""
    return _size_verdict(q, "transposed")


# --------------------------------------------------------------------------- 'same' padding
_ODD_TOTAL = ("The total padding is odd, so it cannot be split evenly: 'same' pads (lo, hi) with hi = lo + 1, "
              "not the symmetric {alt}.")


def _pairs(value: Any) -> tuple[tuple[Any, Any], ...]:
    return value if isinstance(value[0], tuple) else (value,)


def check_same_padding(q: dict[str, Any]) -> Verdict:
    """The ``(lo, hi)`` padding of 'same', per axis."""
    framework = q.get("framework", "torch")
    args = (q["size"], q["kernel"], q.get("stride", 1), q.get("dilation", 1))
    correct = _pairs(same_padding(*args, framework=framework))
    given = q["answer"]
    ok = sizes_equal(given, correct)
    rule = ("PyTorch: total = d*(k-1), lo = total // 2, hi = total - lo (the odd pixel at the end)"
            if framework == "torch" else
            "TensorFlow/Keras: o = ceil(n/s), total = max((o-1)*s + d*(k-1) + 1 - n, 0), lo = total // 2, "
            "hi = total - lo (the extra pixel at the bottom/right)")
    working = (rule,) + tuple(f"axis {a}: total {lo + hi} -> (lo, hi) = ({lo}, {hi})" for a, (lo, hi) in
                              enumerate(correct))
    diagnoses: tuple[Diagnosis, ...] = ()
    if not ok:
        n, k, s, d = args
        candidates = [
            ("odd_pixel_first", lambda: tuple((hi, lo) for lo, hi in correct),
             "You put the odd pixel of padding first; PyTorch and TensorFlow put it at the end (right/bottom): "
             "the answer is the reverse of {alt}."),
            ("total_per_side", lambda: tuple((lo + hi, lo + hi) for lo, hi in correct),
             "You gave the total padding on each side; the total d*(k-1) is split between the two sides."),
            ("dilation_forgotten", lambda: _pairs(same_padding(n, k, s, 1, framework=framework)),
             "You left the dilation out: the dilated kernel spans d*(k-1)+1, and k alone gives {alt}."),
            ("symmetric_even", lambda: tuple((lo, lo) for lo, hi in correct), _ODD_TOTAL),
            ("symmetric_even", lambda: tuple((hi, hi) for lo, hi in correct), _ODD_TOTAL),
        ]
        if s not in (1, (1, 1)):
            candidates.insert(0, ("stride_ignored", lambda: _pairs(same_padding(n, k, 1, d, framework=framework)),
                                  "You padded as for stride 1 ({alt}); with stride s, 'same' only needs the "
                                  "output to be ceil(n/s)."))
        diagnoses = _match(given, correct, candidates, sizes_equal)
    return Verdict(q["id"], q["kind"], given, correct, ok, working, diagnoses, fields=q)


# --------------------------------------------------------------------------- exact kinds
def _conv_options(q: dict[str, Any]) -> dict[str, Any]:
    return {"mode": q.get("mode", "valid"), "stride": q.get("stride", 1), "dilation": q.get("dilation", 1),
            "padding": q.get("padding"), "framework": q.get("framework", "torch")}


def _cell_of(q: dict[str, Any], y: list[list[Any]]) -> tuple[int, int]:
    i, j = q["cell"]
    if not (i < len(y) and j < len(y[0])):
        raise ConvCalcError(f"question {q['id']!r}: field 'cell': ({i}, {j}) is outside the "
                            f"{len(y)}x{len(y[0])} output.")
    return i, j


def _matrix_compare(given: Any, correct: list[list[Any]], tolerance: Any) -> tuple[bool, tuple[tuple[int, int], ...]]:
    if len(given) != len(correct) or len(given[0]) != len(correct[0]):
        return False, ()
    wrong = tuple((i, j) for i, row in enumerate(correct) for j, v in enumerate(row)
                  if not exact_equal(given[i][j], v, tolerance))
    return not wrong, wrong


def _equal_matrix(a: Any, b: Any) -> bool:
    return isinstance(a, list) and isinstance(b, list) and a == b


def check_correlate(q: dict[str, Any]) -> Verdict:
    """Exact correlation or convolution: a whole matrix, or one cell with ``cell = [i, j]``."""
    from convcalc import exact
    from convcalc.working import explain_output_size

    flip = q["kind"] == "convolve"
    options = _conv_options(q)
    op, other = (exact.convolve, exact.correlate) if flip else (exact.correlate, exact.convolve)
    x, f = q["x"], q["f"]
    y = op(x, f, **options)
    tolerance = q.get("tolerance", 0)
    explain = lambda i, j: exact.explain(x, f, i, j, convolve=flip, **options)  # noqa: E731
    size_w = explain_output_size("conv", (len(x), len(x[0])), (len(f), len(f[0])), options["stride"],
                                 options["padding"] if options["padding"] is not None else options["mode"],
                                 options["dilation"], framework=options["framework"])
    subs = [f"{a.substituted} = {a.output}" for a in size_w.axes]
    working = [f"Y is {len(y)}x{len(y[0])}: " + (f"{subs[0]} on both axes" if subs[0] == subs[1] else
                                                  f"rows {subs[0]}; columns {subs[1]}")]
    flipped_name = "the kernel flipped (convolution)" if not flip else "the kernel not flipped (correlation)"
    if "cell" in q:
        i, j = _cell_of(q, y)
        correct, given = y[i][j], q["answer"]
        ok = exact_equal(given, correct, tolerance)
        w = explain(i, j)
        working.append(f"Y({i},{j}) = sum(window * {'flip(F)' if flip else 'F'}) = {w.sum_text()}")
        diagnoses: tuple[Diagnosis, ...] = ()
        if not ok:
            candidates = [("kernel_flipped" if not flip else "not_flipped", lambda: other(x, f, **options)[i][j],
                           f"That is the value with {flipped_name}: {{alt}}.")]
            for di, dj in ((0, 1), (0, -1), (1, 0), (-1, 0)):
                if 0 <= i + di < len(y) and 0 <= j + dj < len(y[0]):
                    candidates.append(("window_shifted", lambda a=i + di, b=j + dj: y[a][b],
                                       f"That is Y({i + di},{j + dj}): the window is one step off."))
            diagnoses = _match(given, correct, candidates, lambda a, b: exact_equal(a, b, tolerance))
        return Verdict(q["id"], q["kind"], given, correct, ok, tuple(working), diagnoses,
                       cells=() if ok else (w,), fields=q)
    given = q["answer"]
    ok, wrong = _matrix_compare(given, y, tolerance)
    diagnoses = ()
    if not ok:
        candidates = [("kernel_flipped" if not flip else "not_flipped", lambda: other(x, f, **options),
                       f"Your matrix is the result with {flipped_name}.")]
        candidates.append(("transposed_matrix", lambda: [list(r) for r in zip(*y)],
                           "Your matrix is the right one transposed (rows and columns swapped)."))
        for mode in ("valid", "same", "full"):
            if options["padding"] is None and mode != options["mode"]:
                candidates.append(("wrong_mode", lambda m=mode: op(x, f, **{**options, "mode": m}),
                                   f"Your matrix is the {mode!r} result; the question asks for {options['mode']!r}."))
        if options["padding"] is None and options["mode"] == "same":
            candidates.append(("same_offset", lambda: op(x, f, **{**options, "mode": "valid", "padding": _swapped_same(
                x, f, options, flip)}), "Your 'same' result puts the odd pixel of padding on the other side; "
                                        "correlation (SciPy, PyTorch) pads it at the bottom/right, SciPy's "
                                        "convolve2d at the top/left."))
        for name in ("stride", "dilation"):
            if options[name] not in (1, (1, 1)):
                candidates.append(("stride_ignored" if name == "stride" else "dilation_forgotten",
                                   lambda n=name: op(x, f, **{**options, n: 1}), f"Your matrix ignores the {name}."))
        diagnoses = _match(given, y, candidates, _equal_matrix)
        diagnoses += _wrong_cells_diagnosis(given, y, wrong)
    cells = tuple(explain(i, j) for i, j in wrong[:MAX_CELL_WORKINGS])
    for w in cells:
        working.append(f"Y({w.cell[0]},{w.cell[1]}) = {w.sum_text()}")
    return Verdict(q["id"], q["kind"], given, y, ok, tuple(working), diagnoses, wrong, cells, fields=q)


def _swapped_same(x: Any, f: Any, options: dict[str, Any], flip: bool) -> tuple:
    from convcalc.arithmetic import resolve_padding

    pads = resolve_padding("same", (len(x), len(x[0])), (len(f), len(f[0])), as_tuple(options["stride"], 2, "stride"),
                           as_tuple(options["dilation"], 2, "dilation"), options["framework"])
    return pads if flip else tuple((hi, lo) for lo, hi in pads)


def _wrong_cells_diagnosis(given: Any, correct: list[list[Any]], wrong: tuple[tuple[int, int], ...]
                           ) -> tuple[Diagnosis, ...]:
    if len(given) != len(correct) or len(given[0]) != len(correct[0]):
        return (Diagnosis("wrong_shape", f"Your matrix is {len(given)}x{len(given[0])}; the output is "
                                         f"{len(correct)}x{len(correct[0])}."),)
    shown = ", ".join(f"({i},{j}) should be {correct[i][j]}, not {given[i][j]}" for i, j in wrong[:6])
    more = f", and {len(wrong) - 6} more" if len(wrong) > 6 else ""
    total = len(correct) * len(correct[0])
    return (Diagnosis("wrong_cells", f"{len(wrong)} of {total} cells are wrong: {shown}{more}."),)


def check_pool_exact(q: dict[str, Any]) -> Verdict:
    """Exact max or average pooling of a matrix, whole or one ``cell``."""
    from convcalc import exact

    x, op = q["x"], q.get("op", "max")
    geometry = {"kernel": q["kernel"], "stride": q.get("stride"), "padding": q.get("padding", 0),
                "ceil_mode": q.get("ceil_mode", False)}
    include = q.get("count_include_pad", True)

    def pool(kind: str, **changes: Any) -> list[list[Any]]:
        g = {**geometry, **changes}
        if kind == "max":
            return exact.max_pool(x, dilation=q.get("dilation", 1), **g)
        return exact.avg_pool(x, count_include_pad=include, **g)

    y = pool(op)
    tolerance = q.get("tolerance", 0)
    work = lambda i, j: exact.explain_pool(x, i, j, dilation=q.get("dilation", 1), op=op,  # noqa: E731
                                           count_include_pad=include, **geometry)
    working = [f"{'Max' if op == 'max' else 'Average'} pooling gives a {len(y)}x{len(y[0])} matrix"]
    other = "avg" if op == "max" else "max"
    if "cell" in q:
        i, j = _cell_of(q, y)
        correct, given = y[i][j], q["answer"]
        ok = exact_equal(given, correct, tolerance)
        w = work(i, j)
        working.append(f"Y({i},{j}) = {w.text()}")
        candidates = [("max_avg_swapped", lambda: pool(other)[i][j], f"That is the {other} of the window.")]
        if op == "avg":
            candidates.append(("averages_rounded", lambda: _rounded(correct),
                               "You rounded the average; it is the exact fraction {alt}".replace("{alt}", str(correct))
                               + "."))
        diagnoses = () if ok else _match(given, correct, candidates, lambda a, b: exact_equal(a, b, tolerance))
        return Verdict(q["id"], q["kind"], given, correct, ok, tuple(working), diagnoses,
                       cells=() if ok else (w,), fields=q)
    given = q["answer"]
    ok, wrong = _matrix_compare(given, y, tolerance)
    diagnoses: tuple[Diagnosis, ...] = ()
    if not ok:
        candidates = [("max_avg_swapped", lambda: pool(other), f"Your matrix is the {other} pooling.")]
        if q.get("stride") is None:
            candidates.append(("pool_stride_one", lambda: pool(op, stride=1),
                               "You slid the window by 1; a pooling stride defaults to the window size."))
        candidates.append(("ceil_mode_ignored" if geometry["ceil_mode"] else "ceil_instead_of_floor",
                           lambda: pool(op, ceil_mode=not geometry["ceil_mode"]),
                           "Your matrix uses the other rounding (ceil mode or floor) for the number of windows."))
        if op == "avg":
            candidates.append(("averages_rounded", lambda: [[_rounded(v) for v in row] for row in y],
                               "You rounded the averages; they are exact fractions such as 5/3."))
        diagnoses = _match(given, y, candidates, _equal_matrix)
        if not any(d.code == "averages_rounded" for d in diagnoses) and op == "avg" and \
                len(given) == len(y) and len(given[0]) == len(y[0]) and \
                all(abs(given[i][j] - y[i][j]) < 1 for i, j in wrong):
            diagnoses += (Diagnosis("averages_rounded", "Your averages are rounded; give exact fractions such as "
                                                        "5/3 (or set a tolerance in the question)."),)
        diagnoses += _wrong_cells_diagnosis(given, y, wrong)
    cells = tuple(work(i, j) for i, j in wrong[:MAX_CELL_WORKINGS])
    working += [f"Y({w.cell[0]},{w.cell[1]}) = {w.text()}" for w in cells]
    return Verdict(q["id"], q["kind"], given, y, ok, tuple(working), diagnoses, wrong, cells, fields=q)


def _rounded(v: Any) -> Any:
    """Round half up to an int, as a student rounding 5/3 to 2 would."""
    from fractions import Fraction

    return int(Fraction(v) + Fraction(1, 2)) if Fraction(v) >= 0 else -int(-Fraction(v) + Fraction(1, 2))

# --------------------------------------------------------------------------- layer stacks
def _stack(q: dict[str, Any]) -> tuple[list[Any], tuple[int, ...]]:
    """The layers and channels-first input shape of a question's ``spec`` (a preset or a layer list)."""
    from convcalc.presets import is_preset, preset
    from convcalc.spec import read_spec

    spec = q["spec"]
    if is_preset(spec):
        layers, shape = preset(spec)
    else:
        parsed = read_spec(spec)
        layers, shape = parsed.layers, parsed.input_shape
    if "input" in q:
        given = q["input"]
        shape = given if q.get("layout", "nchw") == "nchw" or len(given) < 2 else (given[-1], *given[:-1])
    if shape is None:
        raise ConvCalcError(f"question {q['id']!r}: field 'input' is missing; the spec does not give the input "
                            "shape (write input = \"1x28x28\")")
    return layers, shape


def _summary(q: dict[str, Any], **options: Any) -> Any:
    from convcalc.stack import summarize

    layers, shape = _stack(q)
    return summarize(layers, shape, **options)


def _row_index(q: dict[str, Any], summary: Any, default: int | None) -> int | None:
    """The 1-based layer a question asks about (``None``: the whole network)."""
    index = q.get("layer", default)
    if index is not None and not 1 <= index <= len(summary.layers):
        raise ConvCalcError(f"question {q['id']!r}: field 'layer': {index} is not a layer of this network; "
                            f"use 1..{len(summary.layers)}")
    return index


def _shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


def check_stack_shape(q: dict[str, Any]) -> Verdict:
    """The output shape after a layer (default: the last), batch axis excluded."""
    layout = q.get("layout", "nchw")
    s = _summary(q)
    index = _row_index(q, s, len(s.layers))
    rows = s.layers[:index]
    show = (lambda shape: shape) if layout == "nchw" else _channels_last
    correct, given = show(rows[-1].output_shape), q["answer"]
    ok = tuple(given) == tuple(correct)
    working = tuple(f"layer {r.index} {r.name}: {_shape_text(show(r.input_shape))} -> "
                    f"{_shape_text(show(r.output_shape))}" for r in rows)
    diagnoses: tuple[Diagnosis, ...] = ()
    if not ok:
        other = "nhwc" if layout == "nchw" else "nchw"
        candidates = [
            ("layout_" + other, lambda: _channels_last(rows[-1].output_shape) if other == "nhwc" else
             rows[-1].output_shape,
             f"Your shape is in {other.upper()} order; the question uses {layout.upper()} ({_shape_text(correct)})."),
            ("batch_counted", lambda: ("*",) + tuple(correct),
             "Your shape includes a batch axis; shapes here are for one sample."),
        ]
        for j in (index - 1, index + 1):
            if 1 <= j <= len(s.layers):
                candidates.append(("wrong_layer", lambda j=j: show(s.layers[j - 1].output_shape),
                                   f"That is the shape after layer {j} ({s.layers[j - 1].name})."))
        diagnoses = _match(given, correct, candidates, _shape_equal)
    return Verdict(q["id"], q["kind"], given, correct, ok, working, diagnoses, fields=q)


def _channels_last(shape: tuple[int, ...]) -> tuple[int, ...]:
    return shape if len(shape) < 2 else (*shape[1:], shape[0])


def _shape_equal(given: Any, alt: Any) -> bool:
    if alt and alt[0] == "*":
        return len(given) == len(alt) and tuple(given[1:]) == tuple(alt[1:])
    return tuple(given) == tuple(alt)


def _without_bias(q: dict[str, Any]) -> int:
    """Parameters with every bias switched off (the same specs, ``bias=False``)."""
    from dataclasses import replace

    from convcalc.stack import summarize

    layers, shape = _stack(q)
    layers = [replace(layer, bias=False) if getattr(layer, "bias", None) is True else layer for layer in layers]
    s = summarize(layers, shape)
    index = q.get("layer")
    return s.total_params if index is None else s.layers[index - 1].params


def _count_verdict(q: dict[str, Any], s: Any, index: int | None, count: Callable[[Any], int],
                   header: tuple[str, ...], candidates: list) -> Verdict:
    """A params or MACs verdict: the per-layer counts as working, plus the shared 'single layer' mistake."""
    rows = s.layers if index is None else s.layers[index - 1:index]
    correct = sum(count(r) for r in rows)
    given = q["answer"]
    working = header + tuple(f"layer {r.index} {r.name}: {count(r):,}" for r in rows
                             if count(r) or index is not None) + (f"total: {correct:,}",)
    diagnoses: tuple[Diagnosis, ...] = ()
    if given != correct:
        if index is None:
            candidates = candidates + [("single_layer", lambda r=r: count(r), f"That is layer {r.index} ({r.name}) "
                                        "alone.") for r in s.layers if count(r)]
        diagnoses = _match(given, correct, candidates, lambda a, b: a == b)
    return Verdict(q["id"], q["kind"], given, correct, given == correct, working, diagnoses, fields=q)


def check_params(q: dict[str, Any]) -> Verdict:
    """Parameters of the whole network (or of ``layer``), trainable and not."""
    s = _summary(q)
    index = _row_index(q, s, None)
    candidates = [("bias_forgotten", lambda: _without_bias(q),
                   "You left out the biases (one per filter or unit); without them the count is {alt}.")]
    return _count_verdict(q, s, index, lambda r: r.params, (), candidates)


def check_macs(q: dict[str, Any]) -> Verdict:
    """Multiply-accumulates (default convention: torchvision's, one sample, no bias)."""
    convention, batch = q.get("convention", "torchvision"), q.get("batch", 1)
    s = _summary(q, convention=convention, batch=batch)
    index = _row_index(q, s, None)

    def total(summary: Any) -> int:
        return summary.total_macs if index is None else summary.layers[index - 1].macs

    correct, given = total(s), q["answer"]
    candidates = [
        ("flops_not_macs", lambda: 2 * correct,
         "That is twice the MACs: FLOPs count the multiply and the add separately (1 MAC = 2 FLOPs)."),
        ("macs_not_flops", lambda: correct // 2 if correct % 2 == 0 else None,
         "That is half: the question counts FLOPs (2 per multiply-accumulate)."),
        ("bias_counted", lambda: total(_summary(q, convention="torchinfo", batch=batch)),
         "You counted the bias additions too (torchinfo's Mult-Adds convention); the question's convention "
         f"({convention}) leaves them out."),
    ]
    if given and correct and given % correct == 0 and given // correct > 2:
        candidates.append(("batch_counted", lambda: given,
                           f"That is {given // correct} times the count: did you multiply by a batch of "
                           f"{given // correct}? The count here is for a batch of {batch}."))
    if batch > 1:
        candidates.append(("batch_forgotten", lambda: total(_summary(q, convention=convention)),
                           f"That is the count for one sample; the question asks for a batch of {batch}."))
    return _count_verdict(q, s, index, lambda r: r.macs, (f"convention: {convention}, batch {batch}",), candidates)


def check_rf(q: dict[str, Any]) -> Verdict:
    """Receptive field of a unit of ``layer`` (default: the last) on ``relative_to``'s output (default: the input)."""
    from convcalc.stack import rf_working

    layers, shape = _stack(q)
    reference = q.get("relative_to", 0)
    top = q.get("layer", len(layers))
    if not 1 <= top <= len(layers):
        raise ConvCalcError(f"question {q['id']!r}: field 'layer': {top} is not a layer of this network; "
                            f"use 1..{len(layers)}")
    if not 0 <= reference < top:
        raise ConvCalcError(f"question {q['id']!r}: field 'relative_to': {reference} must be 0 (the input) or "
                            f"a layer before layer {top}")
    rf = lambda ref: _rf_at(layers[:top], shape, ref)  # noqa: E731
    correct, given = rf(reference), q["answer"]
    w = rf_working(layers[:top], shape, rf_from=reference)
    where = lambda m: "the input" if m == 0 else f"layer {m}'s output"  # noqa: E731
    working = [f"r = 1 on layer {top}'s output; going down, r_(l-1) = s_l*r_l + (k_l - s_l)"]
    for m in range(len(w.steps) - 1, -1, -1):
        step, r_above, r = w.steps[m][0], w.sizes[m + 1][0], w.sizes[m][0]
        k, s = step.effective_kernel, step.stride
        working.append(f"on {where(w.reference + m)}: {s}*{r_above} + ({k} - {s}) = {r}")
    ok = sizes_equal(given, correct)
    diagnoses: tuple[Diagnosis, ...] = ()
    if not ok:
        candidates = [("rf_wrong_reference", lambda m=m: rf(m),
                       f"That is the receptive field measured on {where(m)}; the question measures it on "
                       f"{where(reference)}.") for m in range(top) if m != reference]
        diagnoses = _match(given, correct, candidates, sizes_equal)
    return Verdict(q["id"], q["kind"], given, correct, ok, tuple(working), diagnoses, fields=q)


def _rf_at(layers: list[Any], shape: tuple[int, ...], reference: int) -> Sizes:
    from convcalc.stack import summarize

    row = summarize(layers, shape, rf_from=reference).layers[-1]
    if row.rf is None:
        raise ConvCalcError(f"layer {row.index} ({row.name}) has no shift-invariant receptive field")
    return row.rf


CHECKERS: dict[str, Callable[[dict[str, Any]], Verdict]] = {
    "outsize": check_outsize,
    "transposed": check_transposed,
    "pool": check_pool,
    "same_padding": check_same_padding,
    "correlate": check_correlate,
    "convolve": check_correlate,
    "pool_exact": check_pool_exact,
    "stack_shape": check_stack_shape,
    "params": check_params,
    "macs": check_macs,
    "rf": check_rf,
}
