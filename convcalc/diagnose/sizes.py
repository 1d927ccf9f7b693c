"""Output-size questions (convolution, pooling, transposed convolution) and their usual mistakes."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from convcalc._typing import as_tuple
from convcalc.arithmetic import conv_length, pool_length, transposed_length
from convcalc.diagnose.verdict import Diagnosis, Sizes, Verdict, _match, sizes_equal


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
